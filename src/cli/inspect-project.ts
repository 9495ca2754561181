// What `pycustoms inspect` does once its arguments are read: ask the index, run every check on one release, build the card.
//
// Loaded by the command with a dynamic import: it pulls in the HTTP client, SQLite and the Sigstore verifier.
import { AdvisoryStoreError, openAdvisoryStore } from "../advisories/store.js";
import type { Advisory } from "../advisories/types.js";
import { indexKey, resolveIndexUrl } from "../audit/index-url.js";
import { runUpstreamChecks } from "../audit/upstream.js";
import { checkAdvisories } from "../checks/advisories.js";
import { ownershipFacts } from "../checks/ownership.js";
import {
  checkProvenance,
  type FetchProvenance,
  type FileProvenanceFacts,
  type ProvenanceFacts,
} from "../checks/provenance.js";
import {
  isKnownVersion,
  isPrerelease,
  isYankedRelease,
  type Release,
  releasesOf,
  releaseTimeMs,
  sameVersion,
} from "../checks/releases.js";
import type { Finding } from "../checks/types.js";
import { buildPopularIndex } from "../checks/typosquat.js";
import { makeDependency } from "../inventory/dependency.js";
import type { Dependency } from "../inventory/types.js";
import { type Config, DEFAULT_PUBLIC_INDEX_URL, indexHttpOptions } from "../policy/config.js";
import { applyPolicy } from "../policy/decide.js";
import { describePublisher } from "../provenance/publisher.js";
import { productionTrustRoot, type TrustMaterial } from "../provenance/trust-root.js";
import { compareFindings } from "../report/audit-result.js";
import type {
  AdvisoryRow,
  InspectCard,
  ReleaseProvenance,
  ReleaseRow,
  SkippedCheck,
  TyposquatSuspicion,
} from "../report/inspect-card.js";
import { createIndexClient, type IndexClient } from "../upstream/client.js";
import { isUpstreamError } from "../upstream/errors.js";
import { createHttpClient } from "../upstream/http.js";
import { readPipIndexConfig } from "../upstream/pip-config.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";

export interface InspectRequest {
  /** The project name as the user wrote it. */
  name: string;
  /** From `NAME==VERSION`, or null for the latest release. */
  version: string | null;
  /** `--index-url`; else `[index] url`, pip's configuration, PyPI (see src/audit/index-url.ts). */
  indexUrl?: string;
  offline: boolean;
  /** The HTTP cache folder; undefined: the client's default. */
  cacheDir?: string | null;
  dbPath: string;
  config: Config;
  /** How many of the newest releases the card lists. */
  releases: number;
  cliIgnores: string[];
  now: Date;
  toolVersion: string;
  /** Defaults to the Sigstore production root. */
  trustRoot?: TrustMaterial;
}

export type InspectOutcome =
  | { ok: true; card: InspectCard; warnings: string[]; exitCode: 0 | 1 }
  /** A one-line reason the card could not be made (not found, network failure): exit 2. */
  | { ok: false; message: string };

/** The newest non-yanked final release, else the newest non-yanked one; null when every release is yanked. */
function latestRelease(releases: readonly Release[]): Release | null {
  const live = releases.filter((r) => !isYankedRelease(r));
  return live.filter((r) => !isPrerelease(r.version)).at(-1) ?? live.at(-1) ?? null;
}

function dependencyFor(name: string, version: string | null): Dependency {
  return makeDependency({
    rawName: name,
    format: "requirements",
    file: "(command line)",
    line: null,
    specifier: version === null ? "" : `==${version}`,
    direct: true,
  });
}

function advisoryRows(findings: readonly Finding[]): AdvisoryRow[] {
  return findings
    .filter((f) => f.kind === "vulnerability" || f.kind === "malicious")
    .map((f) => ({
      id: f.id,
      aliases: [...f.aliases],
      kind: f.kind as AdvisoryRow["kind"],
      severity: f.severity,
      score: f.score,
      summary: f.summary,
      fixedIn: f.fixedIn,
      url: f.url,
    }));
}

