// The one configuration loader: finds pycustoms.toml or [tool.pycustoms], parses it and validates every key.
//
// Discovery: from the start directory upwards, the first directory that holds either file wins. Within one
// directory `pycustoms.toml` wins over `[tool.pycustoms]` in `pyproject.toml` (a dedicated file is the more
// deliberate choice). The search stops after the first directory that holds `.git` (the repository root), or
// at the file-system root. A pyproject.toml without `[tool.pycustoms]` does not count and the search goes on.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type FindingKind, SEVERITIES, type Severity } from "../checks/types.js";
import { readTextFile } from "../inventory/read.js";
import { isTomlTable, parseTomlWithLayout, smolToml, type TomlLayoutEntry } from "../inventory/toml-lines.js";
import type { InputError } from "../inventory/types.js";
import { isValidName, normalizeName } from "../standards/names.js";
import { isHttpUrl } from "../standards/urls.js";
import { redactUrl } from "../upstream/errors.js";

const DAY_MS = 86_400_000;

/**
 * Every check that can be switched on or off in `[checks]`, with the line the starter config shows.
 * A new check adds one line here (its id is also the `kind` of the findings it produces). Checks are on
 * unless the entry says `on: false`.
 */
export const KNOWN_CHECKS = [
  { id: "vulnerability", description: "known vulnerabilities from the advisory database" },
  { id: "malicious", description: "packages reported as malicious (always fail when found)" },
  { id: "unpinned", description: "requirements not pinned to one exact version" },
  { id: "unhashed", description: "pinned requirements without --hash digests" },
  { id: "mixed-hashes", description: "a requirements file where only some lines carry hashes" },
  { id: "lock-unhashed", description: "lock-file entries without artifact hashes" },
  { id: "mutable-reference", description: "VCS or URL dependencies on a branch or other moving reference" },
  { id: "project-status", description: "projects the index marks quarantined, archived or deprecated" },
  { id: "yanked", description: "pinned releases their maintainers yanked" },
  { id: "release-age", description: "releases younger than min-release-age (cooldown)" },
  { id: "unmaintained", description: "projects with no release for max-inactivity" },
  { id: "typosquat", description: "names one typo away from a popular project" },
  { id: "hash-mismatch", description: "locked hashes that match no file the index serves" },
  { id: "hash-uncovered", description: "files of a pinned release that the locked hashes do not cover" },
  { id: "provenance", description: "PEP 740 attestations that fail, and releases that lost them" },
  { id: "size-anomaly", description: "artifacts far larger than the previous release's (max-size-ratio)" },
  {
    id: "dependency-confusion",
    description: "--extra-index-url, and internal names taken on the public index",
  },
  // Off by default: "single owner, no organisation" describes most of PyPI and is information, not a risk found
  // (peers such as Socket list it as informational), and ownership is only in the PyPI JSON API, so it costs a
  // second request per project (see bench/RESULTS.md, issue 4). `inspect` shows the owners either way.
  { id: "ownership", description: "projects with a single owner and no organisation", on: false },
] as const satisfies readonly { id: FindingKind; description: string; on?: false }[];

export type CheckId = (typeof KNOWN_CHECKS)[number]["id"];

export const CHECK_IDS: readonly CheckId[] = KNOWN_CHECKS.map((c) => c.id);

/** One `[[ignore]]` entry (or a `--ignore` given on the command line). */
export interface IgnoreRule {
  /** An advisory id or alias, or a check rule id such as `PC-UNPINNED`. */
  id: string;
  reason: string;
  /** `YYYY-MM-DD`: the rule holds through this day (UTC), then stops suppressing. */
  until: string | null;
  /** PEP 503-normalised package name the rule is limited to, or null for every package. */
  package: string | null;
  /** Where the rule was written: the config file and line, or `"command line"`. */
  origin: { file: string; line: number | null };
}

export interface ServeConfig {
  host: string;
  port: number;
  /** Upstream simple-index URLs, in order of preference. */
  upstream: string[];
  /** Where the server keeps its data; null lets the server choose. */
  dataDir: string | null;
  /** `open`: serve what the policy clears; `allowlist`: serve only approved projects or versions. */
  mode: ServeMode;
  /**
   * Server processes sharing the port (`workers` in [serve]): a count, or `"auto"` for one per CPU. Absent means 1
   * (left out of the defaults so a config without it reads back as written).
   */
  workers?: ServeWorkers;
  /**
   * `raw-front` in [serve]: read cached-page requests off the connection below node:http (src/server/raw-front.ts).
   * Absent means true (left out of the defaults, as `workers`).
   */
  rawFront?: boolean;
}

