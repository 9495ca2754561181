// pip's requirements-file format (requirements.txt, constraints.txt, *.in): lines, options and -r/-c includes.
//
// The line handling follows pip's own req_file.py step by step (join continuations, strip comments, expand
// ${VAR}, split arguments from options, optparse-style options) so that what we inventory is what pip installs.
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { isValidName } from "../standards/names.js";
import { valid } from "../standards/pep440.js";
import { parseMarker, parseRequirement } from "../standards/pep508.js";
import { type DependencyInit, makeDependency } from "./dependency.js";
import { readTextFile, splitLines } from "./read.js";
import type { InputError, ParseResult, Source } from "./types.js";

export interface RequirementsOptions {
  /** Variables for `${VAR}` expansion; default process.env. */
  env?: Record<string, string | undefined>;
  /** Reads an included (-r/-c) file by absolute path; default reads it from disk with readTextFile. */
  readInclude?: (absPath: string) => { ok: true; text: string } | { ok: false; message: string };
  /**
   * Read plain `name==version` lines without the full grammar (default true): the records are the same, which a
   * property test checks by turning this off.
   */
  plainPinShortcut?: boolean;
}

/** The package-source options one requirements file sets (for dependency-confusion and index checks). */
export interface RequirementsFileOptions {
  /** The last `--index-url`/`-i`, or null. */
  indexUrl: string | null;
  extraIndexUrls: string[];
  findLinks: string[];
  trustedHosts: string[];
  noIndex: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Logical lines: pip's preprocess() (join_lines, ignore_comments, expand_env_variables), keeping positions.

interface LogicalLine {
  /** The line as pip sees it: continuations joined, comment removed, ${VAR}s expanded, trimmed. */
  text: string;
  /** The first physical line (1-based). */
  line: number;
  /** The comment text after `#` (pip-compile's `# via` annotations live here), or null. */
  comment: string | null;
  /** Where the characters of `text` came from. */
  segments: Segment[];
}

/**
 * From `offset` on (up to the next segment), characters come from physical `line`, starting at `column`;
 * a `fixed` segment (an expanded ${VAR}) maps every character to the same column.
 */
interface Segment {
  offset: number;
  line: number;
  column: number;
  fixed?: boolean;
}

/** A string whose characters remember where they came from (by runs, so long files stay cheap). */
interface Located {
  text: string;
  segments: Segment[];
}

function located(text: string, line: number, firstColumn: number): Located {
  return { text, segments: [{ offset: 0, line, column: firstColumn }] };
}

function concat(parts: Located[]): Located {
  const segments: Segment[] = [];
  let offset = 0;
  for (const p of parts) {
    for (const seg of p.segments) segments.push({ ...seg, offset: seg.offset + offset });
    offset += p.text.length;
  }
  return { text: parts.map((p) => p.text).join(""), segments };
}

function segmentAt(segments: Segment[], offset: number): Segment {
  let found = segments[0]!;
  for (const seg of segments) {
    if (seg.offset > offset) break;
    found = seg;
  }
  return found;
}

function columnAt(seg: Segment, offset: number): number {
  return seg.fixed ? seg.column : seg.column + (offset - seg.offset);
}

function slice(l: Located, start: number, end: number = l.text.length): Located {
  if (l.segments.length === 0) return { text: l.text.slice(start, end), segments: [] };
  const first = segmentAt(l.segments, start);
  const segments: Segment[] = [{ ...first, offset: 0, column: columnAt(first, start) }];
  for (const seg of l.segments) {
    if (seg.offset > start && seg.offset < end) segments.push({ ...seg, offset: seg.offset - start });
  }
  return { text: l.text.slice(start, end), segments };
}

/** Where an offset of a logical line is in the file (offsets past the end point just after the last character). */
function positionOf(ll: LogicalLine, offset: number): { line: number; column: number } {
  if (ll.text.length === 0 || ll.segments.length === 0) return { line: ll.line, column: 1 };
  const i = Math.max(0, Math.min(offset, ll.text.length - 1));
  const seg = segmentAt(ll.segments, i);
  return { line: seg.line, column: columnAt(seg, i) + (offset > i ? offset - i : 0) };
}

// pip's COMMENT_RE: a `#` at the start or after whitespace; `#egg=` inside a URL is not a comment.
const COMMENT_RE = /(^|\s+)#/;
const ENV_VAR_RE = /\$\{([A-Z0-9_]+)\}/g;

function logicalLines(text: string, env: Record<string, string | undefined>): LogicalLine[] {
  const physical = splitLines(text.startsWith("\uFEFF") ? text.slice(1) : text);
  const joined: { line: number; body: Located }[] = [];
  let pending: Located[] = [];
  let pendingLine = 0;
  physical.forEach((raw, index) => {
    const lineNo = index + 1;
    const isComment = /^\s*#/.test(raw);
    if (!raw.endsWith("\\") || isComment) {
      // pip prefixes comment lines with a space so that a comment ending a continuation is still stripped.
      const part = isComment
        ? concat([located(" ", lineNo, 1), located(raw, lineNo, 1)])
        : located(raw, lineNo, 1);
      if (pending.length > 0) {
        joined.push({ line: pendingLine, body: concat([...pending, part]) });
        pending = [];
      } else {
        joined.push({ line: lineNo, body: part });
      }
    } else {
      if (pending.length === 0) pendingLine = lineNo;
      // pip strips backslashes from both ends of a continued line (line.strip("\\")).
      let lead = 0;
      while (raw[lead] === "\\") lead++;
      let trail = 0;
      while (trail < raw.length - lead && raw[raw.length - 1 - trail] === "\\") trail++;
      pending.push(located(raw.slice(lead, raw.length - trail), lineNo, lead + 1));
    }
  });
  if (pending.length > 0) joined.push({ line: pendingLine, body: concat(pending) });

  return joined.map(({ line, body }) => {
    let comment: string | null = null;
    let content = body;
    const m = COMMENT_RE.exec(body.text);
    if (m) {
      comment = body.text.slice(m.index + m[0].length);
      content = slice(body, 0, m.index);
    }
    const lead = content.text.length - content.text.trimStart().length;
    content = slice(content, lead, lead + content.text.trim().length);
    content = expandVariables(content, env);
    return { text: content.text, line, comment, segments: content.segments };
  });
}

/** pip's ${VAR} expansion: only upper-case names, and unset or empty variables are left as written. */
function expandVariables(l: Located, env: Record<string, string | undefined>): Located {
  if (!l.text.includes("${")) return l;
  const parts: Located[] = [];
  let last = 0;
  for (const m of l.text.matchAll(ENV_VAR_RE)) {
    const value = env[m[1]!];
    if (!value) continue;
    const at = m.index;
    parts.push(slice(l, last, at));
    const seg = segmentAt(l.segments, at);
    parts.push({
      text: value,
      segments: [{ offset: 0, line: seg.line, column: columnAt(seg, at), fixed: true }],
    });
    last = at + m[0].length;
  }
  parts.push(slice(l, last));
  return concat(parts);
}

// ---------------------------------------------------------------------------------------------------------
// Options: pip's break_args_options(), shlex.split() and optparse, with offsets for located errors.

type OptionName =
  | "index-url"
  | "extra-index-url"
  | "no-index"
  | "constraint"
  | "requirement"
  | "editable"
  | "find-links"
  | "no-binary"
  | "only-binary"
  | "prefer-binary"
  | "require-hashes"
  | "pre"
  | "trusted-host"
  | "use-feature"
  | "global-option"
  | "hash"
  | "config-settings";

interface OptionSpec {
  name: OptionName;
  long: string[];
  short?: string;
  takesValue: boolean;
}

// pip's SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ (pip/_internal/req/req_file.py).
const OPTION_SPECS: OptionSpec[] = [
  { name: "index-url", long: ["--index-url", "--pypi-url"], short: "-i", takesValue: true },
  { name: "extra-index-url", long: ["--extra-index-url"], takesValue: true },
  { name: "no-index", long: ["--no-index"], takesValue: false },
  { name: "constraint", long: ["--constraint"], short: "-c", takesValue: true },
  { name: "requirement", long: ["--requirement"], short: "-r", takesValue: true },
  { name: "editable", long: ["--editable"], short: "-e", takesValue: true },
  { name: "find-links", long: ["--find-links"], short: "-f", takesValue: true },
  { name: "no-binary", long: ["--no-binary"], takesValue: true },
  { name: "only-binary", long: ["--only-binary"], takesValue: true },
  { name: "prefer-binary", long: ["--prefer-binary"], takesValue: false },
  { name: "require-hashes", long: ["--require-hashes"], takesValue: false },
  { name: "pre", long: ["--pre"], takesValue: false },
  { name: "trusted-host", long: ["--trusted-host"], takesValue: true },
  { name: "use-feature", long: ["--use-feature"], takesValue: true },
  { name: "global-option", long: ["--global-option"], takesValue: true },
  { name: "hash", long: ["--hash"], takesValue: true },
  { name: "config-settings", long: ["--config-settings"], short: "-C", takesValue: true },
];

const LONG_OPTIONS = new Map(OPTION_SPECS.flatMap((s) => s.long.map((l) => [l, s] as const)));
const SHORT_OPTIONS = new Map(OPTION_SPECS.flatMap((s) => (s.short ? [[s.short, s] as const] : [])));

interface Token {
  value: string;
  offset: number;
}

interface ParsedOption {
  name: OptionName;
  value: string;
  offset: number;
}

interface LineProblem {
  message: string;
  offset: number;
}

/** pip splits on single spaces and takes the leading tokens not starting with `-` as the requirement. */
function breakArgsOptions(text: string): { args: string; optionsStart: number } {
  let offset = 0;
  const tokens = text.split(" ");
  const args: string[] = [];
  for (const token of tokens) {
    if (token.startsWith("-")) return { args: args.join(" "), optionsStart: offset };
    args.push(token);
    offset += token.length + 1;
  }
  return { args: args.join(" "), optionsStart: text.length };
}

/** Python's shlex.split (POSIX mode) with the offset where each token starts. */
function shlexSplit(text: string, from: number): { tokens: Token[] } | LineProblem {
  const tokens: Token[] = [];
  // Fast path: most option text has no quotes or escapes, and long hashed files are mostly options.
  if (!/['"\\]/.test(text.slice(from))) {
    for (const m of text.slice(from).matchAll(/[^ \t\r\n]+/g))
      tokens.push({ value: m[0], offset: from + m.index });
    return { tokens };
  }
  let i = from;
  while (i < text.length) {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let value = "";
    while (i < text.length && !" \t\r\n".includes(text[i]!)) {
      const c = text[i]!;
      if (c === "\\") {
        if (i + 1 < text.length) value += text[i + 1];
        i += 2;
      } else if (c === "'" || c === '"') {
        const open = i;
        i++;
        while (i < text.length && text[i] !== c) {
          if (c === '"' && text[i] === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) i++;
          value += text[i];
          i++;
        }
        if (i >= text.length) return { message: `no closing ${c} for the quote opened here`, offset: open };
        i++;
      } else {
        value += c;
        i++;
      }
    }
    tokens.push({ value, offset: start });
  }
  return { tokens };
}

/** optparse over pip's options: long options may be abbreviated to a unique prefix, as optparse allows. */
function parseOptions(tokens: Token[]): { options: ParsedOption[]; problems: LineProblem[] } {
  const options: ParsedOption[] = [];
  const problems: LineProblem[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const t = token.value;
    let spec: OptionSpec | undefined;
    let inline: string | null = null;
    let written = t;
    if (t.startsWith("--") && t.length > 2) {
      const eq = t.indexOf("=");
      written = eq === -1 ? t : t.slice(0, eq);
      inline = eq === -1 ? null : t.slice(eq + 1);
      spec = LONG_OPTIONS.get(written);
      if (!spec) {
        const matches = [...LONG_OPTIONS.keys()].filter((l) => l.startsWith(written));
        const specs = new Set(matches.map((m) => LONG_OPTIONS.get(m)!));
        if (specs.size === 1) spec = [...specs][0];
        else if (specs.size > 1) {
          problems.push({
            message: `ambiguous option ${written} (${matches.join(", ")}?)`,
            offset: token.offset,
          });
          continue;
        }
      }
    } else if (t.startsWith("-") && t.length > 1 && t !== "--") {
      written = t.slice(0, 2);
      spec = SHORT_OPTIONS.get(written);
      inline = t.length > 2 ? t.slice(2) : null;
    } else {
      problems.push({
        message: `unexpected argument '${t}' among the options (pip ignores it; put it on its own line?)`,
        offset: token.offset,
      });
      continue;
    }
    if (!spec) {
      problems.push({
        message: `unknown option ${written} (not allowed in a requirements file)`,
        offset: token.offset,
      });
      // It may take a value: one error for the option is enough, not a second for its argument.
      if (inline === null && tokens[i + 1] !== undefined && !tokens[i + 1]!.value.startsWith("-")) i++;
      continue;
    }
    if (!spec.takesValue) {
      if (inline !== null) {
        problems.push({ message: `option ${written} does not take a value`, offset: token.offset });
        continue;
      }
      options.push({ name: spec.name, value: "", offset: token.offset });
      continue;
    }
    if (inline !== null) {
      options.push({ name: spec.name, value: inline, offset: token.offset });
      continue;
    }
    const next = tokens[i + 1];
    if (next === undefined) {
      problems.push({ message: `option ${written} needs a value`, offset: token.offset });
      continue;
    }
    options.push({ name: spec.name, value: next.value, offset: token.offset });
    i++;
  }
  return { options, problems };
}

interface SplitLine {
  args: string;
  options: ParsedOption[];
  problems: LineProblem[];
}

function splitLine(text: string): SplitLine {
  const { args, optionsStart } = breakArgsOptions(text);
  const split = shlexSplit(text, optionsStart);
  if ("message" in split) return { args, options: [], problems: [split] };
  const { options, problems } = parseOptions(split.tokens);
  return { args, options, problems };
}

function valuesOf(options: ParsedOption[], name: OptionName): ParsedOption[] {
  return options.filter((o) => o.name === name);
}

// ---------------------------------------------------------------------------------------------------------
// URLs, paths and file names.

const VCS_KINDS = ["git", "hg", "svn", "bzr"] as const;
type VcsKind = (typeof VCS_KINDS)[number];

// pip's vcs.all_schemes: every `<vcs>+<transport>` plus the bare `git:` and `svn:`.
const VCS_SCHEMES: ReadonlyMap<string, VcsKind> = new Map<string, VcsKind>([
  ...["http", "https", "ssh", "git", "file"].map((t) => [`git+${t}`, "git"] as [string, VcsKind]),
  ["git", "git"],
  ...["file", "http", "https", "ssh", "static-http"].map((t) => [`hg+${t}`, "hg"] as [string, VcsKind]),
  ...["ssh", "http", "https", "svn", "file"].map((t) => [`svn+${t}`, "svn"] as [string, VcsKind]),
  ["svn", "svn"],
  ...["http", "https", "ssh", "sftp", "ftp", "lp", "file"].map(
    (t) => [`bzr+${t}`, "bzr"] as [string, VcsKind],
  ),
]);

const ARCHIVE_EXTENSIONS = [
  ".tar.gz",
  ".tgz",
  ".tar.bz2",
  ".tbz",
  ".tar.xz",
  ".txz",
  ".tar.lz",
  ".tlz",
  ".tar.lzma",
  ".tar",
  ".zip",
  ".whl",
];

function urlScheme(text: string): string | null {
  const colon = text.indexOf(":");
  return colon === -1 ? null : text.slice(0, colon).toLowerCase();
}

/** pip's is_url: http, https, file, ftp or a VCS scheme. */
function isUrl(text: string): boolean {
  const scheme = urlScheme(text);
  return scheme !== null && (["http", "https", "file", "ftp"].includes(scheme) || VCS_SCHEMES.has(scheme));
}

/** `git+git@host:path` and the like: pip recognises no scheme in them, so they are neither URL nor path. */
function isMalformedVcsUrl(text: string): boolean {
  return /^(git|hg|svn|bzr)\+/i.test(text) && !isUrl(text);
}

function malformedVcsMessage(text: string): string {
  return `'${text}' is not a VCS URL pip understands: write <vcs>+<scheme>://host/path, e.g. git+ssh://git@github.com/org/repo.git`;
}

/** pip's _looks_like_path. */
function looksLikePath(text: string): boolean {
  return text.includes("/") || text.includes("\\") || text.startsWith(".");
}

function isArchive(name: string): boolean {
  const lower = name.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** pip treats `name @ url` as a PEP 508 requirement when the part before `@` does not look like a path. */
function atRequirementLike(text: string): boolean {
  const at = text.indexOf("@");
  return at !== -1 && !looksLikePath(text.slice(0, at));
}

/** pip's _strip_extras: `path[extra1,extra2]`. */
function stripExtras(text: string): { path: string; extras: string | null } {
  const m = /^(.+)(\[[^\]]+\])$/.exec(text);
  return m ? { path: m[1]!, extras: m[2]! } : { path: text, extras: null };
}

function fragmentParam(url: string, key: string): string | null {
  const hash = url.indexOf("#");
  if (hash === -1) return null;
  const m = new RegExp(`(?:^|&)${key}=([^&]*)`).exec(url.slice(hash + 1));
  return m ? safeDecode(m[1]!) : null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The last path segment of a URL or path, without query or fragment. */
function lastSegment(urlOrPath: string): string {
  const bare = urlOrPath.split("#")[0]!.split("?")[0]!;
  const parts = bare.split(/[/\\]/).filter((p) => p !== "");
  return safeDecode(parts[parts.length - 1] ?? "");
}

/** Name and version from a wheel file name (`name-ver(-build)?-py-abi-plat.whl`). */
function wheelNameVersion(fileName: string): { name: string; version: string } | null {
  const m = /^([^-]+)-([^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/i.exec(fileName);
  if (!m || !isValidName(m[1]!) || valid(m[2]!) === null) return null;
  return { name: m[1]!, version: m[2]! };
}

/** Name and version from an sdist file name; the split is at the last `-` that leaves a valid version. */
function sdistNameVersion(fileName: string): { name: string; version: string } | null {
  const lower = fileName.toLowerCase();
  const ext = ARCHIVE_EXTENSIONS.find((e) => e !== ".whl" && lower.endsWith(e));
  if (!ext) return null;
  const stem = fileName.slice(0, fileName.length - ext.length);
  for (let i = stem.lastIndexOf("-"); i > 0; i = stem.lastIndexOf("-", i - 1)) {
    const name = stem.slice(0, i);
    const version = stem.slice(i + 1);
    if (isValidName(name) && valid(version) !== null) return { name, version };
  }
  return null;
}

/** The repository name of a VCS URL (`.../repo.git` -> `repo`), used when there is no #egg= name. */
function repositoryName(url: string): string {
  return lastSegment(url.replace(/:/g, "/")).replace(/\.git$/i, "");
}

/** Splits `<vcs>+<url>@<rev>#frag` into the clone URL and the revision, as pip's get_url_rev_and_auth does. */
function vcsSource(vcs: VcsKind, written: string): Source {
  const plus = written.indexOf("+");
  const scheme = urlScheme(written) ?? "";
  let rest = scheme.includes("+") && plus !== -1 ? written.slice(plus + 1) : written;
  rest = rest.split("#")[0]!;
  const query = rest.indexOf("?");
  const beforeQuery = query === -1 ? rest : rest.slice(0, query);
  const afterQuery = query === -1 ? "" : rest.slice(query);
  // The revision is after the last `@` of the path, never in the user@host part.
  const sep = beforeQuery.indexOf("://");
  const pathStart = sep !== -1 ? beforeQuery.indexOf("/", sep + 3) : beforeQuery.indexOf(":") + 1;
  const path = pathStart <= 0 ? "" : beforeQuery.slice(pathStart);
  const at = path.lastIndexOf("@");
  if (at === -1) return { kind: "vcs", vcs, url: beforeQuery + afterQuery, ref: null };
  const ref = path.slice(at + 1);
  return {
    kind: "vcs",
    vcs,
    url: beforeQuery.slice(0, pathStart + at) + afterQuery,
    ref: ref === "" ? null : ref,
  };
}

/** What a URL points at: a VCS checkout, a local file (file:) or a remote file. */
function urlSource(url: string): Source {
  const scheme = urlScheme(url);
  const vcs = scheme === null ? undefined : VCS_SCHEMES.get(scheme);
  if (vcs) return vcsSource(vcs, url);
  if (scheme === "file") {
    const bare = url.split("#")[0]!;
    try {
      return { kind: "path", path: safeDecode(new URL(bare).pathname) };
    } catch {
      return { kind: "path", path: bare.replace(/^file:(\/\/)?/i, "") };
    }
  }
  if (scheme === null || !/^[a-z][a-z0-9+.-]*$/.test(scheme)) return { kind: "path", path: url };
  return { kind: "url", url };
}

// ---------------------------------------------------------------------------------------------------------
// The parse.

interface FileRef {
  /** Path as reported in results. */
  report: string;
  /** Absolute path, for reading and cycle detection. */
  abs: string;
}

interface PendingDependency {
  init: DependencyInit;
  /** A named requirement resolved through the package index (not a URL, path or VCS reference). */
  fromIndex: boolean;
}

interface ParseContext {
  env: Record<string, string | undefined>;
  readInclude: (absPath: string) => { ok: true; text: string } | { ok: false; message: string };
  errors: InputError[];
  pending: PendingDependency[];
  /** Files already parsed (key: absolute path and whether as constraints): a diamond include is read once. */
  done: Set<string>;
  stack: FileRef[];
  reportedCycles: Set<string>;
  indexUrl: string | null;
  noIndex: boolean;
  plainPinShortcut: boolean;
}

function defaultReadInclude(absPath: string): { ok: true; text: string } | { ok: false; message: string } {
  const r = readTextFile(absPath);
  return r.ok ? { ok: true, text: r.text } : { ok: false, message: r.error.message };
}

/**
 * Parses a requirements file and, recursively, the files it includes with -r/-c.
 * `file` is the path to report; includes are read relative to it and reported in the same style.
 */
export function parseRequirements(
  text: string,
  file: string,
  options: RequirementsOptions = {},
): ParseResult {
  const root: FileRef = { report: file, abs: resolve(file) };
  const ctx: ParseContext = {
    env: options.env ?? process.env,
    readInclude: options.readInclude ?? defaultReadInclude,
    errors: [],
    pending: [],
    done: new Set([fileKey(root.abs, false)]),
    stack: [],
    reportedCycles: new Set(),
    indexUrl: null,
    noIndex: false,
    plainPinShortcut: options.plainPinShortcut ?? true,
  };
  parseFile(ctx, text, root, false);
  // pip applies index options globally, whatever file or line they appear on; the last --index-url wins.
  const index: Source | null =
    ctx.indexUrl !== null && !ctx.noIndex ? { kind: "index", url: ctx.indexUrl } : null;
  const dependencies = ctx.pending.map(({ init, fromIndex }) =>
    makeDependency(fromIndex && index ? { ...init, source: index } : init),
  );
  return { dependencies, errors: ctx.errors };
}

/** The index, find-links and trusted-host options one requirements file sets (includes are not followed). */
export function requirementsFileOptions(
  text: string,
  options: { env?: Record<string, string | undefined> } = {},
): RequirementsFileOptions {
  const result: RequirementsFileOptions = {
    indexUrl: null,
    extraIndexUrls: [],
    findLinks: [],
    trustedHosts: [],
    noIndex: false,
  };
  for (const ll of logicalLines(text, options.env ?? process.env)) {
    if (ll.text === "") continue;
    const split = splitLine(ll.text);
    if (split.args !== "") continue;
    for (const o of split.options) {
      if (o.name === "index-url") result.indexUrl = o.value;
      else if (o.name === "extra-index-url") result.extraIndexUrls.push(o.value);
      else if (o.name === "find-links") result.findLinks.push(o.value);
      else if (o.name === "trusted-host") result.trustedHosts.push(o.value);
      else if (o.name === "no-index") result.noIndex = true;
    }
  }
  return result;
}

function fileKey(abs: string, constraint: boolean): string {
  return `${constraint ? "c" : "r"}:${abs}`;
}

function parseFile(ctx: ParseContext, text: string, file: FileRef, constraint: boolean): void {
  ctx.stack.push(file);
  let last: PendingDependency | null = null;
  let via: string[] | null = null;
  const closeVia = () => {
    if (last && via) last.init.direct = directFromVia(via);
    via = null;
  };
  for (const ll of logicalLines(text, ctx.env)) {
    if (ll.text === "") {
      if (ll.comment === null) {
        // A blank line ends a pip-compile annotation block.
        closeVia();
        last = null;
        continue;
      }
      const note = ll.comment.trim();
      const start = /^via(?:\s+(.*))?$/.exec(note);
      if (start && last) {
        closeVia();
        via = viaItems(start[1]);
      } else if (via && note !== "") {
        via.push(note);
      }
      continue;
    }
    closeVia();
    last = parseLine(ctx, ll, file, constraint);
    const inline = ll.comment === null ? null : /^\s*via(?:\s+(.*))?$/.exec(ll.comment);
    if (last && inline) via = viaItems(inline[1]);
  }
  closeVia();
  ctx.stack.pop();
}

function viaItems(rest: string | undefined): string[] {
  return (rest ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** pip-compile's `# via`: `-r file` or `pkg (pyproject.toml)` means declared by the project, a package name means pulled in. */
function directFromVia(items: string[]): boolean | null {
  if (items.some((i) => /^-r\s/.test(i) || /\([^()]+\)$/.test(i))) return true;
  if (items.some((i) => !/^-c\s/.test(i))) return false;
  return null;
}

function errorAt(ctx: ParseContext, file: FileRef, ll: LogicalLine, offset: number, message: string): void {
  const { line, column } = positionOf(ll, offset);
  ctx.errors.push({ file: file.report, line, column, message });
}

/**
 * `name==version` and nothing else, with a name PEP 508 accepts and a valid PEP 440 version: most lines of a
 * compiled requirements file. Such a line has no options, extras, markers or URL, so the full path (option
 * splitting, the PEP 508 parser) would only confirm what this pattern and `valid` already say.
 */
const PLAIN_PIN = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([A-Za-z0-9.+!_-]+)$/;

function plainPin(text: string): { name: string; version: string } | null {
  const m = PLAIN_PIN.exec(text);
  if (m === null || valid(m[2]!) === null) return null;
  return { name: m[1]!, version: m[2]! };
}

function parseLine(
  ctx: ParseContext,
  ll: LogicalLine,
  file: FileRef,
  constraint: boolean,
): PendingDependency | null {
  const pin = ctx.plainPinShortcut ? plainPin(ll.text) : null;
  if (pin !== null) {
    const requirement = { name: pin.name, extras: [], specifier: `==${pin.version}` };
    return indexRequirement(ctx, file, ll, requirement, null, [], constraint);
  }
  const split = splitLine(ll.text);
  for (const p of split.problems) errorAt(ctx, file, ll, p.offset, p.message);
  const opts = split.options;

  if (split.args === "") {
    // pip applies these from option lines only; a requirement line's other options are ignored.
    for (const o of opts) {
      if (o.name === "index-url") ctx.indexUrl = o.value;
      else if (o.name === "no-index") ctx.noIndex = true;
    }
  }

  const hashes = hashesOf(ctx, file, ll, valuesOf(opts, "hash"));
  if (split.args !== "") return requirementLine(ctx, ll, file, split.args, hashes, constraint);

  const editables = valuesOf(opts, "editable");
  if (editables.length > 0) {
    for (const extra of editables.slice(1)) {
      errorAt(ctx, file, ll, extra.offset, "pip reads only the first -e of a line: put each on its own line");
    }
    return editableLine(ctx, ll, file, editables[0]!, constraint);
  }
  if (hashes.length > 0) {
    errorAt(
      ctx,
      file,
      ll,
      valuesOf(opts, "hash")[0]!.offset,
      "--hash must be on the line of the requirement it checks",
    );
  }
  const includes = [
    ...valuesOf(opts, "requirement").map((o) => ({ ...o, constraint: false })),
    ...valuesOf(opts, "constraint").map((o) => ({ ...o, constraint: true })),
  ];
  const first = includes[0];
  if (first) {
    for (const extra of includes.slice(1)) {
      errorAt(
        ctx,
        file,
        ll,
        extra.offset,
        "pip reads only the first -r/-c of a line: put each on its own line",
      );
    }
    includeFile(ctx, ll, file, first);
  }
  return null;
}

// pip's STRONG_HASHES, with their hex digest lengths.
const HASH_LENGTHS: ReadonlyMap<string, number> = new Map([
  ["sha256", 64],
  ["sha384", 96],
  ["sha512", 128],
]);

function hashesOf(ctx: ParseContext, file: FileRef, ll: LogicalLine, options: ParsedOption[]): string[] {
  const hashes: string[] = [];

  for (const o of options) {
    const colon = o.value.indexOf(":");
    if (colon === -1) {
      errorAt(
        ctx,
        file,
        ll,
        o.offset,
        `--hash needs an algorithm and a digest, like --hash=sha256:..., not '${o.value}'`,
      );
      continue;
    }
    const algorithm = o.value.slice(0, colon).toLowerCase();
    const digest = o.value.slice(colon + 1).toLowerCase();
    const length = HASH_LENGTHS.get(algorithm);
    if (length === undefined) {
      errorAt(
        ctx,
        file,
        ll,
        o.offset,
        `pip accepts only sha256, sha384 and sha512 for --hash, not '${algorithm}'`,
      );
      continue;
    }
    if (digest.length !== length || !/^[0-9a-f]*$/.test(digest)) {
      errorAt(
        ctx,
        file,
        ll,
        o.offset,
        `a ${algorithm} digest is ${length} hexadecimal digits, not '${digest}'`,
      );
      continue;
    }
    hashes.push(`${algorithm}:${digest}`);
  }
  return hashes;
}

function includeFile(
  ctx: ParseContext,
  ll: LogicalLine,
  from: FileRef,
  option: ParsedOption & { constraint: boolean },
): void {
  const flag = option.constraint ? "-c" : "-r";
  const target = option.value;
  if (/^(https?|file|ftp):/i.test(target)) {
    errorAt(
      ctx,
      from,
      ll,
      option.offset,
      `${flag} ${target} is not followed: pycustoms does not fetch requirements files over the network`,
    );
    return;
  }
  const included: FileRef = {
    report: isAbsolute(target) ? target : join(dirname(from.report), target),
    abs: isAbsolute(target) ? target : resolve(dirname(from.abs), target),
  };
  const onStack = ctx.stack.findIndex((f) => f.abs === included.abs);
  if (onStack !== -1) {
    const key = `${from.abs}\0${included.abs}`;
    if (!ctx.reportedCycles.has(key)) {
      ctx.reportedCycles.add(key);
      const chain = [...ctx.stack.slice(onStack).map((f) => f.report), ctx.stack[onStack]!.report];
      errorAt(
        ctx,
        from,
        ll,
        option.offset,
        `include cycle: ${from.report} includes ${included.report}, which already includes ${from.report} (${chain.join(" -> ")}); not followed again`,
      );
    }
    return;
  }
  const key = fileKey(included.abs, option.constraint);
  if (ctx.done.has(key)) return;
  ctx.done.add(key);
  const read = ctx.readInclude(included.abs);
  if (!read.ok) {
    errorAt(
      ctx,
      from,
      ll,
      option.offset,
      `cannot read ${flag} ${target} (${included.report}): ${read.message}`,
    );
    return;
  }
  parseFile(ctx, read.text, included, option.constraint);
}

interface Resolved {
  rawName: string;
  extras: string[];
  specifier: string;
  source: Source;
}

/** Name, version and source of a URL or local path (archive or project directory), as pip would derive them. */
function resolveLink(
  ctx: ParseContext,
  file: FileRef,
  ll: LogicalLine,
  offset: number,
  target: string,
  isPath: boolean,
): Resolved | null {
  const source: Source = isPath ? { kind: "path", path: target } : urlSource(target);
  let rawName: string | null = null;
  let extras: string[] = [];
  let specifier = "";
  const egg = isPath ? null : fragmentParam(target, "egg");
  if (egg !== null) {
    const parsed = parseRequirement(egg);
    if (!parsed.ok || parsed.requirement.specifier !== "" || parsed.requirement.marker !== null) {
      errorAt(ctx, file, ll, offset, `#egg= must name a project (with optional [extras]), not '${egg}'`);
      return null;
    }
    rawName = parsed.requirement.name;
    extras = parsed.requirement.extras;
  }
  const fileName = lastSegment(source.kind === "path" ? source.path : target);
  const artifact = fileName.toLowerCase().endsWith(".whl")
    ? wheelNameVersion(fileName)
    : source.kind !== "vcs" && isArchive(fileName)
      ? sdistNameVersion(fileName)
      : null;
  if (fileName.toLowerCase().endsWith(".whl") && artifact === null) {
    errorAt(
      ctx,
      file,
      ll,
      offset,
      `'${fileName}' is not a valid wheel file name (name-version-python-abi-platform.whl)`,
    );
    return null;
  }
  if (artifact) {
    rawName ??= artifact.name;
    specifier = `==${artifact.version}`;
  }
  if (rawName === null) {
    if (source.kind === "vcs") rawName = repositoryName(source.url);
    else if (source.kind === "path" && !isArchive(fileName)) {
      // A project directory: its name is in its own metadata, which a file parser does not read.
      rawName = basename(resolve(dirname(file.abs), source.path));
    } else rawName = fileName.replace(/\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$/i, "") || target;
  }
  return { rawName, extras, specifier, source };
}

function requirementLine(
  ctx: ParseContext,
  ll: LogicalLine,
  file: FileRef,
  args: string,
  hashes: string[],
  constraint: boolean,
): PendingDependency | null {
  // pip splits off the marker first; after a URL only "; " separates it (a URL may contain ';').
  const separator = isUrl(args) ? "; " : ";";
  const cut = args.indexOf(separator);
  const head = cut === -1 ? args : args.slice(0, cut);
  let markers: string | null = null;
  if (cut !== -1) {
    const markerText = args.slice(cut + separator.length);
    const check = parseMarker(markerText);
    if (!check.ok) {
      errorAt(
        ctx,
        file,
        ll,
        cut + separator.length + check.column - 1,
        `invalid environment marker: ${check.message}`,
      );
      return null;
    }
    markers = markerText.trim() === "" ? null : markerText.trim();
  }
  const lead = head.length - head.trimStart().length;
  const spec = head.trim();
  const base = {
    format: "requirements" as const,
    file: file.report,
    line: ll.line,
    markers,
    groups: ["main"],
  };

  if (isMalformedVcsUrl(spec)) {
    errorAt(ctx, file, ll, lead, malformedVcsMessage(spec));
    return null;
  }
  const local = looksLikePath(spec) || isArchive(stripExtras(spec).path);
  if (isUrl(spec) || (local && !atRequirementLike(spec))) {
    const { path, extras: extrasText } = isUrl(spec) ? { path: spec, extras: null } : stripExtras(spec);
    const resolved = resolveLink(ctx, file, ll, lead, path, !isUrl(spec));
    if (!resolved) return null;
    let extras = resolved.extras;
    if (extrasText !== null) {
      const parsed = parseRequirement(`x${extrasText}`);
      if (!parsed.ok) {
        errorAt(ctx, file, ll, lead + path.length + parsed.column - 2, `invalid extras: ${parsed.message}`);
        return null;
      }
      extras = parsed.requirement.extras;
    }
    return addDependency(ctx, {
      init: { ...base, ...resolved, extras, hashes, direct: null, constraint },
      fromIndex: false,
    });
  }

  const parsed = parseRequirement(spec);
  if (!parsed.ok) {
    errorAt(ctx, file, ll, lead + parsed.column - 1, `invalid requirement '${spec}': ${parsed.message}`);
    return null;
  }
  const req = parsed.requirement;
  if (req.url !== null) {
    const resolved = resolveLink(ctx, file, ll, lead, req.url, false);
    if (!resolved) return null;
    return addDependency(ctx, {
      init: {
        ...base,
        rawName: req.name,
        extras: req.extras,
        specifier: resolved.specifier,
        source: resolved.source,
        hashes,
        direct: null,
        constraint,
      },
      fromIndex: false,
    });
  }
  return indexRequirement(ctx, file, ll, req, markers, hashes, constraint);
}

/** A requirement the index resolves (a name and a specifier, no URL): the record every such line gives. */
function indexRequirement(
  ctx: ParseContext,
  file: FileRef,
  ll: LogicalLine,
  req: { name: string; extras: string[]; specifier: string },
  markers: string | null,
  hashes: string[],
  constraint: boolean,
): PendingDependency {
  return addDependency(ctx, {
    init: {
      format: "requirements",
      file: file.report,
      line: ll.line,
      markers,
      groups: ["main"],
      rawName: req.name,
      extras: req.extras,
      specifier: req.specifier,
      hashes,
      direct: null,
      constraint,
    },
    fromIndex: true,
  });
}

function editableLine(
  ctx: ParseContext,
  ll: LogicalLine,
  file: FileRef,
  option: ParsedOption,
  constraint: boolean,
): PendingDependency | null {
  if (constraint) {
    errorAt(
      ctx,
      file,
      ll,
      option.offset,
      "editable requirements are not allowed in a constraints file (pip refuses them)",
    );
    return null;
  }
  const { path: target, extras: extrasText } = stripExtras(option.value);
  let extras: string[] = [];
  if (extrasText !== null) {
    const parsed = parseRequirement(`x${extrasText}`);
    if (parsed.ok) extras = parsed.requirement.extras;
    else errorAt(ctx, file, ll, option.offset, `invalid extras '${extrasText}': ${parsed.message}`);
  }
  const base = {
    format: "requirements" as const,
    file: file.report,
    line: ll.line,
    groups: ["main"],
    editable: true,
  };
  if (isMalformedVcsUrl(option.value)) {
    errorAt(ctx, file, ll, option.offset, malformedVcsMessage(option.value));
    return null;
  }
  // pip's parse_editable: a bare `git:`/`svn:` URL counts as VCS; any other URL must be VCS or file:.
  const scheme = urlScheme(option.value);
  if (scheme !== null && isUrl(option.value) && scheme !== "file") {
    const source = urlSource(option.value);
    if (source.kind !== "vcs") {
      errorAt(
        ctx,
        file,
        ll,
        option.offset,
        `-e ${option.value} is not editable: it must be a local project path or a VCS URL (git+, hg+, svn+, bzr+)`,
      );
      return null;
    }
    const resolved = resolveLink(ctx, file, ll, option.offset, option.value, false);
    if (!resolved) return null;
    if (fragmentParam(option.value, "egg") === null) {
      errorAt(
        ctx,
        file,
        ll,
        option.offset,
        `pip needs the project name of -e ${option.value}: add #egg=<name>`,
      );
    }
    return addDependency(ctx, {
      init: { ...base, ...resolved, extras: [...resolved.extras, ...extras] },
      fromIndex: false,
    });
  }
  const resolved = resolveLink(ctx, file, ll, option.offset, target, scheme !== "file");
  if (!resolved) return null;
  return addDependency(ctx, {
    init: { ...base, ...resolved, extras: [...resolved.extras, ...extras] },
    fromIndex: false,
  });
}

function addDependency(ctx: ParseContext, pending: PendingDependency): PendingDependency {
  ctx.pending.push(pending);
  return pending;
}
