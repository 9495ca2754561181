// The server's small state: the last good upstream page per project (for outages) and the event log.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Database, type SqliteDatabase, useWal } from "../../sqlite.js";
import type { ProjectInfo } from "../../upstream/types.js";

export interface StoredPage {
  /** Normalised project name. */
  project: string;
  /** The upstream index the page came from (credentials removed). */
  upstream: string;
  /** When the page was last fetched or confirmed unchanged (ms since the epoch). */
  fetchedAt: number;
  info: ProjectInfo;
}

export type ServerEventKind =
  /** Upstream bytes did not hash to the published digest (or had the wrong size): refused, not cached. */
  | "digest-mismatch"
  /** A download broke off or upstream refused the file. */
  | "download-failed"
  /** A page was served from the cache because upstream could not be reached. */
  | "stale-page";

export interface ServerEvent {
  kind: ServerEventKind;
  project: string | null;
  filename: string | null;
  /** One line, no credentials. */
  detail: string;
}

export interface StoredEvent extends ServerEvent {
  id: number;
  /** ISO 8601 UTC. */
  at: string;
}

/** Async so that a networked database can implement it without changing callers. */
export interface StateStore {
  getPage(project: string): Promise<StoredPage | null>;
  putPage(page: StoredPage): Promise<void>;
  /** Projects with a stored page, sorted. */
  listProjects(): Promise<string[]>;
  recordEvent(event: ServerEvent): Promise<void>;
  /** Most recent first. */
  listEvents(filter?: { kind?: ServerEventKind; limit?: number }): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pages (
  project TEXT PRIMARY KEY,
  upstream TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  project TEXT,
  filename TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, id);
`;

interface PageRow {
  project: string;
  upstream: string;
  fetched_at: number;
  info: string;
}

interface EventRow {
  id: number;
  at: string;
  kind: string;
  project: string | null;
  filename: string | null;
  detail: string;
}

/** How long a statement waits for another connection's lock before it fails with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** SQLite (WAL) at one file path, e.g. `<data-dir>/state.sqlite`; `:memory:` for tests. */
export class SqliteStateStore implements StateStore {
  /** The open database, for other stores (gate, registry) that keep their tables in the same file. */
  readonly db: SqliteDatabase;
  private readonly now: () => number;

  constructor(path: string, options: { now?: () => number } = {}) {
    // The data directory holds tokens (hashed), the audit log and internal packages: only its owner may look in.
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    // Server processes (--workers) open one file together.
    useWal(this.db, BUSY_TIMEOUT_MS);
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    this.now = options.now ?? Date.now;
  }

  async getPage(project: string): Promise<StoredPage | null> {
    const row = this.db
      .prepare<[string], PageRow>("SELECT project, upstream, fetched_at, info FROM pages WHERE project = ?")
      .get(project);
    if (!row) return null;
    try {
      return {
        project: row.project,
        upstream: row.upstream,
        fetchedAt: row.fetched_at,
        info: JSON.parse(row.info) as ProjectInfo,
      };
    } catch {
      return null; // a row we cannot read is as good as none: the page is fetched again
    }
  }

  async putPage(page: StoredPage): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO pages (project, upstream, fetched_at, info) VALUES (?, ?, ?, ?)
         ON CONFLICT (project) DO UPDATE SET upstream = excluded.upstream, fetched_at = excluded.fetched_at,
         info = excluded.info`,
      )
      .run(page.project, page.upstream, page.fetchedAt, JSON.stringify(page.info));
  }

  async listProjects(): Promise<string[]> {
    return this.db
      .prepare<[], { project: string }>("SELECT project FROM pages ORDER BY project")
      .all()
      .map((r) => r.project);
  }

  async recordEvent(event: ServerEvent): Promise<void> {
    this.db
      .prepare("INSERT INTO events (at, kind, project, filename, detail) VALUES (?, ?, ?, ?, ?)")
      .run(new Date(this.now()).toISOString(), event.kind, event.project, event.filename, event.detail);
  }

  async listEvents(filter: { kind?: ServerEventKind; limit?: number } = {}): Promise<StoredEvent[]> {
    const limit = filter.limit ?? 100;
    const rows = filter.kind
      ? this.db
          .prepare<[string, number], EventRow>("SELECT * FROM events WHERE kind = ? ORDER BY id DESC LIMIT ?")
          .all(filter.kind, limit)
      : this.db.prepare<[number], EventRow>("SELECT * FROM events ORDER BY id DESC LIMIT ?").all(limit);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      kind: r.kind as ServerEventKind,
      project: r.project,
      filename: r.filename,
      detail: r.detail,
    }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
