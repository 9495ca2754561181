// How a GET reaches the network: Node's own http/https with keep-alive agents, or undici's proxy agent when a
// proxy is configured. undici takes ~60 ms to load (its entry point brings fetch, WebSocket, caches and mocks),
// more than a whole revalidating audit spends on CPU otherwise; node:http is part of Node and costs nothing to
// load. Only a proxied run (HTTP(S)_PROXY set) or a caller with its own dispatcher pays for undici, which does
// proxying (CONNECT tunnels, NO_PROXY) properly. Both answer with the same shape and the same error codes, so
// http.ts classifies timeouts, truncations and connection errors once.
import http from "node:http";
import https from "node:https";
import type { Dispatcher } from "undici";

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; iteration throws when the connection fails or times out mid-body. */
  body: AsyncIterable<Buffer> & { destroy(error?: Error): void };
  /** Reads and discards the rest of the body, so the connection can be reused. */
  dump(): Promise<void>;
}

export interface Transport {
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
}

/** The error codes both transports reject with for their timeouts (undici's own names). */
export const HEADERS_TIMEOUT = "UND_ERR_HEADERS_TIMEOUT";
export const BODY_TIMEOUT = "UND_ERR_BODY_TIMEOUT";
export const CONNECT_TIMEOUT = "UND_ERR_CONNECT_TIMEOUT";

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

function nodeTransport(options: TransportOptions): Transport {
  const agentOptions = { keepAlive: true, maxSockets: options.connections };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  return {
    request(url, init) {
      return new Promise<TransportResponse>((resolve, reject) => {
        const secure = url.startsWith("https:");
        const req = (secure ? https : http).request(url, {
          method: "GET",
          headers: init.headers,
          agent: secure ? agents.https : agents.http,
          ...(init.signal ? { signal: init.signal } : {}),
        });
        let responded = false;
        // Inactivity on the socket: before the headers it is a headers timeout, after them a body timeout.
        req.setTimeout(options.timeoutMs, () => {
          req.destroy(
            responded
              ? codedError(BODY_TIMEOUT, `no body data for ${options.timeoutMs} ms`)
              : codedError(HEADERS_TIMEOUT, `no response headers within ${options.timeoutMs} ms`),
          );
        });
        req.on("socket", (socket) => {
          if (!socket.connecting) return;
          const timer = setTimeout(() => {
            req.destroy(
              codedError(CONNECT_TIMEOUT, `connect timed out after ${options.connectTimeoutMs} ms`),
            );
          }, options.connectTimeoutMs);
          socket.once(secure ? "secureConnect" : "connect", () => clearTimeout(timer));
          socket.once("close", () => clearTimeout(timer));
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