/** Fetches each provenance URL once, however many checks ask (the inspected release and its neighbours overlap). */
function memoizedFetch(client: IndexClient): FetchProvenance {
  const seen = new Map<string, Promise<unknown>>();
  return (url) => {
    let pending = seen.get(url);
    if (!pending) {
      pending = client.fetchProvenance(url).then((r) => {
        if (!isUpstreamError(r)) return r.provenance;
        return r.kind === "not-found" ? null : new Error(r.message);
      });
      seen.set(url, pending);
    }
    return pending;
  };
}

const STATUS_ORDER: ReleaseProvenance["status"][] = ["invalid", "verified", "unverifiable", "none"];

function releaseProvenance(files: FileProvenanceFacts[]): ReleaseProvenance {
  const status = STATUS_ORDER.find((s) => files.some((f) => f.status === s)) ?? "none";
  const verified = files.filter((f) => f.status === "verified" && f.publisher !== null);
  return {
    status,
    verifiedPublishers: [...new Set(verified.map((f) => describePublisher(f.publisher!)))],
    files: files.map((f) => ({
      filename: f.filename,
      status: f.status,
      publisher: f.publisher ? describePublisher(f.publisher) : null,
      message: f.message,
    })),
  };
}

/** Newest upload first; a file with provenance is preferred (the same choice the regression check makes). */
function representativeFile(files: readonly ProjectFile[]): ProjectFile | undefined {
  const newest = (list: readonly ProjectFile[]) =>
    [...list].sort((a, b) => (b.uploadTime ?? "").localeCompare(a.uploadTime ?? ""))[0];
  return newest(files.filter((f) => f.provenance !== null)) ?? newest(files);
}

/** One file's provenance for a row, through the provenance check itself (so the verdicts cannot drift apart). */
async function rowProvenance(
  project: ProjectInfo,
  release: Release,
  fetch: FetchProvenance,
  trustRoot: TrustMaterial | null,
): Promise<ReleaseProvenance | null> {
  const file = representativeFile(release.files);
  if (!file) return null;
  if (file.provenance === null) {
    return releaseProvenance([
      { filename: file.filename, provenanceUrl: null, status: "none", publisher: null, message: null },
    ]);
  }
  if (trustRoot === null) return null;
  // A hash narrows the check to this one file; no earlier releases are compared for a row.
  const sha256 = file.hashes.sha256;
  const dep = makeDependency({
    rawName: project.name,
    format: "requirements",
    file: "(command line)",
    line: null,
    specifier: `==${release.version}`,
    hashes: sha256 ? [`sha256:${sha256.toLowerCase()}`] : [],
  });
  const result = await checkProvenance(dep, project, fetch, { trustRoot, previousReleases: 0 });
  const facts = result.facts?.release.files.filter((f) => f.filename === file.filename) ?? [];
  return facts.length > 0 ? releaseProvenance(facts) : null;
}

