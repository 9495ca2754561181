// The local advisory database: imports OSV sources into SQLite atomically and answers "what is known about these names".
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Severity } from "../checks/types.js";
import { describeFsError } from "../inventory/read.js";
import { Database, isBusy, type SqliteDatabase, useWal } from "../sqlite.js";
import { normalizeName } from "../standards/names.js";
import { advisoryUrlIn, attachListedSummary, uncoveredListedVersions } from "./match.js";
// The import side (YAML, JSON Schema, tar, zip) loads only when importing, keeping `audit` start-up light.
import type { ImportWarning } from "./osv.js";
import { isTopPackagesDocument, loadPopularNames, parseTopPackages, replacePopular } from "./popular.js";
import { computeSeverity, rememberSeverity } from "./severity.js";
import type { DownloadResult, HttpValidators, SourceRecordFile } from "./sources.js";
import type { Advisory, AdvisoryKind, AffectedPackage, OsvRange, SeverityVector } from "./types.js";

export type { ImportWarning } from "./osv.js";
/** OSV's public export of every PyPI advisory (PYSEC, GHSA and MAL records). */
export const DEFAULT_ADVISORY_SOURCE = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip";

/**
 * Where the database lives when `--db` is not given: `$PYCUSTOMS_DB`, else
 * `$XDG_CACHE_HOME/pycustoms/advisories.sqlite` (an absolute XDG_CACHE_HOME only, per the XDG spec),
 * else `~/.cache/pycustoms/advisories.sqlite`.
 */
export function defaultDbPath(
  env: Record<string, string | undefined> = process.env,
  home: string = homedir(),
): string {
  const explicit = env.PYCUSTOMS_DB;
  if (explicit && explicit.trim() !== "") return resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  const cache =
    xdg && isAbsolute(xdg) ? xdg : join(env.HOME && isAbsolute(env.HOME) ? env.HOME : home, ".cache");
  return join(cache, "pycustoms", "advisories.sqlite");
}

/** The `--db PATH` option if given, else `defaultDbPath(env)`. */
export function resolveDbPath(
  option: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string {
  return option && option.trim() !== "" ? resolve(option) : defaultDbPath(env);
}

export type AdvisoryStoreErrorCode =
  | "corrupt"
  | "locked"
  | "read-only"
  | "cannot-open"
  | "io"
  | "newer-schema"
  | "older-schema"
  | "other";

/**
 * A problem with the database file itself (not SQLite, corrupt, locked, read-only, unwritable folder, a
 * schema from a newer pycustoms). `message` is one line meant for the user; the CLI prints it and exits 2.
 */
export class AdvisoryStoreError extends Error {
  readonly code: AdvisoryStoreErrorCode;
  readonly path: string;
  constructor(code: AdvisoryStoreErrorCode, path: string, message: string) {
    super(message);
    this.name = "AdvisoryStoreError";
    this.code = code;
    this.path = path;
  }
}

/** Maps a better-sqlite3 / file-system error to a one-line AdvisoryStoreError; other errors pass through. */
function toStoreError(path: string, e: unknown): unknown {
  if (e instanceof AdvisoryStoreError) return e;
  if (e instanceof TypeError && /directory does not exist/.test(e.message)) {
    return new AdvisoryStoreError(
      "cannot-open",
      path,
      `cannot open advisory database ${path}: its folder does not exist`,
    );
  }
  // Only SQLite's own errors describe the file; anything else (a caller's error, an abort) passes through.
  if (!(e instanceof Database.SqliteError)) return e;
  const code = typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "";
  const detail = e instanceof Error ? e.message : String(e);
  const where = `advisory database ${path}`;
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
    return new AdvisoryStoreError(
      "corrupt",
      path,
      `${where} is not a SQLite database or is corrupt (${detail}); remove it and run \`pycustoms db update\``,
    );
  }
  if (isBusy(e)) {
    return new AdvisoryStoreError(
      "locked",
      path,
      `${where} is locked by another process (an update still running?); try again when it has finished`,
    );
  }
  if (code.startsWith("SQLITE_READONLY")) {
    return new AdvisoryStoreError(
      "read-only",
      path,
      `${where} is read-only (${detail}); check its permissions`,
    );
  }
  if (
    code.startsWith("SQLITE_CANTOPEN") ||
    code.startsWith("SQLITE_PERM") ||
    code.startsWith("SQLITE_AUTH")
  ) {
    return new AdvisoryStoreError("cannot-open", path, `cannot open ${where}: ${detail}`);
  }
  if (code.startsWith("SQLITE_IOERR") || code === "SQLITE_FULL") {
    return new AdvisoryStoreError("io", path, `${where}: disk error (${detail})`);
  }
  return new AdvisoryStoreError("other", path, `${where}: ${detail}`);
}

type Db = SqliteDatabase;

/** The `uncovered` column of an affected entry: JSON of `uncoveredListedVersions`. */
function uncoveredJson(entry: AffectedPackage): string {
  return JSON.stringify(uncoveredListedVersions(entry));
}

/**
 * Schema 2: each entry's listed versions that its ranges do not account for, so matching a pinned version
 * reads the short ranges and this short list instead of the whole `versions` list. The column is derived by
 * match.ts: a change there to how ranges or listed versions match must append a migration that recomputes it
 * (as this one does for the databases it upgrades).
 */
function addUncoveredVersions(db: Db): void {
  db.exec("ALTER TABLE affected ADD COLUMN uncovered TEXT");
  recomputeUncovered(db);
}

