// What the route plugins share: the page cache, the gate, storage and downloads (built once by buildServer).
import type { FastifyRequest } from "fastify";
import type { HttpClient } from "../upstream/http.js";
import type { VerifiedDownloads } from "./downloads.js";
import type { GateContext, ProjectGate } from "./gate-hook.js";
import type { BlobStore } from "./storage/blob-store.js";
import type { StateStore } from "./storage/state-store.js";
import type { UpstreamPageCache } from "./upstream-cache.js";

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
}

export interface RoutePluginOptions {
  services: ServerServices;
}

/** Who is asking, for the gate: the client address until authentication adds a user. */
export function gateContext(request: FastifyRequest): GateContext {
  return { client: request.ip };
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
