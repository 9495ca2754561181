// What the proxy holds: verified files (count, bytes), cached project pages, recorded events and audit actions.
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "better-sqlite3";

export interface CacheStats {
  schema: "pycustoms.cache-stats/1";
  /** Verified files under `blobs/sha256/`; null when the blob store is not a local folder. */
  blobs: { count: number; bytes: number } | null;
  /** Downloads in progress (or left by a crash, removed at the next start) under `blobs/tmp/`. */
  partialDownloads: number | null;
  pages: { count: number; oldestFetchedAt: string | null; newestFetchedAt: string | null };
  /** Server events (digest mismatches, failed downloads, stale pages) by kind. */
  events: Record<string, number>;
  /** Audit-log rows by action (served, hidden, blocked, approved, ...). */
  audit: Record<string, number>;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    throw e;
  }
}

/** Counts the files under a folder tree and their bytes (a blob that vanishes while counted is skipped). */
export async function folderStats(dir: string): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  const pending = [dir];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const entry of await entries(next)) {
      const path = join(next, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) {
        try {
          bytes += (await stat(path)).size;
          count++;
        } catch {
          // removed between readdir and stat
        }
      }
    }
  }
  return { count, bytes };
}

function hasTable(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function countsBy(db: Database, table: string, column: string): Record<string, number> {
  if (!hasTable(db, table)) return {};
  const rows = db
    .prepare(`SELECT ${column} AS key, count(*) AS n FROM ${table} GROUP BY ${column} ORDER BY ${column}`)
    .all() as { key: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.n]));
}

/**
 * The statistics of a data directory's state database and blob folder (`null`: the files are not on local
 * disk). Walks the blob folder, so it costs a directory listing per 256 prefixes: an admin request, not a hot path.
 */
export async function cacheStats(db: Database, blobsDir: string | null): Promise<CacheStats> {
  const pageRow = hasTable(db, "pages")
    ? (db
        .prepare("SELECT count(*) AS n, min(fetched_at) AS oldest, max(fetched_at) AS newest FROM pages")
        .get() as {
        n: number;
        oldest: number | null;
        newest: number | null;
      })
    : { n: 0, oldest: null, newest: null };
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    schema: "pycustoms.cache-stats/1",
    blobs: blobsDir === null ? null : await folderStats(join(blobsDir, "sha256")),
    partialDownloads: blobsDir === null ? null : (await folderStats(join(blobsDir, "tmp"))).count,
    pages: { count: pageRow.n, oldestFetchedAt: iso(pageRow.oldest), newestFetchedAt: iso(pageRow.newest) },
    events: countsBy(db, "events", "kind"),
    audit: countsBy(db, "audit_log", "action"),
  };
}
