// The answer to `GET`/`HEAD /simple/<project>/`, computed once for both ways in: the Fastify route and the
// node:http fast path in front of it (page-fast-path.ts). Rendered bytes and their response headers are kept per
// served ProjectInfo object and representation, so a cached page costs a few lookups and one write.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import type { FilteredProject } from "./gate-hook.js";
import { CONTENT_TYPES, type Negotiated, negotiateFormat, type SimpleFormat } from "./negotiate.js";
import { renderProjectHtml, renderProjectJson } from "./render.js";
import { type ServerServices, STALE_WARNING } from "./services.js";
import type { PageLookup } from "./upstream-cache.js";

export type ResponseHeaders = Readonly<Record<string, string>>;

/** One representation of a page: its bytes and the headers of a 200 and of a 304, built once. */
export interface RenderedPage {
  body: Buffer;
  etag: string;
  ok: ResponseHeaders;
  notModified: ResponseHeaders;
}

/** What to send: the writer adds only the per-process `X-Pycustoms-Worker` (and a stale page's `Warning`). */
export interface PageAnswer {
  status: number;
  /** Shared between requests: never modify. */
  headers: ResponseHeaders;
  /** Null for a 304; left out for HEAD by the writer. */
  body: Buffer | string | null;
  /** Served from the cache while upstream is unreachable: the writer adds `Warning: 110`. */
  stale: boolean;
}

/** What the answer depends on, read from the request by whichever way it came in. */
export interface PageQuestion {
  /** A valid, normalised project name. */
  project: string;
  accept: string | undefined;
  /** `?format=`, when given. */
  format: string | undefined;
  ifNoneMatch: string | undefined;
  /** The request's Accept-Encoding: a page is sent gzip-compressed when it allows gzip. */
  acceptEncoding: string | undefined;
  /** The gate's requester (`gateClient`). */
  client: string;
  /** `<protocol>://<host>` of the request, for internal pages (their file URLs are absolute). */
  baseUrl: () => string;
}

export interface PageLog {
  warn(obj: object, msg: string): void;
}

/** Smaller pages are sent as they are: compressing them saves less than it costs (and than the headers weigh). */
export const GZIP_MIN_BYTES = 1024;

/** Headers every representation of a simple page carries. */
export function pageHeaders(
  format: SimpleFormat,
  etag: string,
  extra: Record<string, string> = {},
  compressible = false,
): Record<string, string> {
  return {
    ...extra,
    "content-type": CONTENT_TYPES[format],
    // A page big enough to be sent gzip-compressed varies with Accept-Encoding too (shared caches must know).
    vary: compressible ? "Accept, Accept-Encoding" : "Accept",
    etag,
    // Clients revalidate every time (a 304 is cheap): the gate's answer can change without the page changing.
    "cache-control": "max-age=0, must-revalidate",
  };
}

/** Bytes, ETag and both header sets of one representation; `extra` goes into both (serial, hidden files). */
export function renderedPage(
  text: string,
  format: SimpleFormat,
  extra: Record<string, string> = {},
): RenderedPage {
  const body = Buffer.from(text, "utf8");
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const compressible = body.length >= GZIP_MIN_BYTES;
  const notModified = pageHeaders(format, etag, extra, compressible);
  return {
    body,
    etag,
    ok: { ...notModified, "content-length": String(body.length) },
    notModified,
  };
}

/** Gzip representations, made on first request (most pages are only ever asked for by one kind of client). */
const gzipped = new WeakMap<RenderedPage, RenderedPage>();

/**
 * The page gzip-compressed (`Content-Encoding: gzip`), or null when it is too small to gain from it. A
 * representation of its own (RFC 9110 8.8.3): its own ETag (the page's with `-gz`), so a validator of one encoding
 * never revalidates the other.
 */
export function gzipRepresentation(page: RenderedPage): RenderedPage | null {
  const known = gzipped.get(page);
  if (known !== undefined) return known;
  if (page.body.length < GZIP_MIN_BYTES) return null;
  const body = gzipSync(page.body);
  const etag = `${page.etag.slice(0, -1)}-gz"`;
  // The page's own headers (Vary already names Accept-Encoding at this size), with this representation's ETag.
  const notModified = { ...page.notModified, etag };
  const gz: RenderedPage = {
    body,
    etag,
    ok: { ...notModified, "content-encoding": "gzip", "content-length": String(body.length) },
    notModified,
  };
  gzipped.set(page, gz);
  return gz;
}

/** Accept-Encoding headers seen (clients send few distinct ones), and whether each allows gzip. */
const gzipByAcceptEncoding = new Map<string, boolean>();

