// The raw HTTP/1.1 front (src/server/raw-front.ts): what it reads is read the same by node:http's own parser,
// everything else reaches node:http byte for byte and in order, and hostile requests get exactly the answers they
// get without the front.
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { installRawFront, readFrontHead } from "../../src/server/raw-front.js";
import {
  type FixtureProject,
  type RunningUpstream,
  startUpstreamServer,
} from "../support/upstream-server.js";
import { startServe } from "./e2e-clients.js";
import { type ListeningServer, listeningServer } from "./harness.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE = "application/vnd.pypi.simple.v1+html";

function project(name: string, versions: string[]): FixtureProject {
  return {
    name,
    releases: versions.map((version) => ({
      version,
      files: [{ filename: `${name}-${version}-py3-none-any.whl`, bytes: Buffer.from(`${name} ${version}`) }],
    })),
  };
}

describe("readFrontHead: the strict subset of HTTP/1.1 the front answers itself", () => {
  const ok = (head: string) => readFrontHead(head, "127.0.0.1");

  test("reads the heads pip, uv, curl and wrk send", () => {
    const pip = ok(
      'GET /simple/requests/ HTTP/1.1\r\nHost: 127.0.0.1:3141\r\nUser-Agent: pip/23.2.1 {"ci":null}\r\n' +
        `Accept-Encoding: gzip, deflate\r\nAccept: ${JSON_TYPE}; q=1.0, ${HTML_TYPE}; q=0.1, text/html; q=0.01\r\n` +
        'Connection: keep-alive\r\nIf-None-Match: "abc"\r\nAuthorization: Basic YWxpY2U6eA==',
    );
    assert.deepEqual(pip, {
      method: "GET",
      path: "/simple/requests/",
      host: "127.0.0.1:3141",
      accept: `${JSON_TYPE}; q=1.0, ${HTML_TYPE}; q=0.1, text/html; q=0.01`,
      ifNoneMatch: '"abc"',
      acceptEncoding: "gzip, deflate",
      authorization: "Basic YWxpY2U6eA==",
      ip: "127.0.0.1",
    });
    assert.equal(ok("HEAD /simple/x/ HTTP/1.1\r\nhost: h\r\naccept:*/*")?.method, "HEAD");
    assert.equal(ok("GET /simple/x/ HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Tab:\tv\t")?.host, "h");
    assert.equal(ok("GET /simple/x/ HTTP/1.1\r\nHost:h")?.host, "h");
  });

  test("leaves everything else to node:http", () => {
    const refused = [
      "POST /simple/x/ HTTP/1.1\r\nHost: h",
      "get /simple/x/ HTTP/1.1\r\nHost: h",
      "GET /simple/x/ HTTP/1.0\r\nHost: h",
      "GET /simple/x/ HTTP/1.1 \r\nHost: h",
      "GET  /simple/x/ HTTP/1.1\r\nHost: h",
      "GET http://h/simple/x/ HTTP/1.1\r\nHost: h",
      "GET /simple/x/?format=json HTTP/1.1\r\nHost: h",
      "GET /simple/x/#f HTTP/1.1\r\nHost: h",
      "GET /simple/a/b/ HTTP/1.1\r\nHost: h",
      "GET /simple// HTTP/1.1\r\nHost: h",
      "GET /packages/x/ HTTP/1.1\r\nHost: h",
      "GET /simple/x/ HTTP/1.1",
      "GET /simple/x/ HTTP/1.1\r\nHost:",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nHost: h",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nIf-None-Match: a\r\nif-none-match: b",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nAuthorization: a\r\nAuthorization: b",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nAccept-Encoding: br",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nContent-Length: 0",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nExpect: 100-continue",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nUpgrade: websocket",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nConnection: close",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nConnection: Upgrade",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nTE: trailers",
      "GET /simple/x/ HTTP/1.1\r\nHost : h",
      "GET /simple/x/ HTTP/1.1\r\n Host: h",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\n continued",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nX: a\rb",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nX: a\nb",
      "GET /simple/x/ HTTP/1.1\nHost: h",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nX: a\0b",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nX: a\x7f",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\n: novalue",
      "GET /simple/x/ HTTP/1.1\r\nHost: h\r\nX(y): z",
      "\r\nGET /simple/x/ HTTP/1.1\r\nHost: h",
    ];
    for (const head of refused) assert.equal(ok(head), null, JSON.stringify(head));
  });

  test("whatever it reads, node:http's strict parser reads the same way (property)", async () => {
    // node:http as the oracle: every request it parses is recorded; the front's reading of a head must match it.
    const seen: IncomingMessage[] = [];
    const oracle = createServer((req, res) => {
      seen.push(req);
      res.end("ok");
    });
    await new Promise<void>((resolve) => oracle.listen(0, "127.0.0.1", resolve));
    const port = (oracle.address() as { port: number }).port;
    const ask = (bytes: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        let answer = "";
        socket.setEncoding("latin1");
        socket.on("data", (d: string) => (answer += d));
        socket.on("error", reject);
        socket.on("close", () => resolve(answer));
        socket.end(bytes, "latin1");
      });
    // Mostly well-formed pieces, with every kind of damage mixed in: the accepted side must be reached often.
    const token = fc.constantFrom(
      "Accept",
      "If-None-Match",
      "Authorization",
      "X-Foo",
      "Connection",
      "accept",
    );
    const value = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          "h",
          JSON_TYPE,
          '"etag"',
          "Basic YWxpY2U6eA==",
          "keep-alive",
          "",
          " v ",
          "a\tb",
        ),
      },
      {
        weight: 1,
        arbitrary: fc.string({
          unit: fc.constantFrom("a", " ", "\t", "é", "\x80", "\xff", ";", "=", '"', ",", "\r", "\n", "\0"),
        }),
      },
    );
    const separator = fc.constantFrom(": ", ":", ":\t", " : ");
    const line = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(token, separator, value).map((p) => p.join("")) },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("a", ":", " ", "\r", "\n", "\t", "-") }) },
    );
    const host = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.tuple(fc.constantFrom("Host", "host", "HOST"), separator, value).map((p) => p.join("")),
      },
      { weight: 1, arbitrary: fc.constant("Host: a\r\nHost: b") },
      { weight: 1, arbitrary: fc.constant("") },
    );
    const pick = <T>(often: T, ...rarely: T[]) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(often) },
        { weight: 1, arbitrary: fc.constantFrom(...rarely) },
      );
    const head = fc
      .tuple(
        pick("GET", "HEAD", "Get", "POST"),
        pick("/simple/pagepkg/", "/simple/a.b_c/", "/simple/%41/", "/simple/x/?q"),
        pick("HTTP/1.1", "HTTP/1.0", "HTTP/1.1 "),
        fc.array(line, { maxLength: 4 }),
        host,
        fc.nat(4),
        pick("\r\n", "\n"),
      )
      .map(([method, path, version, lines, hostLine, at, eol]) => {
        const all = [...lines];
        if (hostLine !== "") all.splice(Math.min(at, all.length), 0, hostLine);
        return [`${method} ${path} ${version}`, ...all].join(eol);
      });
    let accepted = 0;
    try {
      await fc.assert(
        fc.asyncProperty(head, async (h) => {
          fc.pre(!h.includes("\r\n\r\n") && !h.includes("\n\n"));
          const read = readFrontHead(h, "127.0.0.1");
          if (read === null) return;
          accepted++;
          seen.length = 0;
          const answer = await ask(`${h}\r\n\r\n`);
          assert.match(
            answer,
            /^HTTP\/1\.1 200 /,
            `node:http refused what the front reads: ${JSON.stringify(h)}`,
          );
          assert.equal(seen.length, 1);
          const req = seen[0]!;
          assert.equal(req.method, read.method);
          assert.equal(req.url, read.path);
          assert.equal(req.headers.host, read.host);
          assert.equal(req.headers.accept, read.accept);
          assert.equal(req.headers["if-none-match"], read.ifNoneMatch);
          assert.equal(req.headers.authorization, read.authorization);
          assert.equal(req.headers["accept-encoding"], read.acceptEncoding);
          assert.equal(req.headers["content-length"], undefined);
          assert.equal(req.headers["transfer-encoding"], undefined);
        }),
        { numRuns: 800 },
      );
    } finally {
      await new Promise((resolve) => oracle.close(resolve));
    }
    // The generator really reached the accepted side often enough to mean something.
    assert.ok(accepted >= 40, `only ${accepted} generated heads were accepted`);
  });
});

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Reads HTTP/1.1 responses off raw bytes (Content-Length bodies; `headOnly` for answers to HEAD). */
function parseResponses(raw: string, headOnly: ReadonlySet<number> = new Set()): Response[] {
  const out: Response[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const [statusLine, ...lines] = raw.slice(at, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const colon = l.indexOf(":");
      headers[l.slice(0, colon).toLowerCase()] = l.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? "")?.[1]);
    if (!headOnly.has(out.length) && headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      // Chunks, then the last (size 0) chunk and the blank line after it (no trailers here).
      let body = "";
      let p = end + 4;
      for (;;) {
        const eol = raw.indexOf("\r\n", p);
        if (eol < 0) return [...out, { status, headers, body }];
        const size = Number.parseInt(raw.slice(p, eol), 16);
        p = eol + 2;
        if (!(size > 0)) break;
        body += raw.slice(p, p + size);
        p += size + 2;
      }
      out.push({ status, headers, body });
      at = p + 2;
      continue;
    }
    const length = headOnly.has(out.length) || status === 304 ? 0 : Number(headers["content-length"] ?? 0);
    out.push({ status, headers, body: raw.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

/** Sends `chunks` on one connection (with `gapMs` between them), half-closes, and returns all the bytes read. */
function exchange(port: number, chunks: string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (raw += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(raw));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close after the exchange; read so far: ${raw.slice(0, 300)}`));
    }, 10_000);
    socket.on("close", () => clearTimeout(timer));
    socket.once("connect", async () => {
      for (const c of chunks) {
        socket.write(c, "latin1");
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      socket.end();
    });
  });
}

/** One request with a stock client (which, unlike `exchange`, does not half-close before the answer). */
function fetchPage(
  port: number,
  path: string,
  accept = JSON_TYPE,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(`http://127.0.0.1:${port}${path}`, { headers: { accept } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

/** Sends `bytes` on one connection and reads until `count` responses arrived (no half-close), then closes. */
function readResponses(port: number, bytes: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`fewer than ${count} answers; read: ${raw.slice(0, 300)}`));
    }, 10_000);
    socket.setEncoding("latin1");
    socket.on("error", reject);
    socket.on("data", (d: string) => {
      raw += d;
      const answers = parseResponses(raw);
      if (
        answers.length === count &&
        answers.every((a) => a.body.length === Number(a.headers["content-length"]))
      ) {
        clearTimeout(timer);
        socket.destroy();
        resolve(raw);
      }
    });
    socket.write(bytes, "latin1");
  });
}

