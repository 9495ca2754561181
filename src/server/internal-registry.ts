// The internal registry behind the proxy's routes: which names are internal, and their pages from the registry tables.
import type { Database } from "better-sqlite3";
import { isInternalName } from "../registry/confusion.js";
import { internalProject } from "../registry/internal-project.js";
import { createRegistryTables, internalProjectLookup, listProjects } from "../registry/store.js";
import { normalizeName } from "../standards/names.js";
import type { InternalRegistry } from "./services.js";

export interface InternalNamesConfig {
  /** Names that are internal even before their first upload (`internal-names` in pycustoms.toml). */
  names?: readonly string[];
  /** Name prefixes that are internal (`internal-prefixes`): `acme-` claims `acme-utils`, `Acme_Tools`, ... */
  prefixes?: readonly string[];
}

/**
 * The registry's view over the state database. Lookups go to the database each time (one indexed query), so a
 * project created by an upload a moment ago is internal at once, also when another process uploaded it.
 */
export function createInternalRegistry(db: Database, config: InternalNamesConfig = {}): InternalRegistry {
  createRegistryTables(db);
  const configured = new Set((config.names ?? []).map((n) => normalizeName(n)));
  const stored = internalProjectLookup(db);
  const internal = {
    internalProjects: { has: (name: string) => configured.has(name) || stored.has(name) },
    internalPrefixes: config.prefixes ?? [],
  };
  return {
    isInternal: (name) => isInternalName(name, internal),
    page: (name, baseUrl) => internalProject(db, name, { baseUrl }),
    names: () => listProjects(db).map((p) => p.name),
  };
}
