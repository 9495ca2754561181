// PEP 508 dependency specifications: parses `name[extras] specifier ; marker` and `name @ url ; marker`.
//
// Hand-written recursive descent over the PEP's grammar: no maintained JavaScript library parses PEP 508
// with located errors (the npm ones are unmaintained or skip marker validation), and the grammar is small.
import { explain, valid } from "./pep440.js";

export interface Requirement {
  /** The distribution name as written. */
  name: string;
  extras: string[];
  /** The version specifier normalised to `op ver,op ver` without spaces, e.g. ">=1.0,<2"; "" if none. */
  specifier: string;
  /** The URL of a direct reference (`name @ url`), else null. */
  url: string | null;
  /** The environment marker as written (trimmed), else null. */
  marker: string | null;
}

export type RequirementParse =
  | { ok: true; requirement: Requirement }
  | { ok: false; message: string /** 1-based column in the input. */; column: number };

export type MarkerParse = { ok: true } | { ok: false; message: string; column: number };

/** The marker variables PEP 508 (and its successors in the packaging specifications) define. */
export const MARKER_VARIABLES: ReadonlySet<string> = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
  // PEP 751 (lock files) adds these two.
  "extras",
  "dependency_groups",
]);

// Spellings from PEP 345 that packaging still accepts (and maps to the PEP 508 names).
const LEGACY_MARKER_VARIABLES: ReadonlySet<string> = new Set([
  "os.name",
  "sys.platform",
  "platform.version",
  "platform.machine",
  "platform.python_implementation",
  "python_implementation",
]);

const VERSION_OPERATORS = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"] as const;
const OPERATOR_LIST = "==, !=, <=, >=, <, >, ~=, ===";

/** A syntax error at an offset; thrown only inside this module and always caught by the entry points. */
class SpecSyntaxError {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

function isWsp(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

function isLetterOrDigit(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9]$/.test(c);
}

function isVersionChar(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9\-_.*+!]$/.test(c);
}

