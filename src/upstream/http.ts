// The one HTTP client of pycustoms: timeouts, bounded retries, bounded concurrency, proxies, Basic auth, the disk cache.
//
// Requests go out through transport.ts (node:http, or undici behind a proxy). Retries, redirects and caching are
// done here rather than with undici's interceptors because they have to cooperate: credentials must not follow a redirect to another host, a 304 must reuse a cached body, a retry
// must give back its concurrency slot while it waits, and every failure must become a typed one-line value.
import type { Dispatcher } from "undici";
import { toolVersion } from "../version.js";
import {
  type CacheEntry,
  createHttpCache,
  defaultCacheDir,
  type HttpCache,
  isFresh,
  isStorable,
  keepHeaders,
  refreshedEntry,
  refreshNeedsStoring,
  revalidationHeaders,
} from "./cache.js";
import { isUpstreamError, redactUrl, type UpstreamError, upstreamError } from "./errors.js";
import {
  BODY_TIMEOUT,
  BODY_TOO_LARGE,
  BODY_TRUNCATED,
  type BufferedResponse,
  createTransport,
  HEADERS_TIMEOUT,
  NOT_PROCESSED,
  type TransportResponse,
} from "./transport.js";

export { redactUrl } from "./errors.js";

export interface HttpClientOptions {
  /** Total time for one attempt (connect, headers and body), ms. Default 30 000. */
  timeoutMs?: number;
  /** Time to establish a connection, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Extra attempts after a 429, a 5xx or a connection error. Default 3. */
  retries?: number;
  /** First backoff delay, ms; doubles per retry, with jitter. Default 500. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After longer than this is not waited for: the 429/503 is reported instead. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Cache directory; null turns the cache off. Default `$XDG_CACHE_HOME/pycustoms/http`. */
  cacheDir?: string | null;
  /** Answer only from the cache (stale entries allowed); a miss is an `offline-miss` error. */
  offline?: boolean;
  /** Responses larger than this are refused. Default 256 MiB. */
  maxBodyBytes?: number;
  userAgent?: string;
  /** Proxy settings; default from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case). */
  env?: NodeJS.ProcessEnv;
  /** A dispatcher of the caller's own (then proxies and the connect timeout are the caller's). */
  dispatcher?: Dispatcher;
  /** Extra trusted certificates (PEM), added to Node's roots (`NODE_EXTRA_CA_CERTS` does the same per process). */
  ca?: string;
  /** Ask https origins for HTTP/2 (one connection, requests as streams); default true. */
  http2?: boolean;
}

export interface HttpGetOptions {
  accept?: string;
  headers?: Record<string, string>;
  /** default: a fresh cache entry answers without a request; revalidate: always ask (conditionally); bypass: no cache. */
  cache?: "default" | "revalidate" | "bypass";
  maxRedirects?: number;
}

export interface HttpResponse {
  /** The final URL after redirects, credentials removed. */
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** network: a full response; cache: fresh entry, no request; revalidated: 304 reused the entry; offline-cache. */
  source: "network" | "cache" | "revalidated" | "offline-cache";
  /** Requests made for this answer (0 from the cache). */
  attempts: number;
}

export interface HttpStreamOptions {
  accept?: string;
  headers?: Record<string, string>;
  maxRedirects?: number;
  /** Aborts the request and its body. */
  signal?: AbortSignal;
}

/** A 2xx response whose body is read as it arrives (large files): no cache, no retry once headers are in. */
export interface HttpStreamResponse {
  /** The final URL after redirects, credentials removed. */
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: AsyncIterable<Buffer> & { destroy(error?: Error): void };
}

export interface HttpClient {
  readonly offline: boolean;
  readonly cache: HttpCache | null;
  get(url: string, options?: HttpGetOptions): Promise<HttpResponse | UpstreamError>;
  /**
   * Streams one response body (downloads of distribution files). Connection errors before the headers are
   * retried like `get`; redirects are followed, credentials only on the same origin. Not cached, and outside the
   * concurrency limit (a long download must not starve page requests).
   */
  stream(url: string, options?: HttpStreamOptions): Promise<HttpStreamResponse | UpstreamError>;
  /** Remembers the `user:pass@` of this URL for every later request to its origin (files of a private index). */
  addCredentials(url: string): void;
  /** Starts connecting to the URL's origin before anything is asked of it (no effect offline or over HTTP/1.1). */
  preconnect(url: string): void;
  close(): Promise<void>;
}

/** A counting semaphore: at most `size` holders; the rest wait in order. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Retry-After as ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** Exponential backoff with jitter: base * 2^(retry-1), scaled by a random 50-100 %, capped. */
export function backoffDelay(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
) {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(raw * (0.5 + random() * 0.5));
}

