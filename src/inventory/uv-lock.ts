// Reads uv.lock into locked Dependency records, with direct/transitive and group facts derived from its graph.
import { normalizeName } from "../standards/names.js";
import { makeDependency } from "./dependency.js";
import { fileHashes, inFileOrder, isTomlTable, type LockTable, lockTables } from "./toml-lines.js";
import type { Dependency, ParseResult, Source } from "./types.js";

/*
 * Choices:
 * - Workspace members (the names in `[manifest] members`, or, without a manifest, the package whose source
 *   is `{ editable = "." }` or `{ virtual = "." }`) are the project itself, not dependencies of it: they are
 *   left out. Other editable/virtual/path packages are kept with a `path` source.
 * - `direct` is true for packages a member names in its `dependencies`, `optional-dependencies` or
 *   `dev-dependencies`, false for the rest; null for every package when no member can be identified.
 * - `groups` follow the graph from the members: "main" from their `dependencies`, `optional:<extra>` from
 *   `optional-dependencies`, the group name from `dev-dependencies`; edges with `extra = [...]` pull in the
 *   target's optional dependencies. A package no member reaches (or every package, without members) is "main".
 * - uv puts markers on edges, not on packages, so `markers` is null; `extras` is empty for the same reason.
 */

interface Edge {
  name: string;
  version: string | null;
  extras: readonly string[];
}

interface Entry {
  /** The `[[package]]` table, its position and line. */
  table: LockTable;
  /** Position in the list of entries read (the index of its facts in the graph walk's arrays). */
  slot: number;
  name: string;
  version: string | null;
  source: SourceResult;
  dependencies: Edge[];
  optional: ReadonlyMap<string, Edge[]>;
  dev: ReadonlyMap<string, Edge[]>;
}

export function parseUvLock(text: string, file: string): ParseResult {
  const walked = lockTables(text, file, "package");
  if (!walked.ok) return walked.result;
  const { data, tables, errors } = walked;

  // The graph is read first and the records made once it is walked, with their groups and `direct` known: a
  // record made earlier and updated afterwards costs a second shape and a default groups list per package.
  const entries: Entry[] = [];
  // Entries by name and the workspace members are gathered in the same pass (each pass over thousands of
  // entries costs a warm-up of its own in a short run).
  const byName = new Map<string, Entry[]>();
  const members = manifestMembers(data.manifest);
  // Thousands of packages name the same registry: one source record per distinct URL.
  const registries = new Map<string, SourceResult>();
  for (let t = 0; t < tables.length; t++) {
    const table = tables[t]!;
    const { table: pkg, rawName } = table;
    const version = pkg.version;
    // uv omits `version` for packages whose version is dynamic (typically workspace members).
    if (version !== undefined && (typeof version !== "string" || version.trim() === "")) {
      table.at(`package "${rawName}": "version" must be a non-empty string`);
      continue;
    }
    const source = sourceOf(pkg.source, registries);
    if (source.problem) table.at(`package "${rawName}": ${source.problem}`);
    const name = normalizeName(rawName);
    const e: Entry = {
      table,
      slot: entries.length,
      name,
      version: typeof version === "string" ? version.trim() : null,
      source,
      dependencies: edgesOf(pkg.dependencies),
      optional: edgeTable(pkg["optional-dependencies"]),
      dev: edgeTable(pkg["dev-dependencies"]),
    };
    entries.push(e);
    const sameName = byName.get(name);
    if (sameName) sameName.push(e);
    else byName.set(name, [e]);
    if (source.isRoot) members.add(name);
  }

  const { direct, groups } =
    members.size > 0 ? walkGraph(entries, byName, members) : { direct: null, groups: null };

  const dependencies: Dependency[] = [];
  for (let slot = 0; slot < entries.length; slot++) {
    const e = entries[slot]!;
    if (members.has(e.name)) continue;
    const reached = groups?.[slot];
    const pkg = e.table.table;
    dependencies.push(
      makeDependency({
        rawName: e.table.rawName,
        format: "uv-lock",
        file,
        line: e.table.line,
        lockedVersion: e.version,
        hashes: fileHashes(pkg.wheels, pkg.sdist),
        groups: reached && reached.length > 0 ? reached : undefined,
        direct: direct === null ? null : direct[slot] === 1,
        source: e.source.source,
        editable: e.source.editable,
      }),
    );
  }
  return { dependencies, errors: inFileOrder(errors) };
}

/** The names `[manifest] members` lists (the entries whose source is the workspace root are added as read). */
function manifestMembers(manifest: unknown): Set<string> {
  const members = new Set<string>();
  if (isTomlTable(manifest) && Array.isArray(manifest.members)) {
    for (const m of manifest.members) if (typeof m === "string" && m !== "") members.add(normalizeName(m));
  }
  return members;
}

/**
 * Which entries a member names (`direct`, 1 by slot) and the groups through which members reach each entry
 * (by slot). Arrays indexed by slot rather than Sets and Maps of entries: the walk visits every edge of locks with
 * thousands of packages, once per group.
 */
