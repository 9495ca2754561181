// The node:http fast path in front of Fastify for `/simple/<project>/`: the same answers as the Fastify route, and
// nothing served from the rendered-page cache once the upstream page or the gate's decision changed.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import type { FilteredProject, GateContext, ProjectGate } from "../../src/server/gate-hook.js";
import { fastPathProject } from "../../src/server/page-fast-path.js";
import type { ProjectInfo } from "../../src/upstream/types.js";
import {
  type FixtureProject,
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";
import { type ListeningServer, listeningServer } from "./harness.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE = "application/vnd.pypi.simple.v1+html";
/** Written by Node per connection and moment, not by the routes. */
const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive"]);

function release(name: string, version: string) {
  return {
    version,
    files: [{ filename: `${name}-${version}-py3-none-any.whl`, bytes: Buffer.from(`${name} ${version}`) }],
  };
}

function project(name: string, versions: string[]): FixtureProject {
  return { name, releases: versions.map((v) => release(name, v)), lastSerial: 42 };
}

function fixture(projects: FixtureProject[] = [project("pagepkg", ["1.0", "2.0"])]): UpstreamFixture {
  // max-age 0: the proxy's HTTP cache revalidates every time, so an upstream change is seen at the next refresh.
  return { projects, maxAge: 0 };
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawRequest(url: string, method = "GET", headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function routeHeaders(raw: Raw): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(raw.headers).filter(([k]) => !TRANSPORT_HEADERS.has(k)));
}

/** Log lines written by the server (pino JSON), for the access-log assertions. */
function logSink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A gate whose decision the test switches: hides the files of `hidden` versions; memoised per page and decision. */
function switchableGate() {
  const clients: string[] = [];
  const memo = new WeakMap<ProjectInfo, { key: string; filtered: FilteredProject }>();
  const state = { hidden: [] as string[], fail: false };
  const gate: ProjectGate = {
    async filterProject(info: ProjectInfo, ctx: GateContext) {
      clients.push(ctx.client);
      if (state.fail) throw new Error("the gate's database is gone");
      const key = state.hidden.join(",");
      const known = memo.get(info);
      if (known && known.key === key) return known.filtered;
      const blocked = new Map<string, string>();
      const files = info.files.filter((f) => {
        const hide = state.hidden.some((v) => f.filename.includes(`-${v}-`));
        if (hide) blocked.set(f.filename, "blocked by the test");
        return !hide;
      });
      const filtered = {
        project: { ...info, files, versions: info.versions.filter((v) => !state.hidden.includes(v)) },
        blocked,
      };
      memo.set(info, { key, filtered });
      return filtered;
    },
    async checkFile() {
      return { allow: true };
    },
  };
  return { gate, clients, state };
}

test("only a valid, already normalised name without a query takes the fast path", () => {
  assert.equal(fastPathProject("/simple/pagepkg/"), "pagepkg");
  assert.equal(fastPathProject("/simple/zope-interface/"), "zope-interface");
  assert.equal(fastPathProject("/simple/Zope_Interface/"), null);
  assert.equal(fastPathProject("/simple/pagepkg"), null);
  assert.equal(fastPathProject("/simple/pagepkg/?format=text/html"), null);
  assert.equal(fastPathProject("/simple/"), null);
  assert.equal(fastPathProject("/simple//"), null);
  assert.equal(fastPathProject("/simple/a/b/"), null);
  assert.equal(fastPathProject("/simple/-bad-/"), null);
  assert.equal(fastPathProject("/simple/pagepkg%2F/"), null);
  assert.equal(fastPathProject("/packages/pagepkg/"), null);
});

describe("the fast path and the Fastify route give the same answers", () => {
  let upstream: RunningUpstream;
  let fast: ListeningServer;
  let plain: ListeningServer;
  const sink = logSink();
  const plainSink = logSink();

  before(async () => {
    upstream = await startUpstreamServer(
      fixture([
        project("pagepkg", ["1.0", "2.0"]),
        project("beta", ["0.5"]),
        // Big enough to be sent gzip-compressed.
        project(
          "bigpkg",
          Array.from({ length: 30 }, (_, i) => `1.${i}`),
        ),
      ]),
    );
    const internal = { names: ["corp-secret"] };
    fast = await listeningServer(upstream, { internal, logger: { level: "info", stream: sink.stream } });
    plain = await listeningServer(upstream, {
      internal,
      pageFastPath: false,
      logger: { level: "info", stream: plainSink.stream },
    });
  });
  after(async () => {
    await fast?.close();
    await plain?.close();
    await upstream?.close();
  });

  test("GET and HEAD in each representation, 304, 406, 404, internal names, redirects and queries", async () => {
    const etag = String(
      (await rawRequest(`${plain.url}/simple/pagepkg/`, "GET", { accept: JSON_TYPE })).headers.etag,
    );
    const cases: { path: string; method?: string; headers?: Record<string, string> }[] = [
      { path: "/simple/pagepkg/", headers: { accept: JSON_TYPE } },
      { path: "/simple/pagepkg/", headers: { accept: HTML_TYPE } },
      { path: "/simple/pagepkg/" },
      { path: "/simple/pagepkg/", headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } },
      { path: "/simple/pagepkg/", method: "HEAD", headers: { accept: JSON_TYPE } },
      { path: "/simple/pagepkg/", headers: { accept: JSON_TYPE, "if-none-match": etag } },
      { path: "/simple/pagepkg/", method: "HEAD", headers: { accept: JSON_TYPE, "if-none-match": etag } },
      { path: "/simple/pagepkg/", headers: { accept: HTML_TYPE, "if-none-match": etag } },
      { path: "/simple/pagepkg/", headers: { accept: "application/xml" } },
      { path: "/simple/bigpkg/", headers: { accept: JSON_TYPE, "accept-encoding": "gzip, deflate" } },
      { path: "/simple/bigpkg/", headers: { accept: HTML_TYPE, "accept-encoding": "gzip" } },
      { path: "/simple/bigpkg/", method: "HEAD", headers: { "accept-encoding": "gzip" } },
      { path: "/simple/bigpkg/", headers: { accept: JSON_TYPE, "accept-encoding": "gzip;q=0" } },
      { path: "/simple/beta/", headers: { accept: JSON_TYPE, authorization: "Basic YWxpY2U6eA==" } },
      { path: "/simple/no-such-project/" },
      { path: "/simple/corp-secret/", headers: { accept: JSON_TYPE } },
      { path: "/simple/PagePkg/" },
      { path: "/simple/pagepkg/?format=application/vnd.pypi.simple.v1+json" },
      { path: "/simple/", headers: { accept: JSON_TYPE } },
    ];
    for (const c of cases) {
      const a = await rawRequest(`${fast.url}${c.path}`, c.method, c.headers);
      const b = await rawRequest(`${plain.url}${c.path}`, c.method, c.headers);
      const what = `${c.method ?? "GET"} ${c.path} ${JSON.stringify(c.headers ?? {})}`;
      assert.equal(a.status, b.status, what);
      // The one difference: Fastify adds `content-length: 0` to a 304 for HEAD; a 304 carries no length here.
      const fastifyHeaders = routeHeaders(b);
      if (c.method === "HEAD" && b.status === 304) delete fastifyHeaders["content-length"];
      assert.deepEqual(routeHeaders(a), fastifyHeaders, what);
      assert.equal(a.body, b.body, what);
    }
    // The cases really were different answers.
    const gz = await rawRequest(`${fast.url}/simple/bigpkg/`, "GET", { "accept-encoding": "gzip" });
    assert.equal(gz.headers["content-encoding"], "gzip");
    const head = await rawRequest(`${fast.url}/simple/pagepkg/`, "HEAD", { accept: JSON_TYPE });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.ok(Number(head.headers["content-length"]) > 100);
    assert.equal(head.headers["x-pypi-last-serial"], "42");
    const notModified = await rawRequest(`${fast.url}/simple/pagepkg/`, "GET", {
      accept: JSON_TYPE,
      "if-none-match": etag,
    });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.etag, etag);
    assert.equal(notModified.headers.vary, "Accept");
    assert.equal((await rawRequest(`${fast.url}/simple/corp-secret/`)).status, 404);
  });

  test("the fast path writes the one access-log line per request (marked fast), Fastify its own", async () => {
    await rawRequest(`${fast.url}/simple/beta/`, "GET", { accept: JSON_TYPE });
    await rawRequest(`${fast.url}/simple/Beta/`);
    const lines = sink.lines().filter((l) => l.msg === "request completed");
    const page = lines.filter((l) => l.url === "/simple/beta/");
    assert.ok(page.length > 0);
    assert.equal(page.at(-1)?.fast, true);
    assert.equal(page.at(-1)?.status, 200);
    assert.equal(page.at(-1)?.client, "127.0.0.1");
    assert.equal(typeof page.at(-1)?.ms, "number");
    const redirect = lines.filter((l) => l.url === "/simple/Beta/");
    assert.equal(redirect.length, 1);
    assert.equal(redirect[0]?.fast, undefined);
    assert.equal(redirect[0]?.status, 301);
    assert.ok(plainSink.lines().every((l) => l.fast === undefined));
  });
});

