// Trusted publishers (PyPI's GitHub, GitLab, Google kinds): reading them and matching a Sigstore signer against one.
//
// Matching follows pypi-attestations' publisher policies: the OIDC issuer must be the platform's, the Source
// Repository URI extension must name the publisher's repository, and the Build Config URI (the workflow that
// ran) must be `<repository URL>/.github/workflows/<workflow>@<ref>` on GitHub or
// `<repository URL>//<workflow_filepath>@<ref>` on GitLab. Repository paths compare case-insensitively
// because both platforms resolve them so; workflow file names compare exactly. The `environment` claim is not
// in the certificate (PyPI checks it at upload), so it is not compared here.

export interface GitHubPublisher {
  kind: "GitHub";
  /** `owner/name`. */
  repository: string;
  /** The workflow file name under `.github/workflows/`, e.g. `release.yml`. */
  workflow: string;
  environment?: string | null;
}

export interface GitLabPublisher {
  kind: "GitLab";
  /** `namespace/project` (namespaces may nest). */
  repository: string;
  /** Path of the CI file inside the repository, e.g. `.gitlab-ci.yml`. */
  workflow_filepath: string;
  environment?: string | null;
}

export interface GooglePublisher {
  kind: "Google";
  /** The service account e-mail, which is the certificate's SAN. */
  email: string;
}

/** A publisher kind we recognise but cannot match against a certificate (e.g. ActiveState), kept as served. */
export interface OtherPublisher {
  kind: "Other";
  /** The `kind` the index gave. */
  name: string;
  claims: Record<string, unknown>;
}

export type Publisher = GitHubPublisher | GitLabPublisher | GooglePublisher | OtherPublisher;

/** What a verified certificate says about who signed. */
export interface SignerIdentity {
  san: string;
  issuer: string;
  /** Source Repository URI (OID 1.3.6.1.4.1.57264.1.12), or null when the certificate has none. */
  sourceRepository: string | null;
  /** Build Config URI (OID 1.3.6.1.4.1.57264.1.18), or null. */
  buildConfigUri: string | null;
}

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const GITLAB_ISSUER = "https://gitlab.com";
export const GOOGLE_ISSUER = "https://accounts.google.com";

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function optionalText(value: unknown): string | null | undefined {
  return typeof value === "string" ? value : value === null ? null : undefined;
}

/** Reads a publisher object as PyPI's Integrity API serves it; null when it has no usable `kind`. */
export function parsePublisher(raw: unknown): Publisher | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const record = raw as Record<string, unknown>;
  const kind = text(record.kind);
  if (kind === null) return null;
  const repository = text(record.repository);
  if (kind === "GitHub") {
    const workflow = text(record.workflow);
    if (repository && workflow) {
      const environment = optionalText(record.environment);
      return environment === undefined
        ? { kind, repository, workflow }
        : { kind, repository, workflow, environment };
    }
  } else if (kind === "GitLab") {
    const workflowFilepath = text(record.workflow_filepath);
    if (repository && workflowFilepath) {
      const environment = optionalText(record.environment);
      return environment === undefined
        ? { kind, repository, workflow_filepath: workflowFilepath }
        : { kind, repository, workflow_filepath: workflowFilepath, environment };
    }
  } else if (kind === "Google") {
    const email = text(record.email);
    if (email) return { kind, email };
  }
  const claims: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (key !== "kind") claims[key] = value;
  return { kind: "Other", name: kind, claims };
}

export type PublisherMatch = { ok: true } | { ok: false; supported: boolean; message: string };

function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Does the signer's certificate identify this publisher? `supported: false` when we cannot tell. */
export function matchPublisher(publisher: Publisher, signer: SignerIdentity): PublisherMatch {
  const mismatch = (message: string): PublisherMatch => ({ ok: false, supported: true, message });
  switch (publisher.kind) {
    case "GitHub":
    case "GitLab": {
      const host = publisher.kind === "GitHub" ? "https://github.com/" : "https://gitlab.com/";
      const issuer = publisher.kind === "GitHub" ? GITHUB_ISSUER : GITLAB_ISSUER;
      const workflow = publisher.kind === "GitHub" ? publisher.workflow : publisher.workflow_filepath;
      const expected = `${workflow} @ ${publisher.repository}`;
      if (signer.issuer !== issuer) {
        return mismatch(
          `certificate issuer ${signer.issuer} is not ${publisher.kind}'s (${issuer}); signed by ${signer.san}`,
        );
      }
      const repositoryUrl = `${host}${publisher.repository}`;
      if (signer.sourceRepository === null || !sameRepository(signer.sourceRepository, repositoryUrl)) {
        return mismatch(
          `Source Repository URI ${signer.sourceRepository ?? "(absent)"} does not match ${repositoryUrl}`,
        );
      }
      const buildConfig = signer.buildConfigUri;
      // The workflow path starts after the repository URL and the platform's separator.
      const separator = publisher.kind === "GitHub" ? "/.github/workflows/" : "//";
      const prefix = `${signer.sourceRepository}${separator}`;
      // As pypi-attestations does: the workflow is what lies between that prefix and the first `@`.
      const at = buildConfig?.indexOf("@", prefix.length) ?? -1;
      const ran =
        buildConfig !== null && at > 0 && buildConfig.toLowerCase().startsWith(prefix.toLowerCase())
          ? buildConfig.slice(prefix.length, at)
          : null;
      if (ran !== workflow) {
        return mismatch(
          `Build Config URI ${buildConfig ?? "(absent)"} does not match the trusted publisher (${expected})`,
        );
      }
      return { ok: true };
    }
    case "Google":
      if (signer.issuer !== GOOGLE_ISSUER) {
        return mismatch(`certificate issuer ${signer.issuer} is not Google's (${GOOGLE_ISSUER})`);
      }
      if (signer.san !== publisher.email) {
        return mismatch(`certificate identity ${signer.san} is not the publisher's ${publisher.email}`);
      }
      return { ok: true };
    case "Other":
      return {
        ok: false,
        supported: false,
        message: `publisher kind ${publisher.name} cannot be matched against a certificate by pycustoms`,
      };
  }
}

/** The part of a publisher that says *where* releases come from (repository or account), for comparing releases. */
export function publisherSource(publisher: Publisher): string {
  switch (publisher.kind) {
    case "GitHub":
      return `GitHub:${publisher.repository.toLowerCase()}`;
    case "GitLab":
      return `GitLab:${publisher.repository.toLowerCase()}`;
    case "Google":
      return `Google:${publisher.email.toLowerCase()}`;
    case "Other":
      return `${publisher.name}:${JSON.stringify(publisher.claims)}`;
  }
}

/** One line naming a publisher for messages and evidence. */
export function describePublisher(publisher: Publisher): string {
  switch (publisher.kind) {
    case "GitHub":
      return `GitHub ${publisher.repository} (.github/workflows/${publisher.workflow})`;
    case "GitLab":
      return `GitLab ${publisher.repository} (${publisher.workflow_filepath})`;
    case "Google":
      return `Google ${publisher.email}`;
    case "Other":
      return publisher.name;
  }
}
