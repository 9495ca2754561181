// Locates TOML tables and keys by line (smol-toml returns values without positions) and parses TOML to located errors.
import { createRequire } from "node:module";
import type { InputError, ParseResult } from "./types.js";

/** One header or key assignment that starts a line, with its full key path. */
export interface TomlLayoutEntry {
  /** `[table]`, `[[array.of.tables]]`, or a `key = value` line (keys inside inline tables/arrays are not listed). */
  kind: "table" | "array-table" | "key";
  /** The unquoted key path; for `key`, prefixed by the path of the table it belongs to. */
  path: string[];
  /** 1-based line. */
  line: number;
}

type SmolToml = typeof import("smol-toml");
let loadedToml: SmolToml | null = null;

/**
 * smol-toml, the one TOML parser, loaded on first use and from its single-file CommonJS build: its ES module
 * build is eight files (~7 ms more of every run's start-up), and a run that reads no TOML (an audit of a
 * requirements file without a config file) need not load it at all. Every use goes through here, so that
 * `instanceof TomlDate` and `TomlError` always meet the same module instance.
 */
export function smolToml(): SmolToml {
  loadedToml ??= createRequire(import.meta.url)("smol-toml") as SmolToml;
  return loadedToml;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const EQUALS = 61;
const DOT = 46;

function isBareKeyChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 /* _ */ ||
    c === 45 /* - */
  );
}

/** Reads a dotted key at `start`; returns its segments and the index after it, or null when there is none. */
function readKeyPath(text: string, start: number): { path: string[]; end: number } | null {
  const path: string[] = [];
  let i = start;
  for (;;) {
    while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
    const c = text.charCodeAt(i);
    if (c === DQUOTE || c === SQUOTE) {
      const close = findQuoteEnd(text, i + 1, c);
      if (close < 0) return null;
      const raw = text.slice(i + 1, close);
      path.push(c === DQUOTE ? unescapeBasic(raw) : raw);
      i = close + 1;
    } else if (isBareKeyChar(c)) {
      const s = i;
      while (isBareKeyChar(text.charCodeAt(i))) i++;
      path.push(text.slice(s, i));
    } else {
      return null;
    }
    while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
    if (text.charCodeAt(i) !== DOT) return { path, end: i };
    i++;
  }
}

