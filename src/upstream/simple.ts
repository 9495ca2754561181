// Reads a simple-repository project page — PEP 691 JSON or PEP 503 HTML — into a ProjectInfo.
import { parseDistFilename, unsafeFilenameReason } from "../standards/filenames.js";
import { normalizeName } from "../standards/names.js";
import { compare, valid } from "../standards/pep440.js";
import { type UpstreamError, upstreamError } from "./errors.js";
import type { IndexCapabilities, ProjectFile, ProjectInfo, ProjectStatus } from "./types.js";

export interface PageContext {
  /** The URL the page was read from, credentials removed: relative links resolve against it. */
  url: string;
  /** The project the page was asked for (normalised into ProjectInfo.name when the page does not say). */
  project: string;
  /** The simple index base URL, for ProjectInfo.index. */
  index: string;
  /** Response headers (lower-case names): `x-pypi-last-serial` is read when the page has no serial. */
  headers?: Record<string, string>;
}

export const SIMPLE_JSON = "application/vnd.pypi.simple.v1+json";
export const SIMPLE_HTML = "application/vnd.pypi.simple.v1+html";
/** The Accept header the simple-API spec recommends to clients. */
export const SIMPLE_ACCEPT = `${SIMPLE_JSON}, ${SIMPLE_HTML};q=0.2, text/html;q=0.01`;

type Parsed = ProjectInfo | UpstreamError;

/** Chooses the parser by Content-Type (sniffing when it is missing or generic). */
export function parseProjectPage(body: Buffer, contentType: string | undefined, ctx: PageContext): Parsed {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return upstreamError("invalid-response", ctx.url, `${ctx.url}: the project page is not valid UTF-8`);
  }
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const versioned = /^application\/vnd\.pypi\.simple\.v(\d+)\+(json|html)$/.exec(type);
  if (versioned && versioned[1] !== "1") {
    return upstreamError(
      "invalid-response",
      ctx.url,
      `${ctx.url}: unsupported simple API content type ${type}`,
    );
  }
  if (type.endsWith("json")) return parseJsonProjectPage(text, ctx);
  if (type.endsWith("html")) return parseHtmlProjectPage(text, ctx);
  return text.trimStart().startsWith("{") ? parseJsonProjectPage(text, ctx) : parseHtmlProjectPage(text, ctx);
}

// ---------------------------------------------------------------------------------------------- shared

/** PEP 629: a greater major version must be refused; absent means 1.0. */
function checkApiVersion(version: string | null, ctx: PageContext): UpstreamError | null {
  if (version === null) return null;
  const m = /^(\d+)\.(\d+)$/.exec(version.trim());
  if (!m)
    return upstreamError(
      "invalid-response",
      ctx.url,
      `${ctx.url}: unreadable repository version '${version}'`,
    );
  if (m[1] !== "1") {
    return upstreamError(
      "invalid-response",
      ctx.url,
      `${ctx.url}: unsupported repository version ${version}`,
    );
  }
  return null;
}

function minorAtLeast(version: string | null, minor: number): boolean {
  const m = version ? /^1\.(\d+)$/.exec(version.trim()) : null;
  return m !== null && Number(m[1]) >= minor;
}

function serialOf(value: unknown): number | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

function packagetypeOf(filename: string): ProjectFile["packagetype"] {
  const lower = filename.toLowerCase();
  if (lower.endsWith(".whl")) return "wheel";
  if (/\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$/.test(lower)) return "sdist";
  return "other";
}

function versionOf(filename: string, project: string): string | null {
  const parsed = parseDistFilename(filename, project);
  return parsed.ok ? parsed.value.version : null;
}

function sortedVersions(files: ProjectFile[]): string[] {
  const seen = [...new Set(files.map((f) => f.version).filter((v): v is string => v !== null))];
  const good = seen.filter((v) => valid(v));
  const odd = seen.filter((v) => !valid(v));
  return [...good.sort(compare), ...odd];
}