function basicAuth(u: URL): string | null {
  if (u.username === "" && u.password === "") return null;
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return `Basic ${Buffer.from(`${user}:${pass}`, "utf8").toString("base64")}`;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One-line, credential-free description of a thrown network error. */
function describeCause(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code =
    typeof err.code === "string" ? err.code : typeof err.cause?.code === "string" ? err.cause.code : "";
  const message =
    typeof err.cause?.message === "string" && err.cause.message !== ""
      ? err.cause.message
      : typeof err.message === "string"
        ? err.message
        : String(e);
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  return redactUrl(text).replace(/\s+/g, " ").trim();
}

/** Name resolution failed: no network or no such host. Retrying only makes an offline run wait longer. */
function isDnsFailure(e: unknown): boolean {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof err.code === "string" ? err.code : err.cause?.code;
  return code === "ENOTFOUND" || code === "EAI_AGAIN";
}

/**
 * What a non-2xx response means for `get` and `stream` alike: the URL a redirect sends the request to, a final
 * error (too many redirects, an invalid location, not found), or null (a status the caller retries or reports).
 */
function redirectOrMissing(
  url: string,
  status: number,
  headers: Record<string, string>,
  attempts: number,
  redirectsLeft: number,
): URL | UpstreamError | null {
  if (REDIRECT_STATUSES.has(status) && headers.location) {
    if (redirectsLeft <= 0) {
      return upstreamError("http-status", url, `${url}: too many redirects`, { status, attempts });
    }
    try {
      return new URL(headers.location, url);
    } catch {
      return upstreamError("invalid-response", url, `${url}: redirect to an invalid location`, {
        status,
        attempts,
      });
    }
  }
  if (status === 404 || status === 410) {
    return upstreamError("not-found", url, `${url}: not found (HTTP ${status})`, { status, attempts });
  }
  return null;
}

/** Parses a request URL: http(s) only; user-info becomes a Basic header and is stripped, as is the fragment. */
function prepareUrl(rawUrl: string): { parsed: URL; url: string; inline: string | null } | UpstreamError {
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    return upstreamError("network", redactUrl(rawUrl), `${redactUrl(rawUrl)}: not a valid URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return upstreamError(
      "network",
      redactUrl(rawUrl),
      `${redactUrl(rawUrl)}: only http and https URLs are fetched`,
    );
  }
  const inline = basicAuth(parsed);
  parsed.username = "";
  parsed.password = "";
  parsed.hash = "";
  return { parsed, url: parsed.href, inline };
}

type Attempt =
  | { kind: "response"; status: number; headers: Record<string, string>; body: Buffer }
  /** `now`: retry without a backoff (the index never processed the request). */
  | { kind: "error"; error: UpstreamError; retryable: boolean; now?: boolean };

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(10_000, timeoutMs);
  const retries = Math.max(0, options.retries ?? 3);
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const backoffMaxMs = options.backoffMaxMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const userAgent = options.userAgent ?? `pycustoms/${toolVersion()}`;
  const offline = options.offline ?? false;
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const cache = cacheDir === null ? null : createHttpCache(cacheDir);
  const concurrencyLimit = Math.max(1, options.concurrency ?? 8);
  const semaphore = new Semaphore(concurrencyLimit);
  const credentials = new Map<string, string>();
  const transport = createTransport({
    connections: concurrencyLimit,
    connectTimeoutMs,
    timeoutMs,
    env: options.env ?? process.env,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.http2 !== undefined ? { http2: options.http2 } : {}),
  });

  /** The URL's own user-info, else remembered credentials for its origin, else a redirect's on the same origin. */
  function authorizationFor(
    parsed: URL,
    inline: string | null,
    inherited: { origin: string; header: string } | null,
  ): string | null {
    const own = inline ?? credentials.get(parsed.origin) ?? null;
    if (own) return own;
    return inherited && inherited.origin === parsed.origin ? inherited.header : null;
  }

  async function attempt(url: string, headers: Record<string, string>): Promise<Attempt> {
    let response: BufferedResponse;
    try {
      response = await transport.fetch(url, { headers, maxBodyBytes });
    } catch (e) {
      const err = e as { code?: string; status?: number; bytes?: number; cause?: unknown };
      const status = err.status !== undefined ? { status: err.status } : {};
      switch (err.code) {
        case HEADERS_TIMEOUT:
          return {
            kind: "error",
            error: upstreamError("timeout", url, `${url}: no response within ${timeoutMs} ms`),
            retryable: false,
          };
        case BODY_TIMEOUT:
          return {
            kind: "error",
            error: upstreamError(
              "timeout",
              url,
              `${url}: response body not complete within ${timeoutMs} ms`,
              status,
            ),
            retryable: false,
          };
        case BODY_TOO_LARGE:
          return {
            kind: "error",
            error: upstreamError(
              "invalid-response",
              url,
              `${url}: response larger than ${maxBodyBytes} bytes`,
              status,
            ),
            retryable: false,
          };
        case NOT_PROCESSED:
          return {
            kind: "error",
            error: upstreamError("network", url, `${url}: ${describeCause(e)}`),
            retryable: true,
            now: true,
          };
        case BODY_TRUNCATED:
          return {
            kind: "error",
            error: upstreamError(
              "invalid-response",
              url,
              `${url}: response body truncated after ${err.bytes ?? 0} bytes (${describeCause(err.cause)})`,
              status,
            ),
            retryable: true,
          };
        default:
          return {
            kind: "error",
            error: upstreamError("network", url, `${url}: ${describeCause(e)}`),
            retryable: !isDnsFailure(e),
          };
      }
    }
    return {
      kind: "response",
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body: response.body,
    };
  }

  async function get(
    rawUrl: string,
    opts: HttpGetOptions,
    redirectsLeft: number,
    inheritedAuth: { origin: string; header: string } | null,
  ): Promise<HttpResponse | UpstreamError> {
    const target = prepareUrl(rawUrl);
    if ("type" in target) return target;
    const { parsed, url, inline } = target;
    const auth = authorizationFor(parsed, inline, inheritedAuth);

    const accept = opts.accept ?? "*/*";
    const mode = opts.cache ?? "default";
    const readEntry = () => (cache && mode !== "bypass" ? cache.get(url, accept) : null);
    if (offline) {
      const entry = readEntry();
      if (entry)
        return {
          url,
          status: entry.status,
          headers: entry.headers,
          body: entry.body,
          source: "offline-cache",
          attempts: 0,
        };
      return upstreamError("offline-miss", url, `${url}: offline, and not in the cache`);
    }
    // The entry is read once a slot is free: hundreds of look-ups reading theirs up front (synchronously) would
    // hold back the first requests; read in turn, each read overlaps the other requests' waits.
    await semaphore.acquire();
    let holdingSlot = true;
    const entry = readEntry();
    if (entry && mode === "default" && isFresh(entry)) {
      semaphore.release();
      return {
        url,
        status: entry.status,
        headers: entry.headers,
        body: entry.body,
        source: "cache",
        attempts: 0,
      };
    }

    const headers: Record<string, string> = {
      "user-agent": userAgent,
      accept,
      ...(opts.headers ?? {}),
      ...(entry ? revalidationHeaders(entry) : {}),
    };
    if (auth) headers.authorization = auth;

    let attempts = 0;
    for (;;) {
      attempts++;
      if (!holdingSlot) await semaphore.acquire();
      holdingSlot = false;
      let result: Attempt;
      try {
        result = await attempt(url, headers);
      } finally {
        semaphore.release();
      }
      let waitMs = backoffDelay(attempts, backoffBaseMs, backoffMaxMs);
      let failure: UpstreamError;
      if (result.kind === "error") {
        failure = { ...result.error, attempts };
        if (!result.retryable) return failure;
        if (result.now) waitMs = 0;
      } else {
        const { status, headers: responseHeaders, body } = result;
        if (status === 304 && entry && cache) {
          const refreshed = refreshedEntry(entry, responseHeaders, Date.now());
          if (refreshNeedsStoring(entry, refreshed)) cache.put(refreshed);
          return {
            url,
            status: refreshed.status,
            headers: refreshed.headers,
            body: refreshed.body,
            source: "revalidated",
            attempts,
          };
        }
        if (status >= 200 && status < 300) {
          if (cache && mode !== "bypass") {
            if (isStorable(status, responseHeaders)) {
              const stored: CacheEntry = {
                url,
                accept,
                status,
                headers: keepHeaders(responseHeaders),
                storedAt: Date.now(),
                body,
              };
              cache.put(stored);
            } else {
              cache.delete(url, accept);
            }
          }
          return { url, status, headers: responseHeaders, body, source: "network", attempts };
        }
        const next = redirectOrMissing(url, status, responseHeaders, attempts, redirectsLeft);
        if (isUpstreamError(next)) return next;
        if (next !== null) {
          // Credentials go along only while the redirect stays on the same origin.
          const carried = auth ? { origin: parsed.origin, header: auth } : null;
          return get(next.href, opts, redirectsLeft - 1, carried);
        }
        failure = upstreamError("http-status", url, `${url}: HTTP ${status}`, { status, attempts });
        if (!RETRY_STATUSES.has(status)) return failure;
        const retryAfter = parseRetryAfter(responseHeaders["retry-after"]);
        if (retryAfter !== null) {
          if (retryAfter > maxRetryAfterMs) {
            return upstreamError(
              "http-status",
              url,
              `${url}: HTTP ${status}, asked to retry after ${Math.ceil(retryAfter / 1000)} s (more than the ${Math.ceil(maxRetryAfterMs / 1000)} s we wait)`,
              { status, attempts },
            );
          }
          waitMs = retryAfter;
        }
      }
      if (attempts > retries) {
        return { ...failure, message: `${failure.message} (gave up after ${attempts} attempts)` };
      }
      if (waitMs > 0) await sleep(waitMs);
    }
  }

  async function stream(
    rawUrl: string,
    opts: HttpStreamOptions,
    redirectsLeft: number,
    inheritedAuth: { origin: string; header: string } | null,
  ): Promise<HttpStreamResponse | UpstreamError> {
    const target = prepareUrl(rawUrl);
    if ("type" in target) return target;
    const { parsed, url, inline } = target;
    if (offline) return upstreamError("offline-miss", url, `${url}: offline, files are not fetched`);
    const auth = authorizationFor(parsed, inline, inheritedAuth);
    const headers: Record<string, string> = {
      "user-agent": userAgent,
      accept: opts.accept ?? "*/*",
      ...(opts.headers ?? {}),
    };
    if (auth) headers.authorization = auth;
    let attempts = 0;
    for (;;) {
      attempts++;
      let response: TransportResponse;
      try {
        response = await transport.request(url, {
          headers,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (e) {
        const timedOut = (e as { code?: string }).code === HEADERS_TIMEOUT;
        const failure = timedOut
          ? upstreamError("timeout", url, `${url}: no response within ${timeoutMs} ms`, { attempts })
          : upstreamError("network", url, `${url}: ${describeCause(e)}`, { attempts });
        if (timedOut || opts.signal?.aborted || isDnsFailure(e) || attempts > retries) return failure;
        await sleep(backoffDelay(attempts, backoffBaseMs, backoffMaxMs));
        continue;
      }
      const status = response.statusCode;
      const responseHeaders = flattenHeaders(response.headers);
      if (status >= 200 && status < 300) {
        return {
          url,
          status,
          headers: responseHeaders,
          body: response.body,
        };
      }
      // Not the body we want: drain it so the connection can be reused.
      await response.dump().catch(() => undefined);
      const next = redirectOrMissing(url, status, responseHeaders, attempts, redirectsLeft);
      if (isUpstreamError(next)) return next;
      if (next !== null) {
        const carried = auth ? { origin: parsed.origin, header: auth } : null;
        return stream(next.href, opts, redirectsLeft - 1, carried);
      }
      const failure = upstreamError("http-status", url, `${url}: HTTP ${status}`, { status, attempts });
      if (!RETRY_STATUSES.has(status) || attempts > retries) return failure;
      const retryAfter = parseRetryAfter(responseHeaders["retry-after"]);
      if (retryAfter !== null && retryAfter > maxRetryAfterMs) return failure;
      await sleep(retryAfter ?? backoffDelay(attempts, backoffBaseMs, backoffMaxMs));
    }
  }

  return {
    offline,
    cache,
    async stream(url, opts = {}) {
      try {
        return await stream(url, opts, opts.maxRedirects ?? 5, null);
      } catch (e) {
        if (isUpstreamError(e)) return e;
        return upstreamError("network", redactUrl(url), `${redactUrl(url)}: ${describeCause(e)}`);
      }
    },
    async get(url, opts = {}) {
      try {
        return await get(url, opts, opts.maxRedirects ?? 5, null);
      } catch (e) {
        // A bug, not bad input; still one line without credentials rather than a stack in the user's face.
        if (isUpstreamError(e)) return e;
        return upstreamError("network", redactUrl(url), `${redactUrl(url)}: ${describeCause(e)}`);
      }
    },
    preconnect(url) {
      if (offline) return;
      const target = prepareUrl(url);
      if (!("type" in target)) transport.preconnect(target.url);
    },
    addCredentials(url) {
      try {
        const u = new URL(url);
        const header = basicAuth(u);
        if (header) credentials.set(u.origin, header);
      } catch {
        // not a URL: nothing to remember
      }
    },
    async close() {
      await cache?.flush();
      await transport.close();
    },
  };
}
