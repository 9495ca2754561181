// Builds the proxy and registry: a Fastify app of route plugins over the page cache, the gate, storage, downloads
// and the internal registry, all sharing one state database and one blob store.
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { registryPlugin, type UploadEvent } from "../registry/routes.js";
import type { UploadLimits } from "../registry/upload-validation.js";
import { createIndexClient } from "../upstream/client.js";
import { createHttpClient, type HttpClient, type HttpClientOptions } from "../upstream/http.js";
import { adminRoutes } from "./admin-routes.js";
import { VerifiedDownloads } from "./downloads.js";
import { fileRoutes } from "./file-routes.js";
import { allowAllGate, type ProjectGate } from "./gate-hook.js";
import { createInternalRegistry, type InternalNamesConfig } from "./internal-registry.js";
import {
  frontPageAnswer,
  INTERNAL_ERROR_BODY,
  installFastPath,
  MAX_PARAM_LENGTH,
  pageFastPath,
} from "./page-fast-path.js";
import { ProjectPages } from "./project-page.js";
import { installRawFront } from "./raw-front.js";
import type { ServerServices } from "./services.js";
import { simpleRoutes } from "./simple-routes.js";
import { type BlobStore, FsBlobStore } from "./storage/blob-store.js";
import { SqliteStateStore, type StateStore } from "./storage/state-store.js";
import { UpstreamPageCache } from "./upstream-cache.js";

export const DEFAULT_PAGE_TTL_MS = 10 * 60_000;

export interface ServerOptions {
  /** Simple-index base URLs, in order: a project is served from the first that has it. */
  upstreams: string[];
  /** `<dataDir>/state.sqlite`, `<dataDir>/blobs/`, `<dataDir>/http-cache/` unless stores are given. */
  dataDir: string;
  /** How long a project page is served before upstream is asked again. Default 10 min. */
  pageTtlMs?: number;
  /**
   * The gate (default: serve everything), or a function that builds it over the server's state database and
   * HTTP client (the stored gate keeps its verdicts, requests and audit log in that database).
   */
  gate?: ProjectGate | GateFactory;
  /** Internal names and prefixes: served from the internal registry alone, never asked of the upstream. */
  internal?: InternalNamesConfig;
  /** The internal registry's upload limits; false leaves out `POST /legacy/` and the registry's file route. */
  registry?: { limits?: Partial<UploadLimits> } | false;
  /** Fastify's logger (pino): false in tests, options or an instance in `serve`. */
  logger?: FastifyServerOptions["logger"];
  /** Settings of the upstream HTTP client (timeouts, retries, proxies). */
  http?: HttpClientOptions;
  state?: StateStore;
  blobs?: BlobStore;
  now?: () => number;
  /** Offload cached files to nginx with X-Accel-Redirect under this location prefix (e.g. `/_pycustoms_blobs/`). */
  accelRedirectPrefix?: string | null;
  /**
   * Remove interrupted downloads (`blobs/tmp/`) at start (default true). False in `--workers` processes: the
   * primary cleans once before forking, since a restarted worker would delete the spools of its siblings' downloads.
   */
  cleanTemp?: boolean;
  /** Sent as `X-Pycustoms-Worker` on every response when several processes share the port (their pid). */
  workerId?: string | null;
  /**
   * Answer `GET`/`HEAD /simple/<normalised>/` in a node:http listener in front of Fastify (page-fast-path.ts),
   * with the same code as the Fastify route; default true. Only a listening server has it (`inject` goes to Fastify).
   */
  pageFastPath?: boolean;
  /**
   * Read page requests off the connection before node:http does (raw-front.ts), answering those that can be
   * answered at once and handing everything else to node:http; default true. Needs `pageFastPath`.
   */
  rawFront?: boolean;
}

/** What a gate factory is given: the state database and the upstream HTTP client (for provenance fetches). */
export interface GateResources {
  db: Database;
  http: HttpClient;
}

export type GateFactory = (resources: GateResources) => ProjectGate;