const get = (path: string, headers = `Accept: ${JSON_TYPE}\r\n`) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;

describe("the front on a running server", () => {
  let upstream: RunningUpstream;
  let front: ListeningServer;
  let plain: ListeningServer;
  let pagepkg: string;
  let beta: string;

  before(async () => {
    upstream = await startUpstreamServer({
      projects: [project("pagepkg", ["1.0", "2.0"]), project("beta", ["0.5"])],
      maxAge: 0,
    });
    front = await listeningServer(upstream);
    plain = await listeningServer(upstream, { rawFront: false });
    // Cached and cleared on both servers (what needs no waiting is answered in the same turn by either way in).
    for (const s of [front, plain]) {
      for (const p of ["/simple/pagepkg/", "/simple/beta/"])
        assert.equal((await fetchPage(s.port, p)).status, 200);
    }
    pagepkg = (await fetchPage(plain.port, "/simple/pagepkg/")).body;
    beta = (await fetchPage(plain.port, "/simple/beta/")).body;
  });
  after(async () => {
    await front?.close();
    await plain?.close();
    await upstream?.close();
  });

  test("pipelined requests are answered in order, with the same bytes node:http sends", async () => {
    const raw = await exchange(front.port, [
      get("/simple/pagepkg/") + get("/simple/beta/") + get("/simple/pagepkg/", `Accept: ${HTML_TYPE}\r\n`),
    ]);
    const answers = parseResponses(raw);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    assert.equal(answers[0]?.body, pagepkg);
    assert.equal(answers[1]?.body, beta);
    assert.match(answers[2]?.body ?? "", /<a href=/);
    assert.equal(
      answers[0]?.headers["keep-alive"],
      `timeout=${Math.floor(front.app.server.keepAliveTimeout / 1000)}`,
    );
    assert.match(
      answers[0]?.headers.date ?? "",
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    );
    // The bytes of a direct answer are what the node:http path sends, transport headers aside.
    const viaNode = parseResponses(await exchange(plain.port, [get("/simple/pagepkg/")]))[0]!;
    for (const h of ["date", "keep-alive", "connection"]) {
      delete viaNode.headers[h];
      delete answers[0]!.headers[h];
    }
    assert.deepEqual(answers[0], viaNode);
  });

  test("a request the front does not answer hands the rest of the connection to node:http, in order", async () => {
    const raw = await exchange(front.port, [
      get("/simple/pagepkg/") +
        get("/simple/PagePkg/") + // a redirect: Fastify's
        get("/simple/beta/") +
        `POST /simple/beta/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello${get("/simple/pagepkg/")}`,
    ]);
    const answers = parseResponses(raw);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 301, 200, 404, 200],
    );
    assert.equal(answers[1]?.headers.location, "/simple/pagepkg/");
    assert.equal(answers[2]?.body, beta);
    assert.equal(answers[4]?.body, pagepkg);
  });

  test("a head that arrives a byte at a time is answered", async () => {
    const bytes = get("/simple/beta/");
    const answers = parseResponses(await exchange(front.port, [...bytes], 1));
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.body, beta);
  });

  test("random request streams get the same answers with the front as without it (differential)", async () => {
    const request = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          get("/simple/pagepkg/"),
          get("/simple/beta/", `Accept: ${HTML_TYPE}\r\nAccept-Encoding: gzip\r\n`),
          get("/simple/pagepkg/", 'If-None-Match: "nope"\r\n'),
          // No HEAD (its answers announce a body they do not carry, which this test's reader cannot tell apart), and
          // only answers given without waiting: the client here stops sending at once, and an answer still awaited
          // then is dropped by node:http or not depending on timing (see "an answer that needs waiting" below).
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          get("/simple/PagePkg/"),
          get("/simple/pagepkg/?format=text/html"),
          "POST /simple/beta/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
          "GET /simple/beta/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
          "GET /simple/beta/ HTTP/1.0\r\nHost: h\r\n\r\n",
          "GET /simple/beta/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        ),
      },
      {
        weight: 2,
        // A head with one damaged line: control characters, bare LF or CR, folding, odd separators.
        arbitrary: fc
          .tuple(
            fc.string({
              unit: fc.constantFrom("a", ":", " ", "\t", "\r", "\n", "\0", "\x7f", "é", "-", "H"),
            }),
            fc.boolean(),
          )
          .map(([line, before]) =>
            before
              ? `GET /simple/beta/ HTTP/1.1\r\n${line}\r\nHost: h\r\n\r\n`
              : `GET /simple/beta/ HTTP/1.1\r\nHost: h\r\n${line}\r\n\r\n`,
          ),
      },
      {
        weight: 1,
        arbitrary: fc.string({ unit: fc.constantFrom("G", "E", "T", " ", "/", "\r", "\n", "x") }),
      },
    );
    const stream = fc
      .tuple(fc.array(request, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 2 }))
      .map(([requests, cuts]) => {
        const bytes = requests.join("");
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const c of at) {
          chunks.push(bytes.slice(from, c));
          from = c;
        }
        chunks.push(bytes.slice(from));
        return chunks.filter((c) => c !== "");
      });
    const statuses = (raw: string) => parseResponses(raw).map((r) => r.status);
    /**
     * Equal, or the known differences, which all follow node:http's own handling of an error: when bytes that are
     * not a request (or data after `Connection: close`) follow pipelined requests, node:http answers the error and
     * closes without writing the answers it had queued before it, while the front has written its own already; and
     * after such a close, whether node:http still answers what it read is timing. So: one sequence is the other
     * with answers left out, and both end in the same error. A request read differently (smuggling) shows as
     * another answer in order, or another last answer, or extra answers without a closing error.
     */
    const agree = (front: number[], node: number[]): boolean => {
      if (front.length === node.length && front.every((s, i) => s === node[i])) return true;
      const [long, short] = front.length >= node.length ? [front, node] : [node, front];
      const last = short.at(-1);
      if (last === undefined || last < 400 || long.at(-1) !== last) return false;
      let i = 0;
      for (const status of long) if (i < short.length && status === short[i]) i++;
      return i === short.length;
    };
    /** `exchange`, but a connection reset ends it quietly (and says so). */
    const exchangeOrReset = async (port: number, chunks: string[]) => {
      try {
        return { raw: await exchange(port, chunks), reset: false };
      } catch {
        return { raw: "", reset: true };
      }
    };
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(stream, async (chunks) => {
        fc.pre(chunks.length > 0);
        const a = await exchangeOrReset(front.port, chunks);
        const b = await exchangeOrReset(plain.port, chunks);
        // A server that closes on bad bytes while more are still arriving resets the connection, and the client may
        // then lose answers already sent: nothing to compare.
        if (a.reset || b.reset) return;
        compared++;
        const [fa, fb] = [statuses(a.raw), statuses(b.raw)];
        assert.ok(agree(fa, fb), `front ${fa} / node:http ${fb}: ${JSON.stringify(chunks).slice(0, 400)}`);
      }),
      { numRuns: 300 },
    );
    assert.ok(compared >= 150, `only ${compared} streams ended without a reset`);
  });

  test("hostile requests get exactly the answers they get from node:http alone", async () => {
    const hostile: string[][] = [
      // A body hiding a second request: one request, not two.
      [
        `GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nContent-Length: ${get("/simple/beta/").length}\r\n\r\n${get("/simple/beta/")}`,
      ],
      [
        `GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${get("/simple/beta/")}`,
      ],
      [
        `GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nHost: evil\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\nHost: h\n\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nX: ${"a".repeat(20_000)}\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.0\r\nHost: h\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n${get("/simple/beta/")}`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n`],
      [`GET /simple/pagepkg/ HTTP/1.1\r\nHost: h\r\n\r\n`, `GARBAGE\r\n\r\n`],
    ];
    for (const chunks of hostile) {
      const a = await exchange(front.port, chunks);
      const b = await exchange(plain.port, chunks);
      const what = JSON.stringify(chunks).slice(0, 160);
      const statuses = (raw: string) => parseResponses(raw).map((r) => r.status);
      assert.deepEqual(statuses(a), statuses(b), what);
      assert.ok(statuses(a).length > 0, what);
    }
  });

  test("an idle kept-alive connection is closed after keepAliveTimeout, a slow head after headersTimeout", async () => {
    const server = front.app.server;
    const [keepAlive, headers] = [server.keepAliveTimeout, server.headersTimeout];
    server.keepAliveTimeout = 300;
    server.headersTimeout = 300;
    try {
      const started = performance.now();
      const socket = connect(front.port, "127.0.0.1");
      let raw = "";
      socket.setEncoding("latin1").on("data", (d: string) => (raw += d));
      socket.write(get("/simple/beta/"));
      await new Promise((resolve) => socket.on("close", resolve));
      const idle = performance.now() - started;
      assert.equal(parseResponses(raw)[0]?.status, 200);
      assert.ok(idle >= 250 && idle < 5000, `closed after ${idle} ms`);

      // Parts of a head trickling in for longer than headersTimeout: cut, nothing answered.
      const slow = connect(front.port, "127.0.0.1");
      let slowRaw = "";
      slow.setEncoding("latin1").on("data", (d: string) => (slowRaw += d));
      slow.on("error", () => undefined);
      const closed = new Promise((resolve) => slow.on("close", resolve));
      for (const part of [
        "GET /simple/beta/ HTTP/1.1\r\n",
        "Host: 127.0.0.1\r\n",
        "X-A: 1\r\n",
        "X-B: 2\r\n",
      ]) {
        if (slow.destroyed) break;
        slow.write(part);
        await new Promise((r) => setTimeout(r, 200));
      }
      if (!slow.destroyed) slow.write("\r\n");
      await closed;
      assert.equal(slowRaw, "");
    } finally {
      server.keepAliveTimeout = keepAlive;
      server.headersTimeout = headers;
    }
  });

  test("an answer that needs waiting (a page not cached yet) keeps the order of the requests behind it", async () => {
    const own = await listeningServer(upstream);
    try {
      const raw = await readResponses(
        own.port,
        get("/simple/pagepkg/") + get("/simple/beta/") + get("/simple/pagepkg/"),
        3,
      );
      const answers = parseResponses(raw);
      assert.deepEqual(
        answers.map((a) => [a.status, a.body]),
        [
          [200, pagepkg],
          [200, beta],
          [200, pagepkg],
        ],
      );
    } finally {
      await own.close();
    }
  });

  test("closing the server ends the connections the front holds at once", async () => {
    const own = await listeningServer(upstream);
    assert.equal((await fetchPage(own.port, "/simple/beta/")).status, 200);
    const held = connect(own.port, "127.0.0.1");
    let heldRaw = "";
    held.setEncoding("latin1").on("data", (d: string) => (heldRaw += d));
    const heldClosed = new Promise((resolve) => held.on("close", resolve));
    held.write(get("/simple/beta/"));
    while (!heldRaw.includes("\r\n\r\n")) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    await own.close();
    await heldClosed;
    assert.ok(performance.now() - started < 3000, "close waited for the kept-alive connection");
    assert.equal(parseResponses(heldRaw)[0]?.status, 200);
  });

  test("a client that sends requests without reading the answers is not read further", async () => {
    // Without the pause the server would read on and queue ~27 KB of answer per 60-byte request, without bound.
    const socket = connect(front.port, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    const batch = get("/simple/pagepkg/").repeat(1000);
    let sent = 0;
    const deadline = performance.now() + 10_000;
    // Our own send buffer only grows once the kernel's buffers on both sides are full: the server stopped reading.
    while (socket.writableLength < 4 << 20 && performance.now() < deadline) {
      socket.write(batch);
      sent += 1000;
      await new Promise((r) => setTimeout(r, 5));
    }
    socket.destroy();
    assert.ok(
      socket.writableLength >= 4 << 20,
      `the server read all ${sent} requests without their answers being read`,
    );
  });

  test("a stock HTTP client on keep-alive gets every answer through the front", async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => fetchPage(front.port, "/simple/pagepkg/")),
    );
    assert.ok(answers.every((a) => a.status === 200 && a.body === pagepkg));
  });
});

test("[serve] raw-front = false leaves every request to node:http; the default takes cached pages", async () => {
  // Which way answered shows in the bytes: node:http writes `Date:`, the front `date:`.
  const fixture = { projects: [project("pagepkg", ["1.0", "2.0"])], maxAge: 0 };
  for (const [toml, front] of [
    ["", true],
    ["[serve]\nraw-front = false\n", false],
  ] as const) {
    const server = await startServe({ fixture, toml, advisories: false });
    try {
      const port = Number(new URL(server.url).port);
      const raw = await readResponses(port, get("/simple/pagepkg/") + get("/simple/pagepkg/"), 2);
      assert.deepEqual(
        parseResponses(raw).map((r) => r.status),
        [200, 200],
      );
      assert.equal(raw.includes("\r\ndate: "), front, toml);
      assert.equal(raw.includes("\r\nDate: "), !front, toml);
    } finally {
      await server.close();
    }
  }
});

test("a mistake of the front closes that connection and is reported; the server goes on", async () => {
  const errors: unknown[] = [];
  const server = createServer((_req, res) => res.end("node:http"));
  const body = Buffer.from("ok");
  installRawFront(server, {
    answer: (request) => {
      if (request.path === "/simple/boom/") throw new Error("a bug");
      return { status: 200, headers: { "content-length": "2" }, body, stale: false };
    },
    perProcess: null,
    onError: (error) => errors.push(error),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal(await exchange(port, [get("/simple/boom/")]), "");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /a bug/);
    const fine = parseResponses(await exchange(port, [get("/simple/fine/")]));
    assert.deepEqual(
      fine.map((r) => [r.status, r.body]),
      [[200, "ok"]],
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
