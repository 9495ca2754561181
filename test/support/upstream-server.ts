// A PyPI-shaped test index on 127.0.0.1: simple API (JSON + HTML), JSON API, files, .metadata, provenance, faults.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import http2, { type Http2Session } from "node:http2";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { compare, valid } from "@renovatebot/pep440";
import { parseDistFilename } from "../../src/standards/filenames.js";
import { normalizeName } from "../../src/standards/names.js";

export interface FixtureFile {
  filename: string;
  bytes: Uint8Array;
  /** ISO 8601 UTC with microseconds, e.g. 2024-03-20T13:00:33.355932Z. */
  uploadTime?: string;
  /** Overrides the release's Requires-Python. */
  requiresPython?: string;
  /** Core metadata served at `<file>.metadata` (and advertised); omitted: none. */
  metadata?: string;
  /** The PEP 740 provenance object served at the file's provenance URL; omitted: none. */
  provenance?: unknown;
  /** Overrides the release's yank (PyPI yanks whole releases; other indexes may not). */
  yanked?: boolean | string;
}

export interface FixtureRelease {
  version: string;
  files: FixtureFile[];
  /** true, or the reason. */
  yanked?: boolean | string;
  requiresPython?: string;
  requiresDist?: string[];
  summary?: string;
  /** JSON API `vulnerabilities` entries for this release, as PyPI writes them. */
  vulnerabilities?: unknown[];
}

export interface FixtureProject {
  /** Display name (the simple API serves it under its normalised name). */
  name: string;
  releases: FixtureRelease[];
  /** PEP 792 marker; omitted: the page says "active". */
  status?: string;
  statusReason?: string;
  ownership?: { organization: string | null; roles: { role: string; user: string }[] };
  lastSerial?: number;
}

export interface UpstreamFixture {
  projects: FixtureProject[];
  /** Which simple-API formats the index speaks (default both; ["html"] is a PEP 503-only mirror). */
  formats?: ("json" | "html")[];
  /** Whether `/pypi/<name>/json` exists (default true). */
  jsonApi?: boolean;
  /** Default "1.4". */
  apiVersion?: string;
  /** Cache-Control max-age of the simple pages and JSON API, seconds (default 600, like PyPI). */
  maxAge?: number;
  /** Require HTTP Basic auth on every route. */
  auth?: { username: string; password: string };
}

export interface Fault {
  /** Answer with this status instead (429, 500, ...). */
  status?: number;
  /** Retry-After header value sent with `status`. */
  retryAfter?: number | string;
  /** Wait this long before answering. */
  latencyMs?: number;
  /** Declare the full Content-Length, send half the body, then drop the connection. */
  truncate?: boolean;
  /** Send a broken body: JSON cut mid-list, HTML cut inside a tag. */
  malformed?: boolean;
  /** Apply to this many requests, then clear (default: until cleared). */
  times?: number;
}

