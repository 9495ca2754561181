// The internal registry behind the proxy's routes: which names are internal, and their pages from the registry tables.
import type { Database, Statement } from "better-sqlite3";
import { isInternalName } from "../registry/confusion.js";
import { internalProject } from "../registry/internal-project.js";
import { createRegistryTables, internalProjectNames, listProjects } from "../registry/store.js";
import { normalizeName } from "../standards/names.js";
import type { ProjectInfo } from "../upstream/types.js";
import type { InternalRegistry } from "./services.js";

export interface InternalNamesConfig {
  /** Names that are internal even before their first upload (`internal-names` in pycustoms.toml). */
  names?: readonly string[];
  /** Name prefixes that are internal (`internal-prefixes`): `acme-` claims `acme-utils`, `Acme_Tools`, ... */
  prefixes?: readonly string[];
}

export interface InternalRegistryOptions {
  /**
   * How often `isInternal` asks SQLite whether another connection (another worker, the admin CLI) committed:
   * the longest a project created elsewhere can go unseen. Default 250 ms; at most 1 s is sensible.
   */
  recheckAfterMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Internal pages kept rendered-ready in memory (the most recently asked). */
const MEMORY_PAGES = 200;

/**
 * Watches the state database for commits, cheaply: `total_changes()` counts this connection's own writes (an
 * upload through this server is seen at once), `PRAGMA data_version` moves when another connection or process
 * committed. The pragma takes a read lock (about as dear as the indexed lookup it replaces), so the routes ask it
 * at most every `recheckAfterMs`; internal pages, which are rarer and cost several queries anyway, ask it every time.
 */
class CommitWatch {
  private readonly totalChanges: Statement<[], number>;
  private readonly dataVersion: Statement<[], number>;
  private seenChanges: number;
  private seenVersion: number;
  private checkedAt: number;
  /** Moves whenever a commit was seen (by either signal): what cached answers are keyed on. */
  generation = 0;

  constructor(
    db: Database,
    private readonly recheckAfterMs: number,
    private readonly now: () => number,
  ) {
    this.totalChanges = db.prepare<[], number>("SELECT total_changes()").pluck();
    this.dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
    this.seenChanges = this.totalChanges.get() ?? 0;
    this.seenVersion = this.dataVersion.get() ?? 0;
    this.checkedAt = now();
  }

  /** The current generation; `strict` asks the other connections' signal now, whatever the interval. */
  current(strict: boolean): number {
    const changes = this.totalChanges.get() ?? 0;
    if (changes !== this.seenChanges) {
      this.seenChanges = changes;
      this.generation++;
    }
    const now = this.now();
    if (strict || now - this.checkedAt >= this.recheckAfterMs) {
      this.checkedAt = now;
      const version = this.dataVersion.get() ?? 0;
      if (version !== this.seenVersion) {
        this.seenVersion = version;
        this.generation++;
      }
    }
    return this.generation;
  }
}

/**
 * The registry's view over the state database. The internal names are held in memory and read again when a commit
 * is seen: at once for this server's own writes (an upload, the admin API), within `recheckAfterMs` for another
 * process's (another `--workers` process, `pycustoms registry` on the same data directory). Projects are never
 * deleted, so a name once internal stays internal.
 */
export function createInternalRegistry(
  db: Database,
  config: InternalNamesConfig = {},
  options: InternalRegistryOptions = {},
): InternalRegistry {
  createRegistryTables(db);
  const configured = new Set((config.names ?? []).map((n) => normalizeName(n)));
  const prefixes = (config.prefixes ?? []).map((p) => normalizeName(p.trim())).filter((p) => p !== "");
  const watch = new CommitWatch(db, options.recheckAfterMs ?? 250, options.now ?? Date.now);
  // Projects are only added: their number and the highest rowid change together with the set of names.
  const shapeQuery = db
    .prepare<[], string>("SELECT count(*) || ':' || coalesce(max(rowid), 0) FROM registry_projects")
    .pluck();
  let shape = shapeQuery.get() ?? "";
  let stored = internalProjectNames(db);
  let namesGeneration = watch.generation;
  const internal = {
    internalProjects: { has: (name: string) => configured.has(name) || stored.has(name) },
    internalPrefixes: prefixes,
  };

  function refreshNames(strict: boolean): void {
    const generation = watch.current(strict);
    if (generation === namesGeneration) return;
    namesGeneration = generation;
    // Most commits are not new projects (audit rows, cached pages): the names are read again only when they are.
    const now = shapeQuery.get() ?? "";
    if (now === shape) return;
    shape = now;
    stored = internalProjectNames(db);
  }

  // Pages by name and base URL, for the generation they were read in: the same object while nothing was committed,
  // so the routes' rendered-bytes cache (keyed by object) holds.
  const pages = new Map<string, { generation: number; info: ProjectInfo | null }>();

  return {
    isInternal(name) {
      refreshNames(false);
      return isInternalName(name, internal);
    },
    page(name, baseUrl) {
      refreshNames(true);
      const key = `${baseUrl}\n${name}`;
      const cached = pages.get(key);
      if (cached !== undefined && cached.generation === watch.generation) return cached.info;
      const info = internalProject(db, name, { baseUrl });
      pages.delete(key);
      pages.set(key, { generation: watch.generation, info });
      if (pages.size > MEMORY_PAGES) pages.delete(pages.keys().next().value as string);
      return info;
    },
    names: () => listProjects(db).map((p) => p.name),
  };
}
