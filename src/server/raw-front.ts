// A strict HTTP/1.1 front for the one request that dominates an index's traffic: `GET`/`HEAD /simple/<name>/` of a
// page the server can answer at once. It reads request heads off the connection itself and writes the answer from
// bytes prepared once per page; the first request it does not fully understand, and every byte after it, is handed
// to the node:http server (and so to Fastify), which then owns the connection for good.
//
// Why it exists: a cached page is a few lookups, but node:http's per-request machinery (its parser's callbacks,
// IncomingMessage and ServerResponse objects, per-call header validation) costs more than twice that. Measured in
// bench/serve.ts on this project's machine: bare node:http answering fixed bytes reaches about half of nginx's
// requests per second, a raw socket writing the same bytes about 80%.
//
// Security: the grammar accepted here is a strict subset of RFC 9112, so any request it takes is read the same way
// by every HTTP parser in front of it (no smuggling by disagreement): one request line `GET|HEAD SP /simple/<name>/
// SP HTTP/1.1`, CRLF-terminated header lines of token names and visible-character values, no body and nothing that
// could announce one (Content-Length, Transfer-Encoding), no Expect, Upgrade, or connection options other than
// keep-alive, exactly one Host. Anything else — including a lone LF or CR, obs-fold, a control character or an
// oversized head — goes to node:http untouched, which answers or refuses it as it always has. Handed-over bytes are
// replayed through the socket's own stream in order, before anything read later.
import { type Server, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { answerHeaders, type PageAnswer, type ResponseHeaders } from "./project-page.js";

/** What the front read from a request it may answer (header names lower-cased; undefined when absent). */
export interface FrontRequest {
  method: "GET" | "HEAD";
  /** The request target, `/simple/<something>/` (not yet checked to be a valid, normalised name). */
  path: string;
  host: string;
  accept: string | undefined;
  ifNoneMatch: string | undefined;
  acceptEncoding: string | undefined;
  authorization: string | undefined;
  ip: string;
}

export interface RawFrontOptions {
  /**
   * The answer to a request: now, or a promise when it needs waiting (an upstream fetch, a gate evaluation; it must
   * not reject: a failure is an answer too), or null when the request is not one the front answers (it then goes to
   * node:http with the rest of the connection).
   */
  answer(request: FrontRequest): PageAnswer | Promise<PageAnswer> | null;
  /** Headers added to every response of this process (`X-Pycustoms-Worker`), or null. */
  perProcess: ResponseHeaders | null;
  /** Called after each answered request (the access log), when given. */
  onAnswered?: ((request: FrontRequest, status: number, ms: number) => void) | undefined;
  /** Told of an error of the front itself (a bug: the connection is then closed, the server goes on). */
  onError?: ((error: unknown) => void) | undefined;
}

/** Larger heads go to node:http, which applies its own limit (16 KiB by default) and answers 431. */
const MAX_HEAD_BYTES = 8192;
/** Stop reading a connection whose client does not read its answers once this much is queued. */
const MAX_QUEUED_BYTES = 1 << 20;
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

/** node:http's own answer to bytes that are not a request (`socketOnError`), when the server has no `clientError` listener. */
const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
const LF = 10;
const CR = 13;

/** Only CR and LF bytes. */
function isBlank(buffer: Buffer): boolean {
  for (const byte of buffer) if (byte !== CR && byte !== LF) return false;
  return true;
}

/** True when a LF at or after `from` is not preceded by CR. */
function hasBareLf(buffer: Buffer, from: number): boolean {
  for (let i = buffer.indexOf(LF, from); i >= 0; i = buffer.indexOf(LF, i + 1)) {
    if (i === from || buffer[i - 1] !== CR) return true;
  }
  return false;
}

const REQUEST_LINE = /^(GET|HEAD) (\/simple\/[^\s/?#]{1,1000}\/) HTTP\/1\.1$/;
/** A header field: token name, colon, a value of visible characters, spaces and tabs (RFC 9110 5.1, 5.5). */
const FIELD =
  /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\x21-\x7e\x80-\xff](?:[\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?)?[ \t]*$/;

/** The headers the answer depends on, each allowed once. */
const READ_HEADERS = ["host", "accept", "if-none-match", "accept-encoding", "authorization"] as const;
/** Headers that announce a body or change the protocol: such a request is node:http's. */
const REFUSED_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "expect",
  "upgrade",
  "te",
  "trailer",
]);

/**
 * Reads one request head (the bytes before its blank line, as latin1). Returns null when the head is anything but
 * the strict form described above: the caller then hands the connection over.
 */
export function readFrontHead(head: string, ip: string): FrontRequest | null {
  const lines = head.split("\r\n");
  const requestLine = REQUEST_LINE.exec(lines[0]!);
  if (requestLine === null) return null;
  const read: Partial<Record<(typeof READ_HEADERS)[number], string>> = {};
  for (let i = 1; i < lines.length; i++) {
    const field = FIELD.exec(lines[i]!);
    // A lone CR or LF inside a line, obs-fold, a control character, an empty name: not ours to interpret.
    if (field === null) return null;
    const name = field[1]!.toLowerCase();
    const value = field[2] ?? "";
    if ((READ_HEADERS as readonly string[]).includes(name)) {
      // Twice is not ours to merge: node:http would join or pick, and the two must never disagree.
      const key = name as (typeof READ_HEADERS)[number];
      if (read[key] !== undefined) return null;
      read[key] = value;
    } else if (REFUSED_HEADERS.has(name)) {
      return null;
    } else if (name === "connection" && value.toLowerCase() !== "keep-alive") {
      return null;
    }
  }
  if (read.host === undefined || read.host === "") return null;
  return {
    method: requestLine[1] as "GET" | "HEAD",
    path: requestLine[2]!,
    host: read.host,
    accept: read.accept,
    ifNoneMatch: read["if-none-match"],
    acceptEncoding: read["accept-encoding"],
    authorization: read.authorization,
    ip,
  };
}

/** The header lines of `headers`; every value comes from the server's own code, but a CR or LF would still split
 * the response: refused loudly instead. */
function headerLines(headers: ResponseHeaders): string {
  let block = "";
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`invalid response header ${name}`);
    block += `${name}: ${value}\r\n`;
  }
  return block;
}

