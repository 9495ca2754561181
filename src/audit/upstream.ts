// The upstream stage of the audit (and of `inspect`): what the package index says about each dependency, as
// findings, plus one reason for every check that could not run.
//
// Each distinct project is fetched once (the HTTP client bounds concurrency and caches); every enabled check then
// runs per dependency on that one answer. Typosquatting needs no network (the popular list comes from the
// advisory database). When the first look-up cannot reach the index at all (connection refused, DNS, timeout,
// 5xx or 401 after the client's retries), the rest are not attempted: one reason per check says why, and the
// audit's other findings and exit code stand. Reasons are collapsed per check: the same reason for many
// dependencies is one line naming the first and how many more.

import { checkDependencyConfusion, type RequirementsIndexOptions } from "../checks/dependency-confusion.js";
import { checkHashIntegrity } from "../checks/hash-integrity.js";
import { checkOwnership } from "../checks/ownership.js";
import { checkProjectStatus } from "../checks/project-status.js";
import type { ProvenanceFacts } from "../checks/provenance.js";
import { checkReleaseAge } from "../checks/release-age.js";
import { type CheckResult, notFromIndex } from "../checks/releases.js";
import { checkSizeAnomaly } from "../checks/size-anomaly.js";
import type { Finding } from "../checks/types.js";
import type { PopularIndex } from "../checks/typosquat.js";
import { checkTyposquat } from "../checks/typosquat.js";
import { checkUnmaintained } from "../checks/unmaintained.js";
import { checkYanked } from "../checks/yanked.js";
import type { Dependency } from "../inventory/types.js";
import { type CheckId, type Config, DEFAULT_INDEX_CONCURRENCY, UPSTREAM_CHECKS } from "../policy/config.js";
import type { TrustMaterial } from "../provenance/trust-root.js";
import { isInternalName } from "../registry/confusion.js";
import { normalizeName } from "../standards/names.js";
import { isHttpUrl } from "../standards/urls.js";
import type { IndexClient, ProjectDetail } from "../upstream/client.js";
import { isUpstreamError, redactUrl, type UpstreamError } from "../upstream/errors.js";
import type { ProjectInfo } from "../upstream/types.js";
import { indexKey, isPypiIndex } from "./index-url.js";

export interface SkippedCheck {
  check: string;
  reason: string;
}

export interface UpstreamContext {
  /** The index the dependencies install from. */
  client: IndexClient;
  /**
   * A client for another index a lock file names for some dependencies (e.g. a PyTorch wheel index), sharing
   * the HTTP client; null or absent: such dependencies are skipped with a reason rather than compared with
   * the wrong index (whose files and hashes differ). Dependencies recorded as from PyPI use `client`.
   */
  clientFor?: (indexUrl: string) => IndexClient | null;
  /** The public index internal names must not exist on (dependency confusion); default `client`. */
  publicClient?: IndexClient;
  config: Config;
  now: Date;
  /**
   * The popular-projects index for typosquatting, or null when the advisory database has no list; a promise while
   * the database is still being read (the look-ups are started first).
   */
  popular: PopularIndex | null | Promise<PopularIndex | null>;
  /** Sigstore trust material for provenance; default: the production root, loaded only when needed. */
  trustRoot?: TrustMaterial;
  /** `--extra-index-url` and friends per requirements file (dependency confusion). */
  requirementsOptionsByFile: ReadonlyMap<string, RequirementsIndexOptions>;
  /** Only the HTTP cache answers (the client must have been created offline too): worded into reasons. */
  offline: boolean;
  /**
   * The run's advisory findings: open advisories (no fixed release) raise `unmaintained` to medium. A promise
   * while the database is still being read; checks wait for it.
   */
  advisoryFindings?: readonly Finding[] | Promise<readonly Finding[]>;
  /** Called once the look-ups are under way: the caller may then do synchronous work while they travel. */
  onStarted?: () => void;
  /** Called after each project look-up with how many of how many are answered. */
  onProgress?: (done: number, total: number) => void;
}

export interface UpstreamOutcome {
  findings: Finding[];
  /** One entry per check and distinct reason, in check order. */
  skipped: SkippedCheck[];
  /** Every project asked about, by normalised name: its data, or why there is none. */
  projects: Map<string, ProjectInfo | UpstreamError>;
  /** Provenance facts per pinned release examined, keyed `name==version`. */
  provenance: Map<string, ProvenanceFacts>;
  /** Why the index could not be reached at all, or null. */
  unreachable: string | null;
}

