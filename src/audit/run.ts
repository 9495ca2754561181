// The audit pipeline: inventory → pins and advisories → upstream checks → policy → one AuditResult for every format.
import { AdvisoryStoreError, openAdvisoryStore } from "../advisories/store.js";
import { checkAdvisories, fixSuggestions } from "../checks/advisories.js";
import type { RequirementsIndexOptions } from "../checks/dependency-confusion.js";
import { checkPins } from "../checks/pins.js";
import type { Finding } from "../checks/types.js";
import { collectInventory, type Inventory } from "../inventory/collect.js";
import { readTextFile } from "../inventory/read.js";
import { requirementsFileOptions } from "../inventory/requirements.js";
import type { Dependency } from "../inventory/types.js";
import {
  type Config,
  DEFAULT_PUBLIC_INDEX_URL,
  indexHttpOptions,
  UPSTREAM_CHECKS,
} from "../policy/config.js";
import { applyPolicy } from "../policy/decide.js";
import type { AuditResult } from "../report/audit-result.js";

export interface AuditRequest {
  paths: string[];
  envDirs: string[];
  config: Config;
  /** The advisory database file (it may not exist yet). */
  dbPath: string;
  cliIgnores: string[];
  now: Date;
  toolVersion: string;
  upstream: UpstreamRequest;
}

export interface UpstreamRequest {
  /** online: ask the index; offline: only the HTTP cache (and the database); off: no upstream checks at all. */
  mode: "online" | "offline" | "off";
  /** `--index-url`, which wins over every configured index. */
  indexUrl?: string;
  /** The HTTP cache folder; default `$XDG_CACHE_HOME/pycustoms/http`; null: no cache. */
  cacheDir?: string | null;
  /** Called as project look-ups complete (for a progress line). */
  onProgress?: (done: number, total: number) => void;
}

export interface AuditRun {
  result: AuditResult;
  inventory: Inventory;
  /** Messages for stderr that are not findings (a stale database, say). */
  warnings: string[];
  exitCode: 0 | 1;
}

/** The index options of each requirements file the inventory read (for dependency confusion and the index URL). */
function requirementsOptions(
  inventory: Inventory,
): Map<string, RequirementsIndexOptions & { indexUrl: string | null }> {
  const byFile = new Map<string, RequirementsIndexOptions & { indexUrl: string | null }>();
  for (const file of inventory.files) {
    if (file.format !== "requirements" || !file.read) continue;
    const read = readTextFile(file.path);
    if (!read.ok) continue;
    const options = requirementsFileOptions(read.text);
    // The option's own line, for the finding's location (the parser does not keep it).
    const index = read.text.split(/\r\n|\n|\r/).findIndex((l) => /^\s*--extra-index-url\b/.test(l));
    byFile.set(file.path, {
      indexUrl: options.indexUrl,
      extraIndexUrls: options.extraIndexUrls,
      noIndex: options.noIndex,
      extraIndexUrlLine: index === -1 ? null : index + 1,
    });
  }
  return byFile;
}

/** The upstream stage's modules and HTTP client. */
type UpstreamSetup = Awaited<ReturnType<typeof prepareUpstream>>;

/**
 * Loads the upstream stage's modules and makes its HTTP client while the inventory is read; when the index is
 * already known (`--index-url`, `[index] url`: nothing the inventory reads can override them), its connection
 * opens meanwhile too. Loaded only when the stage runs: the checks are not needed by `--no-upstream`.
 */
async function prepareUpstream(req: AuditRequest) {
  // The HTTP client first, so that the TLS handshake's round trips overlap loading the checks.
  const { createHttpClient } = await import("../upstream/http.js");
  const offline = req.upstream.mode === "offline";
  const http = createHttpClient({
    offline,
    ...indexHttpOptions(req.config.index),
    ...(req.upstream.cacheDir !== undefined ? { cacheDir: req.upstream.cacheDir } : {}),
  });
  const known = req.upstream.indexUrl ?? req.config.index.url;
  if (known !== undefined) http.preconnect(known);
  const [upstream, indexUrl, client, pipConfig] = await Promise.all([
    import("./upstream.js"),
    import("./index-url.js"),
    import("../upstream/client.js"),
    import("../upstream/pip-config.js"),
  ]);
  return { ...upstream, ...indexUrl, ...client, ...pipConfig, http, offline };
}