/** Log fields that must never be written, whatever a plugin logs. */
export const LOG_REDACT = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['proxy-authorization']",
  "headers.authorization",
];

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.upstreams.length === 0) throw new Error("buildServer: at least one upstream is needed");
  const app = Fastify({
    logger: options.logger ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Downloads can take long; Node's default request timeout (5 min) would cut a slow large file.
    requestTimeout: 0,
    return503OnClosing: true,
    // One access-log line per request (below) instead of Fastify's two: at `info` they cost a quarter of a page's time.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const logRequests = ["trace", "debug", "info"].includes(app.log.level);
  if (logRequests) {
    app.addHook("onResponse", (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          url: request.url,
          client: request.ip,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        "request completed",
      );
      done();
    });
  }
  const state = options.state ?? new SqliteStateStore(join(options.dataDir, "state.sqlite"));
  const blobs = options.blobs ?? new FsBlobStore(join(options.dataDir, "blobs"));
  // Interrupted downloads of an earlier run: never served, removed before the first request.
  if (options.cleanTemp ?? true) {
    const leftovers = await blobs.cleanTemp();
    if (leftovers > 0) app.log.info({ leftovers }, "removed partial downloads of an earlier run");
  }
  const workerId = options.workerId ?? null;
  if (workerId !== null) {
    // Which process answered: load tests and operators can see the requests spread over the workers.
    app.addHook("onRequest", (_request, reply, done) => {
      reply.header("x-pycustoms-worker", workerId);
      done();
    });
  }
  const http = createHttpClient({ cacheDir: join(options.dataDir, "http-cache"), ...options.http });
  const clients = options.upstreams.map((indexUrl) => createIndexClient({ indexUrl, http }));
  const pages = new UpstreamPageCache({
    clients,
    state,
    ttlMs: options.pageTtlMs ?? DEFAULT_PAGE_TTL_MS,
    log: app.log,
    ...(options.now ? { now: options.now } : {}),
  });
  // The gate and the registry keep their tables in the state database: only a SQLite state store has one.
  const db = state instanceof SqliteStateStore ? state.db : null;
  let gate: ProjectGate = allowAllGate;
  if (typeof options.gate === "function") {
    if (db === null) throw new Error("buildServer: a gate factory needs the SQLite state store");
    gate = options.gate({ db, http });
  } else if (options.gate) {
    gate = options.gate;
  }
  const services: ServerServices = {
    pages,
    gate,
    blobs,
    state,
    downloads: new VerifiedDownloads({ http, blobs, state, log: app.log }),
    http,
    accelRedirectPrefix: options.accelRedirectPrefix ?? null,
    db,
    internal: db === null ? null : createInternalRegistry(db, options.internal),
    invalidateGate(project) {
      const g = gate as Partial<{ invalidate(project?: string): void }>;
      if (typeof g.invalidate === "function") g.invalidate(project);
    },
  };
  app.decorate("pycustoms", services);
  // A failure inside the server is a 500 without its message (paths, SQL, upstream details stay in the log);
  // errors a client caused keep Fastify's answer. The page fast paths answer the same (page-fast-path.ts).
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if ((error.statusCode ?? 500) < 500) return reply.send(error);
    request.log.error({ err: error, method: request.method, url: request.url }, "request failed");
    return reply.code(500).type("application/json; charset=utf-8").send(INTERNAL_ERROR_BODY);
  });
  const projectPages = new ProjectPages(services);
  await app.register(simpleRoutes, { services, projectPages });
  if (options.pageFastPath ?? true) {
    let closing = false;
    let closeFront: (() => void) | null = null;
    app.addHook("preClose", async () => {
      closing = true;
      closeFront?.();
    });
    const perProcess = workerId === null ? null : { "x-pycustoms-worker": workerId };
    const fastPath = pageFastPath({
      projectPages,
      log: app.log,
      perProcess,
      logRequests,
      closing: () => closing,
    });
    if (!installFastPath(app.server, fastPath))
      app.log.warn("the page fast path could not be installed: pages are answered by Fastify alone");
    else if (options.rawFront ?? true) {
      closeFront = installRawFront(app.server, {
        answer: (request) => (closing ? null : frontPageAnswer(projectPages, request, app.log)),
        perProcess,
        onAnswered: logRequests
          ? (request, status, ms) =>
              app.log.info(
                {
                  method: request.method,
                  url: request.path,
                  client: request.ip,
                  status,
                  ms: Math.round(ms * 10) / 10,
                  fast: true,
                },
                "request completed",
              )
          : undefined,
        onError: (err) => app.log.error({ err }, "raw page front failed; the connection was closed"),
      });
      if (closeFront === null)
        app.log.warn("the raw page front could not be installed: pages are answered by node:http");
    }
  }
  await app.register(fileRoutes, { services });
  if (db !== null && options.registry !== false) {
    // Encapsulated (no fastify-plugin): the registry's multipart parser and error handler stay inside it.
    await app.register(registryPlugin, {
      db,
      blobs,
      ...(options.registry?.limits ? { limits: options.registry.limits } : {}),
      onUpload: (event: UploadEvent) => logUpload(app, event),
    });
  }
  // The admin API (src/server/admin-routes.ts, `/-/admin/`), over the same services and database.
  if (db !== null) await app.register(adminRoutes, { services });
  app.get("/", async (_request, reply) => reply.redirect("/simple/", 302));
  app.addHook("onClose", async () => {
    await Promise.all(clients.map((c) => c.close()));
    await http.close();
    if (!options.state) await state.close();
  });
  return app;
}

/** One log line per upload attempt: who (token id, address), what, and the outcome. */
function logUpload(app: FastifyInstance, event: UploadEvent): void {
  const fields = {
    project: event.project,
    filename: event.filename,
    token: event.tokenId,
    client: event.remoteAddress,
    status: event.status,
  };
  if (event.outcome === "refused") app.log.warn({ ...fields, reason: event.reason }, "upload refused");
  else app.log.info(fields, event.outcome === "stored" ? "upload stored" : "identical re-upload accepted");
}

declare module "fastify" {
  interface FastifyInstance {
    /** The shared services, for plugins registered after buildServer (admin API, registry). */
    pycustoms: ServerServices;
  }
}
