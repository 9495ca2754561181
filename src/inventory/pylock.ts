// Reads PEP 751 lock files (pylock.toml, pylock.<name>.toml) into locked Dependency records, one per [[packages]].
import { makeDependency } from "./dependency.js";
import { findTomlLine, inFileOrder, isTomlTable, lockTables, scanTomlLayout } from "./toml-lines.js";
import type { Dependency, ParseResult, Source } from "./types.js";

/*
 * Groups come from each package's `marker`: `'<g>' in dependency_groups` gives group <g> (a group named in
 * top-level `default-groups` is reported as "main"), `'<x>' in extras` gives `optional:<x>`; a package whose
 * marker names neither is "main". Negated tests (`not ... in`) are not interpreted. `direct` is null: the
 * format does not say which packages the project asked for.
 */
export function parsePylock(text: string, file: string): ParseResult {
  const walked = lockTables(text, file, "packages");
  if (!walked.ok) return walked.result;
  const { data, tables, errors } = walked;
  const dependencies: Dependency[] = [];

  const lockVersion = data["lock-version"];
  if (typeof lockVersion === "string" && !/^1(\.|$)/.test(lockVersion.trim())) {
    errors.unshift({
      file,
      line: findTomlLine(scanTomlLayout(text), "lock-version") ?? undefined,
      message: `lock-version ${JSON.stringify(lockVersion)} is not supported (expected 1.x); read as 1.0`,
    });
  }
  const defaultGroups = new Set(
    Array.isArray(data["default-groups"])
      ? data["default-groups"].filter((g): g is string => typeof g === "string")
      : [],
  );

  for (const entry of tables) {
    const { line, table: pkg, rawName } = entry;
    const src = sourceOf(pkg);
    if (src.problem) entry.at(`package "${rawName}": ${src.problem}`);
    const version = pkg.version;
    if (version !== undefined && (typeof version !== "string" || version.trim() === "")) {
      entry.at(`package "${rawName}": "version" must be a non-empty string`);
      continue;
    }
    // PEP 751 lets only VCS, directory and archive packages omit their version.
    if (version === undefined && !src.versionOptional) {
      entry.at(`package "${rawName}" has no "version"`);
      continue;
    }
    const marker = typeof pkg.marker === "string" && pkg.marker.trim() !== "" ? pkg.marker : null;

    dependencies.push(
      makeDependency({
        rawName,
        format: "pylock",
        file,
        line,
        lockedVersion: typeof version === "string" ? version.trim() : null,
        hashes: hashesOf(pkg),
        markers: marker,
        groups: groupsOfMarker(marker, defaultGroups),
        direct: null,
        source: src.source,
        editable: src.editable,
      }),
    );
  }
  return { dependencies, errors: inFileOrder(errors) };
}

/** The groups and extras a marker selects with `'<name>' in dependency_groups` / `'<name>' in extras`. */
function groupsOfMarker(marker: string | null, defaultGroups: Set<string>): string[] {
  if (marker === null) return ["main"];
  const groups: string[] = [];
  const add = (g: string): void => {
    if (!groups.includes(g)) groups.push(g);
  };
  for (const m of marker.matchAll(/(["'])([^"']+)\1\s+in\s+(dependency_groups|extras)\b/g)) {
    const value = m[2]!;
    if (m[3] === "extras") add(`optional:${value}`);
    else add(defaultGroups.has(value) ? "main" : value);
  }
  return groups.length > 0 ? groups : ["main"];
}

/** PEP 751 `hashes` tables (`{sha256 = "..."}`) of the sdist, each wheel and the archive. */
const HEX = /^[0-9A-Fa-f]+$/;

function hashesOf(pkg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (artifact: unknown): void => {
    if (!isTomlTable(artifact) || !isTomlTable(artifact.hashes)) return;
    for (const alg in artifact.hashes) {
      const digest = artifact.hashes[alg];
      if (typeof digest !== "string" || !HEX.test(digest)) continue;
      const h = `${alg.toLowerCase()}:${digest.toLowerCase()}`;
      if (!out.includes(h)) out.push(h);
    }
  };
  add(pkg.sdist);
  if (Array.isArray(pkg.wheels)) for (const w of pkg.wheels) add(w);
  add(pkg.archive);
  return out;
}

interface SourceResult {
  source: Source | null;
  editable: boolean;
  versionOptional: boolean;
  problem?: string;
}

function sourceOf(pkg: Record<string, unknown>): SourceResult {
  const str = (t: Record<string, unknown>, key: string): string | null => {
    const s = t[key];
    return typeof s === "string" && s !== "" ? s : null;
  };
  if (pkg.vcs !== undefined) {
    const vcs = pkg.vcs;
    if (!isTomlTable(vcs))
      return { source: null, editable: false, versionOptional: true, problem: '"vcs" must be a table' };
    const type = str(vcs, "type") ?? "git";
    const location = str(vcs, "url") ?? str(vcs, "path");
    if (location === null || (type !== "git" && type !== "hg" && type !== "svn" && type !== "bzr")) {
      return {
        source: null,
        editable: false,
        versionOptional: true,
        problem:
          location === null ? '"vcs" has no "url" or "path"' : `unknown vcs type ${JSON.stringify(type)}`,
      };
    }
    const ref = str(vcs, "commit-id") ?? str(vcs, "requested-revision");
    return { source: { kind: "vcs", vcs: type, url: location, ref }, editable: false, versionOptional: true };
  }
  if (pkg.directory !== undefined) {
    const dir = pkg.directory;
    const path = isTomlTable(dir) ? str(dir, "path") : null;
    if (!isTomlTable(dir) || path === null) {
      return { source: null, editable: false, versionOptional: true, problem: '"directory" has no "path"' };
    }
    return { source: { kind: "path", path }, editable: dir.editable === true, versionOptional: true };
  }
  if (pkg.archive !== undefined) {
    const archive = pkg.archive;
    if (isTomlTable(archive)) {
      const url = str(archive, "url");
      if (url !== null) return { source: { kind: "url", url }, editable: false, versionOptional: true };
      const path = str(archive, "path");
      if (path !== null) return { source: { kind: "path", path }, editable: false, versionOptional: true };
    }
    return {
      source: null,
      editable: false,
      versionOptional: true,
      problem: '"archive" has no "url" or "path"',
    };
  }
  if (typeof pkg.index === "string" && pkg.index !== "") {
    return { source: { kind: "index", url: pkg.index }, editable: false, versionOptional: false };
  }
  return { source: null, editable: false, versionOptional: false };
}
