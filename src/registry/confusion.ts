// Dependency-confusion protection: which names belong to the internal registry alone and must never reach upstream.
import { normalizeName } from "../standards/names.js";

export interface InternalNames {
  /** Normalised names of the internal projects (a Set, or a live lookup such as `internalProjectLookup(db)`). */
  internalProjects: Pick<ReadonlySet<string>, "has">;
  /**
   * Configured prefixes (e.g. `acme-`), compared on normalised names, so `acme-`, `acme_` and `Acme.` are the same
   * prefix and `Acme_Utils` matches. A prefix is a plain string: `acme` also claims `acmetools`.
   */
  internalPrefixes: readonly string[];
}

/**
 * Is this name internal? An internal name is served ONLY from the internal store: never merged with the public
 * index, never fallen back to it when the internal project is missing or has no matching version, so a public
 * project with the same name (and a higher version) cannot be installed in its place.
 */
export function isInternalName(name: string, internal: InternalNames): boolean {
  const normalized = normalizeName(name);
  if (internal.internalProjects.has(normalized)) return true;
  return internal.internalPrefixes.some((prefix) => {
    const p = normalizeName(prefix.trim());
    return p !== "" && normalized.startsWith(p);
  });
}
