// What the route plugins share: the page cache, the gate, storage, downloads and the internal registry (built once by buildServer).
import type { Database } from "better-sqlite3";
import type { FastifyRequest } from "fastify";
import type { HttpClient } from "../upstream/http.js";
import type { ProjectInfo } from "../upstream/types.js";
import type { VerifiedDownloads } from "./downloads.js";
import type { GateContext, ProjectGate } from "./gate-hook.js";
import type { BlobStore } from "./storage/blob-store.js";
import type { StateStore } from "./storage/state-store.js";
import type { UpstreamPageCache } from "./upstream-cache.js";

/**
 * The internal registry as the routes see it. An internal name (an internal project, a configured internal name,
 * or a name under a configured prefix) is answered from here alone: the upstream is never asked about it.
 */
export interface InternalRegistry {
  /** Is this normalised name served only from the internal store? */
  isInternal(name: string): boolean;
  /** The internal project's page (PEP 792 status included), or null when no project of that name exists yet. */
  page(name: string, baseUrl: string): ProjectInfo | null;
  /** Normalised names of the internal projects, sorted (for `/simple/`). */
  names(): string[];
}

export interface ServerServices {
  pages: UpstreamPageCache;
  gate: ProjectGate;
  blobs: BlobStore;
  state: StateStore;
  downloads: VerifiedDownloads;
  http: HttpClient;
  /**
   * Behind nginx: cached files are answered with `X-Accel-Redirect: <prefix><aa>/<bb>/<sha256>` and no body, and
   * nginx sends the bytes from the blob folder (an `internal` location aliased to `<data-dir>/blobs/sha256/`).
   */
  accelRedirectPrefix: string | null;
  /**
   * The SQLite state database (the gate's, the registry's and the page cache's tables), for the admin API; null
   * when the state store is not SQLite.
   */
  db: Database | null;
  /** Null when the state store is not SQLite (the registry keeps its tables there). */
  internal: InternalRegistry | null;
  /**
   * Makes the gate look at approvals, exceptions and advisories again at the next request (one project, or all),
   * instead of within its recheck interval: the admin API calls it after a decision.
   */
  invalidateGate(project?: string): void;
}

export interface RoutePluginOptions {
  services: ServerServices;
}

/** The user name of an `Authorization: Basic` header, as the client claims it (not verified here). */
export function basicAuthUser(header: string | undefined): string | null {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = (colon < 0 ? decoded : decoded.slice(0, colon)).replace(/[^\x20-\x7e]/g, "?").trim();
  return user === "" ? null : user.slice(0, 100);
}

/**
 * Who is asking, for the gate's access requests and audit log: the client address, with the Basic-auth user name
 * in front when the client sends one (`alice@10.0.0.7`). The name is as claimed: the index pages need no login.
 */
export function gateContext(request: FastifyRequest): GateContext {
  return { client: gateClient(request.headers.authorization, request.ip) };
}

/** `gateContext` from the raw header and address (the page fast path has no Fastify request). */
export function gateClient(authorization: string | undefined, ip: string): string {
  const user = basicAuthUser(authorization);
  return user === null ? ip : `${user}@${ip}`;
}

/** RFC 7234 warning for a page served from the cache while upstream is unreachable. */
export const STALE_WARNING = '110 - "Response is Stale"';

/** A reason phrase must be one line of visible Latin-1 (pip prints it after the status code). */
export function reasonPhrase(text: string): string {
  return text
    .replace(/[^\x20-\x7e\xa0-\xff]+/g, " ")
    .trim()
    .slice(0, 300);
}