/** Describes the character at an offset for error messages. */
function found(text: string, pos: number): string {
  const c = text[pos];
  return c === undefined ? "the end" : `'${c}'`;
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWsp(): boolean {
    const start = this.pos;
    while (isWsp(this.text[this.pos])) this.pos++;
    return this.pos > start;
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  fail(message: string, offset: number = this.pos): never {
    throw new SpecSyntaxError(message, offset);
  }

  /** identifier = letterOrDigit ( ('-' | '_' | '.')* letterOrDigit )* */
  identifier(): string | null {
    const start = this.pos;
    if (!isLetterOrDigit(this.peek())) return null;
    this.pos++;
    for (;;) {
      let p = this.pos;
      while (this.text[p] === "-" || this.text[p] === "_" || this.text[p] === ".") p++;
      if (!isLetterOrDigit(this.text[p])) break;
      this.pos = p + 1;
    }
    return this.text.slice(start, this.pos);
  }

  /** A word of marker-variable characters (letters, digits, `_` and `.` for the legacy dotted names). */
  word(): string {
    const start = this.pos;
    while (/^[A-Za-z0-9_.]$/.test(this.peek() ?? "")) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** True and consumes the keyword when it is next as a whole word. */
  keyword(kw: string): boolean {
    if (!this.startsWith(kw)) return false;
    const after = this.text[this.pos + kw.length];
    if (after !== undefined && /^[A-Za-z0-9_.]$/.test(after)) return false;
    this.pos += kw.length;
    return true;
  }

  versionOperator(): string | null {
    for (const op of VERSION_OPERATORS) {
      if (this.startsWith(op)) {
        this.pos += op.length;
        return op;
      }
    }
    return null;
  }
}

/** Parses one PEP 508 dependency specification. Never throws for bad input. */
export function parseRequirement(text: string): RequirementParse {
  const cur = new Cursor(text);
  try {
    return { ok: true, requirement: requirement(cur) };
  } catch (e) {
    if (e instanceof SpecSyntaxError) return { ok: false, message: e.message, column: e.offset + 1 };
    throw e;
  }
}

/** Validates a PEP 508 environment marker expression (the part after `;`). Never throws for bad input. */
export function parseMarker(text: string): MarkerParse {
  const cur = new Cursor(text);
  try {
    marker(cur);
    cur.skipWsp();
    if (!cur.atEnd())
      cur.fail(`expected 'and', 'or' or the end of the marker, found ${found(text, cur.pos)}`);
    return { ok: true };
  } catch (e) {
    if (e instanceof SpecSyntaxError) return { ok: false, message: e.message, column: e.offset + 1 };
    throw e;
  }
}

/**
 * Validates a version specifier list (`>=1.0, <2` or `(>=1.0)`) and returns it normalised without spaces.
 * An empty or all-blank text is the empty specifier.
 */
export function parseSpecifier(
  text: string,
): { ok: true; specifier: string } | { ok: false; message: string; column: number } {
  const cur = new Cursor(text);
  try {
    cur.skipWsp();
    if (cur.atEnd()) return { ok: true, specifier: "" };
    const spec = versionSpec(cur);
    cur.skipWsp();
    if (!cur.atEnd()) cur.fail(`expected ',' or the end of the specifier, found ${found(text, cur.pos)}`);
    return { ok: true, specifier: spec };
  } catch (e) {
    if (e instanceof SpecSyntaxError) return { ok: false, message: e.message, column: e.offset + 1 };
    throw e;
  }
}

function requirement(cur: Cursor): Requirement {
  cur.skipWsp();
  const name = cur.identifier();
  if (name === null) {
    cur.fail(
      cur.atEnd()
        ? "expected a package name"
        : `expected a package name (letters, digits, '-', '_', '.'), found ${found(cur.text, cur.pos)}`,
    );
  }
  cur.skipWsp();
  let extras: string[] = [];
  if (cur.peek() === "[") extras = extrasList(cur);
  cur.skipWsp();

  let specifier = "";
  let url: string | null = null;
  if (cur.peek() === "@") {
    url = urlSpec(cur);
    const spaced = cur.skipWsp();
    if (cur.atEnd()) return { name, extras, specifier, url, marker: null };
    // The URL swallowed any `;` that followed without a space, so only a spaced `;` can start a marker.
    if (cur.peek() !== ";" || !spaced) {
      cur.fail(`expected ' ;' and a marker, or the end, after the URL; found ${found(cur.text, cur.pos)}`);
    }
  } else if (/^[(<>=!~]$/.test(cur.peek() ?? "")) {
    specifier = versionSpec(cur);
    cur.skipWsp();
  }

  if (cur.atEnd()) return { name, extras, specifier, url, marker: null };
  if (cur.peek() !== ";") {
    const what =
      specifier !== ""
        ? "expected ',', ';' or the end after the version specifier"
        : extras.length > 0 || cur.text.slice(0, cur.pos).includes("[")
          ? "expected a version specifier, '@', ';' or the end after the extras"
          : "expected a version specifier, '[', '@', ';' or the end after the name";
    cur.fail(`${what}, found ${found(cur.text, cur.pos)}`);
  }
  cur.pos++;
  const markerStart = cur.pos;
  cur.skipWsp();
  if (cur.atEnd()) cur.fail("expected a marker after ';'");
  marker(cur);
  cur.skipWsp();
  if (!cur.atEnd())
    cur.fail(`expected 'and', 'or' or the end of the marker, found ${found(cur.text, cur.pos)}`);
  return { name, extras, specifier, url, marker: cur.text.slice(markerStart).trim() };
}

/** extras = '[' wsp* extras_list? wsp* ']' */
function extrasList(cur: Cursor): string[] {
  const open = cur.pos;
  cur.pos++;
  cur.skipWsp();
  const extras: string[] = [];
  if (cur.peek() === "]") {
    cur.pos++;
    return extras;
  }
  for (;;) {
    const extra = cur.identifier();
    if (extra === null) {
      cur.fail(
        cur.atEnd()
          ? `expected an extra name and ']' to close the '[' at column ${open + 1}`
          : `expected an extra name, found ${found(cur.text, cur.pos)}`,
      );
    }
    extras.push(extra);
    cur.skipWsp();
    if (cur.peek() === "]") {
      cur.pos++;
      return extras;
    }
    if (cur.peek() !== ",")
      cur.fail(`expected ',' or ']' after the extra '${extra}', found ${found(cur.text, cur.pos)}`);
    cur.pos++;
    cur.skipWsp();
  }
}

/** urlspec = '@' wsp* URI_reference — the URL runs to the next whitespace. */
function urlSpec(cur: Cursor): string {
  cur.pos++;
  cur.skipWsp();
  const start = cur.pos;
  while (cur.peek() !== undefined && !isWsp(cur.peek())) cur.pos++;
  const url = cur.text.slice(start, cur.pos);
  // The grammar's URI_reference also admits relative references, so no scheme is required here.
  if (url === "") cur.fail("expected a URL after '@'");
  // RFC 3986 characters only (unreserved, reserved, '%'): a quote or '<' here means a typo, not a URL.
  const bad = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/.exec(url);
  if (bad) cur.fail(`'${bad[0]}' is not allowed in a URL (percent-encode it)`, start + bad.index);
  return url;
}

/** versionspec = '(' version_many ')' | version_many */
function versionSpec(cur: Cursor): string {
  if (cur.peek() === "(") {
    const open = cur.pos;
    cur.pos++;
    cur.skipWsp();
    const spec = versionMany(cur);
    cur.skipWsp();
    if (cur.peek() !== ")") {
      cur.fail(
        `expected ',' or ')' to close the '(' at column ${open + 1}, found ${found(cur.text, cur.pos)}`,
      );
    }
    cur.pos++;
    return spec;
  }
  return versionMany(cur);
}

/** version_many = version_one (wsp* ',' version_one)* */
function versionMany(cur: Cursor): string {
  const parts = [versionOne(cur)];
  for (;;) {
    const save = cur.pos;
    cur.skipWsp();
    if (cur.peek() !== ",") {
      cur.pos = save;
      return parts.join(",");
    }
    cur.pos++;
    cur.skipWsp();
    parts.push(versionOne(cur));
  }
}

/** version_one = version_cmp wsp* version, with the version checked against PEP 440 for its operator. */
function versionOne(cur: Cursor): string {
  cur.skipWsp();
  const op = cur.versionOperator();
  if (op === null)
    cur.fail(`expected a version operator (${OPERATOR_LIST}), found ${found(cur.text, cur.pos)}`);
  cur.skipWsp();
  const start = cur.pos;
  if (op === "===") {
    // Arbitrary equality compares strings, so any run of non-space characters is a "version".
    while (/^[^ \t,;)]$/.test(cur.peek() ?? "")) cur.pos++;
  } else {
    while (isVersionChar(cur.peek())) cur.pos++;
  }
  const version = cur.text.slice(start, cur.pos);
  if (version === "") cur.fail(`expected a version after '${op}', found ${found(cur.text, cur.pos)}`);
  const problem = op === "===" ? null : versionProblem(op, version);
  if (problem !== null) cur.fail(problem, start);
  return `${op}${version}`;
}

/** Why a version is not acceptable after an operator, or null when it is (PEP 440 "Version specifiers"). */
function versionProblem(op: string, version: string): string | null {
  if (version.includes("*")) {
    if (op !== "==" && op !== "!=") return `a wildcard version ('${version}') is only allowed with == and !=`;
    if (!version.endsWith(".*") || version.indexOf("*") !== version.length - 1) {
      return `a wildcard must be a trailing '.*', as in ${op}1.2.*`;
    }
    const prefix = version.slice(0, -2);
    if (valid(prefix) === null) return `'${prefix}' before '.*' is not a valid PEP 440 version`;
    if (prefix.includes("+")) return `a wildcard version cannot have a local label ('+...')`;
    return null;
  }
  if (valid(version) === null) return `'${version}' is not a valid PEP 440 version`;
  const parts = explain(version);
  if (parts?.local && op !== "==" && op !== "!=") {
    return `a local version label ('+${parts.local}') is not allowed with '${op}'`;
  }
  if (op === "~=" && parts && parts.release.length < 2) {
    return `'~=' needs a version with at least two parts, as in ~=${version}.0`;
  }
  return null;
}

/** marker = marker_or; marker_or = marker_and ('or' marker_and)*; marker_and = marker_expr ('and' marker_expr)* */
function marker(cur: Cursor): void {
  markerAnd(cur);
  for (;;) {
    const save = cur.pos;
    cur.skipWsp();
    if (!cur.keyword("or")) {
      cur.pos = save;
      return;
    }
    markerAnd(cur);
  }
}

function markerAnd(cur: Cursor): void {
  markerExpr(cur);
  for (;;) {
    const save = cur.pos;
    cur.skipWsp();
    if (!cur.keyword("and")) {
      cur.pos = save;
      return;
    }
    markerExpr(cur);
  }
}

/** marker_expr = marker_var marker_op marker_var | wsp* '(' marker wsp* ')' */
function markerExpr(cur: Cursor): void {
  cur.skipWsp();
  if (cur.peek() === "(") {
    const open = cur.pos;
    cur.pos++;
    marker(cur);
    cur.skipWsp();
    if (cur.peek() !== ")") {
      cur.fail(
        `expected 'and', 'or' or ')' to close the '(' at column ${open + 1}, found ${found(cur.text, cur.pos)}`,
      );
    }
    cur.pos++;
    return;
  }
  const left = markerVar(cur, null);
  cur.skipWsp();
  const op = markerOp(cur);
  if (op === null) {
    cur.fail(
      `expected a marker operator (${OPERATOR_LIST}, in, not in) after ${left}, found ${found(cur.text, cur.pos)}`,
    );
  }
  cur.skipWsp();
  markerVar(cur, op);
}

function markerOp(cur: Cursor): string | null {
  const op = cur.versionOperator();
  if (op !== null) return op;
  if (cur.keyword("in")) return "in";
  const save = cur.pos;
  if (cur.keyword("not")) {
    if (cur.skipWsp() && cur.keyword("in")) return "not in";
    cur.pos = save;
  }
  return null;
}

/** marker_var = env_var | python_str; returns how to name it in later messages. */
function markerVar(cur: Cursor, after: string | null): string {
  const start = cur.pos;
  const q = cur.peek();
  if (q === "'" || q === '"') {
    cur.pos++;
    while (cur.peek() !== undefined && cur.peek() !== q) cur.pos++;
    if (cur.atEnd()) cur.fail(`unterminated string: missing the closing ${q}`, start);
    cur.pos++;
    return "the string";
  }
  const word = cur.word();
  const expected =
    after === null
      ? "expected a marker variable (like python_version) or a quoted string"
      : `expected a marker variable or a quoted string after '${after}'`;
  if (word === "") cur.fail(`${expected}, found ${found(cur.text, cur.pos)}`);
  if (!MARKER_VARIABLES.has(word) && !LEGACY_MARKER_VARIABLES.has(word)) {
    cur.fail(
      `unknown marker variable '${word}' (expected one of python_version, python_full_version, os_name, sys_platform, platform_release, platform_system, platform_version, platform_machine, platform_python_implementation, implementation_name, implementation_version, extra; strings need quotes)`,
      start,
    );
  }
  return `'${word}'`;
}