/**
 * Absolute https URLs that the URL parser leaves exactly as they are: a lower-case host name whose last label starts
 * with a letter (so not an IPv4 address, which may be written `0x7f` or `127`), no punycode label (the parser
 * checks and may reject it), no port; a path of unreserved and percent characters without dot segments; an optional
 * plain fragment. PyPI's file URLs are all like this; a page of a big project lists thousands of them, and parsing
 * each was a tenth of the page's parse. Property-tested against the parser.
 */
const PLAIN_HTTPS_URL =
  /^https:\/\/(?:(?!xn--)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*(?!xn--)[a-z](?:[a-z0-9-]*[a-z0-9])?\/[A-Za-z0-9_.~%+/-]*(?:#[A-Za-z0-9=_.-]*)?$/;
// A dot segment, written plainly or percent-encoded (`%2e`): the parser removes both.
const DOT_SEGMENT = /\/\.\.?(?:\/|#|$)|%2e/i;

/** `href` resolved against `base`, as the URL parser writes it; null when it is not a URL. */
export function resolveUrl(href: string, base: string): string | null {
  if (PLAIN_HTTPS_URL.test(href) && !DOT_SEGMENT.test(href)) return href;
  try {
    return new URL(href, base).href;
  } catch {
    return null;
  }
}

function buildInfo(
  ctx: PageContext,
  fields: {
    name: string;
    apiVersion: string | null;
    lastSerial: number | null;
    status: ProjectStatus | null;
    versions: string[] | null;
    files: ProjectFile[];
    json: boolean;
    sizes: boolean;
    provenance: boolean;
  },
): ProjectInfo {
  const capabilities: IndexCapabilities = {
    json: fields.json,
    jsonApi: false,
    uploadTimes: fields.files.some((f) => f.uploadTime !== null),
    sizes: fields.sizes,
    projectStatus: fields.status !== null || minorAtLeast(fields.apiVersion, 4),
    provenance: fields.provenance || minorAtLeast(fields.apiVersion, 3),
  };
  return {
    name: normalizeName(fields.name),
    index: ctx.index,
    apiVersion: fields.apiVersion,
    lastSerial: fields.lastSerial ?? serialOf(ctx.headers?.["x-pypi-last-serial"]),
    status: fields.status ?? { status: "active", reason: null },
    versions: fields.versions ?? sortedVersions(fields.files),
    files: fields.files,
    ownership: null,
    capabilities,
  };
}

// ---------------------------------------------------------------------------------------------- JSON

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hashMap(v: unknown): Record<string, string> | null {
  if (!isObject(v)) return null;
  const out: Record<string, string> = {};
  for (const [algo, digest] of Object.entries(v)) {
    if (typeof digest !== "string") return null;
    out[algo.toLowerCase()] = digest.toLowerCase();
  }
  return out;
}

/** PEP 714 `core-metadata`, then the legacy `dist-info-metadata`, then PyPI's `data-dist-info-metadata`. */
function coreMetadataOf(file: JsonObject): boolean | Record<string, string> {
  for (const key of ["core-metadata", "dist-info-metadata", "data-dist-info-metadata"]) {
    const v = file[key];
    if (v === undefined || v === null) continue;
    if (typeof v === "boolean") return v;
    const hashes = hashMap(v);
    if (hashes) return hashes;
  }
  return false;
}

function projectStatusOf(page: JsonObject, meta: JsonObject): ProjectStatus | null {
  const ps = page["project-status"];
  if (isObject(ps)) {
    // The PEP's prose says `state`; the spec's example, PyPI and this code's reading say `status`.
    const status = typeof ps.status === "string" ? ps.status : typeof ps.state === "string" ? ps.state : null;
    const reason = typeof ps.reason === "string" && ps.reason !== "" ? ps.reason : null;
    if (status !== null || reason !== null) return { status: status ?? "active", reason };
  }
  // The PyPA spec's own JSON example puts it under meta.
  if (typeof meta["project-status"] === "string") {
    const reason = meta["project-status-reason"];
    return {
      status: meta["project-status"],
      reason: typeof reason === "string" && reason !== "" ? reason : null,
    };
  }
  return null;
}

/** A PEP 691 project detail page. */
export function parseJsonProjectPage(text: string, ctx: PageContext): Parsed {
  let page: unknown;
  try {
    page = JSON.parse(text);
  } catch (e) {
    return upstreamError("invalid-response", ctx.url, `${ctx.url}: malformed JSON (${(e as Error).message})`);
  }
  const bad = (what: string) => upstreamError("invalid-response", ctx.url, `${ctx.url}: ${what}`);
  if (!isObject(page)) return bad("the project page is not a JSON object");
  const meta = isObject(page.meta) ? page.meta : {};
  const apiVersion = typeof meta["api-version"] === "string" ? meta["api-version"] : null;
  const versionError = checkApiVersion(apiVersion, ctx);
  if (versionError) return versionError;
  if (!Array.isArray(page.files)) return bad("the project page has no 'files' list");
  const name = typeof page.name === "string" && page.name !== "" ? page.name : ctx.project;

  const files: ProjectFile[] = [];
  let sizes = page.files.length > 0;
  let provenance = false;
  for (const [i, raw] of page.files.entries()) {
    if (!isObject(raw)) return bad(`files[${i}] is not an object`);
    if (typeof raw.filename !== "string") return bad(`files[${i}] has no 'filename'`);
    const unsafe = unsafeFilenameReason(raw.filename);
    if (unsafe) return bad(`files[${i}]: ${unsafe}`);
    if (typeof raw.url !== "string") return bad(`files[${i}] (${raw.filename}) has no 'url'`);
    const url = resolveUrl(raw.url, ctx.url);
    if (url === null) return bad(`files[${i}] (${raw.filename}) has an invalid url`);
    const hashes = raw.hashes === undefined ? {} : hashMap(raw.hashes);
    if (hashes === null) return bad(`files[${i}] (${raw.filename}) has malformed 'hashes'`);
    const yanked = raw.yanked;
    const isYanked = yanked === true || (typeof yanked === "string" && yanked !== "");
    const size =
      typeof raw.size === "number" && Number.isSafeInteger(raw.size) && raw.size >= 0 ? raw.size : null;
    if (size === null) sizes = false;
    if ("provenance" in raw) provenance = true;
    const provenanceUrl = typeof raw.provenance === "string" ? resolveUrl(raw.provenance, ctx.url) : null;
    files.push({
      filename: raw.filename,
      url,
      hashes,
      version: versionOf(raw.filename, name),
      packagetype: packagetypeOf(raw.filename),
      requiresPython:
        typeof raw["requires-python"] === "string" && raw["requires-python"].trim() !== ""
          ? raw["requires-python"]
          : null,
      yanked: isYanked,
      yankedReason: typeof yanked === "string" && yanked !== "" ? yanked : null,
      size,
      uploadTime: typeof raw["upload-time"] === "string" ? raw["upload-time"] : null,
      coreMetadata: coreMetadataOf(raw),
      provenance: provenanceUrl,
    });
  }
  const versions = Array.isArray(page.versions)
    ? page.versions.filter((v): v is string => typeof v === "string")
    : null;
  return buildInfo(ctx, {
    name,
    apiVersion,
    lastSerial: serialOf(meta["_last-serial"]),
    status: projectStatusOf(page, meta),
    versions,
    files,
    json: true,
    sizes,
    provenance,
  });
}

// ---------------------------------------------------------------------------------------------- HTML
//
// No HTML tokenizer is a dependency of the project, and a simple page is a narrow dialect (anchors, metas,
// one comment), so this is a small scanner that follows the HTML tokenizer's rules for the parts we read:
// comments, quoted/unquoted/valueless attributes (first occurrence wins), raw-text elements skipped,
// character references decoded. A page cut off inside a tag, a comment or an open anchor is refused.

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/** Decodes numeric references and the named ones an index can need; unknown names stay as written. */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        return "\ufffd";
      }
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

interface Tag {
  name: string;
  end: boolean;
  attrs: Map<string, string>;
}

type Token = { kind: "tag"; tag: Tag } | { kind: "text"; text: string } | { kind: "comment"; text: string };

const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"]);

/** Splits an HTML document into tags, text and comments; returns an error message when it is cut off. */
export function tokenizeHtml(html: string): { tokens: Token[]; error: string | null } {
  const tokens: Token[] = [];
  let i = 0;
  const n = html.length;
  const pushText = (from: number, to: number) => {
    if (to > from) tokens.push({ kind: "text", text: html.slice(from, to) });
  };
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt === -1) {
      pushText(i, n);
      break;
    }
    pushText(i, lt);
    i = lt;
    if (html.startsWith("<!--", i)) {
      const close = html.indexOf("-->", i + 4);
      if (close === -1) return { tokens, error: "a comment is not closed (truncated page?)" };
      tokens.push({ kind: "comment", text: html.slice(i + 4, close) });
      i = close + 3;
      continue;
    }
    if (html[i + 1] === "!" || html[i + 1] === "?") {
      const close = html.indexOf(">", i);
      if (close === -1) return { tokens, error: "a declaration is not closed (truncated page?)" };
      i = close + 1;
      continue;
    }
    const end = html[i + 1] === "/";
    const nameStart = end ? i + 2 : i + 1;
    if (!/[A-Za-z]/.test(html[nameStart] ?? "")) {
      // A lone `<` is text.
      pushText(i, i + 1);
      i++;
      continue;
    }
    let j = nameStart;
    while (j < n && !/[\s/>]/.test(html[j]!)) j++;
    const name = html.slice(nameStart, j).toLowerCase();
    const attrs = new Map<string, string>();
    let closed = false;
    while (j < n) {
      while (j < n && /[\s/]/.test(html[j]!)) j++;
      if (j >= n) break;
      if (html[j] === ">") {
        closed = true;
        j++;
        break;
      }
      const attrStart = j;
      while (j < n && !/[\s/>=]/.test(html[j]!)) j++;
      if (j === attrStart) j++; // a stray `=`: skip it as the tokenizer does
      const attrName = html.slice(attrStart, j).toLowerCase();
      let k = j;
      while (k < n && /\s/.test(html[k]!)) k++;
      let value = "";
      if (html[k] === "=") {
        k++;
        while (k < n && /\s/.test(html[k]!)) k++;
        const quote = html[k];
        if (quote === '"' || quote === "'") {
          const close = html.indexOf(quote, k + 1);
          if (close === -1)
            return { tokens, error: `an attribute of <${name}> is not closed (truncated page?)` };
          value = html.slice(k + 1, close);
          j = close + 1;
        } else {
          let m = k;
          while (m < n && !/[\s>]/.test(html[m]!)) m++;
          value = html.slice(k, m);
          j = m;
        }
      }
      if (attrName !== "" && attrName !== "=" && !attrs.has(attrName))
        attrs.set(attrName, decodeHtmlEntities(value));
    }
    if (!closed) return { tokens, error: `the tag <${name}> is not closed (truncated page?)` };
    tokens.push({ kind: "tag", tag: { name, end, attrs } });
    i = j;
    if (!end && RAW_TEXT.has(name)) {
      const close = html.toLowerCase().indexOf(`</${name}`, i);
      if (close === -1) return { tokens, error: `<${name}> is not closed (truncated page?)` };
      pushText(i, close);
      i = close;
    }
  }
  return { tokens, error: null };
}

