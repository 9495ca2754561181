// Reads pdm.lock into locked Dependency records, one per [[package]].
import { normalizeName } from "../standards/names.js";
import { makeDependency } from "./dependency.js";
import { fileHashes, inFileOrder, isTomlTable, lockTables } from "./toml-lines.js";
import type { Dependency, ParseResult, Source } from "./types.js";

/**
 * PDM writes one [[package]] per (name, extras) pair, so `httpx` and `httpx[socks]` are two records
 * with the same version; both are kept, the second with `extras`. PDM's "default" group is reported as
 * "main". Hashes come from `files = [{file|url, hash}]`, or from the `[metadata.files]` table keyed
 * `"name version"` that lock versions before 4.x used. `direct` is null: the lock does not say.
 */
export function parsePdmLock(text: string, file: string): ParseResult {
  const walked = lockTables(text, file, "package");
  if (!walked.ok) return walked.result;
  const { data, tables, errors } = walked;
  const dependencies: Dependency[] = [];
  const legacyFiles = legacyHashes(data.metadata);

  for (const entry of tables) {
    const { line, table: pkg, rawName } = entry;
    const source = sourceOf(pkg);
    const version = pkg.version;
    if (version !== undefined && (typeof version !== "string" || version.trim() === "")) {
      entry.at(`package "${rawName}": "version" must be a non-empty string`);
      continue;
    }
    // A VCS, path or URL package may be locked by reference alone; anything else must name its version.
    if (version === undefined && source === null) {
      entry.at(`package "${rawName}" has no "version"`);
      continue;
    }
    const lockedVersion = typeof version === "string" ? version.trim() : null;
    const hashes = Array.isArray(pkg.files)
      ? fileHashes(pkg.files)
      : (legacyFiles.get(`${normalizeName(rawName)} ${lockedVersion ?? ""}`) ?? []);

    dependencies.push(
      makeDependency({
        rawName,
        format: "pdm-lock",
        file,
        line,
        lockedVersion,
        hashes,
        extras: stringList(pkg.extras),
        markers: typeof pkg.marker === "string" && pkg.marker !== "" ? pkg.marker : null,
        groups: groupsOf(pkg.groups),
        direct: null,
        source,
        editable: pkg.editable === true,
      }),
    );
  }
  return { dependencies, errors: inFileOrder(errors) };
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "") : [];
}

function groupsOf(v: unknown): string[] {
  const groups = stringList(v).map((g) => (g === "default" ? "main" : g));
  return groups.length > 0 ? [...new Set(groups)] : ["main"];
}

/** Lock versions before 4.x: `[metadata.files]` with keys `"name version"` (name possibly with `[extras]`). */
function legacyHashes(metadata: unknown): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  if (!isTomlTable(metadata) || !isTomlTable(metadata.files)) return byKey;
  for (const [key, files] of Object.entries(metadata.files)) {
    const m = /^\s*([^\s[]+)(?:\[[^\]]*\])?\s+(\S+)\s*$/.exec(key);
    if (!m || !Array.isArray(files)) continue;
    const k = `${normalizeName(m[1]!)} ${m[2]!}`;
    byKey.set(k, [...new Set([...(byKey.get(k) ?? []), ...fileHashes(files)])]);
  }
  return byKey;
}

/** PDM records where a non-index package came from: `git`/`hg`/`svn`/`bzr` (+ `revision`/`ref`), `path`, `url`. */
function sourceOf(pkg: Record<string, unknown>): Source | null {
  for (const vcs of ["git", "hg", "svn", "bzr"] as const) {
    const url = pkg[vcs];
    if (typeof url === "string" && url !== "") {
      const revision = typeof pkg.revision === "string" && pkg.revision !== "" ? pkg.revision : null;
      const ref = typeof pkg.ref === "string" && pkg.ref !== "" ? pkg.ref : null;
      return { kind: "vcs", vcs, url, ref: revision ?? ref };
    }
  }
  if (typeof pkg.path === "string" && pkg.path !== "") return { kind: "path", path: pkg.path };
  if (typeof pkg.url === "string" && pkg.url !== "") return { kind: "url", url: pkg.url };
  return null;
}