/** Checks that run once per dependency on the project data (typosquat and dependency confusion run once). */
const PER_DEPENDENCY: readonly CheckId[] = UPSTREAM_CHECKS.filter(
  (c) => c !== "typosquat" && c !== "dependency-confusion",
);

/** What each per-dependency check reads that the simple page may lack (the JSON API is asked only for these). */
const DETAILS_READ: Record<(typeof UPSTREAM_CHECKS)[number], readonly ProjectDetail[]> = {
  "project-status": [],
  // For the yank reason in the finding.
  yanked: ["yank-reasons"],
  "release-age": ["upload-times"],
  unmaintained: ["upload-times"],
  "hash-mismatch": ["digests"],
  "hash-uncovered": ["digests"],
  // Files are matched to the locked sha256; the newest attested release is found by upload time.
  provenance: ["digests", "upload-times"],
  "size-anomaly": ["sizes"],
  ownership: ["ownership"],
  // Neither reads project data: typosquat needs no index, dependency confusion only whether a page exists.
  typosquat: [],
  "dependency-confusion": [],
};

/** The details the enabled checks read, each once. */
export function detailsNeeded(checks: readonly CheckId[]): ProjectDetail[] {
  const needs = new Set<ProjectDetail>();
  for (const check of checks) {
    const read: readonly ProjectDetail[] | undefined = (
      DETAILS_READ as Record<string, readonly ProjectDetail[]>
    )[check];
    for (const detail of read ?? []) needs.add(detail);
  }
  return [...needs];
}

/** Collects reasons per check, collapsing those that differ only in the dependency they name. */
class SkipCollector {
  // Names as a Set (insertion-ordered): an offline run with an empty cache adds every dependency to every check,
  // and a list searched on each addition made that quadratic in the number of dependencies.
  private readonly byCheck = new Map<string, Map<string, { reason: string; names: Set<string> }>>();

  add(check: string, reason: string, dep: Dependency | null): void {
    const key = dep ? reasonTemplate(reason, dep) : reason;
    let groups = this.byCheck.get(check);
    if (!groups) {
      groups = new Map();
      this.byCheck.set(check, groups);
    }
    const group = groups.get(key);
    if (!group) groups.set(key, { reason, names: new Set(dep ? [dep.name] : []) });
    else if (dep) group.names.add(dep.name);
  }

  list(order: readonly string[]): SkippedCheck[] {
    const checks = [...this.byCheck.keys()].sort((a, b) => rank(order, a) - rank(order, b));
    return checks.flatMap((check) =>
      [...(this.byCheck.get(check)?.values() ?? [])].map(({ reason, names }) => ({
        check,
        reason: names.size <= 1 ? reason : `${reason} (and the same for ${moreNames([...names].slice(1))})`,
      })),
    );
  }
}

function rank(order: readonly string[], check: string): number {
  const i = order.indexOf(check);
  return i === -1 ? order.length : i;
}

/** "b", "b and c", "b, c, d, e, f and 7 more dependencies". */
function moreNames(names: string[]): string {
  if (names.length === 1) return names[0] ?? "";
  if (names.length <= 6) return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return `${names.slice(0, 5).join(", ")} and ${names.length - 5} more dependencies`;
}

const templateWords = new WeakMap<Dependency, string[]>();

/** [A-Za-z0-9_], as the regular expression `\w`. */
function isWordCode(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95
  );
}

/**
 * The reason with the dependency's names and version taken out, so reasons about different packages compare.
 * Whole words only (not `1.0` inside `1.0.1`), longest first (`foo-bar` before `foo`), ASCII case ignored.
 * A scan rather than a regular expression per dependency: compiling hundreds of distinct patterns cost ~20 ms
 * in a 300-package audit.
 */