let dateLine = "";
let dateSecond = -1;

/** The current second; `dateLine` is then `Date: <IMF-fixdate>` of it (RFC 9110 6.6.1: an origin with a clock
 * sends it), rebuilt once a second. */
function tick(): number {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateLine = `date: ${new Date(now).toUTCString()}\r\n`;
  }
  return second;
}

/** A whole response in one buffer (one write, no per-request encoding), valid for the second it was made in. */
interface PreparedResponse {
  second: number;
  body: PageAnswer["body"];
  connectionLines: string;
  /** Head and body (what a GET is sent). */
  full: Buffer;
  /** The head alone (what a HEAD is sent, and a 304). */
  head: Buffer;
}

/**
 * Puts the front before node:http's own handling of new connections on `server`. Returns a function that closes
 * the connections the front still holds (they are idle between requests: call it when the server closes), or null
 * (and changes nothing) when the server does not have exactly its own connection listener.
 */
export function installRawFront(server: Server, options: RawFrontOptions): (() => void) | null {
  // A TLS server's connection listener starts the handshake: the bytes are not HTTP yet.
  if (typeof (server as unknown as { addContext?: unknown }).addContext === "function") return null;
  const listeners = server.listeners("connection") as ((socket: Socket) => void)[];
  const first = listeners[0];
  if (listeners.length !== 1 || first === undefined) return null;
  const httpConnection: (socket: Socket) => void = first;
  server.removeListener("connection", httpConnection);
  const held = new Set<FrontConnection>();
  const { answer, perProcess, onAnswered, onError } = options;
  // Per headers object: answers share them between requests (one per rendered page and status), so a cached page
  // is turned into bytes once a second, not once a request.
  const prepared = new WeakMap<ResponseHeaders, PreparedResponse>();
  const responseBytes = (
    result: PageAnswer,
    method: FrontRequest["method"],
    connectionLines: string,
  ): Buffer => {
    const second = tick();
    let p = result.stale ? undefined : prepared.get(result.headers);
    if (
      p === undefined ||
      p.second !== second ||
      p.body !== result.body ||
      p.connectionLines !== connectionLines
    ) {
      const status = `HTTP/1.1 ${result.status} ${STATUS_CODES[result.status] ?? "Unknown"}\r\n`;
      // The same headers, in the same order, as the node:http fast path writes (worker header, stale Warning).
      const headers = headerLines(answerHeaders(result, perProcess));
      const head = Buffer.from(`${status}${headers}${dateLine}${connectionLines}`, "latin1");
      const body = typeof result.body === "string" ? Buffer.from(result.body, "utf8") : result.body;
      const full = body === null ? head : Buffer.concat([head, body]);
      p = { second, body: result.body, connectionLines, full, head };
      if (!result.stale) prepared.set(result.headers, p);
    }
    return method === "HEAD" ? p.head : p.full;
  };
  server.on("connection", (socket: Socket) => {
    const connection = new FrontConnection(
      socket,
      server,
      httpConnection,
      answer,
      responseBytes,
      onAnswered,
      onError,
    );
    held.add(connection);
    socket.on("close", () => held.delete(connection));
  });

  return () => {
    for (const connection of held) connection.close();
    held.clear();
  };
}

