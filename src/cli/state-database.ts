// The server's state database as the administration commands open it: `<data-dir>/state.sqlite`.
import { existsSync } from "node:fs";
import type { Database } from "better-sqlite3";
import { UsageError } from "./terminal.js";

export const DATA_DIR_HELP =
  "the server's data directory (default: $XDG_DATA_HOME/pycustoms, as `pycustoms serve`)";

export interface DataDirOptions {
  dataDir?: string;
}

/**
 * Opens the state database of the data directory (creating it when missing, as `serve` does), runs `work`, closes
 * it; the heavy modules load only here. A command that only reads (`existing`) refuses a data directory that does
 * not exist: a mistyped --data-dir was created, with an empty database, and answered "no pending access requests".
 */
export async function withStateDatabase<T>(
  opts: DataDirOptions,
  work: (db: Database, dataDir: string) => T | Promise<T>,
  options: { existing?: boolean } = {},
): Promise<T> {
  const { resolveDataDir } = await import("../registry/store.js");
  const { openRegistryDatabase } = await import("../registry/state-file.js");
  const dataDir = resolveDataDir(opts.dataDir);
  if (options.existing && !existsSync(dataDir)) {
    throw new UsageError(
      `no data directory ${dataDir}: check --data-dir (\`pycustoms serve\` creates it on its first start)`,
    );
  }
  let opened: ReturnType<typeof openRegistryDatabase>;
  try {
    opened = openRegistryDatabase(dataDir);
  } catch (e) {
    throw new UsageError(`cannot open the state database in ${dataDir}: ${(e as Error).message}`);
  }
  try {
    return await work(opened.db, dataDir);
  } finally {
    await opened.close();
  }
}
