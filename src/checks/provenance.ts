// The provenance check (PEP 740): do the pinned release's files carry attestations that verify, and did a
// project that used to publish from a trusted publisher stop doing so (attestation regression)?
//
// Why these rules:
// - A file whose provenance is "invalid" (signature, log entry, digest, name or publisher mismatch) is a
//   tampering signal: critical. "Unverifiable" (another Sigstore instance, Rekor v2 without a signed entry
//   timestamp, an unknown format) is reported as info with the reason, never as a pass nor as tampering.
// - Regression: an attacker with a stolen API token can upload, but cannot attest from the project's CI. So if
//   one of the N previous releases (PEP 440 order, with non-yanked files) verified from a trusted publisher and
//   this release carries no provenance, or names another repository, that is high. Yanked releases are not
//   counted: a release may have been yanked precisely because it was bad.
// - Fetches are few: the pinned release's files, and one file per previous release (its newest attested file).
import type { Dependency } from "../inventory/types.js";
import {
  describePublisher,
  type Publisher,
  parsePublisher,
  publisherSource,
} from "../provenance/publisher.js";
import type { TrustMaterial } from "../provenance/trust-root.js";
import { verifyProvenance } from "../provenance/verify.js";
import { compare, eq, valid } from "../standards/pep440.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import { makeFinding } from "./finding.js";
import type { Finding, FindingKind, Severity } from "./types.js";

/** How many earlier releases (with files) the regression check looks at. */
export const PREVIOUS_RELEASES = 3;

/** Fetches a provenance URL: the JSON value, null when the index has none for it (404), or the Error. */
export type FetchProvenance = (url: string) => Promise<unknown | Error>;

export interface ProvenanceCheckOptions {
  trustRoot: TrustMaterial;
  /** Earlier releases to compare with (default PREVIOUS_RELEASES). */
  previousReleases?: number;
}

export type FileProvenanceStatus = "verified" | "invalid" | "unverifiable" | "none";

export interface FileProvenanceFacts {
  filename: string;
  provenanceUrl: string | null;
  status: FileProvenanceStatus;
  /** The publisher the provenance names (proved when status is "verified", only claimed otherwise). */
  publisher: Publisher | null;
  /** Why it did not verify; null when verified or absent. */
  message: string | null;
}

export interface ReleaseProvenanceFacts {
  version: string;
  /** The files examined: all of the pinned release's, one per earlier release. */
  files: FileProvenanceFacts[];
  /** Distinct publishers whose attestations verified for this release. */
  verifiedPublishers: Publisher[];
}

export interface ProvenanceFacts {
  package: string;
  release: ReleaseProvenanceFacts;
  /** Earlier releases examined, newest first. */
  previous: ReleaseProvenanceFacts[];
}

export interface ProvenanceCheckResult {
  findings: Finding[];
  /** Why the check did not run for this dependency, or null. */
  skipped: string | null;
  facts: ProvenanceFacts | null;
}

function finding(
  kind: FindingKind,
  id: string,
  severity: Severity,
  dep: Dependency,
  summary: string,
  url: string | null,
  evidence: Record<string, unknown>,
): Finding {
  return makeFinding(kind, severity, dep, summary, { id, url, evidence });
}

function sameVersion(a: string, b: string): boolean {
  return valid(a) && valid(b) ? eq(a, b) : a === b;
}

function sha256Of(file: ProjectFile): string | null {
  const digest = file.hashes.sha256;
  return digest && /^[0-9a-f]{64}$/i.test(digest) ? digest.toLowerCase() : null;
}

/** The files a pinned dependency can install: those matching its declared sha256 hashes, if any match. */
function installableFiles(dep: Dependency, files: ProjectFile[]): ProjectFile[] {
  const declared = new Set(
    dep.hashes.filter((h) => h.startsWith("sha256:")).map((h) => h.slice("sha256:".length).toLowerCase()),
  );
  if (declared.size === 0) return files;
  const matching = files.filter((f) => {
    const digest = sha256Of(f);
    return digest !== null && declared.has(digest);
  });
  // No file matches the declared hashes: that is the hash check's finding; examine every file here.
  return matching.length > 0 ? matching : files;
}

