// Builds the proxy: a Fastify app of route plugins over the page cache, the gate hook, storage and downloads.
import { join } from "node:path";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { createIndexClient } from "../upstream/client.js";
import { createHttpClient, type HttpClientOptions } from "../upstream/http.js";
import { VerifiedDownloads } from "./downloads.js";
import { fileRoutes } from "./file-routes.js";
import { allowAllGate, type ProjectGate } from "./gate-hook.js";
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
  gate?: ProjectGate;
  /** Fastify's logger (pino): false in tests, options or an instance in `serve`. */
  logger?: FastifyServerOptions["logger"];
  /** Settings of the upstream HTTP client (timeouts, retries, proxies). */
  http?: HttpClientOptions;
  state?: StateStore;
  blobs?: BlobStore;
  now?: () => number;
  /** Offload cached files to nginx with X-Accel-Redirect under this location prefix (e.g. `/_pycustoms_blobs/`). */
  accelRedirectPrefix?: string | null;
}

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
    // Distribution file names can be long; the default limit (100) would 404 them.
    routerOptions: { maxParamLength: 1000 },
    // Downloads can take long; Node's default request timeout (5 min) would cut a slow large file.
    requestTimeout: 0,
    return503OnClosing: true,
  });
  const state = options.state ?? new SqliteStateStore(join(options.dataDir, "state.sqlite"));
  const blobs = options.blobs ?? new FsBlobStore(join(options.dataDir, "blobs"));
  // Interrupted downloads of an earlier run: never served, removed before the first request.
  const leftovers = await blobs.cleanTemp();
  if (leftovers > 0) app.log.info({ leftovers }, "removed partial downloads of an earlier run");
  const http = createHttpClient({ cacheDir: join(options.dataDir, "http-cache"), ...options.http });
  const clients = options.upstreams.map((indexUrl) => createIndexClient({ indexUrl, http }));
  const pages = new UpstreamPageCache({
    clients,
    state,
    ttlMs: options.pageTtlMs ?? DEFAULT_PAGE_TTL_MS,
    log: app.log,
    ...(options.now ? { now: options.now } : {}),
  });
  const services: ServerServices = {
    pages,
    gate: options.gate ?? allowAllGate,
    blobs,
    state,
    downloads: new VerifiedDownloads({ http, blobs, state, log: app.log }),
    http,
    accelRedirectPrefix: options.accelRedirectPrefix ?? null,
  };
  app.decorate("pycustoms", services);
  await app.register(simpleRoutes, { services });
  await app.register(fileRoutes, { services });
  app.get("/", async (_request, reply) => reply.redirect("/simple/", 302));
  app.addHook("onClose", async () => {
    await Promise.all(clients.map((c) => c.close()));
    await http.close();
    if (!options.state) await state.close();
  });
  return app;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The shared services, for plugins registered after buildServer (admin API, registry). */
    pycustoms: ServerServices;
  }
}
