// better-sqlite3, the embedded SQLite of the advisory store and the server's state, loaded with require(): it is
// a CommonJS package, and importing one from an ES module makes Node scan its sources for export names first
// (~4 ms of every audit's start-up).
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

export const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
/** An open database connection. */
export type SqliteDatabase = BetterSqlite3.Database;