function fileFromAnchor(
  attrs: Map<string, string>,
  text: string,
  base: string,
  project: string,
): ProjectFile | string | null {
  const href = attrs.get("href");
  if (href === undefined || href.trim() === "") return null;
  const resolved = resolveUrl(href.trim(), base);
  if (resolved === null) return `the link '${href}' is not a valid URL`;
  const u = new URL(resolved);
  const hashes: Record<string, string> = {};
  const fragment = /^#([A-Za-z0-9_]+)=([0-9A-Fa-f]+)$/.exec(u.hash);
  if (fragment) hashes[fragment[1]!.toLowerCase()] = fragment[2]!.toLowerCase();
  u.hash = "";
  const lastSegment = u.pathname.slice(u.pathname.lastIndexOf("/") + 1);
  let filename: string;
  try {
    filename = decodeURIComponent(lastSegment);
  } catch {
    filename = lastSegment;
  }
  // Installers name a file by its URL; the anchor text (which must be the same) is the fallback.
  if (filename === "") filename = decodeHtmlEntities(text).trim();
  const unsafe = unsafeFilenameReason(filename);
  if (unsafe) return unsafe;
  const yanked = attrs.get("data-yanked");
  const requiresPython = attrs.get("data-requires-python");
  const metadata = attrs.get("data-core-metadata") ?? attrs.get("data-dist-info-metadata");
  let coreMetadata: boolean | Record<string, string> = false;
  if (metadata !== undefined) {
    const m = /^\s*([A-Za-z0-9_]+)=([0-9A-Fa-f]+)\s*$/.exec(metadata);
    if (m) coreMetadata = { [m[1]!.toLowerCase()]: m[2]!.toLowerCase() };
    else coreMetadata = metadata.trim().toLowerCase() !== "false";
  }
  const provenance = attrs.get("data-provenance");
  return {
    filename,
    url: u.href,
    hashes,
    version: versionOf(filename, project),
    packagetype: packagetypeOf(filename),
    requiresPython: requiresPython !== undefined && requiresPython.trim() !== "" ? requiresPython : null,
    yanked: yanked !== undefined,
    yankedReason: yanked !== undefined && yanked !== "" ? yanked : null,
    size: null,
    uploadTime: null,
    coreMetadata,
    provenance:
      provenance !== undefined && provenance.trim() !== "" ? resolveUrl(provenance.trim(), base) : null,
  };
}

