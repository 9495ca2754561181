// The internal registry's tables in the server's SQLite state database: projects, uploaded files and API tokens.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Database } from "better-sqlite3";
import type { ProjectStatusMarker } from "../upstream/types.js";

export const PROJECT_STATUSES: readonly ProjectStatusMarker[] = [
  "active",
  "archived",
  "deprecated",
  "quarantined",
];

/** The CREATE statements, in dependency order; every statement is idempotent (IF NOT EXISTS). */
export const registryTablesSql: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS registry_projects (
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deprecated', 'quarantined')),
  status_reason TEXT,
  status_changed_at TEXT,
  created_at TEXT NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS registry_tokens (
  id TEXT PRIMARY KEY,
  secret_sha256 TEXT NOT NULL,
  projects TEXT NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
)`,
  // A file name is unique across the registry, as on PyPI: one name always means one set of bytes.
  `CREATE TABLE IF NOT EXISTS registry_files (
  filename TEXT PRIMARY KEY,
  project TEXT NOT NULL REFERENCES registry_projects(name),
  version TEXT NOT NULL,
  packagetype TEXT NOT NULL CHECK (packagetype IN ('wheel', 'sdist')),
  sha256 TEXT NOT NULL,
  blake2b256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  metadata_sha256 TEXT NOT NULL,
  requires_python TEXT,
  uploaded_at TEXT NOT NULL,
  uploaded_by TEXT REFERENCES registry_tokens(id)
)`,
  "CREATE INDEX IF NOT EXISTS registry_files_project ON registry_files (project)",
  "CREATE INDEX IF NOT EXISTS registry_files_sha256 ON registry_files (sha256)",
  "CREATE INDEX IF NOT EXISTS registry_files_blake2b256 ON registry_files (blake2b256)",
];

/** Creates the registry tables if they are missing (safe to run on every open). */
export function createRegistryTables(db: Database): void {
  db.transaction(() => {
    for (const sql of registryTablesSql) db.exec(sql);
  })();
}

export interface InternalProject {
  /** PEP 503-normalised name. */
  name: string;
  /** The name as the first upload wrote it. */
  displayName: string;
  status: ProjectStatusMarker;
  statusReason: string | null;
  statusChangedAt: string | null;
  createdAt: string;
}

export interface StoredFile {
  filename: string;
  project: string;
  version: string;
  packagetype: "wheel" | "sdist";
  sha256: string;
  blake2b256: string;
  size: number;
  /** The core metadata text served as `<file>.metadata` (PEP 658). */
  metadata: string;
  metadataSha256: string;
  requiresPython: string | null;
  uploadedAt: string;
  /** The id of the token that uploaded it. */
  uploadedBy: string | null;
}

interface ProjectRow {
  name: string;
  display_name: string;
  status: ProjectStatusMarker;
  status_reason: string | null;
  status_changed_at: string | null;
  created_at: string;
}

interface FileRow {
  filename: string;
  project: string;
  version: string;
  packagetype: "wheel" | "sdist";
  sha256: string;
  blake2b256: string;
  size: number;
  metadata: string;
  metadata_sha256: string;
  requires_python: string | null;
  uploaded_at: string;
  uploaded_by: string | null;
}

const projectFromRow = (r: ProjectRow): InternalProject => ({
  name: r.name,
  displayName: r.display_name,
  status: r.status,
  statusReason: r.status_reason,
  statusChangedAt: r.status_changed_at,
  createdAt: r.created_at,
});

const fileFromRow = (r: FileRow): StoredFile => ({
  filename: r.filename,
  project: r.project,
  version: r.version,
  packagetype: r.packagetype,
  sha256: r.sha256,
  blake2b256: r.blake2b256,
  size: r.size,
  metadata: r.metadata,
  metadataSha256: r.metadata_sha256,
  requiresPython: r.requires_python,
  uploadedAt: r.uploaded_at,
  uploadedBy: r.uploaded_by,
});

/** The internal project with this normalised name, or null. */
export function getProject(db: Database, name: string): InternalProject | null {
  const row = db.prepare("SELECT * FROM registry_projects WHERE name = ?").get(name) as
    | ProjectRow
    | undefined;
  return row ? projectFromRow(row) : null;
}

export function listProjects(db: Database): InternalProject[] {
  return (db.prepare("SELECT * FROM registry_projects ORDER BY name").all() as ProjectRow[]).map(
    projectFromRow,
  );
}

/** Creates the project (status active) unless it exists; returns the stored row either way. */
export function ensureProject(db: Database, name: string, displayName: string, now: Date): InternalProject {
  db.prepare(
    "INSERT OR IGNORE INTO registry_projects (name, display_name, status, created_at) VALUES (?, ?, 'active', ?)",
  ).run(name, displayName, now.toISOString());
  return getProject(db, name)!;
}

/** Normalised names of every internal project, for dependency-confusion checks. */
export function internalProjectNames(db: Database): Set<string> {
  return new Set(
    (db.prepare("SELECT name FROM registry_projects").all() as { name: string }[]).map((r) => r.name),
  );
}

/**
 * A live view of the internal names (one indexed lookup per question) for `isInternalName`, so a server does not
 * rebuild a set on every request nor miss a project created a moment ago.
 */
export function internalProjectLookup(db: Database): { has(name: string): boolean } {
  const query = db.prepare("SELECT 1 FROM registry_projects WHERE name = ?").pluck();
  return { has: (name) => query.get(name) !== undefined };
}

export function getFile(db: Database, filename: string): StoredFile | null {
  const row = db.prepare("SELECT * FROM registry_files WHERE filename = ?").get(filename) as
    | FileRow
    | undefined;
  return row ? fileFromRow(row) : null;
}

/** A stored file with the same content (by either digest), whatever its name. */
export function findFileByDigest(db: Database, sha256: string, blake2b256: string): StoredFile | null {
  const row = db
    .prepare("SELECT * FROM registry_files WHERE sha256 = ? OR blake2b256 = ? LIMIT 1")
    .get(sha256, blake2b256) as FileRow | undefined;
  return row ? fileFromRow(row) : null;
}

export function listFiles(db: Database, project: string): StoredFile[] {
  return (
    db
      .prepare("SELECT * FROM registry_files WHERE project = ? ORDER BY uploaded_at, filename")
      .all(project) as FileRow[]
  ).map(fileFromRow);
}

/** Inserts a file record; throws on a duplicate file name (the caller decides what a duplicate means). */
export function insertFile(db: Database, file: StoredFile): void {
  db.prepare(
    `INSERT INTO registry_files (filename, project, version, packagetype, sha256, blake2b256, size, metadata,
       metadata_sha256, requires_python, uploaded_at, uploaded_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    file.filename,
    file.project,
    file.version,
    file.packagetype,
    file.sha256,
    file.blake2b256,
    file.size,
    file.metadata,
    file.metadataSha256,
    file.requiresPython,
    file.uploadedAt,
    file.uploadedBy,
  );
}

/**
 * `--data-dir` if given, else `$XDG_DATA_HOME/pycustoms` (an absolute XDG_DATA_HOME only, per the XDG spec), else
 * `~/.local/share/pycustoms`: the same default as `pycustoms serve`.
 */
export function resolveDataDir(
  option: string | undefined,
  env: Record<string, string | undefined> = process.env,
  home: string = homedir(),
): string {
  if (option && option.trim() !== "") return resolve(option);
  const xdg = env.XDG_DATA_HOME;
  const base =
    xdg && isAbsolute(xdg)
      ? xdg
      : join(env.HOME && isAbsolute(env.HOME) ? env.HOME : home, ".local", "share");
  return join(base, "pycustoms");
}
