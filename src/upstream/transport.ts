// How a GET reaches the network: Node's own http/https with keep-alive agents — and, for https origins that offer
// it, HTTP/2 (h2.ts: one connection, requests as streams) — or undici's proxy agent when a proxy is configured.
// undici takes ~60 ms to load (its entry point brings fetch, WebSocket, caches and mocks), more than a whole
// revalidating audit spends on CPU otherwise; node:http and node:http2 are part of Node and cost nothing to load.
// Only a proxied run (HTTP(S)_PROXY set) or a caller with its own dispatcher pays for undici, which does proxying
// (CONNECT tunnels, NO_PROXY) properly. All answer with the same shapes and the same error codes, so http.ts
// classifies timeouts, truncations and connection errors once. `fetch` reads whole bodies (pages, JSON);
// `request` streams one (downloads) and stays on HTTP/1.1.
import http from "node:http";
import http2, { type ClientHttp2Session } from "node:http2";
import https from "node:https";
import tls from "node:tls";
import type { Dispatcher } from "undici";
import { H2Origins, plainHeaders } from "./h2.js";

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; iteration throws when the connection fails or times out mid-body. */
  body: AsyncIterable<Buffer> & { destroy(error?: Error): void };
  /** Reads and discards the rest of the body, so the connection can be reused. */
  dump(): Promise<void>;
}

/** A whole response, read into memory (index pages, JSON documents). */
export interface BufferedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Transport {
  /**
   * Sends a GET and reads the whole body, within `timeoutMs` for the attempt as a whole. Rejects on connection
   * errors, with HEADERS_TIMEOUT or BODY_TIMEOUT when the time runs out, BODY_TOO_LARGE past `maxBodyBytes`, and
   * BODY_TRUNCATED (with `bytes`, the length read, and `cause`) when the connection ends mid-body.
   */
  fetch(
    url: string,
    init: { headers: Record<string, string>; maxBodyBytes: number },
  ): Promise<BufferedResponse>;
  /** Opens the connection to the URL's origin ahead of the first request (HTTP/2 origins; else nothing). */
  preconnect(url: string): void;
  /** Sends a GET; rejects on connection errors and timeouts (codes as undici's: see below). */
  request(
    url: string,
    init: { headers: Record<string, string>; signal?: AbortSignal },
  ): Promise<TransportResponse>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** Connections per origin (the client's concurrency). */
  connections: number;
  connectTimeoutMs: number;
  /** Longest wait for the response headers, and for the next bytes of the body. */
  timeoutMs: number;
  /** Proxy settings: HTTPS_PROXY / HTTP_PROXY / NO_PROXY, either case. */
  env: NodeJS.ProcessEnv;
  /** A dispatcher of the caller's own (undici is then used with it). */
  dispatcher?: Dispatcher;
  /** Extra trusted certificates (PEM), added to Node's roots (not used with a caller's dispatcher). */
  ca?: string;
  /** Whether https origins may be asked for HTTP/2 (default true). */
  http2?: boolean;
}

/** The error codes both transports reject with for their timeouts (undici's own names). */
export const HEADERS_TIMEOUT = "UND_ERR_HEADERS_TIMEOUT";
export const BODY_TIMEOUT = "UND_ERR_BODY_TIMEOUT";
export const CONNECT_TIMEOUT = "UND_ERR_CONNECT_TIMEOUT";
/** Our own codes for `fetch`: a body over the limit, and one cut off by the connection. */
export const BODY_TOO_LARGE = "PYCUSTOMS_BODY_TOO_LARGE";
export const BODY_TRUNCATED = "PYCUSTOMS_BODY_TRUNCATED";
/**
 * An HTTP/2 request the server never processed (refused stream, or the connection going away before it): safe to
 * send again at once (RFC 9113, 8.7), on a new connection.
 */
export const NOT_PROCESSED = "PYCUSTOMS_NOT_PROCESSED";

function proxySettings(env: NodeJS.ProcessEnv): {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
} {
  const out: { httpProxy?: string; httpsProxy?: string; noProxy?: string } = {};
  // An empty variable counts as unset (as curl and pip take it), so it does not hide the other spelling.
  const httpProxy = env.http_proxy || env.HTTP_PROXY;
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY;
  const noProxy = env.no_proxy || env.NO_PROXY;
  if (httpProxy) out.httpProxy = httpProxy;
  if (httpsProxy) out.httpsProxy = httpsProxy;
  if (noProxy) out.noProxy = noProxy;
  return out;
}

/** node:http/https unless a proxy is configured or a dispatcher given; then undici. */
export function createTransport(options: TransportOptions): Transport {
  const proxies = proxySettings(options.env);
  if (options.dispatcher || proxies.httpProxy || proxies.httpsProxy) return undiciTransport(options, proxies);
  return nodeTransport(options);
}

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function truncated(status: number, bytes: number, cause: unknown): Error {
  return Object.assign(new Error(`body truncated after ${bytes} bytes`), {
    code: BODY_TRUNCATED,
    status,
    bytes,
    cause,
  });
}

function tooLarge(status: number, max: number): Error {
  return Object.assign(codedError(BODY_TOO_LARGE, `response larger than ${max} bytes`), { status });
}

function notProcessed(cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return Object.assign(new Error(`the index did not process the request (${message})`), {
    code: NOT_PROCESSED,
    cause,
  });
}

function connectTimedOut(ms: number): Error {
  return codedError(CONNECT_TIMEOUT, `connect timed out after ${ms} ms`);
}

type FetchInit = Parameters<Transport["fetch"]>[1];

/** How one fetch ends: once, with its timer cleared, and the request cancelled when it fails. */
class Outcome {
  settled = false;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly resolve: (value: BufferedResponse) => void,
    private readonly reject: (error: Error) => void,
    private readonly cancel: () => void,
  ) {}
  arm(ms: number, onTimeout: () => void): void {
    this.timer = setTimeout(onTimeout, ms);
  }
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.cancel();
    this.reject(error);
  }
  done(value: BufferedResponse): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(value);
  }
}