/** Index of the closing quote of a one-line string whose body starts at `i`, or -1 (native indexOf: lock files are mostly strings). */
function findQuoteEnd(text: string, i: number, quote: number): number {
  const q = quote === DQUOTE ? '"' : "'";
  let eol = text.indexOf("\n", i);
  if (eol < 0) eol = text.length;
  // Searching for "\r" only within this line keeps the scan linear on files without any.
  const cr = text.slice(i, eol).indexOf("\r");
  if (cr >= 0) eol = i + cr;
  for (let j = text.indexOf(q, i); j >= 0 && j < eol; j = text.indexOf(q, j + 1)) {
    if (quote === SQUOTE) return j;
    // A double quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    for (let k = j - 1; k >= i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
  return -1;
}

function unescapeBasic(raw: string): string {
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/**
 * Lists every table header and top-level-of-its-table key in document order, with 1-based lines.
 * Hand-written because no installed TOML library reports positions; it only tracks strings, comments
 * and bracket depth (enough to tell a header line from a value line), and assumes the text is valid TOML
 * (parse with smol-toml first: for invalid text the lines are best-effort). `keys: false` lists headers
 * only, which is all a lock file's `[[package]]` lines need and a third of the work on big files.
 */
export function scanTomlLayout(text: string, options: { keys?: boolean } = {}): TomlLayoutEntry[] {
  const withKeys = options.keys ?? true;
  const entries: TomlLayoutEntry[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let depth = 0;
  let lineStart = true;
  let table: string[] = [];

  const skipToEol = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === LF || c === CR) return;
      i++;
    }
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === CR) {
      line++;
      i++;
      if (text.charCodeAt(i) === LF) i++;
      lineStart = true;
      continue;
    }
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    if (c === HASH) {
      skipToEol();
      continue;
    }
    if (lineStart && depth === 0 && (withKeys || c === LBRACKET)) {
      lineStart = false;
      if (c === LBRACKET) {
        const double = text.charCodeAt(i + 1) === LBRACKET;
        const key = readKeyPath(text, i + (double ? 2 : 1));
        if (
          key &&
          text.charCodeAt(key.end) === RBRACKET &&
          (!double || text.charCodeAt(key.end + 1) === RBRACKET)
        ) {
          entries.push({ kind: double ? "array-table" : "table", path: key.path, line });
          table = key.path;
          i = key.end + (double ? 2 : 1);
        } else {
          skipToEol();
        }
        continue;
      }
      const key = readKeyPath(text, i);
      if (key && text.charCodeAt(key.end) === EQUALS) {
        entries.push({ kind: "key", path: [...table, ...key.path], line });
        i = key.end + 1;
      } else {
        skipToEol();
      }
      continue;
    }
    lineStart = false;
    if (c === DQUOTE || c === SQUOTE) {
      const triple = text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c;
      if (triple) {
        // Multi-line string: skip to the closing triple quote (plus up to two quotes that belong to the body).
        i += 3;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d === BACKSLASH && c === DQUOTE) {
            i++;
            const e = text.charCodeAt(i);
            if (e === LF) line++;
            else if (e === CR) {
              line++;
              if (text.charCodeAt(i + 1) === LF) i++;
            }
            i++;
            continue;
          }
          if (d === LF) line++;
          else if (d === CR) {
            line++;
            if (text.charCodeAt(i + 1) === LF) i++;
          } else if (d === c && text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c) {
            i += 3;
            if (text.charCodeAt(i) === c) i++;
            if (text.charCodeAt(i) === c) i++;
            break;
          }
          i++;
        }
        continue;
      }
      const close = findQuoteEnd(text, i + 1, c);
      if (close < 0) skipToEol();
      else i = close + 1;
      continue;
    }
    if (c === LBRACKET || c === LBRACE) depth++;
    else if ((c === RBRACKET || c === RBRACE) && depth > 0) depth--;
    i++;
  }
  return entries;
}

function samePath(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Splits a dotted header such as `package.source` or `"tool".x` into its key path. */
export function tomlKeyPath(header: string): string[] {
  return readKeyPath(header, 0)?.path ?? [header];
}

/**
 * The 1-based line of each `[[header]]` occurrence, in document order (the n-th line belongs to the
 * n-th element of the parsed array). `header` is a dotted key such as `package` or `packages.wheels`.
 */
export function indexTomlArrayTables(text: string | TomlLayoutEntry[], header: string): number[] {
  const layout = typeof text === "string" ? scanTomlLayout(text) : text;
  const path = tomlKeyPath(header);
  const lines: number[] = [];
  for (const e of layout) if (e.kind === "array-table" && samePath(e.path, path)) lines.push(e.line);
  return lines;
}

/** The first line whose header or key has exactly this dotted path (`metadata`, `tool.poetry.name`), or null. */
export function findTomlLine(layout: TomlLayoutEntry[], dottedPath: string): number | null {
  const path = tomlKeyPath(dottedPath);
  for (const e of layout) if (samePath(e.path, path)) return e.line;
  return null;
}

export type TomlParseOutcome =
  | { ok: true; data: Record<string, unknown>; layout: TomlLayoutEntry[] }
  | { ok: false; error: InputError };

/** Parses TOML with smol-toml and scans its layout (see scanTomlLayout for `keys`); a syntax error becomes one located InputError. */
export function parseTomlWithLayout(
  text: string,
  file: string,
  options: { keys?: boolean } = {},
): TomlParseOutcome {
  const parsed = parseToml(text, file);
  return parsed.ok ? { ...parsed, layout: scanTomlLayout(text, options) } : parsed;
}

/** Parses TOML with smol-toml; a syntax error becomes one located InputError. */
function parseToml(
  text: string,
  file: string,
): { ok: true; data: Record<string, unknown> } | { ok: false; error: InputError } {
  let data: Record<string, unknown>;
  try {
    data = smolToml().parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof smolToml().TomlError) {
      // smol-toml's message carries a code frame after the first line; the location is reported separately.
      const first = e.message.split("\n", 1)[0] ?? "";
      const message = `invalid TOML: ${first.replace(/^Invalid TOML document:\s*/, "")}`;
      return { ok: false, error: { file, line: e.line, column: e.column, message } };
    }
    // A RangeError (e.g. nesting too deep for the stack) is still bad input, not a bug of ours.
    return {
      ok: false,
      error: { file, message: `invalid TOML: ${e instanceof Error ? e.message : String(e)}` },
    };
  }
  return { ok: true, data };
}