type ResponseBytes = (result: PageAnswer, method: FrontRequest["method"], connectionLines: string) => Buffer;

/** One connection while the front holds it: reads request heads, writes answers in order, or hands it over. */
class FrontConnection {
  /** Bytes of a request head not complete yet, or of requests waiting behind an answer that needs waiting. */
  private pending: Buffer | null = null;
  /** When the unfinished head in `pending` began to arrive. */
  private pendingSince = 0;
  /** An answer is awaited: nothing more is read or answered until it is written (answers keep request order). */
  private waiting = false;
  /** The server is closing: end the connection once the awaited answer is written. */
  private endAfterAnswer = false;
  /** node:http owns the connection now. */
  private handedOver = false;
  private readonly ip: string;
  private readonly keepAliveLines: string;
  private readonly headersTimeoutMs: number;
  private readonly onData = (chunk: Buffer): void => {
    // Whatever a request holds, a mistake of ours closes this connection, never the server.
    try {
      this.read(chunk);
    } catch (error) {
      this.socket.destroy();
      this.reportError?.(error);
    }
  };
  private readonly onTimeout = (): void => {
    this.socket.destroy();
  };
  private readonly onError = (): void => {
    this.socket.destroy();
  };
  // As node:http does (without `httpAllowHalfOpen`): once the client is done sending, what is queued is sent and
  // the connection ends; an answer still awaited is dropped.
  private readonly onEnd = (): void => {
    const pending = this.pending;
    // Blank lines between requests are allowed (RFC 9112 2.2); anything else left is a head cut short, which
    // node:http reports as its parser's error at the end of the stream: through the server's `clientError`
    // listeners (Fastify answers 400 with its JSON body), or node:http's own 400 when there are none.
    if (pending === null || this.waiting || isBlank(pending)) {
      this.socket.end();
      return;
    }
    const error = Object.assign(new Error("Parse Error: Invalid EOF state"), {
      code: "HPE_INVALID_EOF_STATE",
      bytesParsed: 0,
      rawPacket: pending,
    });
    if (!this.server.emit("clientError", error, this.socket)) this.socket.end(BAD_REQUEST);
  };

  constructor(
    private readonly socket: Socket,
    private readonly server: Server,
    private readonly httpConnection: (socket: Socket) => void,
    private readonly answer: RawFrontOptions["answer"],
    private readonly responseBytes: ResponseBytes,
    private readonly onAnswered: RawFrontOptions["onAnswered"],
    private readonly reportError: RawFrontOptions["onError"],
  ) {
    this.ip = socket.remoteAddress ?? "";
    // The server's own limits, read per connection as node:http does: idle time between requests, and the
    // longest a request head may take to arrive in full (slow senders are cut).
    const keepAliveMs = server.keepAliveTimeout;
    this.headersTimeoutMs = server.headersTimeout;
    this.keepAliveLines =
      keepAliveMs > 0
        ? `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`
        : "connection: keep-alive\r\n\r\n";
    socket.setTimeout(keepAliveMs);
    socket.on("timeout", this.onTimeout);
    socket.on("error", this.onError);
    socket.on("end", this.onEnd);
    socket.on("data", this.onData);
  }

