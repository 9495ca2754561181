// The https transport: HTTP/2 (one connection, requests as streams) when the index offers it by ALPN, HTTP/1.1
// otherwise; both over real TLS with a throw-away certificate.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createIndexClient } from "../../src/upstream/client.js";
import { isUpstreamError } from "../../src/upstream/errors.js";
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpGetOptions,
  type HttpResponse,
} from "../../src/upstream/http.js";
import { buildWheel } from "../support/dists.js";
import { testCertificate } from "../support/tls.js";
import {
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";

const dirs: string[] = [];
const servers: RunningUpstream[] = [];
let fixture: UpstreamFixture;
const NAMES = Array.from({ length: 24 }, (_, i) => `pkg-${i}`);

before(async () => {
  const projects = [];
  for (const name of NAMES) {
    const wheel = await buildWheel({ name, version: "1.0" });
    projects.push({
      name,
      releases: [{ version: "1.0", files: [{ filename: wheel.filename, bytes: wheel.bytes }] }],
    });
  }
  fixture = { projects };
});

after(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function server(http2 = true, maxStreams?: number, goawayAfter?: number): Promise<RunningUpstream> {
  const { key, cert } = testCertificate();
  const s = await startUpstreamServer(fixture, {
    tls: { key, cert },
    http2,
    ...(maxStreams ? { maxStreams } : {}),
    ...(goawayAfter ? { goawayAfter } : {}),
  });
  servers.push(s);
  return s;
}

function client(extra: HttpClientOptions = {}) {
  const cacheDir = mkdtempSync(join(tmpdir(), "pycustoms-h2-"));
  dirs.push(cacheDir);
  return createHttpClient({ cacheDir, ca: testCertificate().cert, retries: 0, concurrency: 8, ...extra });
}

const ACCEPT = "application/vnd.pypi.simple.v1+json";

/** Asks for every page at once; each must be answered 200 (revalidated or not). */
async function answeredAll(
  http: HttpClient,
  s: RunningUpstream,
  options: HttpGetOptions = {},
  names: readonly string[] = NAMES,
): Promise<HttpResponse[]> {
  const pages = await Promise.all(
    names.map((n) => http.get(`${s.url}/simple/${n}/`, { accept: ACCEPT, ...options })),
  );
  return pages.map((p) => {
    assert.ok(!isUpstreamError(p) && p.status === 200, JSON.stringify(p));
    return p;
  });
}

describe("https upstreams", () => {
  test("HTTP/2 when offered: every request a stream of one connection, revalidated with 304s", async () => {
    const s = await server();
    const http = client();
    try {
      await answeredAll(http, s);
      const again = await answeredAll(http, s, { cache: "revalidate" });
      for (const p of again) assert.equal(p.source, "revalidated");
      assert.equal(s.log.length, 2 * NAMES.length);
      assert.ok(
        s.log.every((r) => r.httpVersion === "2.0"),
        "all requests over HTTP/2",
      );
      assert.equal(s.connections(), 1, "one connection for 48 requests, 8 at a time");
    } finally {
      await http.close();
    }
  });

  test("an index allowing fewer streams than requests in flight gets no more than it allows, and every answer", async () => {
    const s = await server(true, 3);
    const http = client({ concurrency: 16 });
    try {
      await answeredAll(http, s);
      assert.equal(s.log.length, NAMES.length, "no request refused and retried");
      assert.equal(s.connections(), 1);
    } finally {
      await http.close();
    }
  });

  test("an HTTP/1.1-only index over TLS is used as one, after one negotiating handshake", async () => {
    const s = await server(false);
    const http = client({ concurrency: 4 });
    try {
      await answeredAll(http, s);
      assert.ok(s.log.every((r) => r.httpVersion === "1.1"));
      // The ALPN probe, then at most `concurrency` keep-alive connections.
      assert.ok(s.connections() >= 2 && s.connections() <= 5, `${s.connections()} connections`);
    } finally {
      await http.close();
    }
  });

  test("a certificate nobody vouches for is a network error naming it; with http2 off as well", async () => {
    const s = await server();
    for (const http2 of [true, false]) {
      const cacheDir = mkdtempSync(join(tmpdir(), "pycustoms-h2-"));
      dirs.push(cacheDir);
      const http = createHttpClient({ cacheDir, retries: 0, http2 });
      try {
        const r = await http.get(`${s.url}/simple/pkg-1/`);
        assert.ok(isUpstreamError(r));
        assert.equal(r.kind, "network");
        assert.match(r.message, /certificate/i);
      } finally {
        await http.close();
      }
    }
  });

  test("a stream cut mid-body is a truncation; slow headers a timeout; the session serves on", async () => {
    const s = await server();
    const http = client({ timeoutMs: 300 });
    try {
      s.setFault("/simple/pkg-1/", { truncate: true, times: 1 });
      const cut = await http.get(`${s.url}/simple/pkg-1/`, { accept: ACCEPT });
      assert.ok(isUpstreamError(cut));
      assert.equal(cut.kind, "invalid-response");
      assert.equal(cut.status, 200);
      assert.match(cut.message, /truncated after \d+ bytes/);
      s.setFault("/simple/pkg-2/", { latencyMs: 2000, times: 1 });
      const slow = await http.get(`${s.url}/simple/pkg-2/`, { accept: ACCEPT });
      assert.ok(isUpstreamError(slow));
      assert.equal(slow.kind, "timeout");
      const fine = await http.get(`${s.url}/simple/pkg-3/`, { accept: ACCEPT });
      assert.ok(!isUpstreamError(fine) && fine.status === 200, JSON.stringify(fine));
    } finally {
      await http.close();
    }
  });

  test("an index that ends its connections with GOAWAY after 5 requests: every request is answered, at once", async () => {
    const s = await server(true, undefined, 5);
    // A backoff this long would show: requests the server refused are not waited for.
    const http = client({ concurrency: 8, retries: 2, backoffBaseMs: 2000 });
    try {
      const started = Date.now();
      await answeredAll(http, s);
      assert.ok(s.connections() >= 4, `${s.connections()} connections`);
      assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
    } finally {
      await http.close();
    }
  });

  test("a dropped session is replaced: the next request connects again", async () => {
    const s = await server();
    const http = client({ retries: 1, backoffBaseMs: 10 });
    try {
      const first = await http.get(`${s.url}/simple/pkg-1/`, { accept: ACCEPT });
      assert.ok(!isUpstreamError(first));
      s.dropConnections();
      await new Promise((r) => setTimeout(r, 50));
      const second = await http.get(`${s.url}/simple/pkg-2/`, { accept: ACCEPT });
      assert.ok(!isUpstreamError(second) && second.status === 200, JSON.stringify(second));
      assert.equal(s.connections(), 2);
    } finally {
      await http.close();
    }
  });

  test("preconnect opens the one connection later requests use; offline it opens none", async () => {
    const s = await server();
    const http = client();
    try {
      http.preconnect(`${s.url}/simple/`);
      for (let i = 0; i < 50 && s.connections() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(s.connections(), 1, "connected before any request");
      assert.equal(s.log.length, 0);
      const page = await http.get(`${s.url}/simple/pkg-4/`, { accept: ACCEPT });
      assert.ok(!isUpstreamError(page) && page.status === 200);
      assert.equal(s.connections(), 1);
    } finally {
      await http.close();
    }
    const offline = client({ offline: true });
    try {
      offline.preconnect(`${s.url}/simple/`);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(s.connections(), 1, "offline: no connection");
    } finally {
      await offline.close();
    }
  });

  test("a connection dropped with requests in flight: they are retried on a new one and all answered", async () => {
    const s = await server();
    const http = client({ retries: 2, backoffBaseMs: 10 });
    try {
      for (const n of NAMES.slice(0, 6)) s.setFault(`/simple/${n}/`, { latencyMs: 300, times: 1 });
      const pending = answeredAll(http, s, {}, NAMES.slice(0, 6));
      for (let i = 0; i < 50 && s.log.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
      s.dropConnections();
      await pending;
      assert.ok(s.connections() >= 2, "a new connection after the drop");
      assert.equal(s.log.length, 12, "each request asked twice");
    } finally {
      await http.close();
    }
  });

  test("the index client reads PEP 691 pages over HTTP/2 as over HTTP/1.1", async () => {
    const h2 = await server();
    const h1 = await server(false);
    const results = [];
    for (const s of [h2, h1]) {
      const http = client();
      const c = createIndexClient({ indexUrl: `${s.url}/simple/`, http });
      try {
        const info = await c.project("pkg-5", { needs: [] });
        assert.ok(!isUpstreamError(info), JSON.stringify(info));
        results.push(info.files.map((f) => [f.filename, f.hashes.sha256, f.version]));
      } finally {
        await http.close();
      }
    }
    assert.deepEqual(results[0], results[1]);
    assert.equal(results[0]?.length, 1);
  });
});
