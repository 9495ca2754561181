// Opens the server's state database (`<data-dir>/state.sqlite`) for the registry commands, with the registry tables.
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { SqliteStateStore } from "../server/storage/state-store.js";
import { createRegistryTables } from "./store.js";

/** The state database file inside a data directory (the file `pycustoms serve` keeps its state in). */
export function stateDatabasePath(dataDir: string): string {
  return join(dataDir, "state.sqlite");
}

export interface RegistryDatabase {
  db: Database;
  close(): Promise<void>;
}

/**
 * Opens (creating when missing) the server's state store and the registry tables in it; the store's WAL mode and
 * busy timeout let the CLI write while a running server uses the same file.
 */
export function openRegistryDatabase(dataDir: string): RegistryDatabase {
  const store = new SqliteStateStore(stateDatabasePath(dataDir));
  createRegistryTables(store.db);
  return { db: store.db, close: () => store.close() };
}