/**
 * Whether an Accept-Encoding header allows gzip (RFC 9110 12.5.3): `gzip` or `x-gzip` with a non-zero weight, or,
 * when neither is named, `*` with one. Remembered per header value.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined || header === "") return false;
  let allowed = gzipByAcceptEncoding.get(header);
  if (allowed === undefined) {
    let gzip: number | undefined;
    let any: number | undefined;
    for (const part of header.split(",")) {
      const [coding = "", ...params] = part.split(";");
      const name = coding.trim().toLowerCase();
      let q = 1;
      for (const param of params) {
        const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
        if (m) q = Number(m[1]);
      }
      if (!Number.isFinite(q)) q = 0;
      if (name === "gzip" || name === "x-gzip") gzip = Math.max(gzip ?? 0, q);
      else if (name === "*") any = q;
    }
    allowed = gzip !== undefined ? gzip > 0 : any !== undefined && any > 0;
    if (gzipByAcceptEncoding.size >= MEMO_ACCEPTS) gzipByAcceptEncoding.clear();
    if (header.length <= MEMO_ACCEPT_LENGTH) gzipByAcceptEncoding.set(header, allowed);
  }
  return allowed;
}

export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === etag || tag === "*";
  });
}

/**
 * 200 with the page (gzip-compressed when the client allows it and the page is big enough), or 304 when the client
 * already has that representation's bytes.
 */
export function pageAnswer(
  rendered: RenderedPage,
  ifNoneMatch: string | undefined,
  acceptEncoding: string | undefined,
  stale = false,
): PageAnswer {
  const page = (acceptsGzip(acceptEncoding) && gzipRepresentation(rendered)) || rendered;
  if (etagMatches(ifNoneMatch, page.etag)) {
    return { status: 304, headers: page.notModified, body: null, stale };
  }
  return { status: 200, headers: page.ok, body: page.body, stale };
}

const TEXT_PLAIN = "text/plain; charset=utf-8";

export function textAnswer(status: number, text: string, extra: Record<string, string> = {}): PageAnswer {
  const body = Buffer.from(`${text}\n`, "utf8");
  return {
    status,
    headers: { ...extra, "content-type": TEXT_PLAIN, "content-length": String(body.length) },
    body,
    stale: false,
  };
}

/** Accept headers seen (clients send few distinct ones): parsing q-values per request was a visible cost. */
const negotiatedByAccept = new Map<string, Negotiated>();
const MEMO_ACCEPTS = 256;
const MEMO_ACCEPT_LENGTH = 512;

/** `negotiateFormat`, remembered per Accept header when there is no `?format=`. */
export function negotiateRemembered(accept: string | undefined, format: string | undefined): Negotiated {
  if (format !== undefined || accept === undefined || accept.length > MEMO_ACCEPT_LENGTH)
    return negotiateFormat(accept, format);
  let negotiated = negotiatedByAccept.get(accept);
  if (negotiated === undefined) {
    negotiated = negotiateFormat(accept, undefined);
    if (negotiatedByAccept.size >= MEMO_ACCEPTS) negotiatedByAccept.clear();
    negotiatedByAccept.set(accept, negotiated);
  }
  return negotiated;
}

export function notAcceptable(message: string): PageAnswer {
  return textAnswer(406, message, { vary: "Accept" });
}

/** Where a page's files are served: `/packages/<project>/<filename>`, written relative to `/simple/<project>/`. */
export function proxiedFileUrl(project: string, file: ProjectFile): string {
  return `../../packages/${encodeURIComponent(project)}/${encodeURIComponent(file.filename)}`;
}

interface Renderings {
  /** The hidden-file count the renderings were made with (null: an internal page, no page-level headers). */
  hidden: number | null;
  byFormat: Partial<Record<SimpleFormat, RenderedPage>>;
}

/**
 * Project pages of one server. Renderings are kept per served ProjectInfo object: a new upstream page, or a new
 * gate verdict (approval, block, changed advisories or policy), is a new object and so is rendered afresh; an
 * object no longer served is dropped with it (WeakMap).
 */
export class ProjectPages {
  private readonly renderings = new WeakMap<ProjectInfo, Renderings>();

  constructor(private readonly services: Pick<ServerServices, "pages" | "gate" | "internal">) {}