/** A response body read into memory, refusing to grow past a limit. */
class BodyCollector {
  private readonly chunks: Buffer[] = [];
  size = 0;
  constructor(private readonly max: number) {}
  /** False once the body is over the limit (the chunk is not kept). */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.max) return false;
    this.chunks.push(chunk);
    return true;
  }
  buffer(): Buffer {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
  }
}

function bodyTimeout(status: number, ms: number): Error {
  return Object.assign(codedError(BODY_TIMEOUT, `body not complete within ${ms} ms`), { status });
}

function nodeTransport(options: TransportOptions): Transport {
  const agentOptions = { keepAlive: true, maxSockets: options.connections };
  // One TLS context for every connection: given a `ca`, each connection would otherwise parse Node's ~140 roots
  // and the extra certificates again (~25 ms apiece).
  const secureContext = options.ca
    ? tls.createSecureContext({ ca: [...tls.rootCertificates, options.ca] })
    : undefined;
  const agents = {
    http: new http.Agent(agentOptions),
    https: new https.Agent({ ...agentOptions, ...(secureContext ? { secureContext } : {}) }),
  };
  const h2 =
    options.http2 === false
      ? null
      : new H2Origins(
          { connectTimeoutMs: options.connectTimeoutMs, ...(secureContext ? { secureContext } : {}) },
          { connectTimeout: connectTimedOut },
        );
  /** A GET on a keep-alive agent, with the connect timeout armed while a new socket connects. */
  const send = (url: string, headers: Record<string, string>, signal?: AbortSignal): http.ClientRequest => {
    const secure = url.startsWith("https:");
    const req = (secure ? https : http).request(url, {
      method: "GET",
      headers,
      agent: secure ? agents.https : agents.http,
      ...(signal ? { signal } : {}),
    });
    req.on("socket", (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        () => req.destroy(connectTimedOut(options.connectTimeoutMs)),
        options.connectTimeoutMs,
      );
      socket.once(secure ? "secureConnect" : "connect", () => clearTimeout(timer));
      socket.once("close", () => clearTimeout(timer));
    });
    return req;
  };
  const headersTimedOut = () =>
    codedError(HEADERS_TIMEOUT, `no response headers within ${options.timeoutMs} ms`);

  // Events and one timer rather than an AbortSignal and an async iterator: a revalidating audit makes hundreds
  // of these in a cold process, where each layer of promises and listeners showed up in the profile.
  const fetchHttp1 = (url: string, init: FetchInit) =>
    new Promise<BufferedResponse>((resolve, reject) => {
      const req = send(url, init.headers);
      let res: http.IncomingMessage | null = null;
      const body = new BodyCollector(init.maxBodyBytes);
      const outcome = new Outcome(resolve, reject, () => req.destroy());
      const fail = (e: Error) => outcome.fail(e);
      outcome.arm(options.timeoutMs, () =>
        fail(res ? bodyTimeout(res.statusCode ?? 0, options.timeoutMs) : headersTimedOut()),
      );
      req.on("error", (e) => fail(res ? truncated(res.statusCode ?? 0, body.size, e) : e));
      req.once("response", (response) => {
        res = response;
        const status = response.statusCode ?? 0;
        response.on("data", (chunk: Buffer) => {
          if (!body.add(chunk)) fail(tooLarge(status, init.maxBodyBytes));
        });
        response.on("error", (e) => fail(truncated(status, body.size, e)));
        response.on("close", () => {
          if (!response.complete) fail(truncated(status, body.size, new Error("the connection closed")));
        });
        response.on("end", () => {
          outcome.done({ statusCode: status, headers: response.headers, body: body.buffer() });
        });
      });
      req.end();
    });

  const fetchHttp2 = (session: ClientHttp2Session, url: URL, init: FetchInit) =>
    new Promise<BufferedResponse>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(
          { ":method": "GET", ":path": `${url.pathname}${url.search}`, ...init.headers },
          { endStream: true },
        );
      } catch (e) {
        // The session is closing or broken: the retry opens a new one.
        h2?.retire(url, session);
        reject(notProcessed(e));
        return;
      }
      let status: number | null = null;
      let headers: Record<string, string | string[] | undefined> = {};
      const body = new BodyCollector(init.maxBodyBytes);
      const outcome = new Outcome(resolve, reject, () => {
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      const fail = (e: Error) => outcome.fail(e);
      outcome.arm(options.timeoutMs, () => {
        // A session that answers nothing may be dead (a dropped NAT mapping): later requests get a new one.
        if (status === null) h2?.retire(url, session);
        fail(status === null ? headersTimedOut() : bodyTimeout(status, options.timeoutMs));
      });
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        headers = plainHeaders(h);
      });
      stream.on("data", (chunk: Buffer) => {
        if (!body.add(chunk)) fail(tooLarge(status ?? 0, init.maxBodyBytes));
      });
      // Before any answer, a refused stream or a connection going away means the request was not processed.
      const unanswered = (e: Error): Error =>
        stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM ||
        (e as { code?: string }).code === "ERR_HTTP2_GOAWAY_SESSION"
          ? notProcessed(e)
          : e;
      stream.on("error", (e) => fail(status === null ? unanswered(e) : truncated(status, body.size, e)));
      stream.on("close", () => {
        // Every stream closes, answered or not: the errors are made only for one that was cut short.
        if (outcome.settled) return;
        const cause = new Error(`the stream was reset (HTTP/2 error ${stream.rstCode})`);
        fail(status === null ? unanswered(cause) : truncated(status, body.size, cause));
      });
      stream.on("end", () => {
        // Without a status the stream was reset: 'close' reports it.
        if (status !== null) outcome.done({ statusCode: status, headers, body: body.buffer() });
      });
    });

  return {
    preconnect(url) {
      // A failure here is met again, and reported, by the first request.
      if (h2 !== null && url.startsWith("https:")) h2.session(new URL(url)).catch(() => undefined);
    },
    async fetch(url, init) {
      if (h2 === null || !url.startsWith("https:")) return fetchHttp1(url, init);
      const parsed = new URL(url);
      const session = await h2.session(parsed);
      return session === null ? fetchHttp1(url, init) : fetchHttp2(session, parsed, init);
    },
    request(url, init) {
      return new Promise<TransportResponse>((resolve, reject) => {
        const req = send(url, init.headers, init.signal);
        let responded = false;
        // Inactivity on the socket: before the headers it is a headers timeout, after them a body timeout.
        req.setTimeout(options.timeoutMs, () => {
          req.destroy(
            responded
              ? codedError(BODY_TIMEOUT, `no body data for ${options.timeoutMs} ms`)
              : codedError(HEADERS_TIMEOUT, `no response headers within ${options.timeoutMs} ms`),
          );
        });
        // `on`, not `once`: a request can fail again after the first error (a reset after a timeout), and an
        // 'error' without a listener would end the process. Later ones find the promise settled: no effect.
        req.on("error", reject);
        req.once("response", (res) => {
          responded = true;
          // Errors mid-body reach whoever reads it (the iterator has its own listener); a body nobody reads any
          // more (dumped, or abandoned after a refusal) must not end the process with an unhandled 'error'.
          res.on("error", () => {});
          resolve({
            statusCode: res.statusCode ?? 0,
            headers: res.headers,
            body: res,
            dump: () =>
              new Promise<void>((done) => {
                res.once("end", done);
                res.once("close", done);
                res.resume();
              }),
          });
        });
        req.end();
      });
    },
    async close() {
      await h2?.close();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function undiciTransport(
  options: TransportOptions,
  proxies: { httpProxy?: string; httpsProxy?: string; noProxy?: string },
): Transport {
  let loaded: Promise<{ request: typeof import("undici").request; dispatcher: Dispatcher }> | null = null;
  let own: Dispatcher | null = null;
  const load = () => {
    loaded ??= import("undici").then(({ request, EnvHttpProxyAgent }) => {
      if (options.dispatcher) return { request, dispatcher: options.dispatcher };
      own = new EnvHttpProxyAgent({
        ...proxies,
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        // No more connections per origin than requests in flight: without a cap the pool opens a new one
        // whenever a request arrives before the connection that just finished is marked free.
        connections: options.connections,
      });
      return { request, dispatcher: own };
    });
    return loaded;
  };
  return {
    preconnect() {
      // Through a proxy: connections are the proxy agent's business.
    },
    async fetch(url, init) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      let response: Awaited<ReturnType<typeof import("undici").request>>;
      try {
        const { request, dispatcher } = await load();
        response = await request(url, { method: "GET", headers: init.headers, dispatcher, signal });
      } catch (e) {
        throw signal.aborted
          ? codedError(HEADERS_TIMEOUT, `no response headers within ${options.timeoutMs} ms`)
          : e;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body) {
          const buf = chunk as Buffer;
          size += buf.length;
          if (size > init.maxBodyBytes) {
            response.body.destroy();
            throw tooLarge(response.statusCode, init.maxBodyBytes);
          }
          chunks.push(buf);
        }
      } catch (e) {
        if ((e as { code?: string }).code === BODY_TOO_LARGE) throw e;
        if (signal.aborted || (e as { code?: string }).code === BODY_TIMEOUT) {
          throw bodyTimeout(response.statusCode, options.timeoutMs);
        }
        throw truncated(response.statusCode, size, e);
      }
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: Buffer.concat(chunks, size),
      };
    },
    async request(url, init) {
      const { request, dispatcher } = await load();
      const response = await request(url, {
        method: "GET",
        headers: init.headers,
        dispatcher,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body as unknown as TransportResponse["body"],
        dump: () => response.body.dump().then(() => undefined),
      };
    },
    async close() {
      if (own) await own.close();
    },
  };
}