describe("nothing stale from the rendered-page cache on the fast path", () => {
  let upstream: RunningUpstream;
  let server: ListeningServer;
  const gate = switchableGate();

  before(async () => {
    upstream = await startUpstreamServer(fixture());
    // TTL 0: upstream is asked at every request, as after any page TTL.
    server = await listeningServer(upstream, { pageTtlMs: 0, gate: gate.gate, workerId: "4242" });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  const getJson = (headers: Record<string, string> = {}) =>
    rawRequest(`${server.url}/simple/pagepkg/`, "GET", { accept: JSON_TYPE, ...headers });
  const filenames = (raw: Raw) =>
    (JSON.parse(raw.body).files as { filename: string }[]).map((f) => f.filename);

  test("a page whose upstream changed is served with the new files and a new ETag, never a 304", async () => {
    const first = await getJson();
    assert.equal(first.status, 200);
    assert.deepEqual(JSON.parse(first.body).versions, ["1.0", "2.0"]);
    const etag = String(first.headers.etag);
    assert.equal((await getJson({ "if-none-match": etag })).status, 304);

    upstream.setFixture(fixture([project("pagepkg", ["1.0", "2.0", "3.0"])]));
    const changed = await getJson({ "if-none-match": etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.deepEqual(JSON.parse(changed.body).versions, ["1.0", "2.0", "3.0"]);
    assert.ok(filenames(changed).includes("pagepkg-3.0-py3-none-any.whl"));
  });

  test("a version the gate blocks disappears at the next request, and comes back when cleared", async () => {
    const before = await getJson();
    const etag = String(before.headers.etag);
    assert.equal(before.headers["x-pycustoms-hidden-files"], undefined);

    gate.state.hidden = ["2.0"];
    const blocked = await getJson({ "if-none-match": etag });
    assert.equal(blocked.status, 200);
    assert.notEqual(blocked.headers.etag, etag);
    assert.equal(blocked.headers["x-pycustoms-hidden-files"], "1");
    assert.ok(!filenames(blocked).includes("pagepkg-2.0-py3-none-any.whl"));
    assert.ok(!JSON.parse(blocked.body).versions.includes("2.0"));
    const html = await rawRequest(`${server.url}/simple/pagepkg/`, "GET", { accept: HTML_TYPE });
    assert.doesNotMatch(html.body, /pagepkg-2\.0-py3-none-any\.whl/);

    gate.state.hidden = [];
    const cleared = await getJson();
    assert.equal(cleared.headers.etag, etag);
    assert.equal(cleared.body, before.body);
    assert.equal(cleared.headers["x-pycustoms-hidden-files"], undefined);
  });

  test("the gate is asked at every request, with the Basic-auth user in front of the address", async () => {
    gate.clients.length = 0;
    await getJson();
    await getJson({ authorization: `Basic ${Buffer.from("alice:secret").toString("base64")}` });
    await rawRequest(`${server.url}/simple/pagepkg/`, "HEAD", { accept: JSON_TYPE });
    assert.deepEqual(gate.clients, ["127.0.0.1", "alice@127.0.0.1", "127.0.0.1"]);
  });

  test("every answer names the worker; a stale page in an upstream outage carries Warning: 110", async () => {
    const fresh = await getJson();
    assert.equal(fresh.headers["x-pycustoms-worker"], "4242");
    assert.equal(fresh.headers.warning, undefined);
    upstream.setFault("/simple/pagepkg/", { status: 503 });
    try {
      const stale = await getJson();
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.warning, '110 - "Response is Stale"');
      assert.equal(stale.headers["x-pycustoms-worker"], "4242");
      assert.equal(stale.body, fresh.body);
      const staleHead = await rawRequest(`${server.url}/simple/pagepkg/`, "HEAD", { accept: JSON_TYPE });
      assert.equal(staleHead.headers.warning, '110 - "Response is Stale"');
    } finally {
      upstream.setFault("/simple/pagepkg/", null);
    }
  });

  test("a gate that throws is a 500 that does not tell its message, the same both ways, and the next request is served", async () => {
    gate.state.fail = true;
    try {
      const failed = await getJson();
      assert.equal(failed.status, 500);
      assert.deepEqual(JSON.parse(failed.body), {
        statusCode: 500,
        error: "Internal Server Error",
        message: "internal error (see the server log)",
      });
      assert.doesNotMatch(failed.body, /database is gone/);
      const viaFastify = await rawRequest(`${server.url}/simple/PagePkg/?x=1`);
      assert.equal(viaFastify.status, 301);
      const fastifyFailed = await rawRequest(`${server.url}/simple/pagepkg/?x=1`, "GET", {
        accept: JSON_TYPE,
      });
      assert.equal(fastifyFailed.status, 500);
      assert.equal(fastifyFailed.body, failed.body);
    } finally {
      gate.state.fail = false;
    }
    assert.equal((await getJson()).status, 200);
  });
});