/** A promise and the function that resolves it (Node 20 has no Promise.withResolvers). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Runs the upstream stage: resolves the index, builds the index clients, runs the checks. The advisory findings
 * and the popular names may still be coming (the database is read while the first look-ups travel).
 */
async function upstreamStage(
  req: AuditRequest,
  inventory: Inventory,
  advisoryFindings: Promise<Finding[]>,
  popularNames: Promise<string[] | null>,
  setup: UpstreamSetup,
  onStarted: () => void,
): Promise<{ findings: Finding[]; skipped: AuditResult["skipped"]; warnings: string[] }> {
  const warnings: string[] = [];
  const {
    runUpstreamChecks,
    resolveIndexUrl,
    indexKey,
    createIndexClient,
    readPipIndexConfig,
    http,
    offline,
  } = setup;
  const byFile = requirementsOptions(inventory);
  const index = resolveIndexUrl({
    flag: req.upstream.indexUrl,
    configured: req.config.index.url,
    requirementsFiles: [...byFile].map(([file, o]) => ({ file, indexUrl: o.indexUrl })),
    pip: () => {
      const pip = readPipIndexConfig();
      for (const e of pip.errors) warnings.push(`${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`);
      return pip;
    },
  });
  const client = createIndexClient({ indexUrl: index.url, http });
  const others = new Map<string, ReturnType<typeof createIndexClient>>([[indexKey(index.url), client]]);
  const clientFor = (url: string) => {
    const key = indexKey(url);
    let other = others.get(key);
    if (!other) {
      other = createIndexClient({ indexUrl: url, http });
      others.set(key, other);
    }
    return other;
  };
  const publicClient = clientFor(req.config.index.publicUrl ?? DEFAULT_PUBLIC_INDEX_URL);
  const popular = popularNames.then(async (names) =>
    names && names.length > 0 ? (await import("../checks/typosquat.js")).buildPopularIndex(names) : null,
  );
  const outcome = await runUpstreamChecks(inventory.dependencies, {
    client,
    clientFor,
    publicClient,
    config: req.config,
    now: req.now,
    popular,
    requirementsOptionsByFile: byFile,
    offline,
    advisoryFindings,
    onStarted,
    ...(req.upstream.onProgress ? { onProgress: req.upstream.onProgress } : {}),
  });
  if (outcome.unreachable !== null) {
    warnings.push(`upstream checks skipped: ${outcome.unreachable}`);
  }
  return { findings: outcome.findings, skipped: outcome.skipped, warnings };
}

/** Runs the whole audit. Rejects with AdvisoryStoreError only for a database that exists but cannot be used. */
export async function runAudit(req: AuditRequest): Promise<AuditRun> {
  const upstreamOn =
    req.upstream.mode !== "off" && UPSTREAM_CHECKS.some((c) => req.config.checks[c] !== false);
  const setup = upstreamOn ? prepareUpstream(req) : null;
  // A failed preparation is reported where the stage awaits it, not as an unhandled rejection meanwhile.
  setup?.catch(() => undefined);
  try {
    return await audit(req, setup);
  } finally {
    if (setup !== null) await setup.then((s) => s.http.close()).catch(() => undefined);
  }
}

/** What the advisory database says about the dependencies (or why it could not be asked). */
interface AdvisoryStage {
  findings: Finding[];
  skipped: AuditResult["skipped"];
  warnings: string[];
  database: AuditResult["database"];
  /** The popular-projects list for typosquatting, when the upstream stage wants it and the database has it. */
  popularNames: string[] | null;
}