function walkGraph(
  entries: Entry[],
  byName: ReadonlyMap<string, Entry[]>,
  members: Set<string>,
): { direct: Uint8Array; groups: (string[] | undefined)[] } {
  // An edge names a version only when the lock holds several versions of that package (forked resolution).
  const resolve = (edge: Edge): Entry[] => {
    const candidates = byName.get(edge.name) ?? [];
    if (edge.version === null) return candidates;
    const exact = candidates.filter((c) => c.version === edge.version);
    return exact.length > 0 ? exact : candidates;
  };

  const direct = new Uint8Array(entries.length);
  const roots: { label: string; edges: Edge[] }[] = [];
  for (const m of entries) {
    if (!members.has(m.name)) continue;
    roots.push({ label: "main", edges: m.dependencies });
    for (const [extra, edges] of m.optional) roots.push({ label: `optional:${extra}`, edges });
    for (const [group, edges] of m.dev) roots.push({ label: group, edges });
  }
  for (const root of roots) {
    for (let e = 0; e < root.edges.length; e++) {
      const targets = resolve(root.edges[e]!);
      for (let t = 0; t < targets.length; t++) direct[targets[t]!.slot] = 1;
    }
  }

  // Indexed loops below, not for-of: this runs once per edge in code too short-lived to be optimised, where each
  // for-of step allocates an iterator result (2.2 MB of garbage for a 5,000-package lock).
  const groups: (string[] | undefined)[] = new Array(entries.length);
  const seen = new Uint8Array(entries.length);
  for (const { label, edges } of roots) {
    seen.fill(0);
    const seenExtras = new Set<string>();
    const queue: Edge[] = edges.slice();
    for (let edge = queue.pop(); edge !== undefined; edge = queue.pop()) {
      const targets = resolve(edge);
      for (let t = 0; t < targets.length; t++) {
        const target = targets[t]!;
        if (seen[target.slot] === 0) {
          seen[target.slot] = 1;
          // Members are walked through (their dependencies count) but get no group: they are not reported.
          if (!members.has(target.name)) {
            const list = groups[target.slot];
            if (!list) groups[target.slot] = [label];
            else if (!list.includes(label)) list.push(label);
          }
          const next = target.dependencies;
          for (let n = 0; n < next.length; n++) queue.push(next[n]!);
        }
        for (let x = 0; x < edge.extras.length; x++) {
          const key = `${target.table.index}[${edge.extras[x]}]`;
          if (seenExtras.has(key)) continue;
          seenExtras.add(key);
          const optional = target.optional.get(edge.extras[x]!);
          if (optional) for (let n = 0; n < optional.length; n++) queue.push(optional[n]!);
        }
      }
    }
  }
  return { direct, groups };
}

/** Shared by every edge without extras (nearly all): never written to. */
const NO_EXTRAS: readonly string[] = [];

function edgesOf(v: unknown): Edge[] {
  if (!Array.isArray(v)) return [];
  // Sized up front: an array grown by push from empty holds room for 16 (a lock has thousands of edge lists).
  const edges = new Array<Edge>(v.length);
  let count = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    // An inline table with a `name` string (a cheaper test than isTomlTable: this runs once per edge).
    if (typeof d !== "object" || d === null || typeof d.name !== "string") continue;
    // uv writes `extra = [...]` on edges (and `extras` in `[package.metadata]`); accept either.
    const extrasValue = d.extra ?? d.extras;
    const extras: readonly string[] = Array.isArray(extrasValue)
      ? extrasValue.filter((x): x is string => typeof x === "string")
      : NO_EXTRAS;
    edges[count++] = {
      name: normalizeName(d.name),
      version: typeof d.version === "string" ? d.version : null,
      extras,
    };
  }
  edges.length = count;
  return edges;
}

/** Shared by every package without such a table (most of them): never written to. */
const NO_EDGES: ReadonlyMap<string, Edge[]> = new Map();

function edgeTable(v: unknown): ReadonlyMap<string, Edge[]> {
  if (!isTomlTable(v)) return NO_EDGES;
  const table = new Map<string, Edge[]>();
  for (const [key, edges] of Object.entries(v)) table.set(key, edgesOf(edges));
  return table;
}

interface SourceResult {
  source: Source | null;
  editable: boolean;
  isRoot: boolean;
  problem?: string;
}

const NO_SOURCE: SourceResult = { source: null, editable: false, isRoot: false };

function sourceOf(v: unknown, registries: Map<string, SourceResult>): SourceResult {
  const none = NO_SOURCE;
  if (v === undefined) return none;
  if (!isTomlTable(v)) return { ...none, problem: '"source" must be a table' };
  // The registry first: nearly every package of a lock is from one.
  const registry = nonEmptyString(v.registry);
  if (registry !== null) {
    let result = registries.get(registry);
    if (!result) {
      result = { ...none, source: { kind: "index", url: registry } };
      registries.set(registry, result);
    }
    return result;
  }
  const str = (key: string): string | null => nonEmptyString(v[key]);
  const git = str("git");
  if (git !== null) return { ...none, source: gitSource(git) };
  const url = str("url");
  if (url !== null) return { ...none, source: { kind: "url", url } };
  for (const key of ["editable", "virtual", "directory", "path"]) {
    const path = str(key);
    if (path === null) continue;
    const isRoot = (key === "editable" || key === "virtual") && (path === "." || path === "./");
    return { source: { kind: "path", path }, editable: key === "editable", isRoot };
  }
  return { ...none, problem: `unrecognised "source" (keys: ${Object.keys(v).join(", ") || "none"})` };
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** `https://host/repo.git?rev=main&subdirectory=x#<commit>`: the commit after `#` is what was locked. */
function gitSource(raw: string): Source {
  const hash = raw.indexOf("#");
  const commit = hash >= 0 ? raw.slice(hash + 1) : "";
  const withoutFragment = hash >= 0 ? raw.slice(0, hash) : raw;
  const q = withoutFragment.indexOf("?");
  const url = q >= 0 ? withoutFragment.slice(0, q) : withoutFragment;
  let requested: string | null = null;
  if (q >= 0) {
    const params = new URLSearchParams(withoutFragment.slice(q + 1));
    requested = params.get("rev") ?? params.get("tag") ?? params.get("branch");
  }
  return { kind: "vcs", vcs: "git", url, ref: commit !== "" ? commit : requested };
}
