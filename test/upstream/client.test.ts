import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createIndexClient, deriveJsonApiUrl, type IndexClientOptions } from "../../src/upstream/client.js";
import { isUpstreamError, type UpstreamError } from "../../src/upstream/errors.js";
import { createHttpClient, redactUrl } from "../../src/upstream/http.js";
import type { ProjectInfo } from "../../src/upstream/types.js";
import { DEMO_PROVENANCE, demoFixture } from "../support/demo-fixture.js";
import {
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";

let fixture: UpstreamFixture;
const servers: RunningUpstream[] = [];
const dirs: string[] = [];

before(async () => {
  fixture = await demoFixture();
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(overrides: Partial<UpstreamFixture> = {}): Promise<RunningUpstream> {
  const server = await startUpstreamServer({ ...fixture, ...overrides });
  servers.push(server);
  return server;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pycustoms-http-cache-"));
  dirs.push(d);
  return d;
}

/** A client with a fresh cache and quick retries, so the whole file stays fast. */
function client(server: RunningUpstream, extra: Partial<IndexClientOptions> = {}) {
  return createIndexClient({
    indexUrl: `${server.url}/simple/`,
    cacheDir: tempDir(),
    retries: 2,
    backoffBaseMs: 10,
    timeoutMs: 3000,
    ...extra,
  });
}

function info(result: ProjectInfo | UpstreamError): ProjectInfo {
  if (isUpstreamError(result)) assert.fail(result.message);
  return result;
}

function error(result: unknown): UpstreamError {
  if (!isUpstreamError(result))
    assert.fail(`expected an UpstreamError, got ${JSON.stringify(result).slice(0, 200)}`);
  return result;
}

test("a project is read from the PEP 691 JSON page and merged with the JSON API's ownership", async () => {
  const server = await serve();
  const c = client(server);
  const p = info(await c.project("Demo.Pkg"));
  await c.close();
  assert.equal(p.name, "demo-pkg");
  assert.equal(p.index, `${server.url}/simple/`);
  assert.equal(p.apiVersion, "1.4");
  assert.deepEqual(p.capabilities, {
    json: true,
    jsonApi: true,
    uploadTimes: true,
    sizes: true,
    projectStatus: true,
    provenance: true,
  });
  assert.deepEqual(p.versions, ["1.0.0", "1.1.0"]);
  assert.deepEqual(p.ownership, { organization: "example", roles: [{ role: "Owner", user: "alice" }] });
  const wheel = p.files.find((f) => f.filename === "demo_pkg-1.0.0-py3-none-any.whl");
  const built = fixture.projects[0]!.releases[0]!.files[0]!;
  assert.equal(wheel?.size, built.bytes.length);
  assert.equal(wheel?.uploadTime, "2024-02-01T10:00:00.000000Z");
  assert.equal(wheel?.requiresPython, ">=3.8");
  assert.match(wheel?.provenance ?? "", /\/integrity\/demo-pkg\/1\.0\.0\//);
  const yanked = p.files.find((f) => f.version === "1.1.0");
  assert.equal(yanked?.yanked, true);
  assert.equal(yanked?.yankedReason, "broken metadata");
  const page = server.log.find((r) => r.path === "/simple/demo-pkg/");
  assert.equal(
    page?.headers.accept,
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01",
  );
  assert.match(String(page?.headers["user-agent"]), /^pycustoms\/\d+\.\d+\.\d+/);
});

test("an HTML-only index is parsed as PEP 503, and upload times and sizes come from the JSON API", async () => {
  const server = await serve({ formats: ["html"] });
  const c = client(server);
  const p = info(await c.project("demo-pkg"));
  await c.close();
  assert.equal(p.capabilities.json, false);
  assert.equal(p.capabilities.jsonApi, true);
  assert.equal(p.capabilities.uploadTimes, true);
  assert.equal(p.capabilities.sizes, true);
  assert.equal(p.lastSerial, 1000);
  const sdist = p.files.find((f) => f.packagetype === "sdist");
  assert.equal(sdist?.uploadTime, "2024-02-01T10:00:05.000000Z");
  assert.equal(sdist?.hashes.sha256?.length, 64);
});

test("without a JSON API the index's capabilities say so, and the guess is not retried", async () => {
  const server = await serve({ formats: ["html"], jsonApi: false });
  const c = client(server);
  const p = info(await c.project("demo-pkg"));
  assert.equal(p.capabilities.jsonApi, false);
  assert.equal(p.capabilities.uploadTimes, false);
  assert.equal(p.ownership, null);
  info(await c.project("other-pkg"));
  await c.close();
  assert.equal(server.requests.get("/pypi/demo-pkg/json"), 1);
  assert.equal(server.requests.get("/pypi/other-pkg/json"), undefined);
});

test("asked only for what a PEP 691 page carries, the client makes one request and leaves out ownership", async () => {
  const server = await serve();
  const c = client(server);
  const p = info(await c.project("demo-pkg", { needs: ["upload-times", "sizes", "digests"] }));
  await c.close();
  assert.equal(server.requests.get("/simple/demo-pkg/"), 1);
  assert.equal(server.requests.get("/pypi/demo-pkg/json"), undefined);
  assert.equal(p.capabilities.jsonApi, false);
  assert.equal(p.capabilities.uploadTimes, true);
  assert.equal(p.ownership, null);
  const wheel = p.files.find((f) => f.filename === "demo_pkg-1.0.0-py3-none-any.whl");
  assert.equal(wheel?.uploadTime, "2024-02-01T10:00:00.000000Z");
});

test("asked for ownership, the client asks the JSON API too", async () => {
  const server = await serve();
  const c = client(server);
  const p = info(await c.project("demo-pkg", { needs: ["ownership"] }));
  await c.close();
  assert.equal(server.requests.get("/pypi/demo-pkg/json"), 1);
  assert.deepEqual(p.ownership, { organization: "example", roles: [{ role: "Owner", user: "alice" }] });
});

test("a page lacking upload times has them filled from the JSON API, and later projects ask it at once", async () => {
  const server = await serve({ formats: ["html"] });
  const c = client(server);
  const p = info(await c.project("demo-pkg", { needs: ["upload-times"] }));
  assert.equal(p.capabilities.jsonApi, true);
  assert.equal(p.capabilities.uploadTimes, true);
  assert.ok(p.files.every((f) => f.uploadTime !== null));
  const first = server.log
    .map((r) => r.path)
    .filter((path) => path.endsWith("/demo-pkg/json") || path.endsWith("/demo-pkg/"));
  assert.deepEqual(first, ["/simple/demo-pkg/", "/pypi/demo-pkg/json"], "the page first, then the API");
  const fresh = client(server);
  server.setFault("/simple/third-pkg/", { status: 404 });
  error(await fresh.project("third-pkg", { needs: ["upload-times"] }));
  await fresh.close();
  assert.equal(
    server.requests.get("/pypi/third-pkg/json"),
    undefined,
    "a client that has not learned asks the page alone",
  );
  // Now known to lack them, the next project's API request goes out beside its page: even when the page fails.
  server.setFault("/simple/other-pkg/", { status: 404 });
  assert.equal(error(await c.project("other-pkg", { needs: ["upload-times"] })).kind, "not-found");
  await c.close();
  assert.equal(server.requests.get("/pypi/other-pkg/json"), 1);
});

test("the PEP 792 status of a quarantined project is read and it offers no files", async () => {
  const server = await serve();
  const c = client(server);
  const p = info(await c.project("bad-pkg"));
  await c.close();
  assert.deepEqual(p.status, { status: "quarantined", reason: "malware" });
  assert.deepEqual(p.files, []);
  assert.equal(p.capabilities.jsonApi, false, "PyPI's JSON API answers 404 for a quarantined project");
});

test("an unknown project is a typed not-found, and an invalid name is refused without a request", async () => {
  const server = await serve();
  const c = client(server);
  const missing = error(await c.project("no-such-project"));
  assert.equal(missing.kind, "not-found");
  assert.equal(missing.status, 404);
  assert.match(missing.message, /no-such-project/);
  const invalid = error(await c.project("../etc"));
  assert.equal(invalid.kind, "not-found");
  assert.equal(invalid.attempts, 0);
  await c.close();
});

test("a non-normalised name is followed through the index's 301", async () => {
  const server = await serve();
  const http = createHttpClient({ cacheDir: null });
  const r = await http.get(`${server.url}/simple/Demo_Pkg/`, {
    accept: "application/vnd.pypi.simple.v1+json",
  });
  await http.close();
  if (isUpstreamError(r)) assert.fail(r.message);
  assert.equal(r.url, `${server.url}/simple/demo-pkg/`);
  assert.equal(server.requests.get("/simple/Demo_Pkg/"), 1);
});

test("a fresh cached page is reused without a request; after max-age a conditional request gets a 304", async () => {
  const server = await serve({ maxAge: 1 });
  const cacheDir = tempDir();
  const first = client(server, { cacheDir });
  const a = info(await first.project("demo-pkg"));
  const b = info(await first.project("demo-pkg"));
  assert.equal(server.requests.get("/simple/demo-pkg/"), 1);
  assert.equal(server.requests.get("/pypi/demo-pkg/json"), 1);
  assert.deepEqual(b, a);
  await new Promise((r) => setTimeout(r, 1100));
  const c = info(await first.project("demo-pkg"));
  await first.close();
  assert.equal(server.requests.get("/simple/demo-pkg/"), 2);
  const revalidation = server.log.filter((r) => r.path === "/simple/demo-pkg/")[1];
  assert.match(String(revalidation?.headers["if-none-match"]), /^"[0-9a-f]+"$/);
  assert.ok(revalidation?.headers["if-modified-since"]);
  assert.deepEqual(c, a, "the 304 reused the cached body");
});

test("the HTTP layer reports where an answer came from: network, cache, revalidated", async () => {
  const server = await serve({ maxAge: 0 });
  const http = createHttpClient({ cacheDir: tempDir() });
  const url = `${server.url}/simple/demo-pkg/`;
  const sources: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await http.get(url, { accept: "application/vnd.pypi.simple.v1+json" });
    if (isUpstreamError(r)) assert.fail(r.message);
    sources.push(r.source);
  }
  // The same URL with another Accept is another entry (Vary: Accept).
  const html = await http.get(url, { accept: "text/html" });
  await http.close();
  if (isUpstreamError(html)) assert.fail(html.message);
  assert.deepEqual(sources, ["network", "revalidated"]);
  assert.equal(html.source, "network");
  assert.match(html.headers["content-type"] ?? "", /text\/html/);
});

test("a 429 with Retry-After is waited for, then the request succeeds", async () => {
  const server = await serve();
  server.setFault("/simple/demo-pkg/", { status: 429, retryAfter: 1, times: 1 });
  const c = client(server, { jsonApiUrl: null });
  const started = Date.now();
  const p = info(await c.project("demo-pkg"));
  await c.close();
  assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
  assert.equal(p.name, "demo-pkg");
  assert.equal(server.requests.get("/simple/demo-pkg/"), 2);
});

test("a server that keeps failing with 500 is retried a bounded number of times", async () => {
  const server = await serve();
  server.setFault("/simple/demo-pkg/", { status: 500 });
  const c = client(server, { jsonApiUrl: null, retries: 2 });
  const e = error(await c.project("demo-pkg"));
  await c.close();
  assert.equal(e.kind, "http-status");
  assert.equal(e.status, 500);
  assert.equal(e.attempts, 3);
  assert.equal(server.requests.get("/simple/demo-pkg/"), 3);
  assert.match(e.message, /gave up after 3 attempts/);
});

test("a slow server is a timeout error, within the time limit", async () => {
  const server = await serve();
  server.setFault("/simple/demo-pkg/", { latencyMs: 3000 });
  const c = client(server, { jsonApiUrl: null, timeoutMs: 300 });
  const started = Date.now();
  const e = error(await c.project("demo-pkg"));
  await c.close();
  assert.equal(e.kind, "timeout");
  assert.ok(Date.now() - started < 2000);
  assert.ok(!e.message.includes("\n"));
});

test("a truncated body and malformed JSON are invalid-response errors naming the URL", async () => {
  const server = await serve();
  server.setFault("/simple/demo-pkg/", { truncate: true });
  server.setFault("/simple/other-pkg/", { malformed: true });
  const c = client(server, { jsonApiUrl: null, retries: 1 });
  const truncated = error(await c.project("demo-pkg"));
  assert.equal(truncated.kind, "invalid-response");
  assert.match(truncated.message, /truncated/);
  assert.equal(server.requests.get("/simple/demo-pkg/"), 2, "a cut-off body is retried");
  const malformed = error(await c.project("other-pkg"));
  assert.equal(malformed.kind, "invalid-response");
  assert.ok(malformed.message.startsWith(`${server.url}/simple/other-pkg/`));
  assert.match(malformed.message, /malformed JSON/);
  await c.close();
});

test("malformed HTML from an HTML-only index is an invalid-response", async () => {
  const server = await serve({ formats: ["html"] });
  server.setFault("/simple/demo-pkg/", { malformed: true });
  const c = client(server, { jsonApiUrl: null });
  const e = error(await c.project("demo-pkg"));
  await c.close();
  assert.equal(e.kind, "invalid-response");
  assert.match(e.message, /malformed HTML/);
});

test("offline mode answers from the cache, even stale, and reports a miss as offline-miss", async () => {
  const server = await serve({ maxAge: 0 });
  const cacheDir = tempDir();
  const online = client(server, { cacheDir });
  const fresh = info(await online.project("demo-pkg"));
  await online.close();
  const before = server.log.length;
  const offline = client(server, { cacheDir, offline: true });
  const cached = info(await offline.project("demo-pkg"));
  const miss = error(await offline.project("other-pkg"));
  await offline.close();
  assert.deepEqual(cached, fresh);
  assert.equal(miss.kind, "offline-miss");
  assert.equal(miss.attempts, 0);
  assert.equal(server.log.length, before, "no request was made offline");
});

test("credentials in the index URL are sent as Basic auth and never appear in errors", async () => {
  const server = await serve({ auth: { username: "alice", password: "s3cret" } });
  const indexUrl = `http://alice:s3cret@${server.url.slice("http://".length)}/simple/`;
  const c = client(server, { indexUrl });
  const p = info(await c.project("demo-pkg"));
  assert.equal(p.index, `${server.url}/simple/`);
  assert.equal(p.capabilities.jsonApi, true, "the JSON API on the same host got the credentials too");
  const file = p.files[0]!;
  const provenance = await c.fetchProvenance(p.files.find((f) => f.provenance)!.provenance!);
  assert.ok(!isUpstreamError(provenance));
  server.setFault("/simple/other-pkg/", { status: 500 });
  const failures = [
    error(await c.project("other-pkg")),
    error(await c.project("missing-pkg")),
    error(await c.release("demo-pkg", "9.9")),
  ];
  await c.close();
  const wrong = createIndexClient({
    indexUrl: `http://alice:wrong@${server.url.slice(7)}/simple/`,
    cacheDir: null,
  });
  failures.push(error(await wrong.project("demo-pkg")));
  await wrong.close();
  for (const e of failures) {
    assert.ok(!JSON.stringify(e).includes("s3cret"), e.message);
    assert.ok(!JSON.stringify(e).includes("alice"), e.message);
    assert.ok(!JSON.stringify(e).includes("wrong"), e.message);
  }
  assert.equal(failures[3]!.status, 401);
  assert.ok(!file.url.includes("s3cret"));
  const sent = server.log.find((r) => r.path === "/simple/demo-pkg/");
  assert.equal(sent?.headers.authorization, `Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
});

test("redactUrl removes user-info from URLs and from text that is not a URL", () => {
  assert.equal(redactUrl("https://u:p%40ss@idx.example/simple/"), "https://idx.example/simple/");
  assert.equal(redactUrl("https://__token__:pypi-abc@host"), "https://host/");
  assert.equal(redactUrl("not a url //user:pw@host/x"), "not a url //host/x");
});

test("release() gives a version's files, upload times, digests and vulnerabilities", async () => {
  const server = await serve();
  const c = client(server);
  const r = await c.release("Demo_Pkg", "1.1.0");
  await c.close();
  if (isUpstreamError(r)) assert.fail(r.message);
  assert.equal(r.version, "1.1.0");
  assert.equal(r.yanked, true);
  assert.equal(r.yankedReason, "broken metadata");
  assert.deepEqual(r.requiresDist, ["other-pkg>=1"]);
  assert.equal(r.files[0]?.uploadTime, "2024-03-01T10:00:00.000000Z");
  assert.deepEqual(Object.keys(r.files[0]?.digests ?? {}).sort(), ["blake2b_256", "md5", "sha256"]);
  assert.deepEqual(
    r.vulnerabilities.map((v) => v.id),
    ["PYSEC-2099-7"],
  );
  assert.equal(r.releases, null);
});

test("fetchProvenance returns the provenance JSON; a file without one is not-found", async () => {
  const server = await serve();
  const c = client(server);
  const p = info(await c.project("demo-pkg"));
  const withProvenance = p.files.find((f) => f.provenance !== null)!;
  const doc = await c.fetchProvenance(withProvenance.provenance!);
  if (isUpstreamError(doc)) assert.fail(doc.message);
  assert.deepEqual(doc.provenance, DEMO_PROVENANCE);
  const none = await c.fetchProvenance(
    `${server.url}/integrity/demo-pkg/1.0.0/demo_pkg-1.0.0.tar.gz/provenance`,
  );
  await c.close();
  assert.equal(error(none).kind, "not-found");
});

test("at most `concurrency` requests are in flight at once", async () => {
  const server = await serve();
  for (const name of ["demo-pkg", "other-pkg", "bad-pkg"]) {
    server.setFault(`/simple/${name}/`, { latencyMs: 200 });
  }
  const c = client(server, { jsonApiUrl: null, concurrency: 1 });
  const started = Date.now();
  const results = await Promise.all(["demo-pkg", "other-pkg", "bad-pkg"].map((n) => c.project(n)));
  await c.close();
  assert.ok(results.every((r) => !isUpstreamError(r)));
  assert.ok(
    Date.now() - started >= 580,
    `three 200 ms requests one at a time took ${Date.now() - started} ms`,
  );
});

test("the JSON API URL is pypi.org's for PyPI, else guessed beside the simple index", () => {
  assert.equal(deriveJsonApiUrl("https://pypi.org/simple"), "https://pypi.org/pypi/");
  assert.equal(deriveJsonApiUrl("https://test.pypi.org/simple/"), "https://test.pypi.org/pypi/");
  assert.equal(
    deriveJsonApiUrl("https://u:p@mirror.example/repo/simple/"),
    "https://u:p@mirror.example/repo/pypi/",
  );
  assert.equal(
    deriveJsonApiUrl("https://devpi.example/root/pypi/+simple/"),
    "https://devpi.example/root/pypi/pypi/",
  );
  assert.equal(deriveJsonApiUrl("https://flat.example/index/"), "https://flat.example/pypi/");
});
