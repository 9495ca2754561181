import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isUpstreamError } from "../../src/upstream/errors.js";
import { backoffDelay, createHttpClient, parseRetryAfter } from "../../src/upstream/http.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pycustoms-http-"));
  dirs.push(d);
  return d;
}

test("Retry-After reads seconds and HTTP dates; backoff doubles with jitter and is capped", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(
    parseRetryAfter("Mon, 01 Jan 2024 00:00:10 GMT", Date.parse("Mon, 01 Jan 2024 00:00:00 GMT")),
    10_000,
  );
  assert.equal(parseRetryAfter("soon"), null);
  assert.equal(parseRetryAfter(undefined), null);
  assert.equal(
    backoffDelay(1, 100, 10_000, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(3, 100, 10_000, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(3, 100, 10_000, () => 0),
    200,
  );
  assert.equal(
    backoffDelay(20, 100, 1000, () => 1),
    1000,
  );
});

test("a no-store response is not kept, and a Retry-After beyond the limit is reported rather than waited for", async () => {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === "/busy") {
      res.writeHead(503, { "retry-after": "3600" });
      res.end();
      return;
    }
    res.writeHead(200, { "cache-control": "no-store", etag: '"e"' });
    res.end("fresh every time");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = createHttpClient({ cacheDir: tempDir(), maxRetryAfterMs: 1000 });
  try {
    for (let i = 0; i < 2; i++) {
      const r = await http.get(`${base}/page`);
      assert.ok(!isUpstreamError(r) && r.source === "network");
    }
    assert.equal(hits, 2);
    const started = Date.now();
    const busy = await http.get(`${base}/busy`);
    assert.ok(isUpstreamError(busy));
    assert.equal(busy.status, 503);
    assert.match(busy.message, /retry after 3600 s/);
    assert.ok(Date.now() - started < 500);
  } finally {
    await http.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("a refused connection is a network error after bounded retries", async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const http = createHttpClient({ cacheDir: null, retries: 1, backoffBaseMs: 5 });
  const r = await http.get(`http://user:pw@127.0.0.1:${port}/simple/`);
  await http.close();
  assert.ok(isUpstreamError(r));
  assert.equal(r.kind, "network");
  assert.equal(r.attempts, 2);
  assert.match(r.message, /ECONNREFUSED/);
  assert.ok(!r.message.includes("pw"));
});

test("HTTP_PROXY is used (CONNECT tunnel) and NO_PROXY bypasses it", async () => {
  const origin = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("through");
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  const originPort = (origin.address() as AddressInfo).port;
  const tunnels: string[] = [];
  const proxy = createServer((_req, res) => {
    res.writeHead(502);
    res.end();
  });
  proxy.on("connect", (req, client, head) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(":");
    const upstream = connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const target = `http://127.0.0.1:${originPort}/x`;
  const proxied = createHttpClient({ cacheDir: null, env: { HTTP_PROXY: proxyUrl } });
  const bypassing = createHttpClient({
    cacheDir: null,
    env: { HTTP_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" },
  });
  try {
    const a = await proxied.get(target);
    assert.ok(!isUpstreamError(a), isUpstreamError(a) ? a.message : "");
    assert.equal(a.body.toString(), "through");
    assert.deepEqual(tunnels, [`127.0.0.1:${originPort}`]);
    const b = await bypassing.get(target);
    assert.ok(!isUpstreamError(b));
    assert.equal(tunnels.length, 1, "NO_PROXY went direct");
  } finally {
    await proxied.close();
    await bypassing.close();
    proxy.closeAllConnections();
    origin.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
    await new Promise<void>((r) => origin.close(() => r()));
  }
});

test("without a proxy, requests go through node:http and undici is never loaded; with one, undici carries them", async () => {
  const origin = createServer((_req, res) => res.end("direct"));
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/`;
  const httpModule = new URL("../../src/upstream/http.js", import.meta.url).href;
  // A fresh process: this test file's own process has loaded undici for the proxy test above.
  const script = `
    import { createRequire } from "node:module";
    const { createHttpClient } = await import(${JSON.stringify(httpModule)});
    const client = createHttpClient({ cacheDir: null });
    const r = await client.get(${JSON.stringify(url)});
    await client.close();
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("/node_modules/undici/"));
    console.log(JSON.stringify({ body: r.body?.toString(), loaded }));`;
  try {
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ body: string; loaded: boolean }>((resolve, reject) => {
        execFile(
          process.execPath,
          ["--input-type=module", "-e", script],
          {
            env: { ...process.env, HTTP_PROXY: "", http_proxy: "", HTTPS_PROXY: "", https_proxy: "", ...env },
          },
          (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout))),
        );
      });
    assert.deepEqual(await run({}), { body: "direct", loaded: false });
    // The proxy is bypassed for this host (NO_PROXY), but a configured proxy is undici's job.
    assert.deepEqual(await run({ HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1" }), {
      body: "direct",
      loaded: true,
    });
  } finally {
    origin.closeAllConnections();
    await new Promise<void>((r) => origin.close(() => r()));
  }
});

test("redirects are followed by get and stream; credentials go along only on the same origin; loops end", async () => {
  const seen: { server: string; path: string; auth: string | undefined }[] = [];
  const other = createServer((req, res) => {
    seen.push({ server: "other", path: String(req.url), auth: req.headers.authorization });
    res.end("elsewhere");
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  const origin = createServer((req, res) => {
    seen.push({ server: "origin", path: String(req.url), auth: req.headers.authorization });
    const to = { "/a": "/b", "/off": `${otherUrl}/x`, "/loop": "/loop", "/gone": "/missing" }[
      String(req.url)
    ];
    if (to) {
      res.writeHead(302, { location: to });
      res.end();
    } else if (req.url === "/b") res.end("here");
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  const base = `http://user:secret@127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const client = createHttpClient({ cacheDir: null, retries: 0 });
  try {
    const a = await client.get(`${base}/a`);
    assert.ok(!isUpstreamError(a));
    assert.equal(a.body.toString(), "here");
    const s = await client.stream(`${base}/a`);
    assert.ok(!isUpstreamError(s));
    assert.equal(s.status, 200);
    s.body.destroy();
    assert.ok(seen.filter((x) => x.path === "/b").every((x) => x.auth?.startsWith("Basic ")));

    const off = await client.get(`${base}/off`);
    assert.ok(!isUpstreamError(off));
    assert.equal(off.body.toString(), "elsewhere");
    assert.equal(seen.find((x) => x.server === "other")?.auth, undefined, "no credentials to another origin");

    const loop = await client.get(`${base}/loop`, { maxRedirects: 3 });
    assert.ok(isUpstreamError(loop));
    assert.match(loop.message, /too many redirects/);
    const gone = await client.stream(`${base}/gone`);
    assert.ok(isUpstreamError(gone));
    assert.equal(gone.kind, "not-found");
    assert.ok(!JSON.stringify([loop, gone]).includes("secret"), "credentials never in an error");
  } finally {
    await client.close();
    for (const server of [origin, other]) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
});

test("bodies that stall, overflow or are cut off are typed errors with the status, on both transports", async () => {
  const server = createServer((req, res) => {
    if (req.url === "/stall") {
      res.writeHead(200, { "content-length": "100" });
      res.write("0123456789");
    } else if (req.url === "/big") {
      res.writeHead(200);
      res.end("x".repeat(2000));
    } else if (req.url === "/cut") {
      res.writeHead(200, { "content-length": "100" });
      res.write("0123456789", () => res.socket?.destroy());
    } else {
      res.writeHead(200);
      res.end("whole");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { Agent } = await import("undici");
  const dispatcher = new Agent();
  const options = { cacheDir: null, timeoutMs: 300, retries: 0, maxBodyBytes: 1000 };
  const clients = [
    ["node:http", createHttpClient(options)],
    ["undici", createHttpClient({ ...options, dispatcher })],
  ] as const;
  try {
    for (const [name, http] of clients) {
      const whole = await http.get(`${base}/ok`);
      assert.ok(!isUpstreamError(whole), name);
      assert.equal(whole.body.toString(), "whole", name);
      const started = Date.now();
      const stalled = await http.get(`${base}/stall`);
      assert.ok(isUpstreamError(stalled), name);
      assert.equal(stalled.kind, "timeout", name);
      assert.equal(stalled.status, 200, name);
      assert.match(stalled.message, /response body not complete within 300 ms/, name);
      assert.ok(Date.now() - started < 2000, name);
      const big = await http.get(`${base}/big`);
      assert.ok(isUpstreamError(big), name);
      assert.equal(big.kind, "invalid-response", name);
      assert.match(big.message, /larger than 1000 bytes/, name);
      const cut = await http.get(`${base}/cut`);
      assert.ok(isUpstreamError(cut), name);
      assert.equal(cut.kind, "invalid-response", name);
      assert.equal(cut.status, 200, name);
      assert.match(cut.message, /truncated after 10 bytes/, name);
    }
  } finally {
    for (const [, http] of clients) await http.close();
    await dispatcher.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