function recomputeUncovered(db: Db): void {
  const update = db.prepare("UPDATE affected SET uncovered = ? WHERE rowid = ?");
  // All rows first: better-sqlite3 cannot write while a read statement is still iterating.
  const rows = db.prepare("SELECT rowid, name, ranges, versions FROM affected").all() as {
    rowid: number;
    name: string;
    ranges: string;
    versions: string;
  }[];
  for (const row of rows) {
    const entry: AffectedPackage = {
      name: row.name,
      ranges: JSON.parse(row.ranges) as OsvRange[],
      versions: JSON.parse(row.versions) as string[],
    };
    update.run(uncoveredJson(entry), row.rowid);
  }
}

/**
 * Schema 3: each record's severity (rating, CVSS base score and the vector it came from), computed by
 * severity.ts at import so an audit reads it instead of scoring vectors. A change to how severity.ts rates
 * records must append a migration that recomputes it.
 */
function addSeverityColumns(db: Db): void {
  db.exec(`ALTER TABLE advisories ADD COLUMN rating TEXT;
           ALTER TABLE advisories ADD COLUMN cvss_score REAL;
           ALTER TABLE advisories ADD COLUMN cvss_vector TEXT;`);
  const update = db.prepare("UPDATE advisories SET rating = ?, cvss_score = ?, cvss_vector = ? WHERE id = ?");
  const rows = db.prepare("SELECT id, kind, severity, database_severity FROM advisories").all() as {
    id: string;
    kind: AdvisoryKind;
    severity: string;
    database_severity: string | null;
  }[];
  for (const row of rows) {
    const computed = computeSeverity({
      kind: row.kind,
      severity: JSON.parse(row.severity) as SeverityVector[],
      databaseSeverity: row.database_severity,
    });
    update.run(computed.severity, computed.score, computed.vector, row.id);
  }
}

// Schema migrations, in order; `PRAGMA user_version` holds how many have run. Append, never edit. A migration
// is SQL, or a function for what SQL cannot compute (PEP 440 matching); all run inside the import's transaction.
const MIGRATIONS: readonly (string | ((db: Db) => void))[] = [
  `CREATE TABLE advisories (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('vulnerability', 'malicious')),
     summary TEXT NOT NULL,
     details TEXT NOT NULL,
     published TEXT,
     modified TEXT NOT NULL,
     withdrawn TEXT,
     severity TEXT NOT NULL,          -- JSON SeverityVector[]
     database_severity TEXT,
     refs TEXT NOT NULL,              -- JSON references [{type, url}] (REFERENCES is an SQL keyword)
     aliases TEXT NOT NULL,           -- JSON string[]
     source TEXT NOT NULL,            -- the source it was last imported from
     file TEXT NOT NULL               -- the record's file in that source
   );
   CREATE TABLE affected (
     advisory_id TEXT NOT NULL,
     position INTEGER NOT NULL,       -- order within the record's PyPI affected entries
     name TEXT NOT NULL,              -- PEP 503-normalised
     ranges TEXT NOT NULL,            -- JSON OsvRange[]
     versions TEXT NOT NULL           -- JSON string[]
   );
   CREATE INDEX affected_by_name ON affected (name);
   CREATE INDEX affected_by_advisory ON affected (advisory_id);
   CREATE TABLE aliases (
     alias TEXT NOT NULL,
     advisory_id TEXT NOT NULL,
     PRIMARY KEY (alias, advisory_id)
   ) WITHOUT ROWID;
   CREATE INDEX aliases_by_advisory ON aliases (advisory_id);
   CREATE TABLE sources (
     source TEXT PRIMARY KEY,         -- a URL, or an absolute local path
     last_import TEXT,                -- when records were last read from it
     last_checked TEXT,               -- when it was last found current (import or HTTP 304)
     last_error TEXT,                 -- why the last attempt failed, NULL after a success
     etag TEXT,
     last_modified TEXT,
     records INTEGER NOT NULL DEFAULT 0,
     added INTEGER NOT NULL DEFAULT 0,
     updated INTEGER NOT NULL DEFAULT 0,
     unchanged INTEGER NOT NULL DEFAULT 0,
     withdrawn INTEGER NOT NULL DEFAULT 0,
     skipped INTEGER NOT NULL DEFAULT 0,
     warnings INTEGER NOT NULL DEFAULT 0
   );`,
  addUncoveredVersions,
  addSeverityColumns,
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;
/** The first schema with `affected.uncovered`; older databases (until their next update) are matched by scanning. */
const UNCOVERED_SCHEMA = 2;
/** The first schema with stored severities; older databases (until their next update) are scored when read. */
const SEVERITY_SCHEMA = 3;

function userVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function checkNotNewer(db: Db, path: string): number {
  const version = userVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new AdvisoryStoreError(
      "newer-schema",
      path,
      `advisory database ${path} has schema ${version}, newer than this pycustoms understands (${SCHEMA_VERSION}); upgrade pycustoms or use another --db`,
    );
  }
  return version;
}

