// Builds Dependency records with the defaults every format shares.
import { normalizeName } from "../standards/names.js";
import { exactVersion } from "../standards/specifiers.js";
import { redactCredentials } from "../standards/urls.js";
import type { Dependency, FormatId } from "./types.js";

export interface DependencyInit {
  rawName: string;
  format: FormatId;
  file: string;
  line: number | null;
  specifier?: string;
  /** For lock and environment entries: the locked version (also makes `pinned` true). */
  lockedVersion?: string | null;
  hashes?: string[];
  extras?: string[];
  markers?: string | null;
  groups?: string[];
  direct?: boolean | null;
  source?: Dependency["source"];
  editable?: boolean;
  constraint?: boolean;
}

/** The one constructor for dependency records: derives name, version and pinned consistently. */
export function makeDependency(init: DependencyInit): Dependency {
  const specifier = init.specifier ?? "";
  const locked = init.lockedVersion ?? null;
  const exact = locked === null ? exactVersion(specifier) : null;
  const dep: Dependency = {
    name: normalizeName(init.rawName),
    rawName: init.rawName,
    version: locked ?? exact,
    specifier,
    pinned: locked !== null || exact !== null,
    hashes: init.hashes ?? [],
    extras: init.extras ?? [],
    markers: init.markers ?? null,
    groups: init.groups ?? ["main"],
    direct: init.direct === undefined ? null : init.direct,
    source: withoutCredentials(init.source ?? null),
    format: init.format,
    file: init.file,
    line: init.line,
  };
  if (init.editable) dep.editable = true;
  if (init.constraint) dep.constraint = true;
  return dep;
}

/** Manifests may carry tokens in URLs (`--index-url https://user:token@…`): the inventory never keeps them. */
function withoutCredentials(source: Dependency["source"]): Dependency["source"] {
  // A URL without "@" has no user-info: the common case (lock files repeat one index URL thousands of times).
  if (source === null || source.kind === "path" || !source.url.includes("@")) return source;
  const url = redactCredentials(source.url);
  return url === source.url ? source : { ...source, url };
}
