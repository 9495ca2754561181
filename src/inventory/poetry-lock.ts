// Reads poetry.lock (Poetry 1.x and 2.x) into locked Dependency records, one per [[package]].
import { normalizeName } from "../standards/names.js";
import { makeDependency } from "./dependency.js";
import { fileHashes, inFileOrder, isTomlTable, lockTables } from "./toml-lines.js";
import type { Dependency, ParseResult, Source } from "./types.js";

/**
 * Poetry 2.x writes `groups = [...]` and `files = [{file, hash}]` per package; 1.x wrote
 * `category = "main" | "dev"` and kept hashes in a `[metadata.files]` table keyed by name.
 * `direct` is null: the lock does not say which packages pyproject.toml asks for.
 * A package with `optional = true` listed under a top-level `[extras]` entry gets `optional:<extra>`
 * groups in place of "main", because Poetry installs it only when that extra is requested.
 */
export function parsePoetryLock(text: string, file: string): ParseResult {
  const walked = lockTables(text, file, "package");
  if (!walked.ok) return walked.result;
  const { data, tables, errors } = walked;
  const dependencies: Dependency[] = [];

  const legacyFiles = legacyHashesByName(data.metadata);
  const extrasByPackage = extrasByPackageName(data.extras);

  for (const entry of tables) {
    const { line, table: pkg, rawName } = entry;
    const version = pkg.version;
    if (typeof version !== "string" || version.trim() === "") {
      entry.at(
        version === undefined
          ? `package "${rawName}" has no "version"`
          : `package "${rawName}": "version" must be a non-empty string`,
      );
      continue;
    }
    const name = normalizeName(rawName);

    const hashes = Array.isArray(pkg.files) ? fileHashes(pkg.files) : (legacyFiles.get(name) ?? []);

    let groups = groupsOf(pkg);
    const extras = extrasByPackage.get(name);
    if (pkg.optional === true && extras) {
      groups = [...groups.filter((g) => g !== "main"), ...extras.map((x) => `optional:${x}`)];
    }

    const sourceResult = sourceOf(pkg.source);
    if (sourceResult.problem) entry.at(`package "${rawName}": ${sourceResult.problem}`);

    dependencies.push(
      makeDependency({
        rawName,
        format: "poetry-lock",
        file,
        line,
        lockedVersion: version.trim(),
        hashes,
        markers: markersOf(pkg.markers),
        groups,
        direct: null,
        source: sourceResult.source,
        editable: pkg.develop === true,
      }),
    );
  }
  return { dependencies, errors: inFileOrder(errors) };
}

/** Poetry 1.x: `[metadata.files]` maps each package name to its `[{file, hash}]` list. */
function legacyHashesByName(metadata: unknown): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  if (!isTomlTable(metadata) || !isTomlTable(metadata.files)) return byName;
  for (const [rawName, files] of Object.entries(metadata.files)) {
    if (!Array.isArray(files)) continue;
    const name = normalizeName(rawName);
    byName.set(name, [...new Set([...(byName.get(name) ?? []), ...fileHashes(files)])]);
  }
  return byName;
}

/** Top-level `[extras]`: extra name -> requirement strings such as `"pytest (>=6)"` or `"keyrings.cryptfile"`. */
function extrasByPackageName(extras: unknown): Map<string, string[]> {
  const byPackage = new Map<string, string[]>();
  if (!isTomlTable(extras)) return byPackage;
  for (const [extra, reqs] of Object.entries(extras)) {
    if (!Array.isArray(reqs)) continue;
    for (const req of reqs) {
      if (typeof req !== "string") continue;
      const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(req);
      if (!m) continue;
      const name = normalizeName(m[1]!);
      const list = byPackage.get(name) ?? [];
      if (!list.includes(extra)) list.push(extra);
      byPackage.set(name, list);
    }
  }
  return byPackage;
}

function groupsOf(pkg: Record<string, unknown>): string[] {
  if (Array.isArray(pkg.groups)) {
    const groups = pkg.groups.filter((g): g is string => typeof g === "string" && g !== "");
    if (groups.length > 0) return groups;
  }
  if (typeof pkg.category === "string" && pkg.category !== "") return [pkg.category];
  return ["main"];
}

/**
 * Poetry 2.x writes `markers` as a string, or as a table of per-group markers when they differ;
 * the table becomes the disjunction of its distinct markers (the package may be installed when any holds).
 */
function markersOf(markers: unknown): string | null {
  if (typeof markers === "string") return markers === "" ? null : markers;
  if (!isTomlTable(markers)) return null;
  const distinct = [...new Set(Object.values(markers).filter((m): m is string => typeof m === "string"))];
  if (distinct.length === 0) return null;
  if (distinct.length === 1) return distinct[0]!;
  return distinct.map((m) => `(${m})`).join(" or ");
}

function sourceOf(source: unknown): { source: Source | null; problem?: string } {
  if (source === undefined) return { source: null };
  if (!isTomlTable(source)) return { source: null, problem: "[package.source] must be a table" };
  const url = typeof source.url === "string" ? source.url : null;
  const type = source.type;
  if (url === null) return { source: null, problem: '[package.source] has no "url" string' };
  switch (type) {
    case "git": {
      const resolved = source.resolved_reference;
      const reference = source.reference;
      const ref =
        typeof resolved === "string" && resolved !== ""
          ? resolved
          : typeof reference === "string" && reference !== ""
            ? reference
            : null;
      return { source: { kind: "vcs", vcs: "git", url, ref } };
    }
    case "legacy":
      return { source: { kind: "index", url } };
    case "url":
      return { source: { kind: "url", url } };
    case "file":
    case "directory":
      return { source: { kind: "path", path: url } };
    default:
      return {
        source: { kind: "url", url },
        problem: `unknown [package.source] type ${JSON.stringify(type)}, kept as a URL`,
      };
  }
}