/** Runs pending migrations; must be called inside the import's write transaction. */
function migrate(db: Db, path: string): void {
  const version = checkNotNewer(db, path);
  for (let i = version; i < MIGRATIONS.length; i++) {
    const migration = MIGRATIONS[i];
    if (typeof migration === "function") migration(db);
    else if (migration !== undefined) db.exec(migration);
  }
  if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Import

/** Counts for one source of one import. `records` = added + updated + unchanged + skipped. */
export interface SourceImportReport {
  /** The source as stored: a URL, or the absolute local path. */
  source: string;
  /** imported: read fully; not-modified: the URL answered 304; failed: nothing from it was kept (see `error`). */
  status: "imported" | "not-modified" | "failed";
  /** Record files read (.json/.yaml/.yml). */
  records: number;
  /** New advisory ids. */
  added: number;
  /** Known ids whose `modified` is newer (or that became withdrawn). */
  updated: number;
  /** Known ids whose `modified` is not newer: nothing written. */
  unchanged: number;
  /** Records read that are withdrawn (by field or by a `withdrawn/` folder); they are stored but never matched. */
  withdrawn: number;
  /** Records not stored: no PyPI affected entry (silently) or invalid (with a warning). */
  skipped: number;
  /** Of `skipped`, those that were invalid (each has a warning). */
  invalid: number;
  /** Bytes downloaded, for URL sources. */
  downloadedBytes?: number;
  error?: string;
  /** Set when the source was the popular-projects list (recognised by content) rather than OSV records. */
  popular?: { count: number; lastUpdate: string | null };
}

export interface ImportReport {
  dbPath: string;
  sources: SourceImportReport[];
  /** Bad records and unreadable sources, each naming the file (and record id when known). */
  warnings: ImportWarning[];
}

export type ImportProgress =
  | { phase: "download"; source: string; bytes: number; totalBytes: number | null }
  | { phase: "import"; source: string; records: number };

export interface ImportOptions {
  /** Progress as bytes arrive and every few hundred records. Throwing from it aborts the import (rolled back). */
  onProgress?: (progress: ImportProgress) => void;
  /** Aborting rolls the whole import back; `importSources` then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The time stamped on sources (tests pin it). */
  now?: Date;
  /** How long to wait for another process's import to finish before failing with code "locked" (default 60 s). */
  busyTimeoutMs?: number;
}

const PROGRESS_EVERY = 500;

function emptyCounts(source: string): SourceImportReport {
  return {
    source,
    status: "imported",
    records: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    withdrawn: 0,
    skipped: 0,
    invalid: 0,
  };
}

/** Parses an OSV time stamp to milliseconds, or NaN. */
function timeOf(stamp: string): number {
  return Date.parse(stamp);
}

/** Newer-than for `modified`: by instant; falls back to text order if either is not a parsable date. */
function isNewer(incoming: string, stored: string): boolean {
  const a = timeOf(incoming);
  const b = timeOf(stored);
  if (Number.isFinite(a) && Number.isFinite(b)) return a > b;
  return incoming > stored;
}

function openForImport(path: string, busyTimeoutMs: number): Db {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new AdvisoryStoreError(
      "cannot-open",
      path,
      `cannot create the folder for advisory database ${path}: ${
        // mkdir -p reports a file standing where a folder should be as EEXIST.
        (e as NodeJS.ErrnoException).code === "EEXIST"
          ? "a path component is not a directory"
          : describeFsError(e)
      }`,
    );
  }
  let db: Db | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
    // WAL: readers (audits) keep working during an import, and an interrupted import leaves the last commit intact.
    useWal(db, busyTimeoutMs);
    db.pragma("synchronous = NORMAL");
    checkNotNewer(db, path);
    return db;
  } catch (e) {
    db?.close();
    throw toStoreError(path, e);
  }
}

function storedValidators(db: Db, source: string): HttpValidators | null {
  if (userVersion(db) < 1) return null;
  const row = db.prepare("SELECT etag, last_modified FROM sources WHERE source = ?").get(source) as
    | { etag: string | null; last_modified: string | null }
    | undefined;
  return row ? { etag: row.etag, lastModified: row.last_modified } : null;
}

