// The JSON admin API under `/-/admin/`: access requests, exceptions, blocked releases, the audit log, cache statistics.
//
// A thin layer over `src/gate/admin.ts` (which validates and writes the audit row in the same transaction): it
// authenticates the caller with an admin token (a registry token scoped `*`), turns query and body into arguments,
// tells the running gate to look again, and answers in the same JSON shapes `pycustoms requests … --format json`
// prints. `/-/` cannot clash with anything the index serves (`/simple/`, `/packages/`, `/legacy/`).
import type { Database } from "better-sqlite3";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  addException,
  approve,
  deny,
  endException,
  listBlocked,
  listRequests,
  readAuditLog,
  verifyAuditChain,
} from "../gate/admin.js";
import { createGateTables, listExceptions, type RequestStatus } from "../gate/stores.js";
import { createRegistryTables } from "../registry/store.js";
import { ALL_PROJECTS, type TokenRecord, verifyToken } from "../registry/tokens.js";
import { toolVersion } from "../version.js";
import { cacheStats } from "./cache-stats.js";
import type { ServerServices } from "./services.js";
import { FsBlobStore } from "./storage/blob-store.js";
import { SqliteStateStore } from "./storage/state-store.js";

export const ADMIN_PREFIX = "/-/admin";
const HEALTH = `${ADMIN_PREFIX}/health`;

export interface AdminPluginOptions {
  /** What the admin API uses of the server: the state store, the blob store, the gate (to `invalidate` it). */
  services: Pick<ServerServices, "state" | "blobs" | "gate"> &
    Partial<Pick<ServerServices, "db" | "invalidateGate">>;
  /** The state database (gate and registry tables). Default: `services.db`, else the SQLite state store's. */
  db?: Database;
  /** The blob folder for cache statistics; default the local blob store's folder, null when there is none. */
  blobsDir?: string | null;
  now?: () => Date;
}

/** The one error shape of the admin API. */
export interface AdminError {
  schema: "pycustoms.error/1";
  error: string;
}

const REALM = 'Bearer realm="pycustoms admin"';
const TOKEN_USER = "__token__";

/** The token a request presents: `Authorization: Bearer <token>`, or Basic with user `__token__` (as twine). */
export function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const bearer = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1] ?? null;
  const basic = /^\s*Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1 || decoded.slice(0, colon) !== TOKEN_USER) return null;
  return decoded.slice(colon + 1);
}

/** Parses `?status=`: a request status, or `all`; absent means pending (what needs a decision). */
export function parseStatus(value: unknown): RequestStatus | undefined | { error: string } {
  if (value === undefined || value === "" || value === "pending") return "pending";
  if (value === "all") return undefined;
  if (value === "approved" || value === "denied") return value;
  return { error: `status must be pending, approved, denied or all (got '${String(value)}')` };
}

const DURATION = /^\s*(\d+)\s*([mhdw])\s*$/;
const DURATION_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An expiry or `since` as an ISO time: an ISO date or date-time, or a duration from now (`30d`, `12h`, `2w`) —
 * forward for expiries, backward for `since`. Null when it is neither.
 */