/** `[serve] workers` / `--workers`: a process count from 1 to MAX_SERVE_WORKERS, or `"auto"` (one per CPU). */
export type ServeWorkers = number | "auto";
export const MAX_SERVE_WORKERS = 64;

/** Parses `--workers` / `[serve] workers` text: a count from 1 to 64 or `auto`; null when it is neither. */
export function parseServeWorkers(value: unknown): ServeWorkers | null {
  if (value === "auto") return "auto";
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= MAX_SERVE_WORKERS ? n : null;
}

export const SERVE_MODES = ["open", "allowlist"] as const;
export type ServeMode = (typeof SERVE_MODES)[number];

/** The checks of the upstream stage (they need the index, or the popular list for typosquat). */
export const UPSTREAM_CHECKS = [
  "project-status",
  "yanked",
  "release-age",
  "unmaintained",
  "typosquat",
  "hash-mismatch",
  "hash-uncovered",
  "provenance",
  "size-anomaly",
  "dependency-confusion",
  "ownership",
] as const satisfies readonly CheckId[];

/** `[index]`: which package index the upstream checks ask, and how. Only the keys written are present. */
export interface IndexConfig {
  /** The simple index, e.g. `https://pypi.org/simple/`; may carry `user:pass@` (never printed). */
  url?: string;
  /** The public index internal names must not exist on (dependency confusion); default pypi.org. */
  publicUrl?: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** `timeout` as written, and in milliseconds. */
  timeout?: string;
  timeoutMs?: number;
  /** Extra attempts after a 429, a 5xx or a connection error. */
  retries?: number;
  /** Whether https indexes are asked for HTTP/2 (default true). */
  http2?: boolean;
}

/** Options of the upstream checks (top-level keys of the configuration). */
export interface UpstreamPolicy {
  /** `min-release-age` as written, and in days (fractions allowed: "12h" is 0.5). */
  minReleaseAge: string;
  minReleaseAgeDays: number;
  /** Normalised name -> cooldown in days; 0 exempts the package. */
  releaseAgeExceptions: Record<string, number>;
  /** `max-inactivity` as written, and in days. */
  maxInactivity: string;
  maxInactivityDays: number;
  maxSizeRatio: number;
  /** Normalised names and name prefixes of private packages (dependency confusion; never typosquats). */
  internalNames: string[];
  internalPrefixes: string[];
  /** Normalised names the typosquat check never flags. */
  typosquatAllow: string[];
}

export interface Config {
  /** Findings at or above this severity fail the run (malicious findings always fail). */
  failOn: Severity;
  /** `max-db-age` as written, e.g. `7d`. */
  maxDbAge: string;
  /** `max-db-age` in milliseconds. */
  maxDbAgeMs: number;
  /** Every known check, enabled (true) or disabled (false). */
  checks: Record<CheckId, boolean>;
  ignore: IgnoreRule[];
  serve: ServeConfig;
  index: IndexConfig;
  upstream: UpstreamPolicy;
}

const UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Parses `30m`, `12h`, `7d`, `2w`, `3y` (also `45s`; a year is 365 days) to milliseconds; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+)\s*([smhdwy])\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = UNITS_MS[m[2]!]!;
  return Number.isSafeInteger(n * unit) ? n * unit : null;
}

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  failOn: "high",
  maxDbAge: "7d",
  maxDbAgeMs: 7 * 86_400_000,
  checks: Object.fromEntries(KNOWN_CHECKS.map((c) => [c.id, !("on" in c)])) as Record<CheckId, boolean>,
  ignore: [],
  serve: {
    host: "127.0.0.1",
    port: 3141,
    upstream: ["https://pypi.org/simple/"],
    dataDir: null,
    mode: "open" as ServeMode,
  },
  index: {},
  upstream: {
    minReleaseAge: "7d",
    minReleaseAgeDays: 7,
    releaseAgeExceptions: {},
    maxInactivity: "3y",
    maxInactivityDays: 3 * 365,
    maxSizeRatio: 3,
    internalNames: [],
    internalPrefixes: [],
    typosquatAllow: [],
  },
});