/** A PEP 503 project detail page (with the PEP 592/629/658/714/740/792 attributes and metas). */
export function parseHtmlProjectPage(html: string, ctx: PageContext): Parsed {
  const { tokens, error } = tokenizeHtml(html);
  if (error) return upstreamError("invalid-response", ctx.url, `${ctx.url}: malformed HTML: ${error}`);
  let base = ctx.url;
  let baseSeen = false;
  const metas = new Map<string, string>();
  let serial: number | null = null;
  const files: ProjectFile[] = [];
  let anchor: { attrs: Map<string, string>; text: string } | null = null;
  const project = normalizeName(ctx.project);

  const closeAnchor = (): UpstreamError | null => {
    if (!anchor) return null;
    const file = fileFromAnchor(anchor.attrs, anchor.text, base, project);
    anchor = null;
    if (typeof file === "string") return upstreamError("invalid-response", ctx.url, `${ctx.url}: ${file}`);
    if (file) files.push(file);
    return null;
  };

  for (const token of tokens) {
    if (token.kind === "comment") {
      const m = /^\s*SERIAL\s+(\d+)\s*$/.exec(token.text);
      if (m) serial = Number(m[1]);
      continue;
    }
    if (token.kind === "text") {
      if (anchor) anchor.text += token.text;
      continue;
    }
    const { tag } = token;
    if (tag.name === "a") {
      const problem = closeAnchor();
      if (problem) return problem;
      if (!tag.end) anchor = { attrs: tag.attrs, text: "" };
    } else if (tag.name === "meta" && !tag.end) {
      const name = tag.attrs.get("name")?.toLowerCase();
      const content = tag.attrs.get("content");
      if (name && content !== undefined && !metas.has(name)) metas.set(name, content);
    } else if (tag.name === "base" && !tag.end && !baseSeen) {
      const href = tag.attrs.get("href");
      if (href !== undefined) {
        baseSeen = true;
        base = resolveUrl(href, ctx.url) ?? base;
      }
    }
  }
  if (anchor) {
    return upstreamError(
      "invalid-response",
      ctx.url,
      `${ctx.url}: malformed HTML: a link is not closed (truncated page?)`,
    );
  }
  const apiVersion = metas.get("pypi:repository-version")?.trim() ?? null;
  const versionError = checkApiVersion(apiVersion, ctx);
  if (versionError) return versionError;
  const statusMarker = metas.get("pypi:project-status");
  const statusReason = metas.get("pypi:project-status-reason");
  const status: ProjectStatus | null =
    statusMarker !== undefined || statusReason !== undefined
      ? { status: statusMarker?.trim() || "active", reason: statusReason?.trim() ? statusReason : null }
      : null;
  return buildInfo(ctx, {
    name: ctx.project,
    apiVersion,
    lastSerial: serial,
    status,
    versions: null,
    files,
    json: false,
    sizes: false,
    provenance: files.some((f) => f.provenance !== null),
  });
}