export function parseWhen(text: string, now: Date, direction: 1 | -1): string | null {
  const d = DURATION.exec(text);
  if (d) {
    const ms = Number(d[1]) * (DURATION_MS[d[2] ?? ""] ?? 0);
    return Number.isSafeInteger(ms) ? new Date(now.getTime() + direction * ms).toISOString() : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return null;
  const ms = Date.parse(text.trim());
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** `/^\d+$/` ids only: `1e3` or `-1` are not ids. */
function parseId(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

function fail(reply: FastifyReply, status: number, error: string) {
  const body: AdminError = { schema: "pycustoms.error/1", error };
  return reply.code(status).send(body);
}

/** A decision function's error: "no … #id" is a 404, anything else the caller's mistake (400). */
function failFrom(reply: FastifyReply, error: string) {
  return fail(reply, /^no [a-z ]+#\d+$/.test(error) ? 404 : 400, error);
}

function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined | { error: string } {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : { error: `${key} must be a string` };
}

function isError(value: unknown): value is { error: string } {
  return typeof value === "object" && value !== null && "error" in value;
}

/** The gate's `invalidate`, when the configured gate has one (the stored gate does; allow-all does not). */
function invalidator(services: AdminPluginOptions["services"]): (project: string) => void {
  if (services.invalidateGate) return services.invalidateGate;
  const gate = services.gate as { invalidate?: (project?: string) => void };
  return typeof gate.invalidate === "function" ? (project) => gate.invalidate?.(project) : () => undefined;
}

export async function adminRoutes(app: FastifyInstance, options: AdminPluginOptions): Promise<void> {
  const { services } = options;
  const state = services.state;
  const db = options.db ?? services.db ?? (state instanceof SqliteStateStore ? state.db : null);
  if (db === null) throw new Error("adminRoutes: the admin API needs the SQLite state database (options.db)");
  createRegistryTables(db);
  createGateTables(db);
  const blobsDir =
    options.blobsDir !== undefined
      ? options.blobsDir
      : services.blobs instanceof FsBlobStore
        ? services.blobs.dir
        : null;
  const now = options.now ?? (() => new Date());
  const invalidate = invalidator(services);
  const admins = new WeakMap<FastifyRequest, TokenRecord>();
  const actor = (request: FastifyRequest) => `token:${admins.get(request)?.id ?? "unknown"}`;
  const started = Date.now();

  // Encapsulated: this handler and the hook below apply to the admin routes only.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) return fail(reply, status, error.message);
    request.log.error({ err: error }, "admin request failed");
    return fail(reply, 500, "internal error (see the server log)");
  });

  app.addHook("onRequest", async (request, reply) => {
    // The health check answers without a token (load balancers probe it); it says nothing but "ok".
    if (request.routeOptions.url === HEALTH) return;
    reply.header("cache-control", "no-store");
    const presented = presentedToken(request.headers.authorization);
    if (presented === null) {
      reply.header("www-authenticate", REALM);
      return fail(reply, 401, "an admin token is required: Authorization: Bearer <token>");
    }
    const token = verifyToken(db, presented, now());
    if (token === null) {
      reply.header("www-authenticate", REALM);
      return fail(reply, 401, "the token is unknown or revoked");
    }
    if (!token.projects.includes(ALL_PROJECTS)) {
      return fail(reply, 403, `token ${token.id} is not an admin token (create one with --project '*')`);
    }
    admins.set(request, token);
  });

  app.get(HEALTH, async (_request, reply) => {
    let database = "ok";
    try {
      db.prepare("SELECT 1").get();
    } catch (e) {
      database = (e as Error).message;
    }
    return reply.code(database === "ok" ? 200 : 503).send({
      schema: "pycustoms.health/1",
      status: database === "ok" ? "ok" : "unavailable",
      version: toolVersion(),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      database,
    });
  });

  app.get<{ Querystring: { status?: string } }>(`${ADMIN_PREFIX}/requests`, async (request, reply) => {
    const status = parseStatus(request.query.status);
    if (isError(status)) return fail(reply, 400, status.error);
    return { schema: "pycustoms.access-requests/1", requests: listRequests(db, status) };
  });

  const decideRoute = (kind: "approve" | "deny") =>
    app.post<{ Params: { id: string } }>(`${ADMIN_PREFIX}/requests/:id/${kind}`, async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === null) return fail(reply, 404, `no access request #${request.params.id}`);
      const body = bodyObject(request);
      const reason = optionalString(body, "reason");
      const specifier = optionalString(body, "specifier");
      if (isError(reason)) return fail(reply, 400, reason.error);
      if (isError(specifier)) return fail(reply, 400, specifier.error);
      if (kind === "deny" && (reason === undefined || reason.trim() === ""))
        return fail(reply, 400, "a denial needs a reason");
      const decideFn = kind === "approve" ? approve : deny;
      const result = decideFn(db, id, actor(request), reason?.trim() ?? "", {
        now: now(),
        ...(specifier !== undefined ? { specifier } : {}),
      });
      if (!result.ok) return failFrom(reply, result.error);
      invalidate(result.value.project);
      return { schema: "pycustoms.access-request/1", request: result.value };
    });
  decideRoute("approve");
  decideRoute("deny");

  app.get(`${ADMIN_PREFIX}/blocked`, async () => ({
    schema: "pycustoms.blocked/1",
    blocked: listBlocked(db),
  }));

  app.get(`${ADMIN_PREFIX}/exceptions`, async () => ({
    schema: "pycustoms.exceptions/1",
    exceptions: listExceptions(db),
  }));

  app.post(`${ADMIN_PREFIX}/exceptions`, async (request, reply) => {
    const body = bodyObject(request);
    const fields: Record<string, string | undefined> = {};
    for (const key of ["project", "specifier", "kind", "reason", "expires"]) {
      const value = optionalString(body, key);
      if (isError(value)) return fail(reply, 400, value.error);
      fields[key] = value;
    }
    for (const key of ["project", "kind", "reason", "expires"]) {
      if ((fields[key] ?? "").trim() === "") return fail(reply, 400, `${key} is required`);
    }
    const at = now();
    const expiresAt = parseWhen(fields.expires ?? "", at, 1);
    if (expiresAt === null)
      return fail(reply, 400, `expires must be an ISO date or a duration like 30d (got '${fields.expires}')`);
    const result = addException(db, {
      project: fields.project ?? "",
      specifier: fields.specifier ?? "",
      kind: fields.kind ?? "",
      reason: fields.reason ?? "",
      expiresAt,
      createdBy: actor(request),
      now: at,
    });
    if (!result.ok) return failFrom(reply, result.error);
    invalidate(result.value.project);
    return reply.code(201).send({ schema: "pycustoms.exception/1", exception: result.value });
  });

  app.delete<{ Params: { id: string } }>(`${ADMIN_PREFIX}/exceptions/:id`, async (request, reply) => {
    const id = parseId(request.params.id);
    if (id === null) return fail(reply, 404, `no exception #${request.params.id}`);
    const result = endException(db, id, actor(request), now());
    if (!result.ok) return failFrom(reply, result.error);
    invalidate(result.value.project);
    return { schema: "pycustoms.exception/1", exception: result.value };
  });

  app.get<{ Querystring: { since?: string; project?: string; limit?: string } }>(
    `${ADMIN_PREFIX}/audit-log`,
    async (request, reply) => {
      const { since, project, limit } = request.query;
      let sinceIso: string | undefined;
      if (since !== undefined && since !== "") {
        const parsed = parseWhen(since, now(), -1);
        if (parsed === null)
          return fail(reply, 400, `since must be an ISO date or a duration like 7d (got '${since}')`);
        sinceIso = parsed;
      }
      let limitN: number | undefined;
      if (limit !== undefined && limit !== "") {
        if (!/^\d{1,7}$/.test(limit) || Number(limit) < 1)
          return fail(reply, 400, `limit must be a whole number from 1 (got '${limit}')`);
        limitN = Number(limit);
      }
      const entries = readAuditLog(db, {
        ...(sinceIso !== undefined ? { since: sinceIso } : {}),
        ...(project !== undefined && project !== "" ? { project } : {}),
        ...(limitN !== undefined ? { limit: limitN } : {}),
      });
      return { schema: "pycustoms.audit-log/1", entries };
    },
  );

  app.get(`${ADMIN_PREFIX}/audit-log/verify`, async () => ({
    schema: "pycustoms.audit-verify/1",
    ...verifyAuditChain(db),
  }));

  app.get(`${ADMIN_PREFIX}/cache/stats`, async () => cacheStats(db, blobsDir));
}
