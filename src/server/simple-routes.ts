// The simple API of the proxy: `/simple/` and `/simple/<project>/`, negotiated JSON or HTML, gated, cached rendered;
// internal names are answered from the internal registry alone (dependency-confusion protection).
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isValidName, normalizeName } from "../standards/names.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import { CONTENT_TYPES, type Negotiated, negotiateFormat, type SimpleFormat } from "./negotiate.js";
import { renderProjectHtml, renderProjectJson, renderRootHtml, renderRootJson } from "./render.js";
import { gateContext, type RoutePluginOptions, STALE_WARNING } from "./services.js";

interface Rendered {
  body: Buffer;
  etag: string;
}

/** Where a page's files are served: `/packages/<project>/<filename>`, written relative to `/simple/<project>/`. */
export function proxiedFileUrl(project: string, file: ProjectFile): string {
  return `../../packages/${encodeURIComponent(project)}/${encodeURIComponent(file.filename)}`;
}

function rendered(text: string): Rendered {
  const body = Buffer.from(text, "utf8");
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === etag || tag === "*";
  });
}

/** Accept headers seen (clients send few distinct ones): parsing q-values per request was a visible cost. */
const negotiatedByAccept = new Map<string, Negotiated>();
const MEMO_ACCEPTS = 256;
const MEMO_ACCEPT_LENGTH = 512;

/** `negotiateFormat`, remembered per Accept header when there is no `?format=`. */
function negotiate(request: FastifyRequest): Negotiated {
  const format = queryFormat(request);
  const accept = request.headers.accept;
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

function queryFormat(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.format;
  return typeof value === "string" ? value : undefined;
}

function sendRendered(request: FastifyRequest, reply: FastifyReply, format: SimpleFormat, page: Rendered) {
  reply
    .header("content-type", CONTENT_TYPES[format])
    .header("vary", "Accept")
    .header("etag", page.etag)
    // Clients revalidate every time (a 304 is cheap): the gate's answer can change without the page changing.
    .header("cache-control", "max-age=0, must-revalidate");
  if (etagMatches(request.headers["if-none-match"], page.etag)) return reply.code(304).send();
  return reply.code(200).send(page.body);
}

function notAcceptable(reply: FastifyReply, message: string) {
  return reply.code(406).header("vary", "Accept").type("text/plain; charset=utf-8").send(`${message}\n`);
}

function withQuery(request: FastifyRequest, path: string): string {
  const q = request.url.indexOf("?");
  return q === -1 ? path : `${path}${request.url.slice(q)}`;
}

export async function simpleRoutes(app: FastifyInstance, options: RoutePluginOptions): Promise<void> {
  const { pages, gate, state, internal } = options.services;
  // Rendered bytes per served ProjectInfo object: a new upstream page (or gate result) is a new object.
  const renderCache = new WeakMap<ProjectInfo, Partial<Record<SimpleFormat, Rendered>>>();
  let root: { projects: string; json: Rendered; html: Rendered } | null = null;

  function render(project: ProjectInfo, format: SimpleFormat): Rendered {
    let byFormat = renderCache.get(project);
    if (!byFormat) {
      byFormat = {};
      renderCache.set(project, byFormat);
    }
    let page = byFormat[format];
    if (!page) {
      const url = (file: ProjectFile) => proxiedFileUrl(project.name, file);
      page = rendered(format === "json" ? renderProjectJson(project, url) : renderProjectHtml(project, url));
      byFormat[format] = page;
    }
    return page;
  }

  /**
   * Upstream projects with a cached page, and the internal projects. A cached upstream page of a name that has
   * since become internal (by prefix or by an upload) is no longer listed: that name is the internal project's.
   */
  async function listedProjects(): Promise<string[]> {
    const upstream = await state.listProjects();
    if (internal === null) return upstream;
    const own = internal.names();
    const names = new Set([...upstream.filter((n) => !internal.isInternal(n)), ...own]);
    return [...names].sort();
  }

  app.get("/simple", async (request, reply) => reply.redirect(withQuery(request, "/simple/"), 301));

  // The root lists the projects this proxy has pages for (PyPI's full list is ~30 MB and no installer reads it).
  app.get("/simple/", async (request, reply) => {
    const negotiated = negotiate(request);
    if (!negotiated.ok) return notAcceptable(reply, negotiated.message);
    const projects = await listedProjects();
    const key = projects.join("\n");
    if (!root || root.projects !== key) {
      root = {
        projects: key,
        json: rendered(renderRootJson(projects)),
        html: rendered(renderRootHtml(projects)),
      };
    }
    return sendRendered(
      request,
      reply,
      negotiated.format,
      negotiated.format === "json" ? root.json : root.html,
    );
  });

  app.get<{ Params: { project: string } }>("/simple/:project", async (request, reply) => {
    const name = request.params.project;
    if (!isValidName(name)) return reply.code(404).type("text/plain; charset=utf-8").send("Not Found\n");
    return reply.redirect(withQuery(request, `/simple/${normalizeName(name)}/`), 301);
  });

  app.get<{ Params: { project: string } }>("/simple/:project/", async (request, reply) => {
    const name = request.params.project;
    if (!isValidName(name)) {
      return reply
        .code(404)
        .type("text/plain; charset=utf-8")
        .send(`'${name}' is not a valid project name\n`);
    }
    const normalized = normalizeName(name);
    if (name !== normalized) return reply.redirect(withQuery(request, `/simple/${normalized}/`), 301);
    const negotiated = negotiate(request);
    if (!negotiated.ok) return notAcceptable(reply, negotiated.message);
    if (internal?.isInternal(normalized)) {
      // Never merged with, nor fallen back to, the upstream: the public index is not even asked.
      const info = internal.page(normalized, `${request.protocol}://${request.host}`);
      if (info === null) {
        return reply
          .code(404)
          .type("text/plain; charset=utf-8")
          .send(
            `pycustoms: '${normalized}' is an internal name with no internal project yet; the public index is not consulted for it\n`,
          );
      }
      // Internal projects skip the gate: what token holders upload is served as uploaded (PEP 792 status included).
      return sendRendered(request, reply, negotiated.format, render(info, negotiated.format));
    }
    const lookup = await pages.get(normalized);
    if (lookup.kind === "not-found") {
      return reply.code(404).type("text/plain; charset=utf-8").send(`${lookup.message}\n`);
    }
    if (lookup.kind === "unavailable") {
      request.log.warn(
        { project: normalized, cause: lookup.message },
        "upstream unavailable, nothing cached",
      );
      return reply
        .code(502)
        .type("text/plain; charset=utf-8")
        .send(`upstream unavailable: ${lookup.message}\n`);
    }
    const filtered = await gate.filterProject(lookup.info, gateContext(request));
    if (lookup.stale) {
      reply.header("warning", STALE_WARNING);
      request.log.warn(
        { project: normalized, fetchedAt: new Date(lookup.fetchedAt).toISOString() },
        "served a stale page: upstream unavailable",
      );
    }
    if (filtered.blocked.size > 0) reply.header("x-pycustoms-hidden-files", String(filtered.blocked.size));
    if (filtered.project.lastSerial !== null)
      reply.header("x-pypi-last-serial", String(filtered.project.lastSerial));
    return sendRendered(request, reply, negotiated.format, render(filtered.project, negotiated.format));
  });
}