/**
 * Files the quick header search cannot read take the full scan: a multi-line string could hold a line that
 * looks like a header, and lone-CR line endings are not counted by searching for LF.
 */
function needsFullScan(text: string): boolean {
  // Separate native searches: one regex alternation over megabytes was slower than all three.
  return text.includes("'''") || text.includes('"""') || (text.includes("\r") && /\r(?!\n)/.test(text));
}

/**
 * The lines of `[[key]]` headers found by searching for `[[` at the start of a line: the full layout scan walks
 * every character of a multi-megabyte lock file in JavaScript, this lets the native `indexOf` do it. Only valid
 * for text without multi-line strings (outside those, a line starting with `[[key]]` is a header: a value
 * cannot be a bare key). Returns null when a header is written in a way this does not read (then the full
 * scan runs).
 */
export function arrayTableLinesQuick(text: string, key: string): number[] | null {
  const lines: number[] = [];
  let line = 1;
  let counted = 0;
  for (let at = text.indexOf("[[", 0); at >= 0; at = text.indexOf("[[", at + 2)) {
    // Only a `[[` preceded on its line by nothing but blanks starts a header.
    let k = at - 1;
    while (k >= 0 && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB)) k--;
    if (k >= 0 && text.charCodeAt(k) !== LF) continue;
    for (let nl = text.indexOf("\n", counted); nl >= 0 && nl < at; nl = text.indexOf("\n", nl + 1)) {
      line++;
      counted = nl + 1;
    }
    // The header as lock files write it, tested without building its key path.
    if (text.startsWith(key, at + 2) && text.startsWith("]]", at + 2 + key.length)) {
      lines.push(line);
      continue;
    }
    const header = readKeyPath(text, at + 2);
    if (header === null) return null;
    if (text.charCodeAt(header.end) !== RBRACKET || text.charCodeAt(header.end + 1) !== RBRACKET) return null;
    if (header.path.length === 1 && header.path[0] === key) lines.push(line);
  }
  return lines;
}

/** A TOML table: smol-toml builds tables as null-prototype objects (dates are TomlDate, arrays are arrays). */
export function isTomlTable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

/**
 * `alg:hex` already in lower case. A regular expression, compiled to machine code on first use, beats a
 * character loop in a run that reads one lock file: the loop spends most of such a run in the interpreter.
 */
const CANONICAL_HASH = /^[a-z0-9_-]+:[0-9a-f]+$/;
const LOOSE_HASH = /^\s*([A-Za-z0-9_-]+)[:=]([0-9A-Fa-f]+)\s*$/;

/**
 * Normalises a lock file's `algorithm:hexdigest` string (the shape poetry, pdm and uv write) to
 * lower case, or null when it is not one.
 */
export function normalizeHashString(v: unknown): string | null {
  if (typeof v !== "string") return null;
  // Lock files hold thousands of hashes, nearly all already in this shape: keep the string, allocate nothing.
  if (CANONICAL_HASH.test(v)) return v;
  const m = LOOSE_HASH.exec(v);
  if (!m) return null;
  return `${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}`;
}

/** Where fileHashes gathers a lock entry's hashes before copying them out at their exact count. */
const gathered: string[] = [];

/**
 * The distinct `hash = "alg:hex"` values of a lock entry's file tables (poetry, pdm and uv write this shape):
 * `first` (uv's `sdist` table), then each table of `files`. The result is sized to its hashes: an array grown by
 * push from empty keeps room for 16, and lock files have thousands of entries.
 */