/** The public index dependency confusion is judged against when `[index] public-url` is not set. */
export const DEFAULT_PUBLIC_INDEX_URL = "https://pypi.org/simple/";

/**
 * Requests in flight at once when `[index] concurrency` is not set. Over HTTP/2 (PyPI, most CDNs) they are
 * streams of one connection, and 100 is the least a server should allow (RFC 9113, 5.1.2: "no smaller than
 * 100"), so no index is asked for more than it is expected to accept; a server advertising fewer gets fewer (the
 * HTTP/2 layer waits for its limit). Over HTTP/1.1 they are connections. bench/RESULTS.md has the measurements.
 */
export const DEFAULT_INDEX_CONCURRENCY = 100;

/** The HTTP client options `[index]` sets (concurrency, timeout, retries, HTTP/2), for audit and inspect alike. */
export function indexHttpOptions(index: IndexConfig): {
  concurrency: number;
  timeoutMs?: number;
  retries?: number;
  http2?: boolean;
} {
  return {
    concurrency: index.concurrency ?? DEFAULT_INDEX_CONCURRENCY,
    ...(index.timeoutMs !== undefined ? { timeoutMs: index.timeoutMs } : {}),
    ...(index.retries !== undefined ? { retries: index.retries } : {}),
    ...(index.http2 !== undefined ? { http2: index.http2 } : {}),
  };
}

function freshDefaults(): Config {
  return {
    ...DEFAULT_CONFIG,
    checks: { ...DEFAULT_CONFIG.checks },
    ignore: [],
    serve: { ...DEFAULT_CONFIG.serve, upstream: [...DEFAULT_CONFIG.serve.upstream] },
    index: {},
    upstream: {
      ...DEFAULT_CONFIG.upstream,
      releaseAgeExceptions: {},
      internalNames: [],
      internalPrefixes: [],
      typosquatAllow: [],
    },
  };
}

export interface LoadedConfig {
  config: Config;
  /** The file the configuration came from, or null when none was found (defaults apply). */
  file: string | null;
  errors: InputError[];
}

const CONFIG_FILE = "pycustoms.toml";
const PYPROJECT = "pyproject.toml";

/**
 * Finds and loads the configuration. With `explicitPath` only that file is read (a file named
 * pyproject.toml is read for its `[tool.pycustoms]` table). Never throws for bad input: every problem is an
 * error naming the file, the key and, where it can be found, the line; invalid values fall back to defaults.
 */