export function reasonTemplate(reason: string, dep: Dependency): string {
  let words = templateWords.get(dep);
  if (!words) {
    const lower = [dep.rawName, dep.name, dep.version]
      .filter((w): w is string => !!w)
      .map((w) => w.replace(/[A-Z]/g, (c) => c.toLowerCase()));
    words = [...new Set(lower)].sort((a, b) => b.length - a.length);
    templateWords.set(dep, words);
  }
  const boundaryBefore = (i: number) => {
    if (i === 0) return true;
    const c = reason.charCodeAt(i - 1);
    return !isWordCode(c) && c !== 46 && c !== 45;
  };
  const boundaryAfter = (end: number) => {
    if (end >= reason.length) return true;
    const c = reason.charCodeAt(end);
    if (isWordCode(c) || c === 45) return false;
    return !(c === 46 && end + 1 < reason.length && isWordCode(reason.charCodeAt(end + 1)));
  };
  // Names and versions are ASCII: lower-casing A-Z alone keeps every position where it was.
  const lowered = /[A-Z]/.test(reason) ? reason.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : reason;
  const matchAt = (i: number): number => {
    if (!boundaryBefore(i)) return 0;
    for (const word of words) {
      if (lowered.startsWith(word, i) && boundaryAfter(i + word.length)) return word.length;
    }
    return 0;
  };
  // Matches are tried only where a word occurs (native searches), in order, as a left-to-right scan would.
  const starts: number[] = [];
  for (const word of words) {
    for (let at = lowered.indexOf(word); at >= 0; at = lowered.indexOf(word, at + 1)) starts.push(at);
  }
  if (starts.length === 0) return reason;
  starts.sort((a, b) => a - b);
  let out = "";
  let copied = 0;
  for (const i of starts) {
    if (i < copied) continue;
    const length = matchAt(i);
    if (length === 0) continue;
    out += `${reason.slice(copied, i)}\u0000`;
    copied = i + length;
  }
  return copied === 0 ? reason : out + reason.slice(copied);
}

/** Kinds of failure that say the index itself is unusable, not just this one project. */
function indexIsDown(error: UpstreamError): boolean {
  if (error.kind === "network" || error.kind === "timeout") return true;
  if (error.kind !== "http-status") return false;
  const s = error.status ?? 0;
  return s === 401 || s === 403 || s === 407 || s === 429 || s >= 500;
}

function describeLookupError(error: UpstreamError, dep: Dependency, index: string): string {
  switch (error.kind) {
    case "offline-miss":
      return `offline, and ${dep.rawName} is not in the HTTP cache (run once online to fill it)`;
    case "not-found":
      return `${dep.rawName} was not found on ${index}`;
    default:
      return error.message;
  }
}

/** Open advisories per package: vulnerability findings with no fixed release. */
function openAdvisoriesByPackage(findings: readonly Finding[]): Map<string, number> {
  const ids = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.kind !== "vulnerability" || f.fixedIn !== null) continue;
    const set = ids.get(f.package) ?? new Set<string>();
    set.add(f.id);
    ids.set(f.package, set);
  }
  return new Map([...ids].map(([name, set]) => [name, set.size]));
}

/** The client a dependency is looked up with, or a reason it is not looked up. */
function clientOf(dep: Dependency, ctx: UpstreamContext): IndexClient | string {
  const source = dep.source;
  if (source?.kind !== "index") return ctx.client;
  if (!isHttpUrl(source.url)) {
    const where = dep.line === null ? dep.file : `${dep.file}:${dep.line}`;
    return `${dep.rawName} is looked up on ${redactUrl(source.url)} (${where}), which is not an http(s) URL`;
  }
  if (isPypiIndex(source.url) || indexKey(source.url) === indexKey(ctx.client.indexUrl)) return ctx.client;
  const other = ctx.clientFor?.(source.url) ?? null;
  return (
    other ??
    `${dep.rawName} is locked to ${redactUrl(source.url)}, not ${ctx.client.indexUrl}: its files and hashes are not comparable`
  );
}

/**
 * Runs every enabled upstream check over the dependencies. Never throws for network or index trouble: that
 * becomes `skipped` reasons. `deps` may repeat a name (several files); each project is fetched once.
 */