/** Claimed publishers of a provenance object, read without verifying (for facts when verification failed). */
function claimedPublisher(provenance: unknown): Publisher | null {
  if (typeof provenance !== "object" || provenance === null) return null;
  const bundles = (provenance as { attestation_bundles?: unknown }).attestation_bundles;
  if (!Array.isArray(bundles)) return null;
  for (const bundle of bundles) {
    const publisher = parsePublisher((bundle as { publisher?: unknown } | null)?.publisher);
    if (publisher) return publisher;
  }
  return null;
}

async function examineFile(
  file: ProjectFile,
  fetchProvenance: FetchProvenance,
  trustRoot: TrustMaterial,
): Promise<FileProvenanceFacts> {
  const base = { filename: file.filename, provenanceUrl: file.provenance };
  if (!file.provenance) return { ...base, status: "none", publisher: null, message: null };
  let provenance: unknown;
  try {
    provenance = await fetchProvenance(file.provenance);
  } catch (err) {
    provenance = err instanceof Error ? err : new Error(String(err));
  }
  if (provenance instanceof Error) {
    return {
      ...base,
      status: "unverifiable",
      publisher: null,
      message: `could not fetch the provenance: ${provenance.message}`,
    };
  }
  if (provenance === null || provenance === undefined) {
    return { ...base, status: "none", publisher: null, message: "the index lists provenance but has none" };
  }
  const sha256 = sha256Of(file);
  if (!sha256) {
    return {
      ...base,
      status: "unverifiable",
      publisher: claimedPublisher(provenance),
      message: "the index publishes no sha256 for the file, so its attestations cannot be matched to it",
    };
  }
  const result = verifyProvenance(provenance, { filename: file.filename, sha256 }, { trustRoot });
  return {
    ...base,
    status: result.status,
    publisher: result.publisher ?? claimedPublisher(provenance),
    message: result.message,
  };
}

function verifiedPublishers(files: FileProvenanceFacts[]): Publisher[] {
  const bySource = new Map<string, Publisher>();
  for (const f of files) {
    if (f.status === "verified" && f.publisher && !bySource.has(publisherSource(f.publisher))) {
      bySource.set(publisherSource(f.publisher), f.publisher);
    }
  }
  return [...bySource.values()];
}

/** Newest first by upload time; files without one keep index order, after those with one. */
function newestFile(files: ProjectFile[]): ProjectFile | undefined {
  return [...files]
    .map((file, index) => ({ file, index }))
    .sort((a, b) => (b.file.uploadTime ?? "").localeCompare(a.file.uploadTime ?? "") || b.index - a.index)[0]
    ?.file;
}

/** Earlier releases that have non-yanked files, newest first (PEP 440 order), at most `count`. */
function previousReleases(project: ProjectInfo, version: string, count: number): [string, ProjectFile[]][] {
  if (!valid(version)) return [];
  const byVersion = new Map<string, ProjectFile[]>();
  for (const file of project.files) {
    if (file.yanked || file.version === null || !valid(file.version)) continue;
    if (compare(file.version, version) >= 0) continue;
    // Group by the version as written, merging equal PEP 440 spellings under the first seen.
    const key = [...byVersion.keys()].find((k) => eq(k, file.version as string)) ?? file.version;
    byVersion.set(key, [...(byVersion.get(key) ?? []), file]);
  }
  return [...byVersion.entries()].sort(([a], [b]) => compare(b, a)).slice(0, count);
}