/** Prepared statements for one import, created after migrations so the tables exist. */
function importStatements(db: Db) {
  return {
    existing: db.prepare("SELECT modified, withdrawn FROM advisories WHERE id = ?"),
    upsert: db.prepare(
      `INSERT OR REPLACE INTO advisories
         (id, kind, summary, details, published, modified, withdrawn, severity, database_severity, refs, aliases, source,
          file, rating, cvss_score, cvss_vector)
       VALUES (@id, @kind, @summary, @details, @published, @modified, @withdrawn, @severity, @databaseSeverity, @refs,
               @aliases, @source, @file, @rating, @cvssScore, @cvssVector)`,
    ),
    deleteAffected: db.prepare("DELETE FROM affected WHERE advisory_id = ?"),
    deleteAliases: db.prepare("DELETE FROM aliases WHERE advisory_id = ?"),
    insertAffected: db.prepare(
      "INSERT INTO affected (advisory_id, position, name, ranges, versions, uncovered) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    insertAlias: db.prepare("INSERT OR IGNORE INTO aliases (alias, advisory_id) VALUES (?, ?)"),
    sourceSuccess: db.prepare(
      `INSERT INTO sources (source, last_import, last_checked, last_error, etag, last_modified, records, added, updated,
                            unchanged, withdrawn, skipped, warnings)
       VALUES (@source, @now, @now, NULL, @etag, @lastModified, @records, @added, @updated, @unchanged, @withdrawn,
               @skipped, @warnings)
       ON CONFLICT (source) DO UPDATE SET
         last_import = excluded.last_import, last_checked = excluded.last_checked, last_error = NULL,
         etag = excluded.etag, last_modified = excluded.last_modified, records = excluded.records,
         added = excluded.added, updated = excluded.updated, unchanged = excluded.unchanged,
         withdrawn = excluded.withdrawn, skipped = excluded.skipped, warnings = excluded.warnings`,
    ),
    sourceChecked: db.prepare(
      `INSERT INTO sources (source, last_checked) VALUES (?, ?)
       ON CONFLICT (source) DO UPDATE SET last_checked = excluded.last_checked, last_error = NULL`,
    ),
    sourceFailed: db.prepare(
      `INSERT INTO sources (source, last_error) VALUES (?, ?)
       ON CONFLICT (source) DO UPDATE SET last_error = excluded.last_error`,
    ),
  };
}

type ImportStatements = ReturnType<typeof importStatements>;

function storeAdvisory(
  s: ImportStatements,
  advisory: Advisory,
  source: string,
  file: string,
  replace: boolean,
): void {
  if (replace) {
    s.deleteAffected.run(advisory.id);
    s.deleteAliases.run(advisory.id);
  }
  const computed = computeSeverity(advisory);
  s.upsert.run({
    id: advisory.id,
    kind: advisory.kind,
    summary: advisory.summary,
    details: advisory.details,
    published: advisory.published,
    modified: advisory.modified,
    withdrawn: advisory.withdrawn,
    severity: JSON.stringify(advisory.severity),
    databaseSeverity: advisory.databaseSeverity,
    refs: JSON.stringify(advisory.references),
    aliases: JSON.stringify(advisory.aliases),
    source,
    file,
    rating: computed.severity,
    cvssScore: computed.score,
    cvssVector: computed.vector,
  });
  advisory.affected.forEach((entry, position) => {
    s.insertAffected.run(
      advisory.id,
      position,
      entry.name,
      JSON.stringify(entry.ranges),
      JSON.stringify(entry.versions),
      uncoveredJson(entry),
    );
  });
  for (const alias of advisory.aliases) s.insertAlias.run(alias, advisory.id);
}

// Where the popular list came from and how old it is (the list itself is popular.ts's table).
const POPULAR_META_SQL = `CREATE TABLE IF NOT EXISTS popular_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  source TEXT NOT NULL,
  list_date TEXT,
  imported TEXT NOT NULL
)`;

/** The whole text of a file that is a top-pypi-packages dump (judged by its first 4 KiB), else null. */
function topPackagesText(path: string): string | null {
  let fd: number | undefined;
  try {
    if (!statSync(path).isFile()) return null;
    fd = openSync(path, "r");
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (!isTopPackagesDocument(head.subarray(0, n).toString("utf8"))) return null;
    return readFileSync(path, "utf8");
  } catch {
    // Unreadable: the OSV reader reports it with its own message.
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A source ready to read: a local path, or a URL already downloaded (or found unchanged, or failed). */
type PreparedSource =
  | { source: string; kind: "local"; path: string }
  | { source: string; kind: "downloaded"; download: Extract<DownloadResult, { status: "downloaded" }> }
  | { source: string; kind: "not-modified" }
  | { source: string; kind: "failed"; error: string };

/**
 * Imports OSV sources into the database at `dbPath` (created if missing), in ONE transaction.
 *
 * Each source is a local zip, .tar/.tar.gz/.tgz, folder, single .json/.yaml/.yml record, or an http(s) URL
 * (downloaded first, conditionally with the stored ETag/Last-Modified; a 304 means nothing to do). Only PyPI
 * affected entries are kept. A record whose `modified` is not newer than the stored one is left untouched.
 *
 * Bad records are skipped with warnings; an unreadable or corrupt source is a warning too, and NOTHING from it is
 * kept (a savepoint per source) while the other sources still import. Everything else is all-or-nothing: if the
 * import throws, is aborted, or the process dies, the database stays exactly as it was before.
 *
 * Rejects with AdvisoryStoreError for database problems (locked past `busyTimeoutMs`, not SQLite, unwritable),
 * with `signal.reason` when aborted, and with the callback's own error when `onProgress` throws.
 */
export async function importSources(
  dbPath: string,
  sources: readonly string[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  const { parseOsvRecord } = await import("./osv.js");
  const { downloadSource, isUrlSource, readLocalSource, SourceError } = await import("./sources.js");
  const path = resolve(dbPath);
  const now = (options.now ?? new Date()).toISOString();
  const warnings: ImportWarning[] = [];
  const reports: SourceImportReport[] = [];
  const db = openForImport(path, options.busyTimeoutMs ?? 60_000);
  const prepared: PreparedSource[] = [];
  let inTransaction = false;
  try {
    // Downloads happen before the write lock is taken, so a slow network never blocks other imports.
    for (const given of sources) {
      options.signal?.throwIfAborted();
      if (!isUrlSource(given)) {
        prepared.push({ source: resolve(given), kind: "local", path: given });
        continue;
      }
      try {
        const download = await downloadSource(given, storedValidators(db, given), {
          ...(options.signal ? { signal: options.signal } : {}),
          onBytes: (bytes, totalBytes) =>
            options.onProgress?.({ phase: "download", source: given, bytes, totalBytes }),
        });
        prepared.push(
          download.status === "not-modified"
            ? { source: given, kind: "not-modified" }
            : { source: given, kind: "downloaded", download },
        );
      } catch (e) {
        if (!(e instanceof SourceError)) throw e;
        warnings.push({ file: e.file, message: e.message });
        prepared.push({ source: given, kind: "failed", error: e.message });
      }
    }

    try {
      db.exec("BEGIN IMMEDIATE");
      inTransaction = true;
      migrate(db, path);
    } catch (e) {
      throw toStoreError(path, e);
    }
    const statements = importStatements(db);

    for (const item of prepared) {
      const report = emptyCounts(item.source);
      reports.push(report);
      if (item.kind === "failed") {
        report.status = "failed";
        report.error = item.error;
        statements.sourceFailed.run(item.source, item.error);
        continue;
      }
      if (item.kind === "not-modified") {
        report.status = "not-modified";
        statements.sourceChecked.run(item.source, now);
        continue;
      }
      const warningsBefore = warnings.length;
      const handleRecord = (record: SourceRecordFile): void => {
        options.signal?.throwIfAborted();
        report.records++;
        const parsed = parseOsvRecord(record.bytes, record.file, record.format, record.path);
        if (parsed.status === "invalid") {
          report.skipped++;
          report.invalid++;
          warnings.push(...parsed.warnings);
        } else if (parsed.status === "not-pypi") {
          report.skipped++;
        } else {
          const advisory = parsed.advisory;
          if (advisory.withdrawn) report.withdrawn++;
          const stored = statements.existing.get(advisory.id) as
            | { modified: string; withdrawn: string | null }
            | undefined;
          if (!stored) {
            storeAdvisory(statements, advisory, item.source, record.file, false);
            report.added++;
          } else if (
            isNewer(advisory.modified, stored.modified) ||
            // Same `modified` but now found under withdrawn/: withdrawal wins, so it stops matching.
            (advisory.withdrawn !== null &&
              stored.withdrawn === null &&
              !isNewer(stored.modified, advisory.modified))
          ) {
            storeAdvisory(statements, advisory, item.source, record.file, true);
            report.updated++;
          } else {
            report.unchanged++;
          }
        }
        if (report.records % PROGRESS_EVERY === 0) {
          options.onProgress?.({ phase: "import", source: item.source, records: report.records });
        }
      };

      const readPath = item.kind === "local" ? item.path : item.download.path;
      const display = item.kind === "local" ? item.path : item.source;
      const validators =
        item.kind === "downloaded" ? item.download.validators : { etag: null, lastModified: null };
      if (item.kind === "downloaded") report.downloadedBytes = item.download.bytes;

      // The popular-projects list travels with the advisories (typosquat check), recognised by its content.
      const popularText = topPackagesText(readPath);
      if (popularText !== null) {
        const parsed = parseTopPackages(popularText);
        if ("error" in parsed) {
          warnings.push({ file: display, message: parsed.error });
          Object.assign(report, { status: "failed", error: `${display}: ${parsed.error}` });
          statements.sourceFailed.run(item.source, `${display}: ${parsed.error}`);
          continue;
        }
        replacePopular(db, parsed.names);
        db.exec(POPULAR_META_SQL);
        db.prepare(
          "INSERT OR REPLACE INTO popular_meta (id, source, list_date, imported) VALUES (1, ?, ?, ?)",
        ).run(item.source, parsed.lastUpdate, now);
        report.records = parsed.names.length;
        report.added = parsed.names.length;
        report.popular = { count: parsed.names.length, lastUpdate: parsed.lastUpdate };
        statements.sourceSuccess.run({
          source: item.source,
          now,
          etag: validators.etag,
          lastModified: validators.lastModified,
          records: report.records,
          added: report.added,
          updated: 0,
          unchanged: 0,
          withdrawn: 0,
          skipped: 0,
          warnings: 0,
        });
        continue;
      }
      db.exec("SAVEPOINT source_import");
      try {
        await readLocalSource(readPath, display, {
          onRecordFile: handleRecord,
          onWarning: (w) => warnings.push(w),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        options.onProgress?.({ phase: "import", source: item.source, records: report.records });
        db.exec("RELEASE source_import");
      } catch (e) {
        if (!(e instanceof SourceError)) throw e;
        // A corrupt archive half-way: drop what this source wrote, keep the others.
        db.exec("ROLLBACK TO source_import; RELEASE source_import");
        warnings.push({ file: e.file, message: e.message });
        Object.assign(report, emptyCounts(item.source), {
          status: "failed",
          error: `${e.file}: ${e.message}`,
        });
        statements.sourceFailed.run(item.source, `${e.file}: ${e.message}`);
        continue;
      }
      statements.sourceSuccess.run({
        source: item.source,
        now,
        etag: validators.etag,
        lastModified: validators.lastModified,
        records: report.records,
        added: report.added,
        updated: report.updated,
        unchanged: report.unchanged,
        withdrawn: report.withdrawn,
        skipped: report.skipped,
        warnings: warnings.length - warningsBefore,
      });
    }
    try {
      db.exec("COMMIT");
      inTransaction = false;
    } catch (e) {
      throw toStoreError(path, e);
    }
    return { dbPath: path, sources: reports, warnings };
  } catch (e) {
    if (inTransaction && db.inTransaction) db.exec("ROLLBACK");
    throw toStoreError(path, e);
  } finally {
    db.close();
    for (const item of prepared) if (item.kind === "downloaded") await item.download.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

export interface SourceStatus {
  source: string;
  lastImport: string | null;
  lastChecked: string | null;
  lastError: string | null;
  etag: string | null;
  lastModified: string | null;
  records: number;
  added: number;
  updated: number;
  unchanged: number;
  withdrawn: number;
  skipped: number;
  warnings: number;
}

export interface StoreStatus {
  path: string;
  /** The database file plus its write-ahead log. */
  sizeBytes: number;
  schemaVersion: number;
  sources: SourceStatus[];
  counts: {
    /** Active (not withdrawn) vulnerability advisories. */
    vulnerability: number;
    /** Active (not withdrawn) malicious-package reports. */
    malicious: number;
    withdrawn: number;
    /** Distinct normalised names with at least one active advisory. */
    packages: number;
  };
  /** The latest time any source was imported or found current, or null. */
  lastUpdate: string | null;
  /** The popular-projects list (typosquat check), or null when none was imported. */
  popular: PopularListStatus | null;
}

export interface PopularListStatus {
  count: number;
  /** Where it was imported from (URL or absolute path). */
  source: string;
  /** The list's own date (`last_update` of the dump), when it gives one. */
  listDate: string | null;
  /** When it was imported. */
  imported: string;
}

/** The read side of the database, used by `audit` and `db status`. Methods throw AdvisoryStoreError on a bad file. */
export interface AdvisoryStore {
  readonly path: string;
  /**
   * Active (not withdrawn) advisories per name. The map has one entry per name exactly as passed (an empty array
   * when nothing is known); names are PEP 503-normalised for the lookup. Each advisory is complete: its
   * `affected` lists all of its PyPI entries (possibly for other names too), so matchers filter by name.
   * Advisories are ordered by id; the same object is shared between names. An advisory's `details` and its
   * entries' `versions` are read from the database when first asked for, so they must be read before `close()`
   * (after it, reading them throws an AdvisoryStoreError).
   */
  advisoriesFor(names: readonly string[]): Map<string, Advisory[]>;
  /** Advisories whose id or alias (CVE-..., GHSA-...) is `idOrAlias`, withdrawn ones included. */
  lookup(idOrAlias: string): Advisory[];
  /** The popular-projects list, most popular first (normalised names); empty when none was imported. */
  popularNames(): string[];
  status(): StoreStatus;
  /** `status().lastUpdate` without counting records (the audit's staleness check). */
  lastUpdate(): string | null;
  close(): void;
}

export interface OpenOptions {
  /** Open without write access (the default): the audit only reads. */
  readonly?: boolean;
  /** How long a read waits on a lock before failing with code "locked" (default 5 s). */
  busyTimeoutMs?: number;
}

interface AdvisoryRow {
  id: string;
  kind: AdvisoryKind;
  summary: string;
  /** Null when not selected (the query reads it only for records without a summary): read on demand. */
  details: string | null;
  published: string | null;
  modified: string;
  withdrawn: string | null;
  severity: string;
  database_severity: string | null;
  refs: string;
  aliases: string;
  /** Null in databases older than SEVERITY_SCHEMA. */
  rating: Severity | null;
  cvss_score: number | null;
  cvss_vector: string | null;
}

interface AffectedRow {
  advisory_id: string;
  position: number;
  name: string;
  ranges: string;
  /** The length of the stored `versions` JSON ("[]" is 2): the lists themselves are read on demand. */
  versions_bytes: number;
  /** JSON of `uncoveredListedVersions`; null in a database older than schema 2. */
  uncovered: string | null;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * The long texts of stored records (an advisory's `details`, an affected entry's `versions`), read when first
 * asked for: an audit of 1,000 packages would otherwise copy ~4 MB of them out of SQLite and never look at
 * them. So a record's `details` and `versions` are readable while its store is open.
 */
interface LongTexts {
  details(advisoryId: string): string;
  versions(advisoryId: string, position: number): string;
}

/**
 * An affected entry whose `versions` are parsed from the stored JSON only when first read: matching a PEP 440
 * version uses the ranges and the short `uncovered` list instead (attached for match.ts), so the long lists
 * (140,000 versions in the PyPA data) are mostly never parsed. A class, so that the accessors live once on its
 * prototype rather than as two closures on each of the thousands of entries an audit reads.
 */
class StoredAffectedPackage implements AffectedPackage {
  readonly name: string;
  ranges: OsvRange[];
  readonly #advisoryId: string;
  readonly #position: number;
  readonly #texts: LongTexts;
  #versions: string[] | undefined;
  /** Whether the store computed the uncovered versions (schema 2 on), which must follow a new list. */
  readonly #summarised: boolean;

  constructor(row: AffectedRow, texts: LongTexts) {
    this.name = row.name;
    this.ranges = JSON.parse(row.ranges) as OsvRange[];
    this.#advisoryId = row.advisory_id;
    this.#position = row.position;
    this.#texts = texts;
    this.#summarised = row.uncovered !== null;
    if (row.uncovered !== null) {
      // "[]" is what JSON.stringify wrote for an empty list (most entries' uncovered versions).
      const uncovered = row.uncovered === "[]" ? NONE : (JSON.parse(row.uncovered) as string[]);
      attachListedSummary(this, { empty: row.versions_bytes <= 2, uncovered });
    }
  }

  get versions(): string[] {
    this.#versions ??= JSON.parse(this.#texts.versions(this.#advisoryId, this.#position)) as string[];
    return this.#versions;
  }

  set versions(value: string[]) {
    this.#versions = value;
    // Keep matching true to the new list (nothing in pycustoms changes a stored record).
    if (this.#summarised) {
      const uncovered = uncoveredListedVersions({ name: this.name, ranges: this.ranges, versions: value });
      attachListedSummary(this, { empty: value.length === 0, uncovered });
    }
  }
}

/**
 * A stored advisory whose references and severity vectors are parsed when first read: only records that end up
 * in a finding need references, and the severity an audit shows was computed at import (the vectors are read
 * only from databases older than that, and by reports that list them).
 */
class StoredAdvisory implements Advisory {
  readonly id: string;
  aliases: string[];
  kind: Advisory["kind"];
  summary: string;
  #details: string | null;
  readonly #texts: LongTexts;
  published: string | null;
  modified: string;
  withdrawn: string | null;
  databaseSeverity: string | null;
  affected: AffectedPackage[];
  #refsText: string;
  #references: Advisory["references"] | undefined;
  #severityText: string;
  #severity: SeverityVector[] | undefined;

  constructor(row: AdvisoryRow, affected: AffectedPackage[], texts: LongTexts) {
    this.id = row.id;
    this.aliases = JSON.parse(row.aliases) as string[];
    this.kind = row.kind;
    this.summary = row.summary;
    this.#details = row.details;
    this.#texts = texts;
    this.published = row.published;
    this.modified = row.modified;
    this.withdrawn = row.withdrawn;
    this.databaseSeverity = row.database_severity;
    this.affected = affected;
    this.#refsText = row.refs;
    this.#severityText = row.severity;
  }

  get details(): string {
    this.#details ??= this.#texts.details(this.id);
    return this.#details;
  }

  set details(value: string) {
    this.#details = value;
  }

  get severity(): SeverityVector[] {
    this.#severity ??= JSON.parse(this.#severityText) as SeverityVector[];
    return this.#severity;
  }

  set severity(value: SeverityVector[]) {
    this.#severity = value;
  }

  get references(): Advisory["references"] {
    this.#references ??= JSON.parse(this.#refsText) as Advisory["references"];
    return this.#references;
  }

  set references(value: Advisory["references"]) {
    this.#references = value;
  }

  advisoryUrlNaming(text: string): string | null {
    // Text JSON would escape (quotes, backslashes, controls) is not searched for in the escaped form.
    if (this.#references !== undefined || text === "" || /["\\\u0000-\u001f]/.test(text)) {
      return advisoryUrlIn(this.references, text);
    }
    // Each place the stored JSON (`[{"type":…,"url":…},…]`, as JSON.stringify wrote it) names `text`: the
    // reference object around it, parsed alone. Records list dozens of references; a finding needs one URL.
    // A URL holding a brace cuts the object wrongly: it then fails to parse, and all of them are read.
    const raw = this.#refsText;
    for (let at = raw.indexOf(text); at !== -1; ) {
      const start = raw.lastIndexOf("{", at);
      const end = raw.indexOf("}", at);
      let ref: unknown;
      try {
        if (start === -1 || end === -1) throw new Error("not one object");
        ref = JSON.parse(raw.slice(start, end + 1));
      } catch {
        return advisoryUrlIn(this.references, text);
      }
      const { type, url } = (ref ?? {}) as { type?: unknown; url?: unknown };
      if ((type === "ADVISORY" || type === "WEB") && typeof url === "string" && url.includes(text))
        return url;
      at = raw.indexOf(text, end);
    }
    return null;
  }
}

function advisoryFromRows(row: AdvisoryRow, affected: AffectedPackage[], texts: LongTexts): Advisory {
  const advisory = new StoredAdvisory(row, affected, texts);
  if (row.rating !== null) {
    rememberSeverity(advisory, { severity: row.rating, score: row.cvss_score, vector: row.cvss_vector });
  }
  return advisory;
}

function advisoryColumns(db: Db): string {
  const severity =
    userVersion(db) >= SEVERITY_SCHEMA
      ? "a.rating, a.cvss_score, a.cvss_vector"
      : "NULL AS rating, NULL AS cvss_score, NULL AS cvss_vector";
  // `details` (kilobytes of Markdown) only where the headline needs it; the rest are read on demand.
  return `a.id, a.kind, a.summary, CASE WHEN a.summary = '' THEN a.details END AS details, a.published, a.modified, a.withdrawn, a.severity, a.database_severity, a.refs, a.aliases, ${severity}`;
}

/**
 * Opens the database for queries. Returns null when there is no database yet (no file, or a file no import ever
 * completed into), so the audit can say "no advisory database; run `pycustoms db update`". Throws
 * AdvisoryStoreError (one-line message) when the file is not SQLite, corrupt, locked, unreadable, or newer.
 */
export function openAdvisoryStore(dbPath: string, options: OpenOptions = {}): AdvisoryStore | null {
  const path = resolve(dbPath);
  if (!existsSync(path)) return null;
  let db: Db | undefined;
  try {
    db = new Database(path, {
      readonly: options.readonly ?? true,
      fileMustExist: true,
      timeout: options.busyTimeoutMs ?? 5_000,
    });
    const version = checkNotNewer(db, path);
    if (version === 0) {
      db.close();
      return null;
    }
    return makeStore(db, path);
  } catch (e) {
    db?.close();
    throw toStoreError(path, e);
  }
}

function popularStatus(db: Db): PopularListStatus | null {
  const hasTable = (name: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  if (!hasTable("popular_meta") || !hasTable("popular_packages")) return null;
  const meta = db.prepare("SELECT source, list_date, imported FROM popular_meta WHERE id = 1").get() as
    | { source: string; list_date: string | null; imported: string }
    | undefined;
  if (!meta) return null;
  const { n } = db.prepare("SELECT COUNT(*) AS n FROM popular_packages").get() as { n: number };
  return { count: n, source: meta.source, listDate: meta.list_date, imported: meta.imported };
}

function makeStore(db: Db, path: string): AdvisoryStore {
  const ADVISORY_COLUMNS = advisoryColumns(db);
  // Which records name the packages; withdrawn ones are dropped once loaded, not here: testing `withdrawn` in
  // SQL reads each advisory row past its long `details` (overflow pages), which cost more than the whole rest
  // of this query (10 ms against 4 for a 1,000-package audit).
  const matching = db.prepare(
    `SELECT DISTINCT f.name AS name, f.advisory_id AS id
       FROM json_each(?) AS q
       JOIN affected AS f ON f.name = q.value`,
  );
  const advisoriesById = db.prepare(
    `SELECT ${ADVISORY_COLUMNS} FROM json_each(?) AS q JOIN advisories AS a ON a.id = q.value`,
  );
  const affectedById = db.prepare(
    `SELECT f.advisory_id, f.position, f.name, f.ranges, octet_length(f.versions) AS versions_bytes, ${
      userVersion(db) >= UNCOVERED_SCHEMA ? "f.uncovered" : "NULL AS uncovered"
    }
       FROM json_each(?) AS q JOIN affected AS f ON f.advisory_id = q.value
      ORDER BY f.advisory_id, f.position`,
  );
  const detailsOf = db.prepare("SELECT details FROM advisories WHERE id = ?").pluck();
  const versionsOf = db
    .prepare("SELECT versions FROM affected WHERE advisory_id = ? AND position = ?")
    .pluck();
  // A row gone meanwhile (an update removed the record after it was loaded) reads as empty.
  const longText = (read: () => unknown, what: string, empty: string): string => {
    if (!db.open) {
      throw new AdvisoryStoreError(
        "other",
        path,
        `${path}: ${what} was read after the advisory database was closed`,
      );
    }
    const text = guarded(read);
    return typeof text === "string" ? text : empty;
  };
  const texts: LongTexts = {
    details: (id) => longText(() => detailsOf.get(id), `the details of ${id}`, ""),
    versions: (id, position) =>
      longText(() => versionsOf.get(id, position), `the affected versions of ${id}`, "[]"),
  };
  const byIdOrAlias = db.prepare(
    `SELECT ${ADVISORY_COLUMNS} FROM advisories AS a WHERE a.id = @q
     UNION SELECT ${ADVISORY_COLUMNS} FROM aliases AS x JOIN advisories AS a ON a.id = x.advisory_id WHERE x.alias = @q
     ORDER BY 1`,
  );

  /** Loads complete advisories (with all PyPI affected entries) for ids. */
  const load = (ids: string[]): Map<string, Advisory> => {
    const json = JSON.stringify(ids);
    const affected = new Map<string, AffectedPackage[]>();
    for (const row of affectedById.all(json) as AffectedRow[]) {
      let list = affected.get(row.advisory_id);
      if (list === undefined) {
        list = [];
        affected.set(row.advisory_id, list);
      }
      list.push(new StoredAffectedPackage(row, texts));
    }
    const result = new Map<string, Advisory>();
    for (const row of advisoriesById.all(json) as AdvisoryRow[]) {
      result.set(row.id, advisoryFromRows(row, affected.get(row.id) ?? [], texts));
    }
    return result;
  };

  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw toStoreError(path, e);
    }
  };

  return {
    path,
    advisoriesFor(names) {
      return guarded(() => {
        const result = new Map<string, Advisory[]>();
        const askedAs = new Map<string, string[]>();
        for (const name of names) {
          result.set(name, []);
          const key = normalizeName(name.trim());
          const list = askedAs.get(key) ?? [];
          list.push(name);
          askedAs.set(key, list);
        }
        if (askedAs.size === 0) return result;
        const matches = matching.all(JSON.stringify([...askedAs.keys()])) as { name: string; id: string }[];
        if (matches.length === 0) return result;
        const advisories = load([...new Set(matches.map((m) => m.id))]);
        for (const match of matches) {
          const advisory = advisories.get(match.id);
          if (!advisory || advisory.withdrawn !== null) continue;
          for (const asked of askedAs.get(match.name) ?? []) {
            const list = result.get(asked);
            if (list && !list.includes(advisory)) list.push(advisory);
          }
        }
        for (const list of result.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return result;
      });
    },
    lookup(idOrAlias) {
      return guarded(() => {
        const rows = byIdOrAlias.all({ q: idOrAlias.trim() }) as AdvisoryRow[];
        if (rows.length === 0) return [];
        const loaded = load(rows.map((r) => r.id));
        return rows.map((r) => loaded.get(r.id)).filter((a): a is Advisory => a !== undefined);
      });
    },
    popularNames() {
      return guarded(() => loadPopularNames(db));
    },
    status() {
      return guarded(() => {
        const counts = db
          .prepare(
            `SELECT
               COALESCE(SUM(kind = 'vulnerability' AND withdrawn IS NULL), 0) AS vulnerability,
               COALESCE(SUM(kind = 'malicious' AND withdrawn IS NULL), 0) AS malicious,
               COALESCE(SUM(withdrawn IS NOT NULL), 0) AS withdrawn
             FROM advisories`,
          )
          .get() as { vulnerability: number; malicious: number; withdrawn: number };
        const packages = db
          .prepare(
            `SELECT COUNT(DISTINCT f.name) AS n FROM affected AS f
               JOIN advisories AS a ON a.id = f.advisory_id WHERE a.withdrawn IS NULL`,
          )
          .get() as { n: number };
        const rows = db.prepare("SELECT * FROM sources ORDER BY source").all() as {
          source: string;
          last_import: string | null;
          last_checked: string | null;
          last_error: string | null;
          etag: string | null;
          last_modified: string | null;
          records: number;
          added: number;
          updated: number;
          unchanged: number;
          withdrawn: number;
          skipped: number;
          warnings: number;
        }[];
        const sources: SourceStatus[] = rows.map((r) => ({
          source: r.source,
          lastImport: r.last_import,
          lastChecked: r.last_checked,
          lastError: r.last_error,
          etag: r.etag,
          lastModified: r.last_modified,
          records: r.records,
          added: r.added,
          updated: r.updated,
          unchanged: r.unchanged,
          withdrawn: r.withdrawn,
          skipped: r.skipped,
          warnings: r.warnings,
        }));
        const checked = sources.map((s) => s.lastChecked).filter((t): t is string => t !== null);
        const fileSize = (p: string): number => {
          try {
            return statSync(p).size;
          } catch {
            return 0;
          }
        };
        return {
          path,
          sizeBytes: fileSize(path) + fileSize(`${path}-wal`),
          schemaVersion: userVersion(db),
          sources,
          counts: { ...counts, packages: packages.n },
          // ISO-8601 UTC stamps sort as text.
          lastUpdate: checked.sort().at(-1) ?? null,
          popular: popularStatus(db),
        };
      });
    },
    lastUpdate() {
      return guarded(() => {
        // ISO-8601 UTC stamps sort as text, as in status().
        const row = db.prepare("SELECT MAX(last_checked) AS last FROM sources").get() as {
          last: string | null;
        };
        return row.last;
      });
    },
    close() {
      db.close();
    },
  };
}
