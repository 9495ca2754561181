// Reads Pipfile.lock (pipenv's JSON lock) into locked Dependency records, one per entry of each category.
import { makeDependency } from "./dependency.js";
import type { Dependency, InputError, ParseResult, Source } from "./types.js";

/*
 * Categories: "default" is reported as group "main", "develop" as "dev", any other top-level object
 * (pipenv's custom categories) under its own name; `_meta` is not a category. A package's source is its
 * `index` (resolved through `_meta.sources`), or the only source when `_meta.sources` has exactly one,
 * or its `git`/`hg`/`svn`/`bzr` (+ `ref`), `path` or `file`. `direct` is null: the lock does not say.
 */
export function parsePipfileLock(text: string, file: string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { dependencies: [], errors: [jsonSyntaxError(e, text, file)] };
  }
  const errors: InputError[] = [];
  const dependencies: Dependency[] = [];
  if (!isObject(data)) {
    errors.push({ file, line: 1, column: 1, message: "Pipfile.lock must be a JSON object" });
    return { dependencies, errors };
  }
  const lines = entryKeyLines(text);
  const sources = indexUrls(data._meta);

  for (const [category, entries] of Object.entries(data)) {
    if (category === "_meta") continue;
    const sectionLine = lines.get(category)?.self ?? null;
    if (!isObject(entries)) {
      errors.push(located(file, sectionLine, `"${category}" must be an object of packages`));
      continue;
    }
    const group = category === "default" ? "main" : category === "develop" ? "dev" : category;
    for (const [rawName, entry] of Object.entries(entries)) {
      const line = lines.get(category)?.keys.get(rawName) ?? null;
      const at = (message: string): void => {
        errors.push(located(file, line, `${category}: package "${rawName}": ${message}`));
      };
      if (rawName.trim() === "") {
        at("empty package name");
        continue;
      }
      if (!isObject(entry)) {
        at("entry must be an object");
        continue;
      }
      const src = sourceOf(entry, sources);
      if (src.problem) at(src.problem);
      let lockedVersion: string | null = null;
      if (entry.version !== undefined) {
        if (typeof entry.version !== "string") {
          at('"version" must be a string such as "==1.2.3"');
          continue;
        }
        const m = /^\s*===?\s*(\S+)\s*$/.exec(entry.version);
        if (!m) {
          at(`"version" ${JSON.stringify(entry.version)} is not an exact "==" pin`);
          continue;
        }
        lockedVersion = m[1]!;
      } else if (src.source === null || src.source.kind === "index") {
        // Only VCS, path and file entries may be locked without a version.
        at('no "version"');
        continue;
      }
      dependencies.push(
        makeDependency({
          rawName,
          format: "pipfile-lock",
          file,
          line,
          lockedVersion,
          hashes: hashesOf(entry.hashes),
          extras: Array.isArray(entry.extras)
            ? entry.extras.filter((x): x is string => typeof x === "string" && x !== "")
            : [],
          markers: typeof entry.markers === "string" && entry.markers.trim() !== "" ? entry.markers : null,
          groups: [group],
          direct: null,
          source: src.source,
          editable: entry.editable === true,
        }),
      );
    }
  }
  return { dependencies, errors };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function located(file: string, line: number | null, message: string): InputError {
  return line === null ? { file, message } : { file, line, message };
}

function hashesOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out = new Set<string>();
  for (const h of v) {
    if (typeof h !== "string") continue;
    const m = /^\s*([A-Za-z0-9_-]+):([0-9A-Fa-f]+)\s*$/.exec(h);
    if (m) out.add(`${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}`);
  }
  return [...out];
}

/** `_meta.sources`: index name -> URL. */
function indexUrls(meta: unknown): Map<string, string> {
  const urls = new Map<string, string>();
  if (!isObject(meta) || !Array.isArray(meta.sources)) return urls;
  for (const s of meta.sources) {
    if (isObject(s) && typeof s.name === "string" && typeof s.url === "string") urls.set(s.name, s.url);
  }
  return urls;
}

