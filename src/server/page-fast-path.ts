// The node:http request listener in front of Fastify: `GET`/`HEAD /simple/<normalised name>/` without a query is
// answered here, through the same `ProjectPages.answer` as the Fastify route (negotiation, internal names, page
// cache, gate, rendered-bytes cache); every other request goes to Fastify unchanged. Fastify's per-request machinery
// (routing, request and reply objects, hooks) cost a third of a cached page's time; this path skips only that.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { isValidName, normalizeName } from "../standards/names.js";
import {
  answerHeaders,
  type PageAnswer,
  type PageQuestion,
  type ProjectPages,
  type ResponseHeaders,
} from "./project-page.js";
import type { FrontRequest } from "./raw-front.js";
import { gateClient } from "./services.js";

export interface FastPathLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PageFastPathOptions {
  projectPages: ProjectPages;
  log: FastPathLog;
  /** Headers every response of this process carries (`X-Pycustoms-Worker`), or null. */
  perProcess: ResponseHeaders | null;
  /** Write the one access-log line per request (as the Fastify hook does at info and below). */
  logRequests: boolean;
  /** True once the server is closing: Fastify then answers every request (503). */
  closing: () => boolean;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const PREFIX = "/simple/";
/** Fastify's `maxParamLength` (app.ts): distribution file names can be long, the default (100) would 404 them. */
export const MAX_PARAM_LENGTH = 1000;

/** The project of `/simple/<name>/` when the name is already valid and normalised (anything else: Fastify). */
export function fastPathProject(url: string): string | null {
  const length = url.length - PREFIX.length - 1;
  if (length < 1 || length > MAX_PARAM_LENGTH || !url.startsWith(PREFIX) || !url.endsWith("/")) return null;
  const name = url.slice(PREFIX.length, -1);
  return isValidName(name) && normalizeName(name) === name ? name : null;
}

/** What a 500 says to the client, on every way in: the error itself is logged, never sent. */
export const INTERNAL_ERROR_BODY = JSON.stringify({
  statusCode: 500,
  error: "Internal Server Error",
  message: "internal error (see the server log)",
});

/** The server's answer to an error thrown while answering (app.ts's error handler), for the same case here. */
function internalError(): PageAnswer {
  const body = Buffer.from(INTERNAL_ERROR_BODY, "utf8");
  return {
    status: 500,
    headers: { "content-type": "application/json; charset=utf-8", "content-length": String(body.length) },
    body,
    stale: false,
  };
}

/** The listener: true when it took the request, false when Fastify must answer it. */
export function pageFastPath(
  options: PageFastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { projectPages, log, perProcess, logRequests, closing } = options;

  function write(res: ServerResponse, answer: PageAnswer, head: boolean): void {
    res.writeHead(answer.status, answerHeaders(answer, perProcess));
    if (head || answer.body === null) res.end();
    else res.end(answer.body);
  }

  return (req, res) => {
    const method = req.method;
    if ((method !== "GET" && method !== "HEAD") || closing()) return false;
    const url = req.url ?? "";
    const project = fastPathProject(url);
    if (project === null) return false;
    const headers = req.headers;
    const ip = req.socket.remoteAddress ?? "";
    if (logRequests) {
      const started = performance.now();
      res.once("finish", () => {
        log.info(
          {
            method,
            url,
            client: ip,
            status: res.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
            // Fastify's line carries its reqId instead: this says which way the request went.
            fast: true,
          },
          "request completed",
        );
      });
    }
    const question = pageQuestion(project, {
      host: headers.host,
      accept: headers.accept,
      ifNoneMatch: headers["if-none-match"],
      acceptEncoding: headers["accept-encoding"],
      authorization: headers.authorization,
      ip,
    });
    const answer = answerPage(projectPages, question, log, method, url);
    if (!(answer instanceof Promise)) {
      // A page held in memory with a remembered verdict: written in this turn, no promise in between.
      write(res, answer, method === "HEAD");
      return true;
    }
    answer
      .then((a) => write(res, a, method === "HEAD"))
      .catch((error: unknown) => {
        // Writing itself failed (never seen: every header is built from checked values); no unhandled rejection.
        log.error({ err: error, method, url }, "page response failed");
        res.destroy();
      });
    return true;
  };
}

/**
 * The answer to a page question, for both ways in that skip Fastify (the listener above and the raw front): now
 * when nothing needs waiting, else a promise that does not reject (a failure is answered 500 as Fastify would).
 */
function answerPage(
  projectPages: ProjectPages,
  question: PageQuestion,
  log: FastPathLog,
  method: string,
  url: string,
): PageAnswer | Promise<PageAnswer> {
  const failed = (error: unknown): PageAnswer => {
    log.error({ err: error, method, url }, "page request failed");
    return internalError();
  };
  try {
    const now = projectPages.answerNow(question, log);
    if (now !== null) return now;
  } catch (error) {
    return failed(error);
  }
  return projectPages.answer(question, log).catch(failed);
}

/**
 * Puts `fastPath` in front of Fastify's request listener on `server`. Returns false (and changes nothing) when the
 * server does not have exactly one request listener, Fastify's: then every request goes through Fastify.
 */
export function installFastPath(
  server: Server,
  fastPath: (req: IncomingMessage, res: ServerResponse) => boolean,
) {
  const listeners = server.listeners("request") as Listener[];
  const fastify = listeners[0];
  if (listeners.length !== 1 || fastify === undefined) return false;
  server.removeListener("request", fastify);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (!fastPath(req, res)) fastify(req, res);
  });
  return true;
}

/**
 * The raw front's answer (raw-front.ts) to a request it read: the same as the listener above gives, or null when
 * the name is not a valid, normalised one (node:http then takes the request: Fastify redirects or refuses it).
 */
export function frontPageAnswer(
  projectPages: ProjectPages,
  request: FrontRequest,
  log: FastPathLog,
): PageAnswer | Promise<PageAnswer> | null {
  const project = fastPathProject(request.path);
  if (project === null) return null;
  return answerPage(projectPages, pageQuestion(project, request), log, request.method, request.path);
}

/** What a page's answer depends on, from the request headers either way in read (no `?format=` on these paths). */
function pageQuestion(
  project: string,
  h: Pick<FrontRequest, "accept" | "ifNoneMatch" | "acceptEncoding" | "authorization" | "ip"> & {
    host: string | undefined;
  },
): PageQuestion {
  return {
    project,
    accept: h.accept,
    format: undefined,
    ifNoneMatch: h.ifNoneMatch,
    acceptEncoding: h.acceptEncoding,
    client: gateClient(h.authorization, h.ip),
    baseUrl: () => `http://${h.host}`,
  };
}
