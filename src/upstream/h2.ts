// HTTP/2 for https origins that offer it: one TLS connection per origin carrying every page request as a stream.
//
// PyPI (and most CDNs in front of mirrors) speak HTTP/2. Over HTTP/1.1, N requests in flight need N connections, each
// with its own TLS handshake: on a 2-core machine a cold audit opening 128 of them spent ~250 ms of CPU on
// handshakes alone, against ~60 ms for the same 300 requests as streams of one connection (bench/RESULTS.md). The
// protocol is chosen by ALPN on the first connection to an origin; an origin that answers `http/1.1` (or nothing)
// is remembered and the caller uses its HTTP/1.1 agent instead. Plain `http:` URLs always use HTTP/1.1 (no
// cleartext h2c: browsers do not use it either). Only buffered GETs (pages, JSON) come here; streamed downloads keep
// HTTP/1.1.
//
// node:http2 is Node's own binding of nghttp2: no library to load. undici's HTTP/2 support is still experimental
// in the versions that run on Node 20, and loading undici costs more than this whole file saves.
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { isIP } from "node:net";
import tls from "node:tls";

export interface H2Options {
  connectTimeoutMs: number;
  /** The TLS context to connect with (trusted certificates beyond Node's roots); default Node's. */
  secureContext?: tls.SecureContext;
}

/** What an origin was found to speak. */
type OriginState = { protocol: "h2"; session: ClientHttp2Session } | { protocol: "http/1.1" };

/** Error codes, as the HTTP/1.1 transport's (see transport.ts). */
export interface ErrorCodes {
  connectTimeout: (ms: number) => Error;
}

export class H2Origins {
  private readonly origins = new Map<string, Promise<OriginState>>();
  private closed = false;

  constructor(
    private readonly options: H2Options,
    private readonly errors: ErrorCodes,
  ) {}

  /**
   * The HTTP/2 session for the URL's origin, connecting (and negotiating) on first use; null when the origin
   * speaks only HTTP/1.1. Rejects when the connection fails (the next call tries again).
   */
  async session(url: URL): Promise<ClientHttp2Session | null> {
    const origin = url.origin;
    let state = this.origins.get(origin);
    if (!state) {
      state = this.connect(url);
      this.origins.set(origin, state);
      // A failed connection is not remembered: the caller's retry connects afresh.
      state.catch(() => {
        if (this.origins.get(origin) === state) this.origins.delete(origin);
      });
    }
    const known = await state;
    return known.protocol === "h2" ? known.session : null;
  }

  /** Drops a session that failed or timed out, so the next request opens a new one; streams in flight finish. */
  retire(url: URL, session: ClientHttp2Session): void {
    const origin = url.origin;
    const state = this.origins.get(origin);
    if (state) {
      state.then(
        (known) => {
          if (known.protocol === "h2" && known.session === session && this.origins.get(origin) === state)
            this.origins.delete(origin);
        },
        () => undefined,
      );
    }
    if (!session.closed && !session.destroyed) session.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    const states = [...this.origins.values()];
    this.origins.clear();
    await Promise.all(
      states.map((state) =>
        state.then(
          (known) => {
            if (known.protocol !== "h2" || known.session.destroyed) return;
            return new Promise<void>((resolve) => {
              // Held by the loop until the socket has closed: an unreferenced session would let the process
              // run out of work while close() is still awaited.
              known.session.ref();
              known.session.close(() => resolve());
              // A stream the peer never ends must not keep close() waiting.
              setTimeout(() => {
                known.session.destroy();
                resolve();
              }, 1000).unref();
            });
          },
          () => undefined,
        ),
      ),
    );
  }

  private connect(url: URL): Promise<OriginState> {
    return new Promise<OriginState>((resolve, reject) => {
      if (this.closed) {
        reject(new Error("the HTTP client is closed"));
        return;
      }
      const host = url.hostname.replace(/^\[|\]$/g, "");
      const socket = tls.connect({
        host,
        port: Number(url.port || 443),
        // SNI carries host names only (RFC 6066); the certificate is still checked against an IP literal.
        ...(isIP(host) ? {} : { servername: host }),
        ALPNProtocols: ["h2", "http/1.1"],
        ...(this.options.secureContext ? { secureContext: this.options.secureContext } : {}),
      });
      // Until the server's settings: a TLS handshake or an HTTP/2 preface that stalls is a connect timeout.
      const timer = setTimeout(() => {
        const e = this.errors.connectTimeout(this.options.connectTimeoutMs);
        reject(e);
        socket.destroy(e);
      }, this.options.connectTimeoutMs);
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once("secureConnect", () => {
        if (socket.alpnProtocol !== "h2") {
          clearTimeout(timer);
          // This connection's handshake is not reused: one extra handshake per HTTP/1.1-only origin and run.
          socket.destroy();
          resolve({ protocol: "http/1.1" });
          return;
        }
        const session = http2.connect(url.origin, { createConnection: () => socket });
        const forget = () => this.retire(url, session);
        session.on("error", forget);
        session.on("goaway", forget);
        session.on("close", forget);
        // Requests wait for the server's SETTINGS: sent before them, a burst wider than the streams the server
        // allows is refused (RST_STREAM REFUSED_STREAM) instead of queued by nghttp2 until streams free up.
        // The server sends them first thing, so this costs no extra round trip.
        const failed = () => {
          clearTimeout(timer);
          reject(new Error("the HTTP/2 connection closed before the server's settings arrived"));
        };
        session.once("close", failed);
        session.once("remoteSettings", () => {
          clearTimeout(timer);
          session.off("close", failed);
          // A session waiting for nothing must not keep the process alive; requests in flight hold their timers.
          session.unref();
          resolve({ protocol: "h2", session });
        });
      });
    });
  }
}

/** Response headers without the pseudo-headers, as node:http gives them (lower-case names). */
export function plainHeaders(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const name in headers) {
    if (name.charCodeAt(0) !== 58) out[name] = headers[name];
  }
  return out;
}