function sourceOf(
  entry: Record<string, unknown>,
  sources: Map<string, string>,
): { source: Source | null; problem?: string } {
  const str = (key: string): string | null => {
    const s = entry[key];
    return typeof s === "string" && s !== "" ? s : null;
  };
  for (const vcs of ["git", "hg", "svn", "bzr"] as const) {
    const url = str(vcs);
    if (url !== null) return { source: { kind: "vcs", vcs, url, ref: str("ref") } };
  }
  const path = str("path");
  if (path !== null) return { source: { kind: "path", path } };
  const fileRef = str("file");
  if (fileRef !== null) {
    return {
      source: /^[a-z][a-z0-9+.-]*:\/\//i.test(fileRef)
        ? { kind: "url", url: fileRef }
        : { kind: "path", path: fileRef },
    };
  }
  const index = str("index");
  if (index !== null) {
    const url = sources.get(index);
    if (url === undefined) return { source: null, problem: `index "${index}" is not in _meta.sources` };
    return { source: { kind: "index", url } };
  }
  if (sources.size === 1) {
    const only = [...sources.values()][0]!;
    return { source: { kind: "index", url: only } };
  }
  return { source: null };
}

/** JSON.parse's message names the failing position on Node 20 ("at position N"), and line/column on Node 22+. */
function jsonSyntaxError(e: unknown, text: string, file: string): InputError {
  const raw = e instanceof Error ? e.message : String(e);
  const first = raw.split("\n", 1)[0] ?? raw;
  const lc = /\(line (\d+) column (\d+)\)/.exec(raw);
  const message = `invalid JSON: ${first.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+/, "")}`;
  if (lc) return { file, line: Number(lc[1]), column: Number(lc[2]), message };
  const pos = /at position (\d+)/.exec(raw);
  if (pos) {
    const offset = Math.min(Number(pos[1]), text.length);
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < offset; k++) {
      const c = text.charCodeAt(k);
      if (c === 10 || (c === 13 && text.charCodeAt(k + 1) !== 10)) {
        line++;
        lineStart = k + 1;
      }
    }
    return { file, line, column: offset - lineStart + 1, message };
  }
  if (/unexpected end/i.test(raw)) {
    const all = text.split(/\r\n|\n|\r/);
    return { file, line: all.length, column: (all[all.length - 1]?.length ?? 0) + 1, message };
  }
  return { file, message };
}

interface CategoryLines {
  /** Line of the category's own key (`"default": {`). */
  self: number;
  /** Package name -> line of its `"name": {` key (the last occurrence, as JSON.parse keeps the last). */
  keys: Map<string, number>;
}

/**
 * Lines of the top-level keys and of the keys one level below them, from a scan of the JSON text.
 * Hand-written because JSON.parse reports no positions; it runs only on text JSON.parse accepted.
 */
function entryKeyLines(text: string): Map<string, CategoryLines> {
  const result = new Map<string, CategoryLines>();
  const n = text.length;
  let line = 1;
  let depth = 0;
  let category: CategoryLines | null = null;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 13) {
      if (text.charCodeAt(i + 1) !== 10) line++;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
    else if (c === 34) {
      const start = i;
      const keyLine = line;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
      if (depth !== 1 && depth !== 2) continue;
      let j = i + 1;
      while (
        j < n &&
        (text.charCodeAt(j) === 32 ||
          text.charCodeAt(j) === 9 ||
          text.charCodeAt(j) === 10 ||
          text.charCodeAt(j) === 13)
      )
        j++;
      if (text.charCodeAt(j) !== 58) continue;
      let key: string;
      try {
        key = JSON.parse(text.slice(start, i + 1)) as string;
      } catch {
        continue;
      }
      if (depth === 1) {
        category = { self: keyLine, keys: new Map() };
        result.set(key, category);
      } else if (category) {
        category.keys.set(key, keyLine);
      }
    }
  }
  return result;
}