export interface RequestRecord {
  /** "1.1", or "2.0" when the request came as an HTTP/2 stream. */
  httpVersion: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface UpstreamServerOptions {
  /** Serve HTTPS with this key and certificate (see support/tls.ts). */
  tls?: { key: string; cert: string };
  /** Over TLS, offer HTTP/2 by ALPN (default true; false: an HTTP/1.1-only index). */
  http2?: boolean;
  /** The HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS to advertise (default: Node's, unlimited). */
  maxStreams?: number;
  /** Over HTTP/2, send GOAWAY on a connection once it has carried this many requests (as nginx's keepalive_requests). */
  goawayAfter?: number;
}

export interface RunningUpstream {
  /** `http://127.0.0.1:<port>`, or `https://` with `tls` (the simple index is `${url}/simple/`). */
  url: string;
  /** Requests per path (pathname, without the query). */
  requests: Map<string, number>;
  log: RequestRecord[];
  setFault(path: string, fault: Fault | null): void;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Drops every open connection (HTTP/2: every session), as a server restart or an idle timeout would. */
  dropConnections(): void;
  /** Replaces the served data (yank a release, add a file, change ownership...). */
  setFixture(fixture: UpstreamFixture): void;
  close(): Promise<void>;
}

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE = "application/vnd.pypi.simple.v1+html";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function hex(algo: string, bytes: Uint8Array | string): string {
  return createHash(algo).update(bytes).digest("hex");
}

/** Parses an Accept header into media ranges with q-values. */
function acceptRanges(header: string | undefined): { range: string; q: number }[] {
  if (!header) return [{ range: "*/*", q: 1 }];
  return header.split(",").map((part) => {
    const [range, ...params] = part.split(";").map((s) => s.trim());
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    return { range: (range ?? "").toLowerCase(), q };
  });
}

/** Server-driven negotiation: the offer with the highest q (most specific matching range decides); ties keep offer order. */
function negotiate(header: string | undefined, offers: string[]): string | null {
  const ranges = acceptRanges(header);
  let best: { offer: string; q: number } | null = null;
  for (const offer of offers) {
    const aliases = [offer];
    if (offer === JSON_TYPE) aliases.push("application/vnd.pypi.simple.latest+json");
    if (offer === HTML_TYPE) aliases.push("application/vnd.pypi.simple.latest+html");
    const type = offer.split("/")[0];
    const exact = ranges.filter((r) => aliases.includes(r.range));
    const partial = ranges.filter((r) => r.range === `${type}/*`);
    const any = ranges.filter((r) => r.range === "*/*");
    const matched = exact.length ? exact : partial.length ? partial : any;
    const q = Math.max(0, ...matched.map((r) => r.q));
    if (q > 0 && (!best || q > best.q)) best = { offer, q };
  }
  return best?.offer ?? null;
}

function isYanked(release: FixtureRelease, file: FixtureFile): boolean | string {
  return file.yanked ?? release.yanked ?? false;
}

function latestRelease(project: FixtureProject): FixtureRelease | null {
  const candidates = [...project.releases]
    .filter((r) => valid(r.version))
    .sort((a, b) => compare(b.version, a.version));
  const stable = candidates.find((r) => !r.yanked && !/[a-z]/i.test(r.version.replace(/\.post\d+$/, "")));
  return stable ?? candidates[0] ?? project.releases[0] ?? null;
}

export async function startUpstreamServer(
  initial: UpstreamFixture,
  options: UpstreamServerOptions = {},
): Promise<RunningUpstream> {
  let fixture = initial;
  const faults = new Map<string, Fault>();
  const requests = new Map<string, number>();
  const log: RequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  // Whole seconds: HTTP dates have no fraction, and If-Modified-Since compares against this.
  const lastModified = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  let base = "";

  const findProject = (normalized: string) =>
    fixture.projects.find((p) => normalizeName(p.name) === normalized);
  const serialOf = (project: FixtureProject) =>
    project.lastSerial ?? 1000 + fixture.projects.indexOf(project);
  const quarantined = (project: FixtureProject) => project.status === "quarantined";
  const fileUrl = (file: FixtureFile) => `${base}/files/${encodeURIComponent(file.filename)}`;
  const provenanceUrl = (project: FixtureProject, release: FixtureRelease, file: FixtureFile) =>
    `${base}/integrity/${normalizeName(project.name)}/${release.version}/${encodeURIComponent(file.filename)}/provenance`;
  const uploadTime = (project: FixtureProject, release: FixtureRelease, file: FixtureFile) =>
    file.uploadTime ??
    new Date(Date.UTC(2024, 0, 1 + project.releases.indexOf(release)))
      .toISOString()
      .replace(/\.\d+Z$/, ".000000Z");

  const eachFile = (project: FixtureProject) =>
    quarantined(project)
      ? []
      : project.releases.flatMap((release) => release.files.map((file) => ({ release, file })));

  function simpleJson(project: FixtureProject): unknown {
    const status: Record<string, string> = { status: project.status ?? "active" };
    if (project.statusReason) status.reason = project.statusReason;
    return {
      meta: { "api-version": fixture.apiVersion ?? "1.4", "_last-serial": serialOf(project) },
      name: normalizeName(project.name),
      files: eachFile(project).map(({ release, file }) => {
        const metadata = file.metadata === undefined ? false : { sha256: hex("sha256", file.metadata) };
        return {
          filename: file.filename,
          url: fileUrl(file),
          hashes: { sha256: hex("sha256", file.bytes) },
          "requires-python": file.requiresPython ?? release.requiresPython ?? null,
          "core-metadata": metadata,
          "data-dist-info-metadata": metadata,
          yanked: isYanked(release, file),
          size: file.bytes.length,
          "upload-time": uploadTime(project, release, file),
          provenance: file.provenance === undefined ? null : provenanceUrl(project, release, file),
        };
      }),
      versions: quarantined(project) ? [] : project.releases.map((r) => r.version),
      "project-status": status,
    };
  }

  function simpleHtml(project: FixtureProject): string {
    const metas = [
      `<meta name="pypi:repository-version" content="${escapeHtml(fixture.apiVersion ?? "1.4")}">`,
      `<meta name="pypi:project-status" content="${escapeHtml(project.status ?? "active")}">`,
    ];
    if (project.statusReason) {
      metas.push(`<meta name="pypi:project-status-reason" content="${escapeHtml(project.statusReason)}">`);
    }
    const anchors = eachFile(project).map(({ release, file }) => {
      const attrs = [`href="${escapeHtml(`${fileUrl(file)}#sha256=${hex("sha256", file.bytes)}`)}"`];
      const requiresPython = file.requiresPython ?? release.requiresPython;
      if (requiresPython) attrs.push(`data-requires-python="${escapeHtml(requiresPython)}"`);
      if (file.metadata !== undefined) {
        const value = `sha256=${hex("sha256", file.metadata)}`;
        attrs.push(`data-dist-info-metadata="${value}"`, `data-core-metadata="${value}"`);
      }
      const yanked = isYanked(release, file);
      if (yanked !== false) attrs.push(`data-yanked="${escapeHtml(yanked === true ? "" : yanked)}"`);
      if (file.provenance !== undefined) {
        attrs.push(`data-provenance="${escapeHtml(provenanceUrl(project, release, file))}"`);
      }
      return `    <a ${attrs.join(" ")}>${escapeHtml(file.filename)}</a><br />`;
    });
    return [
      "<!DOCTYPE html>",
      "<html>",
      "  <head>",
      ...metas.map((m) => `    ${m}`),
      `    <title>Links for ${escapeHtml(project.name)}</title>`,
      "  </head>",
      "  <body>",
      `    <h1>Links for ${escapeHtml(project.name)}</h1>`,
      ...anchors,
      "  </body>",
      "</html>",
      `<!--SERIAL ${serialOf(project)}-->`,
      "",
    ].join("\n");
  }

  function rootJson(): unknown {
    return {
      meta: { "api-version": fixture.apiVersion ?? "1.4", "_last-serial": 1000 + fixture.projects.length },
      projects: fixture.projects
        .filter((p) => !quarantined(p))
        .map((p) => ({ name: p.name, "_last-serial": serialOf(p) })),
    };
  }

  function rootHtml(): string {
    const links = fixture.projects
      .filter((p) => !quarantined(p))
      .map((p) => `    <a href="/simple/${normalizeName(p.name)}/">${escapeHtml(p.name)}</a>`);
    return [
      "<!DOCTYPE html>",
      '<html lang="en">',
      "  <head>",
      `    <meta name="pypi:repository-version" content="${fixture.apiVersion ?? "1.4"}">`,
      "    <title>Simple index</title>",
      "  </head>",
      "  <body>",
      ...links,
      "  </body>",
      "</html>",
      "",
    ].join("\n");
  }

  function jsonApiFile(project: FixtureProject, release: FixtureRelease, file: FixtureFile): unknown {
    const yanked = isYanked(release, file);
    const parsed = parseDistFilename(file.filename, project.name);
    const wheel = parsed.ok && parsed.value.kind === "wheel";
    const time = uploadTime(project, release, file);
    return {
      comment_text: "",
      digests: {
        blake2b_256: createHash("blake2b512").update(file.bytes).digest("hex").slice(0, 64),
        md5: hex("md5", file.bytes),
        sha256: hex("sha256", file.bytes),
      },
      downloads: -1,
      filename: file.filename,
      has_sig: false,
      md5_digest: hex("md5", file.bytes),
      packagetype: wheel ? "bdist_wheel" : "sdist",
      python_version:
        wheel && parsed.ok && parsed.value.kind === "wheel" ? parsed.value.pythonTags.join(".") : "source",
      requires_python: file.requiresPython ?? release.requiresPython ?? null,
      size: file.bytes.length,
      upload_time: time.replace(/\.\d+Z$/, "").replace(/Z$/, ""),
      upload_time_iso_8601: time,
      url: fileUrl(file),
      yanked: yanked !== false,
      yanked_reason: typeof yanked === "string" ? yanked : null,
    };
  }

  function jsonApi(project: FixtureProject, release: FixtureRelease, withReleases: boolean): unknown {
    const normalized = normalizeName(project.name);
    const doc: Record<string, unknown> = {
      info: {
        author: "",
        author_email: "",
        name: project.name,
        version: release.version,
        summary: release.summary ?? `test project ${project.name}`,
        requires_python: release.requiresPython ?? null,
        requires_dist: release.requiresDist ?? null,
        package_url: `${base}/project/${normalized}/`,
        project_url: `${base}/project/${normalized}/`,
        release_url: `${base}/project/${normalized}/${release.version}/`,
        yanked: release.yanked !== undefined && release.yanked !== false,
        yanked_reason: typeof release.yanked === "string" ? release.yanked : null,
      },
      last_serial: serialOf(project),
      urls: release.files.map((f) => jsonApiFile(project, release, f)),
      vulnerabilities: release.vulnerabilities ?? [],
      ownership: project.ownership ?? { roles: [], organization: null },
    };
    if (withReleases) {
      doc.releases = Object.fromEntries(
        project.releases.map((r) => [r.version, r.files.map((f) => jsonApiFile(project, r, f))]),
      );
    }
    return doc;
  }

  type Reply = { status: number; headers: Record<string, string>; body: Buffer; cacheable?: boolean };

  function route(req: IncomingMessage, path: string): Reply {
    const text = (status: number, body: string): Reply => ({
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: Buffer.from(body),
    });
    const json = (value: unknown, type = "application/json"): Reply => ({
      status: 200,
      headers: { "content-type": type },
      body: Buffer.from(JSON.stringify(value)),
      cacheable: true,
    });
    const redirect = (to: string): Reply => ({
      status: 301,
      headers: { location: to },
      body: Buffer.alloc(0),
    });
    const formats = fixture.formats ?? ["json", "html"];
    const offers = [
      ...(formats.includes("html") ? ["text/html", HTML_TYPE] : []),
      ...(formats.includes("json") ? [JSON_TYPE] : []),
    ];
    const simple = (jsonBody: () => unknown, htmlBody: () => string): Reply => {
      const chosen = negotiate(req.headers.accept, offers);
      if (!chosen) return text(406, "Not Acceptable");
      const reply =
        chosen === JSON_TYPE
          ? json(jsonBody(), JSON_TYPE)
          : {
              status: 200,
              headers: { "content-type": chosen === "text/html" ? "text/html; charset=utf-8" : HTML_TYPE },
              body: Buffer.from(htmlBody()),
              cacheable: true,
            };
      reply.headers.vary = "Accept";
      return reply;
    };

    if (path === "/simple" || path === "/pypi") return redirect(`${path}/`);
    if (path === "/simple/") return simple(rootJson, rootHtml);
    let m = /^\/simple\/([^/]+)(\/?)$/.exec(path);
    if (m) {
      const raw = decodeURIComponent(m[1]!);
      const normalized = normalizeName(raw);
      if (raw !== normalized || m[2] !== "/") return redirect(`/simple/${normalized}/`);
      const project = findProject(normalized);
      if (!project) return text(404, "Not Found");
      const reply = simple(
        () => simpleJson(project),
        () => simpleHtml(project),
      );
      if (reply.status === 200) reply.headers["x-pypi-last-serial"] = String(serialOf(project));
      return reply;
    }
    m = /^\/pypi\/([^/]+)\/(?:([^/]+)\/)?json\/?$/.exec(path);
    if (m) {
      if (fixture.jsonApi === false) return text(404, "Not Found");
      const raw = decodeURIComponent(m[1]!);
      const normalized = normalizeName(raw);
      if (raw !== normalized) return redirect(path.replace(`/pypi/${m[1]}/`, `/pypi/${normalized}/`));
      const project = findProject(normalized);
      if (!project || quarantined(project)) return text(404, "Not Found");
      if (m[2] !== undefined) {
        const version = decodeURIComponent(m[2]);
        const release = project.releases.find(
          (r) =>
            r.version === version ||
            (valid(version) && valid(r.version) && compare(r.version, version) === 0),
        );
        if (!release) return text(404, "Not Found");
        return json(jsonApi(project, release, false));
      }
      const latest = latestRelease(project);
      if (!latest) return text(404, "Not Found");
      return json(jsonApi(project, latest, true));
    }
    m = /^\/files\/([^/]+)$/.exec(path);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      for (const project of fixture.projects) {
        for (const { file } of eachFile(project)) {
          if (file.filename === name) {
            return {
              status: 200,
              headers: { "content-type": "application/octet-stream" },
              body: Buffer.from(file.bytes),
            };
          }
          if (`${file.filename}.metadata` === name && file.metadata !== undefined) {
            return {
              status: 200,
              headers: { "content-type": "text/plain; charset=utf-8" },
              body: Buffer.from(file.metadata),
            };
          }
        }
      }
      return text(404, "Not Found");
    }
    m = /^\/integrity\/([^/]+)\/([^/]+)\/([^/]+)\/provenance$/.exec(path);
    if (m) {
      const project = findProject(normalizeName(decodeURIComponent(m[1]!)));
      const release = project?.releases.find((r) => r.version === decodeURIComponent(m![2]!));
      const file = release?.files.find((f) => f.filename === decodeURIComponent(m![3]!));
      if (!file || file.provenance === undefined) return text(404, "Not Found");
      return json(file.provenance, "application/vnd.pypi.integrity.v1+json");
    }
    return text(404, "Not Found");
  }

  function authorized(req: IncomingMessage): boolean {
    if (!fixture.auth) return true;
    const expected = `Basic ${Buffer.from(`${fixture.auth.username}:${fixture.auth.password}`).toString("base64")}`;
    return req.headers.authorization === expected;
  }

  function breakBody(body: Buffer, contentType: string | undefined): Buffer {
    if (contentType?.includes("json"))
      return Buffer.from('{"meta": {"api-version": "1.4"}, "files": [{"filename": ');
    const text = body.toString("utf8");
    const anchor = text.indexOf("<a ");
    return Buffer.from(anchor === -1 ? "<html><head><meta name=" : text.slice(0, anchor + 12));
  }

  // Pages and JSON documents are rendered once per fixture, path and Accept, as a CDN would serve them: the
  // benchmarks measure the client, and rendering (with a search of the project list) per request made this
  // server, not the client, the slow side of a round of hundreds of requests.
  type Rendered = Reply & { etag: string };
  // Emptied by setFixture (even when handed the same object, changed in place).
  const rendered = new Map<string, Rendered>();
  function cachedRoute(req: IncomingMessage, path: string): Rendered {
    const key = `${path}\u0000${req.headers.accept ?? ""}`;
    let hit = rendered.get(key);
    if (!hit) {
      const reply = route(req, path);
      hit = { ...reply, etag: `"${hex("sha256", reply.body).slice(0, 22)}"` };
      if (reply.cacheable && reply.status === 200) rendered.set(key, hit);
    }
    return hit;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    log.push({
      httpVersion: req.httpVersion,
      method: req.method ?? "GET",
      path,
      headers: { ...req.headers },
    });
    let fault = faults.get(path) ?? null;
    if (fault) {
      if (fault.times !== undefined) {
        const left = fault.times - 1;
        if (left <= 0) faults.delete(path);
        else faults.set(path, { ...fault, times: left });
      }
      if (fault.latencyMs) {
        const delay = fault.latencyMs;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, delay);
          timers.add(timer);
        });
        if (res.destroyed) return;
      }
      if (fault.status) {
        const headers: Record<string, string> = { "content-type": "text/plain" };
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        res.writeHead(fault.status, headers);
        res.end(`injected ${fault.status}`);
        return;
      }
    } else {
      fault = null;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      res.end();
      return;
    }
    if (!authorized(req)) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="test index"', "content-type": "text/plain" });
      res.end("Unauthorized");
      return;
    }
    const reply = cachedRoute(req, path);
    let body = reply.body;
    const headers = { ...reply.headers };
    if (reply.cacheable && reply.status === 200) {
      const etag = reply.etag;
      headers.etag = etag;
      headers["last-modified"] = lastModified.toUTCString();
      headers["cache-control"] = `public, max-age=${fixture.maxAge ?? 600}`;
      const inm = req.headers["if-none-match"];
      const ims = req.headers["if-modified-since"];
      const notModified =
        inm !== undefined
          ? inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")
          : ims !== undefined && Date.parse(ims) >= lastModified.getTime();
      if (notModified && !fault?.malformed && !fault?.truncate) {
        const { "content-type": _dropped, ...rest } = headers;
        res.writeHead(304, rest);
        res.end();
        return;
      }
    }
    if (fault?.malformed) body = breakBody(body, headers["content-type"]);
    if (fault?.truncate) {
      res.writeHead(reply.status, { ...headers, "content-length": String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      // Let the half reach the client before the connection (over HTTP/2: the stream) drops.
      const stream = (res as unknown as { stream?: http2.ServerHttp2Stream }).stream;
      setTimeout(() => {
        if (stream) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        else res.socket?.destroy();
      }, 20);
      return;
    }
    res.writeHead(reply.status, { ...headers, "content-length": String(body.length) });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`test server bug: ${(e as Error).message}`);
    });
  };
  // The HTTP/2 compatibility API gives handlers the same request and response shape as node:http.
  const sessions = new Set<Http2Session>();
  let server: Server | https.Server | http2.Http2SecureServer;
  if (!options.tls) server = createServer(listener);
  else if (options.http2 === false) server = https.createServer(options.tls, listener);
  else {
    const h2 = http2.createSecureServer(
      {
        ...options.tls,
        allowHTTP1: true,
        ...(options.maxStreams ? { settings: { maxConcurrentStreams: options.maxStreams } } : {}),
      },
      listener as unknown as Parameters<typeof http2.createSecureServer>[1],
    );
    h2.on("session", (session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
      if (options.goawayAfter !== undefined) {
        let streams = 0;
        session.on("stream", () => {
          streams++;
          if (streams === options.goawayAfter) session.goaway();
        });
      }
    });
    server = h2;
  }
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const dropConnections = () => {
    for (const session of sessions) session.destroy();
    for (const socket of sockets) socket.destroy();
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `${options.tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    log,
    setFault(path, fault) {
      if (fault) faults.set(path, fault);
      else faults.delete(path);
    },
    setFixture(next) {
      fixture = next;
      rendered.clear();
    },
    connections: () => connections,
    dropConnections,
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropConnections();
      });
    },
  };
}