  /**
   * One representation of a page. `hidden`: how many files the gate removed (an upstream page: the count and the
   * upstream serial go into the headers), or null for an internal page (neither header).
   */
  render(project: ProjectInfo, format: SimpleFormat, hidden: number | null): RenderedPage {
    let entry = this.renderings.get(project);
    if (entry === undefined || entry.hidden !== hidden) {
      entry = { hidden, byFormat: {} };
      this.renderings.set(project, entry);
    }
    let page = entry.byFormat[format];
    if (page === undefined) {
      const url = (file: ProjectFile) => proxiedFileUrl(project.name, file);
      const text = format === "json" ? renderProjectJson(project, url) : renderProjectHtml(project, url);
      const extra: Record<string, string> = {};
      if (hidden !== null && hidden > 0) extra["x-pycustoms-hidden-files"] = String(hidden);
      if (hidden !== null && project.lastSerial !== null)
        extra["x-pypi-last-serial"] = String(project.lastSerial);
      page = renderedPage(text, format, extra);
      entry.byFormat[format] = page;
    }
    return page;
  }

  /**
   * The whole answer for a normalised, valid name: an internal project from the internal registry alone; else the
   * upstream page (fresh, refreshed, or stale in an outage) through the gate (which records access requests and
   * writes its decisions to the audit log). Throws only for bugs (answered 500).
   */
  async answer(q: PageQuestion, log: PageLog): Promise<PageAnswer> {
    const negotiated = negotiateRemembered(q.accept, q.format);
    if (!negotiated.ok) return notAcceptable(negotiated.message);
    const now = this.immediate(q, negotiated.format, log);
    if (now !== null) return now;
    const { pages, gate } = this.services;
    const lookup = await pages.get(q.project);
    if (lookup.kind === "not-found") return textAnswer(404, lookup.message);
    if (lookup.kind === "unavailable") {
      log.warn({ project: q.project, cause: lookup.message }, "upstream unavailable, nothing cached");
      return textAnswer(502, `upstream unavailable: ${lookup.message}`);
    }
    const filtered = await gate.filterProject(lookup.info, { client: q.client });
    return this.upstreamAnswer(q, negotiated.format, lookup, filtered, log);
  }

  /**
   * `answer` without waiting, when nothing has to be fetched or evaluated (a page held in memory whose gate
   * verdict is remembered, an internal page, a refusal); null when `answer` must do the waiting. The fast path
   * takes this first: a cached page is then written in the same turn as its request was read.
   */
  answerNow(q: PageQuestion, log: PageLog): PageAnswer | null {
    const negotiated = negotiateRemembered(q.accept, q.format);
    if (!negotiated.ok) return notAcceptable(negotiated.message);
    return this.immediate(q, negotiated.format, log);
  }

  /** The answer for a negotiated format when it needs no waiting (see `answerNow`), else null. */
  private immediate(q: PageQuestion, format: SimpleFormat, log: PageLog): PageAnswer | null {
    const { pages, gate, internal } = this.services;
    const name = q.project;
    if (internal?.isInternal(name)) {
      // Never merged with, nor fallen back to, the upstream: the public index is not even asked.
      const info = internal.page(name, q.baseUrl());
      if (info === null) {
        return textAnswer(
          404,
          `pycustoms: '${name}' is an internal name with no internal project yet; the public index is not consulted for it`,
        );
      }
      // Internal projects skip the gate: what token holders upload is served as uploaded (PEP 792 status included).
      return pageAnswer(this.render(info, format, null), q.ifNoneMatch, q.acceptEncoding);
    }
    const lookup = pages.peek(name);
    if (lookup === null || lookup.kind !== "page") return null;
    const filtered = gate.filterProjectRemembered?.(lookup.info, { client: q.client }) ?? null;
    if (filtered === null) return null;
    return this.upstreamAnswer(q, format, lookup, filtered, log);
  }

  private upstreamAnswer(
    q: PageQuestion,
    format: SimpleFormat,
    lookup: Extract<PageLookup, { kind: "page" }>,
    filtered: FilteredProject,
    log: PageLog,
  ): PageAnswer {
    if (lookup.stale) {
      log.warn(
        { project: q.project, fetchedAt: new Date(lookup.fetchedAt).toISOString() },
        "served a stale page: upstream unavailable",
      );
    }
    const page = this.render(filtered.project, format, filtered.blocked.size);
    return pageAnswer(page, q.ifNoneMatch, q.acceptEncoding, lookup.stale);
  }
}

/** The headers to write: the answer's, plus a stale page's Warning and any per-process ones. */
export function answerHeaders(answer: PageAnswer, perProcess: ResponseHeaders | null): ResponseHeaders {
  if (!answer.stale && perProcess === null) return answer.headers;
  return { ...perProcess, ...(answer.stale ? { warning: STALE_WARNING } : {}), ...answer.headers };
}