export function loadConfig(startDir: string, explicitPath?: string): LoadedConfig {
  if (explicitPath !== undefined) {
    const read = readTextFile(explicitPath);
    if (!read.ok) return { config: freshDefaults(), file: null, errors: [read.error] };
    const inPyproject = basename(explicitPath) === PYPROJECT;
    const loaded = parseConfigText(read.text, explicitPath, inPyproject);
    if (inPyproject && loaded.file === null && loaded.errors.length === 0) {
      loaded.errors.push({ file: explicitPath, message: "no [tool.pycustoms] table in this pyproject.toml" });
    }
    return loaded;
  }
  let dir = resolve(startDir);
  for (;;) {
    const own = join(dir, CONFIG_FILE);
    if (isFile(own)) {
      const read = readTextFile(own);
      if (!read.ok) return { config: freshDefaults(), file: own, errors: [read.error] };
      return parseConfigText(read.text, own, false);
    }
    const pyproject = join(dir, PYPROJECT);
    if (isFile(pyproject)) {
      const read = readTextFile(pyproject);
      // An unreadable pyproject.toml, or one without our table, is the inventory's business: search on.
      // A broken one that mentions pycustoms is reported here, since it may hold our configuration.
      if (read.ok && read.text.includes("pycustoms")) {
        const loaded = parseConfigText(read.text, pyproject, true);
        if (loaded.file !== null) return loaded;
      }
    }
    if (existsSync(join(dir, ".git"))) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { config: freshDefaults(), file: null, errors: [] };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Parses and validates config text; `inPyproject` reads the `[tool.pycustoms]` table instead of the top level. */
export function parseConfigText(text: string, file: string, inPyproject: boolean): LoadedConfig {
  const config = freshDefaults();
  const parsed = parseTomlWithLayout(text, file);
  if (!parsed.ok) return { config, file, errors: [parsed.error] };
  const doc = parsed.data;
  let table: unknown = doc;
  if (inPyproject) {
    const tool = doc.tool;
    table = isTomlTable(tool) ? tool.pycustoms : undefined;
    if (table === undefined) return { config, file: null, errors: [] };
  }
  const v = new Validator(parsed.layout, file, inPyproject ? ["tool", "pycustoms"] : []);
  if (!isTomlTable(table)) {
    v.error(null, "`tool.pycustoms` must be a table");
    return { config, file, errors: v.errors };
  }
  v.validate(table, config);
  return { config, file, errors: v.errors };
}

const UPSTREAM_KEYS = [
  "min-release-age",
  "release-age-exceptions",
  "max-inactivity",
  "max-size-ratio",
  "internal-names",
  "internal-prefixes",
  "typosquat-allow",
];
const TOP_KEYS = ["fail-on", "max-db-age", "checks", "ignore", "serve", "index", ...UPSTREAM_KEYS];
const INDEX_KEYS = ["url", "public-url", "concurrency", "timeout", "retries", "http2"];
const IGNORE_KEYS = ["id", "reason", "until", "package"];
const SERVE_KEYS = ["host", "port", "upstream", "data-dir", "mode", "workers", "raw-front"];

class Validator {
  readonly errors: InputError[] = [];
  /** `tool.pycustoms.` in pyproject.toml, else "": how keys are named in messages. */
  private readonly prefix: string;

  constructor(
    private readonly layout: TomlLayoutEntry[],
    private readonly file: string,
    /** The table path the configuration lives under: ["tool", "pycustoms"] in pyproject.toml, else []. */
    private readonly root: string[],
  ) {
    this.prefix = root.map((p) => `${p}.`).join("");
  }

  error(line: number | null, message: string): void {
    this.errors.push(line === null ? { file: this.file, message } : { file: this.file, line, message });
  }

  validate(t: Record<string, unknown>, config: Config): void {
    for (const key of Object.keys(t)) {
      if (!TOP_KEYS.includes(key)) {
        this.error(this.findKey(null, key), `unknown key \`${this.prefix}${key}\`${suggest(key, TOP_KEYS)}`);
      }
    }
    if (t["fail-on"] !== undefined) {
      const value = t["fail-on"];
      if (typeof value === "string" && (SEVERITIES as readonly string[]).includes(value.toLowerCase())) {
        config.failOn = value.toLowerCase() as Severity;
      } else {
        this.error(
          this.findKey(null, "fail-on"),
          `\`fail-on\` must be one of ${SEVERITIES.join(", ")} (got ${show(value)})`,
        );
      }
    }
    if (t["max-db-age"] !== undefined) {
      const value = t["max-db-age"];
      const ms = typeof value === "string" ? parseDuration(value) : null;
      if (typeof value === "string" && ms !== null) {
        config.maxDbAge = value.trim();
        config.maxDbAgeMs = ms;
      } else {
        this.error(
          this.findKey(null, "max-db-age"),
          `\`max-db-age\` must be a duration such as "30m", "12h", "7d" or "2w" (got ${show(value)})`,
        );
      }
    }
    if (t.checks !== undefined) this.validateChecks(t.checks, config);
    if (t.ignore !== undefined) this.validateIgnores(t.ignore, config);
    if (t.serve !== undefined) this.validateServe(t.serve, config);
    if (t.index !== undefined) this.validateIndex(t.index, config);
    this.validateUpstream(t, config);
  }

  /** A duration key: sets nothing and reports when invalid. */
  private duration(key: string, value: unknown, line: number | null, where = ""): number | null {
    const ms = typeof value === "string" ? parseDuration(value) : null;
    if (ms === null) {
      this.error(
        line,
        `${where}\`${key}\` must be a duration such as "12h", "7d", "2w" or "3y" (got ${show(value)})`,
      );
    }
    return ms;
  }

  /** A list of package names (normalised), or null after reporting the bad entry. */
  private names(key: string, value: unknown, prefixes = false): string[] | null {
    const line = this.findKey(null, key);
    const ok = (x: unknown): x is string =>
      typeof x === "string" &&
      (isValidName(x.trim()) || (prefixes && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(x.trim())));
    if (!Array.isArray(value) || !value.every(ok)) {
      const bad = Array.isArray(value) ? value.find((x) => !ok(x)) : value;
      this.error(
        line,
        `\`${key}\` must be an array of package ${prefixes ? "name prefixes" : "names"} (got ${show(bad)})`,
      );
      return null;
    }
    return [...new Set(value.map((n) => normalizeName(n.trim())))];
  }

  private validateUpstream(t: Record<string, unknown>, config: Config): void {
    const u = config.upstream;
    const minAge = t["min-release-age"];
    if (minAge !== undefined) {
      const ms = this.duration("min-release-age", minAge, this.findKey(null, "min-release-age"));
      if (ms !== null) {
        u.minReleaseAge = (minAge as string).trim();
        u.minReleaseAgeDays = ms / DAY_MS;
      }
    }
    const exceptions = t["release-age-exceptions"];
    if (exceptions !== undefined) this.validateReleaseAgeExceptions(exceptions, config);
    const inactivity = t["max-inactivity"];
    if (inactivity !== undefined) {
      const ms = this.duration("max-inactivity", inactivity, this.findKey(null, "max-inactivity"));
      if (ms !== null) {
        u.maxInactivity = (inactivity as string).trim();
        u.maxInactivityDays = ms / DAY_MS;
      }
    }
    const ratio = t["max-size-ratio"];
    if (ratio !== undefined) {
      if (typeof ratio === "number" && Number.isFinite(ratio) && ratio > 1) u.maxSizeRatio = ratio;
      else
        this.error(
          this.findKey(null, "max-size-ratio"),
          `\`max-size-ratio\` must be a number greater than 1, such as 3.0 (got ${show(ratio)})`,
        );
    }
    const lists: [string, keyof UpstreamPolicy, boolean][] = [
      ["internal-names", "internalNames", false],
      ["internal-prefixes", "internalPrefixes", true],
      ["typosquat-allow", "typosquatAllow", false],
    ];
    for (const [key, field, prefixes] of lists) {
      if (t[key] === undefined) continue;
      const list = this.names(key, t[key], prefixes);
      if (list !== null) (u[field] as string[]) = list;
    }
  }

  /** `["pkg", ...]` exempts packages; `{ pkg = "1d" }` gives them their own cooldown. */
  private validateReleaseAgeExceptions(value: unknown, config: Config): void {
    const key = "release-age-exceptions";
    if (Array.isArray(value)) {
      const list = this.names(key, value);
      if (list !== null) for (const n of list) config.upstream.releaseAgeExceptions[n] = 0;
      return;
    }
    if (!isTomlTable(value)) {
      this.error(
        this.findKey(null, key),
        `\`${key}\` must be an array of package names, or a table of package name = duration (got ${show(value)})`,
      );
      return;
    }
    for (const [name, duration] of Object.entries(value)) {
      const line = this.findKey(key, name) ?? this.findKey(null, key);
      if (!isValidName(name.trim())) {
        this.error(line, `[${key}]: \`${name}\` is not a package name`);
        continue;
      }
      const ms = this.duration(name, duration, line, `[${key}]: `);
      if (ms !== null) config.upstream.releaseAgeExceptions[normalizeName(name.trim())] = ms / DAY_MS;
    }
  }

  private validateChecks(checks: unknown, config: Config): void {
    if (!isTomlTable(checks)) {
      this.error(this.findKey(null, "checks"), "`checks` must be a table ([checks])");
      return;
    }
    for (const [key, value] of Object.entries(checks)) {
      const line = this.findKey("checks", key);
      if (!(CHECK_IDS as readonly string[]).includes(key)) {
        this.error(line, `[checks]: unknown check \`${key}\`${suggest(key, CHECK_IDS)}`);
      } else if (typeof value !== "boolean") {
        this.error(line, `[checks]: \`${key}\` must be true or false (got ${show(value)})`);
      } else {
        config.checks[key as CheckId] = value;
      }
    }
  }

  private validateIgnores(ignores: unknown, config: Config): void {
    if (!Array.isArray(ignores)) {
      this.error(this.findKey(null, "ignore"), "`ignore` must be an array of tables ([[ignore]])");
      return;
    }
    ignores.forEach((entry, i) => {
      const where = `[[ignore]] #${i + 1}`;
      const headerLine = this.findArrayHeader("ignore", i);
      if (!isTomlTable(entry)) {
        this.error(headerLine, `${where}: must be a table with \`id\` and \`reason\``);
        return;
      }
      let ok = true;
      const fail = (key: string | null, message: string) => {
        ok = false;
        this.error(
          (key !== null ? this.findKeyInArrayItem("ignore", i, key) : null) ?? headerLine,
          `${where}: ${message}`,
        );
      };
      for (const key of Object.keys(entry)) {
        if (!IGNORE_KEYS.includes(key)) fail(key, `unknown key \`${key}\`${suggest(key, IGNORE_KEYS)}`);
      }
      const id = entry.id;
      if (id === undefined) fail(null, "missing `id`");
      else if (typeof id !== "string" || id.trim() === "") fail("id", "`id` must be a non-empty string");
      const reason = entry.reason;
      if (reason === undefined) fail(null, "missing `reason` (say why the finding does not apply)");
      else if (typeof reason !== "string" || reason.trim() === "")
        fail("reason", "`reason` must be a non-empty string");
      let until: string | null = null;
      if (entry.until !== undefined) {
        until = toDay(entry.until);
        if (until === null)
          fail("until", `\`until\` must be a date such as 2027-01-31 (got ${show(entry.until)})`);
      }
      let pkg: string | null = null;
      if (entry.package !== undefined) {
        if (typeof entry.package === "string" && isValidName(entry.package.trim())) {
          pkg = normalizeName(entry.package.trim());
        } else {
          fail("package", `\`package\` must be a package name (got ${show(entry.package)})`);
        }
      }
      // An invalid rule is dropped rather than half-applied: suppressing on a guess is the unsafe direction.
      if (ok && typeof id === "string" && typeof reason === "string") {
        config.ignore.push({
          id: id.trim(),
          reason: reason.trim(),
          until,
          package: pkg,
          origin: { file: this.file, line: headerLine },
        });
      }
    });
  }

  private validateServe(serve: unknown, config: Config): void {
    if (!isTomlTable(serve)) {
      this.error(this.findKey(null, "serve"), "`serve` must be a table ([serve])");
      return;
    }
    for (const [key, value] of Object.entries(serve)) {
      const line = this.findKey("serve", key);
      switch (key) {
        case "host":
          if (typeof value === "string" && value.trim() !== "") config.serve.host = value.trim();
          else this.error(line, `[serve]: \`host\` must be a non-empty string (got ${show(value)})`);
          break;
        case "port":
          if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 65535)
            config.serve.port = value;
          else this.error(line, `[serve]: \`port\` must be an integer from 0 to 65535 (got ${show(value)})`);
          break;
        case "upstream": {
          const list = typeof value === "string" ? [value] : value;
          const bad = Array.isArray(list) ? list.find((u) => !isHttpUrl(u)) : value;
          if (Array.isArray(list) && list.length > 0 && bad === undefined) {
            config.serve.upstream = list as string[];
          } else {
            this.error(
              line,
              `[serve]: \`upstream\` must be an http(s) URL or a non-empty array of them (got ${show(bad ?? value)})`,
            );
          }
          break;
        }
        case "data-dir":
          if (typeof value === "string" && value.trim() !== "") config.serve.dataDir = value;
          else this.error(line, `[serve]: \`data-dir\` must be a non-empty path (got ${show(value)})`);
          break;
        case "mode":
          if (typeof value === "string" && (SERVE_MODES as readonly string[]).includes(value))
            config.serve.mode = value as ServeMode;
          else this.error(line, `[serve]: \`mode\` must be "open" or "allowlist" (got ${show(value)})`);
          break;
        case "workers": {
          // TOML has numbers: only "auto" is accepted as a string here.
          const workers = typeof value === "string" && value !== "auto" ? null : parseServeWorkers(value);
          if (workers !== null) config.serve.workers = workers;
          else
            this.error(
              line,
              `[serve]: \`workers\` must be an integer from 1 to ${MAX_SERVE_WORKERS} or "auto" (got ${show(value)})`,
            );
          break;
        }
        case "raw-front":
          if (typeof value === "boolean") config.serve.rawFront = value;
          else this.error(line, `[serve]: \`raw-front\` must be true or false (got ${show(value)})`);
          break;
        default:
          this.error(line, `[serve]: unknown key \`${key}\`${suggest(key, SERVE_KEYS)}`);
      }
    }
  }

  private validateIndex(index: unknown, config: Config): void {
    if (!isTomlTable(index)) {
      this.error(this.findKey(null, "index"), "`index` must be a table ([index])");
      return;
    }
    for (const [key, value] of Object.entries(index)) {
      const line = this.findKey("index", key);
      switch (key) {
        case "url":
        case "public-url":
          // The value may carry credentials: messages show it redacted.
          if (isHttpUrl(value)) {
            if (key === "url") config.index.url = (value as string).trim();
            else config.index.publicUrl = (value as string).trim();
          } else {
            this.error(
              line,
              `[index]: \`${key}\` must be an http(s) URL (got ${typeof value === "string" ? show(redactUrl(value)) : show(value)})`,
            );
          }
          break;
        case "concurrency":
          if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 256)
            config.index.concurrency = value;
          else
            this.error(
              line,
              `[index]: \`concurrency\` must be an integer from 1 to 256 (got ${show(value)})`,
            );
          break;
        case "http2":
          if (typeof value === "boolean") config.index.http2 = value;
          else this.error(line, `[index]: \`http2\` must be true or false (got ${show(value)})`);
          break;
        case "retries":
          if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 10)
            config.index.retries = value;
          else this.error(line, `[index]: \`retries\` must be an integer from 0 to 10 (got ${show(value)})`);
          break;
        case "timeout": {
          const ms = this.duration("timeout", value, line, "[index]: ");
          if (ms !== null && ms > 0) {
            config.index.timeout = (value as string).trim();
            config.index.timeoutMs = ms;
          }
          break;
        }
        default:
          this.error(line, `[index]: unknown key \`${key}\`${suggest(key, INDEX_KEYS)}`);
      }
    }
  }

  // Line lookup: smol-toml gives values without positions, so errors find their key in the scanned layout.
  // It is best-effort: a key written inside an inline table has no line of its own.

  /** Line of `key` in `[section]` (null section: the configuration's own table), or of a `[key]` header. */
  private findKey(section: string | null, key: string): number | null {
    const path = [...this.root, ...(section === null ? [] : [section]), key];
    const entry = this.layout.find((e) => samePath(e.path, path));
    return entry?.line ?? null;
  }

  /** Line of the n-th (0-based) `[[name]]` header. */
  private findArrayHeader(name: string, n: number): number | null {
    const path = [...this.root, name];
    return this.layout.filter((e) => e.kind === "array-table" && samePath(e.path, path))[n]?.line ?? null;
  }

  /** Line of `key` inside the n-th `[[name]]` table. */
  private findKeyInArrayItem(name: string, n: number, key: string): number | null {
    const header = [...this.root, name];
    const path = [...header, key];
    let seen = -1;
    for (const e of this.layout) {
      if (e.kind === "array-table" && samePath(e.path, header)) seen++;
      else if (seen === n && e.kind === "key" && samePath(e.path, path)) return e.line;
      else if (seen === n && e.kind !== "key") return null;
    }
    return null;
  }
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

function toDay(value: unknown): string | null {
  // Only values of a parsed file reach here, so the parser is loaded already.
  if (value instanceof smolToml().TomlDate) return value.isDate() ? value.toISOString().slice(0, 10) : null;
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value ? value : null;
  }
  return null;
}

function show(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** ` (did you mean \`x\`?)` for the closest known key within a small edit distance, else "". */
export function suggest(key: string, known: readonly string[]): string {
  const k = key.toLowerCase().replace(/_/g, "-");
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(k, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  const limit = Math.max(1, Math.floor(k.length / 3));
  return best !== null && bestDistance <= limit ? ` (did you mean \`${best}\`?)` : "";
}

// Edit distance with adjacent transpositions (optimal string alignment), written here because a dozen
// lines beat a dependency for "did you mean".
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