export async function runUpstreamChecks(
  deps: readonly Dependency[],
  ctx: UpstreamContext,
): Promise<UpstreamOutcome> {
  const enabled = (id: CheckId) => ctx.config.checks[id] !== false;
  const skips = new SkipCollector();
  const findings: Finding[] = [];
  const projects = new Map<string, ProjectInfo | UpstreamError>();
  const provenance = new Map<string, ProvenanceFacts>();
  const policy = ctx.config.upstream;
  const internal = {
    internalProjects: new Set(policy.internalNames.map(normalizeName)),
    internalPrefixes: policy.internalPrefixes,
  };
  const isInternal = (name: string) => isInternalName(name, internal);

  // Typosquatting needs no network: it runs while the first look-ups are in flight (its popular-name lookups
  // take tens of milliseconds to build), its findings still first.
  const runTyposquat = (popular: PopularIndex | null) => {
    if (!enabled("typosquat")) return;
    if (popular === null) {
      skips.add(
        "typosquat",
        "no popular-projects list (no advisory database, or one imported without it): run `pycustoms db update`",
        null,
      );
    } else {
      const candidates = deps.filter((d) => !isInternal(d.name));
      findings.push(
        ...checkTyposquat(candidates, popular, {
          allow: [...policy.typosquatAllow, ...policy.internalNames],
        }),
      );
    }
  };

  const perDependency = PER_DEPENDENCY.filter(enabled);
  // hash-mismatch and hash-uncovered come from one check; its reasons go under whichever is on.
  const hashCheckId: CheckId | null = enabled("hash-mismatch")
    ? "hash-mismatch"
    : enabled("hash-uncovered")
      ? "hash-uncovered"
      : null;
  const reasonChecks = perDependency.filter((c) => c !== "hash-uncovered" || hashCheckId === c);
  const skipAll = (reason: string, dep: Dependency | null) => {
    for (const check of reasonChecks) skips.add(check, reason, dep);
  };

  // Which dependencies are looked up, and with which client.
  const lookups: { dep: Dependency; client: IndexClient }[] = [];
  if (perDependency.length > 0) {
    for (const dep of deps) {
      const elsewhere = notFromIndex(dep);
      if (elsewhere) {
        skipAll(elsewhere, dep);
        continue;
      }
      const client = clientOf(dep, ctx);
      if (typeof client === "string") skipAll(client, dep);
      else lookups.push({ dep, client });
    }
  }

  // Dependency confusion asks the public index about internal names only.
  const confusion = enabled("dependency-confusion");
  const internalNames = confusion ? [...new Set(deps.map((d) => d.name).filter(isInternal))] : [];
  const publicClient = ctx.publicClient ?? ctx.client;

  // Distinct (client, name) look-ups; the first goes alone, to learn whether the index answers at all.
  const answers = new Map<string, Promise<ProjectInfo | UpstreamError>>();
  const keyOf = (client: IndexClient, name: string) => `${client.indexUrl}\u0000${name}`;
  // The JSON API is asked only for what the enabled checks read and the page lacks; existence needs nothing.
  const needs = detailsNeeded(perDependency);
  const queue: { client: IndexClient; name: string; needs: readonly ProjectDetail[] }[] = [];
  const queued = new Set<string>();
  const enqueue = (client: IndexClient, name: string, details: readonly ProjectDetail[]) => {
    const key = keyOf(client, name);
    if (queued.has(key)) return;
    queued.add(key);
    queue.push({ client, name, needs: details });
  };
  for (const { dep, client } of lookups) enqueue(client, dep.name, needs);
  for (const name of internalNames) enqueue(publicClient, name, []);
  // Per-dependency checks: pure, so they run as each answer arrives (in the network's shadow) and are
  // collected in dependency order afterwards. `unmaintained` reads the open advisories, known once the advisory
  // database has been read (the look-ups may be under way before): answers that come sooner wait for them.
  let open: ReadonlyMap<string, number> | null = null;
  const openKnown = Promise.resolve(ctx.advisoryFindings ?? []).then((found) => {
    open = openAdvisoriesByPackage(found);
  });
  openKnown.catch(() => undefined); // awaited below, after the look-ups
  type CheckEvent =
    | { kind: "result"; check: CheckId; result: CheckResult }
    | { kind: "skip"; check: CheckId; reason: string; dep: Dependency | null }
    | { kind: "provenance" };
  const checkProject = (dep: Dependency, project: ProjectInfo): CheckEvent[] => {
    const events: CheckEvent[] = [];
    const result = (check: CheckId, r: CheckResult) => events.push({ kind: "result", check, result: r });
    for (const check of perDependency) {
      switch (check) {
        case "project-status":
          result(check, checkProjectStatus(dep, project));
          break;
        case "yanked":
          result(check, checkYanked(dep, project));
          break;
        case "release-age":
          result(
            check,
            checkReleaseAge(
              dep,
              project,
              {
                minReleaseAgeDays: policy.minReleaseAgeDays,
                exceptions: policy.releaseAgeExceptions,
                reportCooldownVersion: true,
              },
              ctx.now,
            ),
          );
          break;
        case "unmaintained":
          result(
            check,
            checkUnmaintained(
              dep,
              project,
              { maxInactivityDays: policy.maxInactivityDays, openAdvisories: open?.get(dep.name) ?? 0 },
              ctx.now,
            ),
          );
          break;
        case "hash-mismatch":
        case "hash-uncovered":
          if (check === hashCheckId) result(check, checkHashIntegrity(dep, project));
          break;
        case "size-anomaly":
          result(check, checkSizeAnomaly(dep, project, { maxSizeRatio: policy.maxSizeRatio }));
          break;
        case "ownership":
          result(check, checkOwnership(dep, project));
          break;
        case "provenance":
          if (dep.version === null) {
            events.push({
              kind: "skip",
              check,
              reason: `${dep.rawName} is not pinned: provenance is checked per release`,
              dep,
            });
          } else if (!project.capabilities.provenance) {
            events.push({
              kind: "skip",
              check,
              reason: `${project.index} does not publish PEP 740 provenance`,
              dep: null,
            });
          } else if (project.files.some((f) => f.provenance !== null)) {
            // A project with no attestation anywhere has nothing to verify and nothing to regress from.
            events.push({ kind: "provenance" });
          }
          break;
      }
    }
    return events;
  };
  const lookupsByKey = new Map<string, number[]>();
  for (const [i, { dep, client }] of lookups.entries()) {
    const key = keyOf(client, dep.name);
    lookupsByKey.set(key, [...(lookupsByKey.get(key) ?? []), i]);
  }
  const checked = new Map<number, CheckEvent[]>();
  // Set once the results are collected: a check still waiting to run is done there instead.
  let collecting = false;
  const checkOnArrival = (key: string, answer: ProjectInfo | UpstreamError): void => {
    if (collecting || isUpstreamError(answer)) return;
    if (open === null) {
      void openKnown.then(() => checkOnArrival(key, answer));
      return;
    }
    for (const i of lookupsByKey.get(key) ?? []) {
      const lookup = lookups[i];
      if (lookup) checked.set(i, checkProject(lookup.dep, answer));
    }
  };

  let done = 0;
  const total = queue.length;
  const ask = (q: (typeof queue)[number]): Promise<ProjectInfo | UpstreamError> => {
    const key = keyOf(q.client, q.name);
    let pending = answers.get(key);
    if (!pending) {
      pending = q.client.project(q.name, { needs: q.needs }).then((answer) => {
        // After the loop has turned: the worker sends its next request first, so the checks of this answer
        // wait in the network's shadow rather than in front of the next round trip (-18 ms of 480 for 300
        // revalidated pages, bench/RESULTS.md).
        setImmediate(checkOnArrival, key, answer);
        done++;
        ctx.onProgress?.(done, total);
        return answer;
      });
      answers.set(key, pending);
    }
    return pending;
  };

  // The look-ups run from a pool of workers as wide as the HTTP client's concurrency, all starting at once. When
  // the index the dependencies install from fails as an index that is down would (refused, timeout, 5xx, 401)
  // before it has answered anything, it is taken as unreachable: the workers stop asking it, so a down index
  // costs one round of requests (with their retries), not one per dependency — and an index that is up costs
  // no serial probe round trip.
  let unreachable: string | null = null;
  const down = new Set<IndexClient>();
  const probed = (queue.find((q) => q.client === ctx.client) ?? queue[0])?.client;
  let probedAnswered = false;
  const resolved = new Map<string, ProjectInfo | UpstreamError>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let q = queue[next++]; q !== undefined; q = queue[next++]) {
      if (down.has(q.client)) continue;
      const answer = await ask(q);
      resolved.set(keyOf(q.client, q.name), answer);
      if (q.client !== probed || ctx.offline) continue;
      if (!isUpstreamError(answer) || !indexIsDown(answer)) probedAnswered = true;
      else if (!probedAnswered && !down.has(q.client)) {
        down.add(q.client);
        unreachable = `${q.client.indexUrl} could not be reached: ${answer.message}`;
      }
    }
  };
  const width = Math.max(1, ctx.config.index.concurrency ?? DEFAULT_INDEX_CONCURRENCY);
  const workers = Array.from({ length: Math.min(width, queue.length) }, worker);
  ctx.onStarted?.();
  // Typosquatting needs no network: it runs while the first requests are in flight.
  const typosquatDone = Promise.resolve(ctx.popular).then(runTyposquat);
  typosquatDone.catch(() => undefined); // awaited below, after the look-ups
  await Promise.all(workers);
  await Promise.all([typosquatDone, openKnown]);
  for (const { dep, client } of lookups) {
    const answer = resolved.get(keyOf(client, dep.name));
    if (answer !== undefined && (client === ctx.client || !projects.has(dep.name)))
      projects.set(dep.name, answer);
  }

  collecting = true;
  const provenanceJobs: { dep: Dependency; project: ProjectInfo; client: IndexClient }[] = [];
  for (const [i, { dep, client }] of lookups.entries()) {
    // Said once below, for every check.
    if (down.has(client)) continue;
    const answer = resolved.get(keyOf(client, dep.name));
    if (answer === undefined) continue;
    if (isUpstreamError(answer)) {
      skipAll(describeLookupError(answer, dep, client.indexUrl), dep);
      continue;
    }
    for (const event of checked.get(i) ?? checkProject(dep, answer)) {
      if (event.kind === "result") {
        findings.push(...event.result.findings);
        if (event.result.skipped !== null) skips.add(event.check, event.result.skipped, dep);
      } else if (event.kind === "skip") {
        skips.add(event.check, event.reason, event.dep);
      } else {
        provenanceJobs.push({ dep, project: answer, client });
      }
    }
  }
  if (unreachable !== null) skipAll(unreachable, null);

  if (provenanceJobs.length > 0) {
    // Loaded only when an index offers provenance: the Sigstore verifier is the heaviest module we have.
    const [{ checkProvenance }, trustRoot] = await Promise.all([
      import("../checks/provenance.js"),
      ctx.trustRoot ?? import("../provenance/trust-root.js").then((m) => m.productionTrustRoot()),
    ]);
    const fetched = new Map<string, Promise<unknown>>();
    const fetcherOf = (client: IndexClient) => (url: string) => {
      let pending = fetched.get(url);
      if (!pending) {
        pending = client.fetchProvenance(url).then((doc) => {
          if (!isUpstreamError(doc)) return doc.provenance;
          return doc.kind === "not-found" ? null : new Error(doc.message);
        });
        fetched.set(url, pending);
      }
      return pending;
    };
    const results = await Promise.all(
      provenanceJobs.map(({ dep, project, client }) =>
        checkProvenance(dep, project, fetcherOf(client), { trustRoot }),
      ),
    );
    results.forEach((result, i) => {
      const { dep } = provenanceJobs[i]!;
      findings.push(...result.findings);
      if (result.skipped !== null) skips.add("provenance", result.skipped, dep);
      if (result.facts) provenance.set(`${dep.name}==${dep.version}`, result.facts);
    });
  }

  if (confusion) {
    const exists = new Map<string, boolean | null>();
    for (const name of internalNames) {
      const answer = down.has(publicClient) ? undefined : resolved.get(keyOf(publicClient, name));
      exists.set(
        name,
        answer === undefined
          ? null
          : !isUpstreamError(answer)
            ? true
            : answer.kind === "not-found"
              ? false
              : null,
      );
    }
    const result = checkDependencyConfusion(
      deps,
      ctx.requirementsOptionsByFile,
      { internalNames: policy.internalNames, internalPrefixes: policy.internalPrefixes },
      (name) => exists.get(name) ?? null,
    );
    findings.push(...result.findings);
    if (result.skipped !== null) skips.add("dependency-confusion", result.skipped, null);
  }

  return {
    findings,
    skipped: skips.list(UPSTREAM_CHECKS),
    projects,
    provenance,
    unreachable,
  };
}
