// The simple API of the proxy: `/simple/` and `/simple/<project>/`, negotiated JSON or HTML, gated, cached rendered;
// internal names are answered from the internal registry alone (dependency-confusion protection).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isValidName, normalizeName } from "../standards/names.js";
import type { SimpleFormat } from "./negotiate.js";
import {
  answerHeaders,
  negotiateRemembered,
  notAcceptable,
  type PageAnswer,
  ProjectPages,
  pageAnswer,
  type RenderedPage,
  renderedPage,
  textAnswer,
} from "./project-page.js";
import { renderRootHtml, renderRootJson } from "./render.js";
import { gateContext, type RoutePluginOptions } from "./services.js";

export { proxiedFileUrl } from "./project-page.js";

export interface SimpleRoutesOptions extends RoutePluginOptions {
  /** The project pages (shared with the node:http fast path in front of Fastify, so both use one cache). */
  projectPages?: ProjectPages;
}

function queryFormat(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.format;
  return typeof value === "string" ? value : undefined;
}

/** Writes an answer through Fastify (the fast path writes the same answer with node:http). */
function sendAnswer(reply: FastifyReply, answer: PageAnswer) {
  reply.headers(answerHeaders(answer, null));
  return answer.body === null
    ? reply.code(answer.status).send()
    : reply.code(answer.status).send(answer.body);
}

function withQuery(request: FastifyRequest, path: string): string {
  const q = request.url.indexOf("?");
  return q === -1 ? path : `${path}${request.url.slice(q)}`;
}

export async function simpleRoutes(app: FastifyInstance, options: SimpleRoutesOptions): Promise<void> {
  const { state, internal } = options.services;
  const projectPages = options.projectPages ?? new ProjectPages(options.services);
  let root: { projects: string; pages: Record<SimpleFormat, RenderedPage> } | null = null;

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
    const negotiated = negotiateRemembered(request.headers.accept, queryFormat(request));
    if (!negotiated.ok) return sendAnswer(reply, notAcceptable(negotiated.message));
    const projects = await listedProjects();
    const key = projects.join("\n");
    if (!root || root.projects !== key) {
      const html = renderRootHtml(projects);
      root = {
        projects: key,
        pages: {
          json: renderedPage(renderRootJson(projects), "json"),
          "html-v1": renderedPage(html, "html-v1"),
          "text-html": renderedPage(html, "text-html"),
        },
      };
    }
    const rootPage = root.pages[negotiated.format];
    return sendAnswer(
      reply,
      pageAnswer(rootPage, request.headers["if-none-match"], request.headers["accept-encoding"]),
    );
  });

  app.get<{ Params: { project: string } }>("/simple/:project", async (request, reply) => {
    const name = request.params.project;
    if (!isValidName(name)) return reply.code(404).type("text/plain; charset=utf-8").send("Not Found\n");
    return reply.redirect(withQuery(request, `/simple/${normalizeName(name)}/`), 301);
  });

  app.get<{ Params: { project: string } }>("/simple/:project/", async (request, reply) => {
    const name = request.params.project;
    if (!isValidName(name))
      return sendAnswer(reply, textAnswer(404, `'${name}' is not a valid project name`));
    const normalized = normalizeName(name);
    if (name !== normalized) return reply.redirect(withQuery(request, `/simple/${normalized}/`), 301);
    const answer = await projectPages.answer(
      {
        project: normalized,
        accept: request.headers.accept,
        format: queryFormat(request),
        ifNoneMatch: request.headers["if-none-match"],
        acceptEncoding: request.headers["accept-encoding"],
        client: gateContext(request).client,
        baseUrl: () => `${request.protocol}://${request.host}`,
      },
      request.log,
    );
    return sendAnswer(reply, answer);
  });
}