  /** The server is closing: what is queued is sent, then the connection ends; nothing more is read. */
  close(): void {
    if (this.handedOver) return;
    this.socket.removeListener("data", this.onData);
    if (this.waiting) this.endAfterAnswer = true;
    else this.socket.end();
  }

  private read(chunk: Buffer): void {
    const socket = this.socket;
    let buffer = chunk;
    const continued = this.pending !== null;
    if (this.pending !== null) {
      if (
        !this.waiting &&
        this.headersTimeoutMs > 0 &&
        performance.now() - this.pendingSince > this.headersTimeoutMs
      ) {
        socket.destroy();
        return;
      }
      buffer = chunk.length === 0 ? this.pending : Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    if (this.waiting) {
      // Only while the pause below takes effect: kept, in order, for after the awaited answer.
      this.pending = Buffer.from(buffer);
      return;
    }
    let at = 0;
    let corked = false;
    for (;;) {
      const end = buffer.indexOf(CRLFCRLF, at);
      if (end < 0 || end - at > MAX_HEAD_BYTES) break;
      const started = this.onAnswered === undefined ? 0 : performance.now();
      const request = readFrontHead(buffer.toString("latin1", at, end), this.ip);
      const result = request === null ? null : this.answer(request);
      if (request === null || result === null) {
        if (corked) socket.uncork();
        this.handOver(buffer.subarray(at));
        return;
      }
      at = end + 4;
      if (result instanceof Promise) {
        if (corked) socket.uncork();
        this.await(request, result, started, buffer.subarray(at));
        return;
      }
      // Pipelined requests read together: their answers leave in one write (a lone answer needs no corking).
      if (!corked && at < buffer.length) {
        socket.cork();
        corked = true;
      }
      this.respond(request, result, started);
    }
    if (corked) socket.uncork();
    if (at < buffer.length) {
      // A head longer than the front reads, or one with bare LF line ends (it will never end in CRLF CRLF):
      // node:http applies its own limits and rules to it.
      if (buffer.length - at > MAX_HEAD_BYTES || hasBareLf(buffer, at)) {
        this.handOver(buffer.subarray(at));
        return;
      }
      this.pending = Buffer.from(buffer.subarray(at));
      if (!continued || at > 0) this.pendingSince = performance.now();
    }
    // A client that sends requests without reading the answers is not read further until it does.
    if (socket.writableLength > MAX_QUEUED_BYTES) {
      socket.pause();
      socket.once("drain", () => socket.resume());
    }
  }

  /** Writes the awaited answer, then goes on with the requests read meanwhile. */
  private await(request: FrontRequest, result: Promise<PageAnswer>, started: number, rest: Buffer): void {
    const socket = this.socket;
    this.waiting = true;
    this.pending = rest.length > 0 ? Buffer.from(rest) : null;
    socket.pause();
    result.then(
      (answer) => {
        this.waiting = false;
        if (!socket.writable) return;
        this.respond(request, answer, started);
        if (this.endAfterAnswer) {
          socket.end();
          return;
        }
        socket.resume();
        this.pendingSince = performance.now();
        if (this.pending !== null) this.onData(Buffer.alloc(0));
      },
      () => socket.destroy(),
    );
  }

  private respond(request: FrontRequest, result: PageAnswer, started: number): void {
    let bytes: Buffer;
    try {
      bytes = this.responseBytes(result, request.method, this.keepAliveLines);
    } catch {
      // A header value that would split the response (a bug upstream of here): nothing is sent, not half of it.
      this.socket.destroy();
      return;
    }
    this.socket.write(bytes);
    this.onAnswered?.(request, result.status, performance.now() - started);
  }

  /** From here on node:http owns the connection, starting with `rest`. */
  private handOver(rest: Buffer): void {
    const socket = this.socket;
    this.handedOver = true;
    socket.removeListener("data", this.onData);
    socket.removeListener("timeout", this.onTimeout);
    socket.removeListener("error", this.onError);
    socket.removeListener("end", this.onEnd);
    socket.setTimeout(0);
    if (rest.length > 0) socket.unshift(rest);
    // node:http reads a fresh socket's handle directly, which could overtake the bytes put back above: marked
    // as consumed, it reads through the stream's 'data' events instead, in order.
    const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
    if (handle) handle._consumed = true;
    this.httpConnection.call(this.server, socket);
  }
}