/** Reads the advisory database (synchronously: SQLite and matching). Throws AdvisoryStoreError for a bad file. */
function readAdvisories(req: AuditRequest, deps: Dependency[], wantPopular: boolean): AdvisoryStage {
  const stage: AdvisoryStage = {
    findings: [],
    skipped: [],
    warnings: [],
    database: { path: null, lastUpdate: null, stale: false },
    popularNames: null,
  };
  const store = openAdvisoryStore(req.dbPath);
  if (!store) {
    const reason = `no advisory database at ${req.dbPath}: run \`pycustoms db update\``;
    stage.skipped.push({ check: "vulnerability", reason }, { check: "malicious", reason });
    return stage;
  }
  try {
    const lastUpdate = store.lastUpdate();
    const stale = lastUpdate === null || req.now.getTime() - Date.parse(lastUpdate) > req.config.maxDbAgeMs;
    stage.database = { path: store.path, lastUpdate, stale };
    if (stale) {
      stage.warnings.push(
        `the advisory database was last updated ${lastUpdate ?? "never"}, more than ${req.config.maxDbAge} ago: run \`pycustoms db update\``,
      );
    }
    const names = [...new Set(deps.map((d) => d.name))];
    stage.findings = checkAdvisories(deps, store.advisoriesFor(names));
    if (wantPopular) stage.popularNames = store.popularNames();
  } finally {
    store.close();
  }
  return stage;
}

async function audit(req: AuditRequest, setup: Promise<UpstreamSetup> | null): Promise<AuditRun> {
  const inventory = await collectInventory({ paths: req.paths, envDirs: req.envDirs });
  const deps = inventory.dependencies;
  const findings: Finding[] = [...checkPins(deps)];

  // The look-ups start first: the database is read (synchronously) while they travel, and the checks that need
  // its answers (open advisories for `unmaintained`, the popular names for typosquatting) wait for them.
  const advisoryFindings = deferred<Finding[]>();
  const popular = deferred<string[] | null>();
  let upstream: ReturnType<typeof upstreamStage> | null = null;
  if (setup !== null && deps.length > 0) {
    const started = deferred<void>();
    upstream = setup.then((prepared) =>
      upstreamStage(req, inventory, advisoryFindings.promise, popular.promise, prepared, started.resolve),
    );
    upstream.catch(() => undefined); // awaited below
    const ended = upstream.then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([started.promise, ended]);
    // One turn of the loop: the requests just submitted are written before the database work holds it.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  let advisories: AdvisoryStage | null = null;
  try {
    advisories = readAdvisories(req, deps, setup !== null && req.config.checks.typosquat !== false);
  } finally {
    // Also when reading failed: the stage must be able to finish (its result is then not used).
    advisoryFindings.resolve([...findings, ...(advisories?.findings ?? [])]);
    popular.resolve(advisories?.popularNames ?? null);
  }
  findings.push(...advisories.findings);
  const skipped = [...advisories.skipped];
  const warnings = [...advisories.warnings];
  const database = advisories.database;

  if (upstream !== null) {
    const stage = await upstream;
    findings.push(...stage.findings);
    skipped.push(...stage.skipped);
    warnings.push(...stage.warnings);
  }

  const outcome = applyPolicy(findings, req.config, { now: req.now, cliIgnores: req.cliIgnores });
  const fixes = Object.fromEntries(fixSuggestions(outcome.active, deps));
  const result: AuditResult = {
    findings: outcome.active,
    ignored: outcome.ignored.map(({ finding, ignore }) => ({
      finding,
      reason: ignore.reason,
      until: ignore.until,
    })),
    staleIgnores: outcome.staleIgnores.map((r) => ({ id: r.id, reason: r.reason })),
    skipped,
    errors: inventory.errors,
    dependencies: deps,
    failing: outcome.failing,
    failOn: req.config.failOn,
    fixes,
    database,
    tool: { name: "pycustoms", version: req.toolVersion },
  };
  return { result, inventory, warnings, exitCode: outcome.exitCode };
}

export { AdvisoryStoreError };