export function fileHashes(files: unknown, first?: unknown): string[] {
  let count = first === undefined ? 0 : gatherHash(0, first);
  if (Array.isArray(files)) for (let i = 0; i < files.length; i++) count = gatherHash(count, files[i]);
  return gathered.slice(0, count);
}

/** Adds one file table's hash to the `count` gathered so far unless it is there already; returns the new count. */
function gatherHash(count: number, file: unknown): number {
  // Any object will do (a cheaper test than isTomlTable, once per file): arrays and dates have no `hash`.
  if (typeof file !== "object" || file === null) return count;
  const h = normalizeHashString((file as { hash?: unknown }).hash);
  if (h === null) return count;
  for (let i = 0; i < count; i++) if (gathered[i] === h) return count;
  gathered[count] = h;
  return count + 1;
}

/** One `[[package]]` (or `[[packages]]`) table of a lock file that has a name, with its line and an error sink. */
export class LockTable {
  constructor(
    readonly index: number,
    /** 1-based line of its header, or null when the headers could not be matched to the entries. */
    readonly line: number | null,
    readonly table: Record<string, unknown>,
    readonly rawName: string,
    private readonly file: string,
    private readonly errors: InputError[],
  ) {}

  /** Records an error located at this entry (a method, not a closure per entry: lock files have thousands). */
  at(message: string): void {
    this.errors.push(errorAt(this.file, this.line, message));
  }
}

function errorAt(file: string, line: number | null, message: string): InputError {
  return line === null ? { file, message } : { file, line, message };
}

export type LockTablesOutcome =
  | { ok: false; result: ParseResult }
  | { ok: true; data: Record<string, unknown>; tables: LockTable[]; errors: InputError[] };

/**
 * The walk every TOML lock parser shares: parse, find the array of package tables under `key`, and hand back
 * each entry that is a table with a `name` string (entries that are not are reported at their line).
 */
export function lockTables(text: string, file: string, key: "package" | "packages"): LockTablesOutcome {
  let data: Record<string, unknown>;
  let headerLines: number[];
  const quick = needsFullScan(text) ? null : arrayTableLinesQuick(text, key);
  if (quick) {
    const parsed = parseToml(text, file);
    if (!parsed.ok) return { ok: false, result: { dependencies: [], errors: [parsed.error] } };
    data = parsed.data;
    headerLines = quick;
  } else {
    const parsed = parseTomlWithLayout(text, file, { keys: false });
    if (!parsed.ok) return { ok: false, result: { dependencies: [], errors: [parsed.error] } };
    data = parsed.data;
    headerLines = indexTomlArrayTables(parsed.layout, key);
  }
  const errors: InputError[] = [];
  const packages = data[key];
  if (packages === undefined) return { ok: true, data, tables: [], errors };
  if (!Array.isArray(packages)) {
    errors.push({
      file,
      line: findTomlLine(scanTomlLayout(text), key) ?? undefined,
      message: `"${key}" must be an array of tables ([[${key}]])`,
    });
    return { ok: false, result: { dependencies: [], errors } };
  }
  const tables: LockTable[] = [];
  for (let index = 0; index < packages.length; index++) {
    const entry: unknown = packages[index];
    const line = headerLines.length === packages.length ? (headerLines[index] ?? null) : null;
    if (!isTomlTable(entry)) {
      errors.push(errorAt(file, line, `[[${key}]] entry #${index + 1} is not a table`));
      continue;
    }
    const rawName = entry.name;
    if (typeof rawName !== "string" || rawName.trim() === "") {
      errors.push(errorAt(file, line, `[[${key}]] entry #${index + 1} has no "name" string`));
      continue;
    }
    tables.push(new LockTable(index, line, entry, rawName, file, errors));
  }
  return { ok: true, data, tables, errors };
}

/** Errors in file order (stable: errors on one line keep their order), as a reader expects them. */
export function inFileOrder(errors: InputError[]): InputError[] {
  return errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
