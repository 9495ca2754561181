// better-sqlite3, the embedded SQLite of the advisory store and the server's state, loaded with require(): it is
// a CommonJS package, and importing one from an ES module makes Node scan its sources for export names first
// (~4 ms of every audit's start-up).
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

export const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
/** An open database connection. */
export type SqliteDatabase = BetterSqlite3.Database;

/**
 * Puts the database in WAL mode, waiting up to `timeoutMs` for other connections. SQLite converts the journal only
 * with exclusive access and, where waiting could deadlock, fails at once instead of calling the busy handler: two
 * processes opening one fresh file together (two `db update` runs) had one fail with "database is locked" whatever
 * its busy timeout. The switch is retried here until the deadline; WAL is a property of the file, so once any
 * connection has switched it the others find it on and need no exclusive access at all.
 */
export function useWal(db: SqliteDatabase, timeoutMs: number): void {
  // An in-memory database (tests) has no journal file and keeps its "memory" mode.
  if (db.memory) return;
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 2; ; pauseMs = Math.min(pauseMs * 2, 50)) {
    try {
      // Reading the mode takes only a shared lock, which does wait through the busy handler.
      if (db.pragma("journal_mode", { simple: true }) === "wal") return;
      if (db.pragma("journal_mode = WAL", { simple: true }) === "wal") return;
    } catch (e) {
      if (!isBusy(e) || Date.now() >= deadline) throw e;
    }
    if (Date.now() >= deadline) {
      throw new Database.SqliteError("could not switch the database to WAL: it is busy", "SQLITE_BUSY");
    }
    // better-sqlite3 is synchronous: the caller is waiting on this thread anyway.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
  }
}

/** A SQLite error that means another connection holds the lock (SQLITE_BUSY, SQLITE_LOCKED and their variants). */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}