function releaseRow(
  release: Release,
  inspected: string | null,
  latest: string | null,
  provenance: ReleaseProvenance | null,
): ReleaseRow {
  const time = releaseTimeMs(release.files);
  const sizes = release.files.map((f) => f.size);
  const yankReason = release.files.find((f) => f.yanked && f.yankedReason)?.yankedReason ?? null;
  return {
    version: release.version,
    uploadTime: time === null ? null : new Date(time).toISOString(),
    files: release.files.length,
    size: sizes.every((s): s is number => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null,
    yanked: isYankedRelease(release),
    yankedReason: isYankedRelease(release) ? yankReason : null,
    prerelease: isPrerelease(release.version),
    inspected: inspected !== null && sameVersion(release.version, inspected),
    latest: latest !== null && sameVersion(release.version, latest),
    provenance,
  };
}

interface AdvisoryFacts {
  inspected: Finding[] | null;
  latest: Finding[] | null;
  /** The popular-projects list, most popular first; null without a database. */
  popular: string[] | null;
  warnings: string[];
  skipped: SkippedCheck[];
}

/** Advisories for the inspected and the latest release, and the popular-projects list, from the local database. */
function readDatabase(
  req: InspectRequest,
  name: string,
  inspected: Dependency,
  latest: Dependency | null,
): AdvisoryFacts | { message: string } {
  let store: ReturnType<typeof openAdvisoryStore>;
  try {
    store = openAdvisoryStore(req.dbPath);
  } catch (e) {
    if (e instanceof AdvisoryStoreError) return { message: e.message };
    throw e;
  }
  if (!store) {
    const reason = `no advisory database at ${req.dbPath}: run \`pycustoms db update\``;
    return {
      inspected: null,
      latest: null,
      popular: null,
      warnings: [],
      skipped: [
        { check: "vulnerability", reason },
        { check: "malicious", reason },
      ],
    };
  }
  try {
    const warnings: string[] = [];
    const lastUpdate = store.status().lastUpdate;
    if (lastUpdate === null || req.now.getTime() - Date.parse(lastUpdate) > req.config.maxDbAgeMs) {
      warnings.push(
        `the advisory database was last updated ${lastUpdate ?? "never"}, more than ${req.config.maxDbAge} ago: run \`pycustoms db update\``,
      );
    }
    const byName: Map<string, Advisory[]> = store.advisoriesFor([name]);
    return {
      inspected: inspected.version === null ? [] : checkAdvisories([inspected], byName),
      latest: latest === null ? [] : checkAdvisories([latest], byName),
      popular: store.popularNames(),
      warnings,
      skipped: [],
    };
  } catch (e) {
    if (e instanceof AdvisoryStoreError) return { message: e.message };
    throw e;
  } finally {
    store.close();
  }
}

function typosquatOf(findings: readonly Finding[]): TyposquatSuspicion | null {
  const f = findings.find((x) => x.kind === "typosquat");
  if (!f) return null;
  const e = f.evidence ?? {};
  return {
    target: String(e.target ?? ""),
    rank: Number(e.rank ?? 0),
    technique: String(e.technique ?? ""),
    distance: Number(e.distance ?? 0),
    summary: f.summary,
  };
}

/** Runs the inspection; never throws for a missing project, a failing index or a bad database. */
export async function inspectProject(req: InspectRequest): Promise<InspectOutcome> {
  const warnings: string[] = [];
  const index = resolveIndexUrl({
    flag: req.indexUrl,
    configured: req.config.index.url,
    pip: () => {
      const pip = readPipIndexConfig();
      for (const e of pip.errors) warnings.push(`${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`);
      return pip;
    },
  });
  const http = createHttpClient({
    offline: req.offline,
    ...indexHttpOptions(req.config.index),
    ...(req.cacheDir !== undefined ? { cacheDir: req.cacheDir } : {}),
  });
  try {
    const client = createIndexClient({ indexUrl: index.url, http });
    const publicUrl = req.config.index.publicUrl ?? DEFAULT_PUBLIC_INDEX_URL;
    // Dependency confusion asks the public index, and only about names the policy calls internal.
    const publicClient =
      indexKey(publicUrl) === indexKey(index.url) ? client : createIndexClient({ indexUrl: publicUrl, http });
    const outcome = await inspectWith(client, publicClient, req);
    if (outcome.ok) outcome.warnings.unshift(...warnings);
    return outcome;
  } finally {
    await http.close();
  }
}

async function inspectWith(
  client: IndexClient,
  publicClient: IndexClient,
  req: InspectRequest,
): Promise<InspectOutcome> {
  const project = await client.project(req.name);
  if (isUpstreamError(project)) {
    if (project.kind === "not-found" && project.status === 404) {
      return { ok: false, message: `project ${req.name} not found on ${client.indexUrl}` };
    }
    if (project.kind === "offline-miss") {
      return { ok: false, message: `${project.message} (--offline answers only from the HTTP cache)` };
    }
    return { ok: false, message: project.message };
  }

  const releases = releasesOf(project);
  const latest = latestRelease(releases);
  const latestVersion = latest?.version ?? null;
  const quarantined = project.status.status === "quarantined";
  if (req.version !== null && !quarantined && !isKnownVersion(project, req.version)) {
    const hint = latestVersion ? ` (latest: ${latestVersion})` : "";
    return { ok: false, message: `${project.name} has no release ${req.version} on ${project.index}${hint}` };
  }
  // Every check wants one release: the one asked for, else the latest, else (all yanked) the newest.
  const inspectedVersion = req.version ?? latestVersion ?? releases.at(-1)?.version ?? null;
  const dep = dependencyFor(req.name, inspectedVersion);
  const latestDep =
    latestVersion !== null && (inspectedVersion === null || !sameVersion(latestVersion, inspectedVersion))
      ? dependencyFor(req.name, latestVersion)
      : null;

  const database = readDatabase(req, project.name, dep, latestDep);
  if ("message" in database) return { ok: false, message: database.message };
  const advisoryFindings = database.inspected ?? [];
  // The same upstream stage as `audit`, on a one-dependency inventory: one list of checks and policy options.
  // The project was just fetched, so its second look-up is answered by the HTTP cache.
  const upstream = await runUpstreamChecks([dep], {
    client,
    publicClient,
    config: req.config,
    now: req.now,
    popular:
      database.popular !== null && database.popular.length > 0 ? buildPopularIndex(database.popular) : null,
    ...(req.trustRoot ? { trustRoot: req.trustRoot } : {}),
    requirementsOptionsByFile: new Map(),
    offline: req.offline,
    advisoryFindings,
  });
  const findings = [...advisoryFindings, ...upstream.findings];
  const skipped = [...database.skipped, ...upstream.skipped];
  const warnings = [...database.warnings];
  if (upstream.unreachable !== null) warnings.push(`upstream checks skipped: ${upstream.unreachable}`);

  const shown = [...releases].reverse().slice(0, req.releases);
  const inspectedRelease =
    inspectedVersion === null ? undefined : releases.find((r) => sameVersion(r.version, inspectedVersion));
  if (inspectedRelease && !shown.includes(inspectedRelease)) shown.push(inspectedRelease);
  const examine = project.capabilities.provenance && !quarantined;
  const needsTrustRoot =
    examine && shown.some((r) => r !== inspectedRelease && representativeFile(r.files)?.provenance);
  const trustRoot = needsTrustRoot ? (req.trustRoot ?? productionTrustRoot()) : null;
  const fetch = memoizedFetch(client);
  const rowFacts = await Promise.all(
    shown.map((r) => {
      if (!examine) return Promise.resolve(null);
      if (r === inspectedRelease) {
        return Promise.resolve(
          inspectedProvenance(r, upstream.provenance.get(`${dep.name}==${dep.version}`)),
        );
      }
      return rowProvenance(project, r, fetch, trustRoot);
    }),
  );
  const rows = shown.map((r, i) => releaseRow(r, inspectedVersion, latestVersion, rowFacts[i] ?? null));

  const outcome = applyPolicy(findings, req.config, { now: req.now, cliIgnores: req.cliIgnores });
  const popularRank = database.popular ? database.popular.indexOf(project.name) + 1 || null : null;
  const card: InspectCard = {
    name: project.name,
    index: project.index,
    capabilities: project.capabilities,
    status: {
      status: project.status.status,
      reason: project.status.reason,
      published: project.capabilities.projectStatus,
    },
    ownership: ownershipFacts(project),
    popularRank,
    requestedVersion: req.version,
    inspectedVersion,
    latestVersion,
    releaseCount: releases.length,
    releases: rows,
    advisories: {
      inspected: database.inspected === null ? null : advisoryRows(database.inspected),
      latest:
        database.latest === null
          ? null
          : advisoryRows(latestDep === null ? (database.inspected ?? []) : database.latest),
    },
    typosquat: typosquatOf(outcome.active),
    findings: [...outcome.active].sort(compareFindings),
    failing: [...outcome.failing].sort(compareFindings),
    ignored: outcome.ignored.map(({ finding, ignore }) => ({ finding, reason: ignore.reason })),
    skipped,
    failOn: req.config.failOn,
    generatedAt: req.now.toISOString(),
    tool: { name: "pycustoms", version: req.toolVersion },
  };
  return { ok: true, card, warnings, exitCode: outcome.exitCode };
}

/**
 * The inspected release's provenance: the facts the provenance check gathered for every file, or, when it had
 * nothing to examine (no file of the project carries provenance), "none" for each file.
 */
function inspectedProvenance(release: Release, facts: ProvenanceFacts | undefined): ReleaseProvenance | null {
  if (facts) return releaseProvenance(facts.release.files);
  if (release.files.some((f) => f.provenance !== null)) return null;
  return releaseProvenance(
    release.files.map((f) => ({
      filename: f.filename,
      provenanceUrl: null,
      status: "none",
      publisher: null,
      message: null,
    })),
  );
}