/** Checks the PEP 740 provenance of a pinned dependency's release against the index's view of the project. */
export async function checkProvenance(
  dep: Dependency,
  project: ProjectInfo,
  fetchProvenance: FetchProvenance,
  options: ProvenanceCheckOptions,
): Promise<ProvenanceCheckResult> {
  const skip = (skipped: string): ProvenanceCheckResult => ({ findings: [], skipped, facts: null });
  const version = dep.version;
  if (version === null) return skip("not pinned to one release: provenance is checked per release");
  if (!project.capabilities.provenance) return skip("the index does not publish PEP 740 provenance");
  const releaseFiles = project.files.filter((f) => f.version !== null && sameVersion(f.version, version));
  if (releaseFiles.length === 0) return skip(`the index lists no files for ${dep.name} ${version}`);

  const pinnedFiles = installableFiles(dep, releaseFiles);
  const earlier = previousReleases(project, version, options.previousReleases ?? PREVIOUS_RELEASES).map(
    ([v, files]) => ({
      version: v,
      file: newestFile(files.filter((f) => f.provenance)) ?? newestFile(files),
    }),
  );
  const [pinnedFacts, earlierFacts] = await Promise.all([
    Promise.all(pinnedFiles.map((f) => examineFile(f, fetchProvenance, options.trustRoot))),
    Promise.all(
      earlier.map(async ({ version: v, file }) => {
        const files = file ? [await examineFile(file, fetchProvenance, options.trustRoot)] : [];
        return { version: v, files, verifiedPublishers: verifiedPublishers(files) };
      }),
    ),
  ]);
  const release: ReleaseProvenanceFacts = {
    version,
    files: pinnedFacts,
    verifiedPublishers: verifiedPublishers(pinnedFacts),
  };
  const facts: ProvenanceFacts = { package: dep.name, release, previous: earlierFacts };

  const findings: Finding[] = [];
  for (const f of pinnedFacts) {
    const evidence = { filename: f.filename, provenance: f.provenanceUrl, reason: f.message };
    if (f.status === "invalid") {
      findings.push(
        finding(
          "provenance",
          "PC-PROVENANCE-INVALID",
          "critical",
          dep,
          `${dep.name} ${version}: provenance of ${f.filename} does not verify: tampering? (${f.message})`,
          f.provenanceUrl,
          { ...evidence, publisher: f.publisher ? describePublisher(f.publisher) : null },
        ),
      );
    } else if (f.status === "unverifiable") {
      findings.push(
        finding(
          "provenance",
          "PC-PROVENANCE-UNVERIFIABLE",
          "info",
          dep,
          `${dep.name} ${version}: could not verify the provenance of ${f.filename}: ${f.message}`,
          f.provenanceUrl,
          evidence,
        ),
      );
    }
  }

  const regression = regressionFinding(dep, version, release, earlierFacts);
  if (regression) findings.push(regression);
  return { findings, skipped: null, facts };
}

function regressionFinding(
  dep: Dependency,
  version: string,
  release: ReleaseProvenanceFacts,
  earlier: ReleaseProvenanceFacts[],
): Finding | null {
  const trusted = earlier.filter((r) => r.verifiedPublishers.length > 0);
  if (trusted.length === 0) return null;
  const previousSources = new Set(trusted.flatMap((r) => r.verifiedPublishers.map(publisherSource)));
  const previousPublishers = trusted.map((r) => ({
    version: r.version,
    publishers: r.verifiedPublishers.map(describePublisher),
  }));
  const previousText = [...new Set(trusted.flatMap((r) => r.verifiedPublishers.map(describePublisher)))].join(
    ", ",
  );
  const versionsText = trusted.map((r) => r.version).join(", ");
  const withProvenance = release.files.filter((f) => f.status !== "none");
  const without = release.files.filter((f) => f.status === "none").map((f) => f.filename);
  // Publishers this release names (claimed ones count: a claim of another repository is the signal itself).
  const named = withProvenance.flatMap((f) => (f.publisher ? [f.publisher] : []));
  const thisRelease = {
    filesWithProvenance: withProvenance.map((f) => f.filename),
    filesWithout: without,
    publishers: [...new Set(named.map(describePublisher))],
    statuses: Object.fromEntries(release.files.map((f) => [f.filename, f.status])),
  };
  const evidence = { previousPublishers, thisRelease };
  const make = (severity: Severity, summary: string) =>
    finding("provenance-regression", "PC-PROVENANCE-REGRESSION", severity, dep, summary, null, evidence);

  if (withProvenance.length === 0) {
    return make(
      "high",
      `${dep.name} ${version} has no provenance, but earlier releases (${versionsText}) were attested by ${previousText}: uploaded outside the trusted publisher?`,
    );
  }
  const foreign = named.filter((p) => !previousSources.has(publisherSource(p)));
  if (foreign.length > 0) {
    return make(
      "high",
      `${dep.name} ${version} is attested by ${[...new Set(foreign.map(describePublisher))].join(", ")}, not by ${previousText} as earlier releases (${versionsText}) were`,
    );
  }
  if (without.length > 0) {
    return make(
      "medium",
      `${dep.name} ${version}: ${without.length} file(s) without provenance (${without.join(", ")}) while earlier releases (${versionsText}) were attested by ${previousText}`,
    );
  }
  return null;
}
