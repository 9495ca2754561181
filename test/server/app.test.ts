// The proxy's simple API and file serving, through Fastify's inject and a listening server on 127.0.0.1.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import type { ProjectGate } from "../../src/server/gate-hook.js";
import type { SqliteStateStore } from "../../src/server/storage/state-store.js";
import { buildDists, type Dists, fixtureOf, type RunningProxy, startProxy } from "./harness.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE = "application/vnd.pypi.simple.v1+html";

let dists: Dists;
before(async () => {
  dists = await buildDists();
});

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A raw GET that reports whether the body arrived complete (a cut connection is `aborted: true`). */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  aborted: boolean;
  statusMessage: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      let aborted = false;
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("aborted", () => {
        aborted = true;
      });
      res.on("error", () => {
        aborted = true;
      });
      res.on("close", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          aborted: aborted || !res.complete,
          statusMessage: res.statusMessage ?? "",
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

async function withProxy(
  fn: (proxy: RunningProxy) => Promise<void>,
  options: Parameters<typeof startProxy>[1] = {},
  fixture = fixtureOf(dists),
) {
  const proxy = await startProxy(fixture, options);
  try {
    await fn(proxy);
  } finally {
    await proxy.close();
  }
}

test("content negotiation: Accept with q-values, ?format=, Vary, 406 when nothing fits", async () => {
  await withProxy(async ({ app }) => {
    const page = (headers: Record<string, string>, query = "") =>
      app.inject({ method: "GET", url: `/simple/alpha-pkg/${query}`, headers });
    const json = await page({ accept: `${JSON_TYPE}, ${HTML_TYPE};q=0.2, text/html;q=0.01` });
    assert.equal(json.statusCode, 200);
    assert.equal(json.headers["content-type"], JSON_TYPE);
    // Big enough to be sent compressed to clients that allow it: it varies with Accept-Encoding too.
    assert.equal(json.headers.vary, "Accept, Accept-Encoding");
    assert.equal(json.headers["content-encoding"], undefined);
    assert.equal(JSON.parse(json.body).meta["api-version"], "1.4");

    const preferHtml = await page({ accept: `${JSON_TYPE};q=0.5, ${HTML_TYPE};q=0.9` });
    assert.equal(preferHtml.headers["content-type"], HTML_TYPE);
    assert.match(preferHtml.body, /<meta name="pypi:repository-version" content="1.4">/);

    const browser = await page({ accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
    assert.equal(browser.headers["content-type"], "text/html; charset=utf-8");

    const none = await page({});
    assert.equal(none.headers["content-type"], "text/html; charset=utf-8");

    const latest = await page({ accept: "application/vnd.pypi.simple.latest+json" });
    assert.equal(latest.headers["content-type"], JSON_TYPE);

    const formatWins = await page({ accept: HTML_TYPE }, `?format=${encodeURIComponent(JSON_TYPE)}`);
    assert.equal(formatWins.headers["content-type"], JSON_TYPE);

    const refused = await page({ accept: "application/xml" });
    assert.equal(refused.statusCode, 406);
    assert.match(refused.body, /application\/vnd\.pypi\.simple\.v1\+json/);
    const zeroQ = await page({ accept: `${JSON_TYPE};q=0, text/*;q=0, */*;q=0` });
    assert.equal(zeroQ.statusCode, 406);
    const badFormat = await page({}, "?format=application/json");
    assert.equal(badFormat.statusCode, 406);

    const root = await app.inject({ method: "GET", url: "/simple/", headers: { accept: JSON_TYPE } });
    assert.equal(root.statusCode, 200);
    assert.deepEqual(JSON.parse(root.body).projects, [{ name: "alpha-pkg" }]);
  });
});

test("pages are sent gzip-compressed to clients that allow it, as a representation with its own ETag", async () => {
  await withProxy(async ({ app }) => {
    const page = (headers: Record<string, string>, url = "/simple/alpha-pkg/") =>
      app.inject({ method: "GET", url, headers: { accept: JSON_TYPE, ...headers } });
    const plain = await page({});
    const gz = await page({ "accept-encoding": "gzip, deflate, br" });
    assert.equal(gz.statusCode, 200);
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.equal(gz.headers.vary, "Accept, Accept-Encoding");
    assert.equal(Number(gz.headers["content-length"]), gz.rawPayload.length);
    assert.ok(gz.rawPayload.length < plain.rawPayload.length);
    assert.deepEqual(gunzipSync(gz.rawPayload), plain.rawPayload);
    assert.equal(gz.headers.etag, `${String(plain.headers.etag).slice(0, -1)}-gz"`);

    // Each representation revalidates with its own validator only.
    const etagGz = String(gz.headers.etag);
    const etagPlain = String(plain.headers.etag);
    assert.equal((await page({ "accept-encoding": "gzip", "if-none-match": etagGz })).statusCode, 304);
    assert.equal((await page({ "if-none-match": etagPlain })).statusCode, 304);
    assert.equal((await page({ "accept-encoding": "gzip", "if-none-match": etagPlain })).statusCode, 200);
    assert.equal((await page({ "if-none-match": etagGz })).statusCode, 200);
    const notModified = await page({ "accept-encoding": "gzip", "if-none-match": etagGz });
    assert.equal(notModified.headers.etag, etagGz);
    assert.equal(notModified.rawPayload.length, 0);

    // Weights: gzip refused by q=0 (also when * allows everything), allowed through *.
    for (const [acceptEncoding, compressed] of [
      ["gzip;q=0", false],
      ["*;q=1, gzip;q=0", false],
      ["identity", false],
      ["*", true],
      ["x-gzip", true],
      ["deflate, GZIP;q=0.5", true],
    ] as const) {
      const r = await page({ "accept-encoding": acceptEncoding });
      assert.equal(r.headers["content-encoding"], compressed ? "gzip" : undefined, acceptEncoding);
    }

    // The root listing too; a small answer (a 406's text) as it is.
    const root = await page({ "accept-encoding": "gzip" }, "/simple/");
    assert.equal(root.statusCode, 200);
    assert.equal(root.headers["content-encoding"], root.rawPayload.length >= 1024 ? "gzip" : undefined);
    const refused = await app.inject({
      method: "GET",
      url: "/simple/alpha-pkg/",
      headers: { accept: "application/xml", "accept-encoding": "gzip" },
    });
    assert.equal(refused.statusCode, 406);
    assert.equal(refused.headers["content-encoding"], undefined);
  });
});

test("non-normalised names and a missing slash are redirected (301) to /simple/<normalised>/", async () => {
  await withProxy(async ({ app, upstream }) => {
    const odd = await app.inject({ method: "GET", url: "/simple/Alpha_Pkg/" });
    assert.equal(odd.statusCode, 301);
    assert.equal(odd.headers.location, "/simple/alpha-pkg/");
    const slash = await app.inject({ method: "GET", url: "/simple/Alpha.Pkg?format=text/html" });
    assert.equal(slash.statusCode, 301);
    assert.equal(slash.headers.location, "/simple/alpha-pkg/?format=text/html");
    assert.equal((await app.inject({ method: "GET", url: "/simple" })).headers.location, "/simple/");
    const missing = await app.inject({ method: "GET", url: "/simple/no-such-thing/" });
    assert.equal(missing.statusCode, 404);
    assert.equal(upstream.requests.get("/simple/Alpha_Pkg/") ?? 0, 0, "redirects are answered locally");
  });
});

test("the JSON page keeps yanked reasons, requires-python, sizes, upload times, status and rewrites file URLs", async () => {
  await withProxy(async ({ app }) => {
    const res = await app.inject({
      method: "GET",
      url: "/simple/alpha-pkg/",
      headers: { accept: JSON_TYPE },
    });
    const page = JSON.parse(res.body);
    assert.equal(page.name, "alpha-pkg");
    assert.deepEqual(page["project-status"], { status: "active" });
    assert.deepEqual(page.versions, ["1.0", "2.0"]);
    const byName = new Map<string, Record<string, unknown>>(
      page.files.map((f: { filename: string }) => [f.filename, f]),
    );
    const old = byName.get(dists.alpha1.filename)!;
    assert.equal(old.yanked, "broken build");
    assert.equal(old.url, `../../packages/alpha-pkg/${dists.alpha1.filename}`);
    assert.deepEqual(old.hashes, { sha256: dists.alpha1.sha256 });
    const wheel = byName.get(dists.alpha2.filename)!;
    assert.equal(wheel["requires-python"], ">=3.8");
    assert.equal(wheel.size, dists.alpha2.bytes.length);
    assert.equal(wheel["upload-time"], "2024-03-20T13:00:33.355932Z");
    assert.deepEqual(wheel["core-metadata"], { sha256: sha256(dists.alpha2.metadata) });
    assert.match(String(wheel.provenance), /\/integrity\/alpha-pkg\/2\.0\/.+\/provenance$/);
    assert.equal(wheel.yanked, false);
    assert.equal(byName.get(dists.alpha2sdist.filename)!["core-metadata"], false);

    const beta = await app.inject({ method: "GET", url: "/simple/beta/", headers: { accept: "text/html" } });
    assert.match(beta.body, /<meta name="pypi:project-status" content="deprecated">/);
    assert.match(beta.body, /<meta name="pypi:project-status-reason" content="use gamma">/);
  });
});

test("pages carry an ETag and answer If-None-Match with 304; an unchanged upstream page keeps its ETag", async () => {
  await withProxy(
    async ({ app }) => {
      const first = await app.inject({ method: "GET", url: "/simple/beta/", headers: { accept: JSON_TYPE } });
      const etag = String(first.headers.etag);
      const again = await app.inject({ method: "GET", url: "/simple/beta/", headers: { accept: JSON_TYPE } });
      assert.equal(again.headers.etag, etag);
      const revalidated = await app.inject({
        method: "GET",
        url: "/simple/beta/",
        headers: { accept: JSON_TYPE, "if-none-match": etag },
      });
      assert.equal(revalidated.statusCode, 304);
      assert.equal(revalidated.body, "");
    },
    { server: { pageTtlMs: 0 } },
  );
});

test("a file is fetched once, then served from the cache with a strong ETag, immutable caching and ranges", async () => {
  await withProxy(async ({ app, upstream, blobFiles }) => {
    const path = `/packages/beta/${dists.beta.filename}`;
    const first = await app.inject({ method: "GET", url: path });
    assert.equal(first.statusCode, 200);
    assert.equal(sha256(first.rawPayload), dists.beta.sha256);
    assert.equal(first.headers["content-length"], String(dists.beta.bytes.length));
    const cached = await app.inject({ method: "GET", url: path });
    assert.equal(cached.statusCode, 200);
    assert.ok(cached.rawPayload.equals(dists.beta.bytes));
    assert.equal(cached.headers.etag, `"${dists.beta.sha256}"`);
    assert.equal(cached.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(cached.headers["accept-ranges"], "bytes");
    assert.equal(upstream.requests.get(`/files/${dists.beta.filename}`), 1);
    assert.equal(blobFiles().length, 1);
    assert.ok(
      blobFiles()[0]!.endsWith(
        `/sha256/${dists.beta.sha256.slice(0, 2)}/${dists.beta.sha256.slice(2, 4)}/${dists.beta.sha256}`,
      ),
    );

    const part = await app.inject({ method: "GET", url: path, headers: { range: "bytes=100-199" } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers["content-range"], `bytes 100-199/${dists.beta.bytes.length}`);
    assert.ok(part.rawPayload.equals(dists.beta.bytes.subarray(100, 200)));
    const tail = await app.inject({ method: "GET", url: path, headers: { range: "bytes=-10" } });
    assert.ok(tail.rawPayload.equals(dists.beta.bytes.subarray(dists.beta.bytes.length - 10)));
    const open = await app.inject({
      method: "GET",
      url: path,
      headers: { range: `bytes=${dists.beta.bytes.length - 5}-` },
    });
    assert.equal(open.rawPayload.length, 5);
    const beyond = await app.inject({
      method: "GET",
      url: path,
      headers: { range: `bytes=${dists.beta.bytes.length}-` },
    });
    assert.equal(beyond.statusCode, 416);
    assert.equal(beyond.headers["content-range"], `bytes */${dists.beta.bytes.length}`);
    const staleIfRange = await app.inject({
      method: "GET",
      url: path,
      headers: { range: "bytes=0-9", "if-range": '"other"' },
    });
    assert.equal(staleIfRange.statusCode, 200);
    assert.equal(staleIfRange.rawPayload.length, dists.beta.bytes.length);
    const notModified = await app.inject({
      method: "GET",
      url: path,
      headers: { "if-none-match": `"${dists.beta.sha256}"` },
    });
    assert.equal(notModified.statusCode, 304);
    const unknown = await app.inject({ method: "GET", url: "/packages/beta/beta-9.9-py3-none-any.whl" });
    assert.equal(unknown.statusCode, 404);
  });
});

test("PEP 658 metadata is served, verified against the published hash and cached", async () => {
  await withProxy(async ({ app, upstream }) => {
    const path = `/packages/alpha-pkg/${dists.alpha2.filename}.metadata`;
    const first = await app.inject({ method: "GET", url: path });
    assert.equal(first.statusCode, 200);
    assert.equal(first.body, dists.alpha2.metadata);
    assert.equal(first.headers.etag, `"${sha256(dists.alpha2.metadata)}"`);
    await app.inject({ method: "GET", url: path });
    assert.equal(upstream.requests.get(`/files/${dists.alpha2.filename}.metadata`), 1);
    const none = await app.inject({
      method: "GET",
      url: `/packages/alpha-pkg/${dists.alpha2sdist.filename}.metadata`,
    });
    assert.equal(none.statusCode, 404);
  });
});

test("metadata that does not match its published hash is refused with 502 and recorded", async () => {
  await withProxy(async ({ app, upstream }) => {
    await app.inject({ method: "GET", url: "/simple/beta/" });
    const tampered = fixtureOf(dists);
    tampered.projects[1]!.releases[0]!.files[0]!.metadata = `${dists.beta.metadata}Requires-Dist: evil\n`;
    upstream.setFixture(tampered);
    const res = await app.inject({ method: "GET", url: `/packages/beta/${dists.beta.filename}.metadata` });
    assert.equal(res.statusCode, 502);
    const events = await (app.pycustoms.state as SqliteStateStore).listEvents({ kind: "digest-mismatch" });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.filename, `${dists.beta.filename}.metadata`);
  });
});

test("a tampered upstream file is cut off before its last byte, not cached, and recorded", async () => {
  await withProxy(
    async ({ app, url, upstream, blobFiles, tempFiles }) => {
      await rawGet(`${url}/simple/beta/`);
      const tampered = fixtureOf(dists);
      const evil = Buffer.from(dists.beta.bytes);
      evil[evil.length - 1] = evil[evil.length - 1]! ^ 0xff;
      tampered.projects[1]!.releases[0]!.files[0]!.bytes = evil;
      upstream.setFixture(tampered);
      const res = await rawGet(`${url}/packages/beta/${dists.beta.filename}`);
      assert.equal(res.status, 200);
      assert.equal(res.aborted, true, "the connection must be cut");
      assert.ok(res.body.length < dists.beta.bytes.length);
      assert.deepEqual(blobFiles(), []);
      assert.deepEqual(tempFiles(), []);
      const events = await app.pycustoms.state.listEvents({ kind: "digest-mismatch" });
      assert.equal(events.length, 1);
      assert.match(events[0]!.detail, /differs from the published/);
      // The next request tries again (and fails again): a refusal is not cached either.
      const again = await rawGet(`${url}/packages/beta/${dists.beta.filename}`);
      assert.equal(again.aborted, true);
    },
    { listen: true },
  );
});

test("an upstream body cut mid-way fails the request and leaves nothing behind", async () => {
  await withProxy(
    async ({ app, url, upstream, blobFiles, tempFiles }) => {
      await rawGet(`${url}/simple/beta/`);
      upstream.setFault(`/files/${dists.beta.filename}`, { truncate: true, times: 1 });
      const res = await rawGet(`${url}/packages/beta/${dists.beta.filename}`);
      assert.equal(res.aborted, true);
      assert.deepEqual(blobFiles(), []);
      assert.deepEqual(tempFiles(), []);
      assert.equal((await app.pycustoms.state.listEvents({ kind: "download-failed" })).length, 1);
      const retry = await rawGet(`${url}/packages/beta/${dists.beta.filename}`);
      assert.equal(retry.aborted, false);
      assert.equal(sha256(retry.body), dists.beta.sha256);
    },
    { listen: true },
  );
});

test("20 concurrent requests for one file make exactly one upstream request and all get the right bytes", async () => {
  await withProxy(
    async ({ url, upstream }) => {
      await rawGet(`${url}/simple/beta/`);
      upstream.setFault(`/files/${dists.beta.filename}`, { latencyMs: 200 });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => rawGet(`${url}/packages/beta/${dists.beta.filename}`)),
      );
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.equal(r.aborted, false);
        assert.equal(sha256(r.body), dists.beta.sha256);
      }
      assert.equal(upstream.requests.get(`/files/${dists.beta.filename}`), 1);
    },
    { listen: true },
  );
});

test("with upstream down, a cached page is served stale with a Warning header and cached files still served", async () => {
  await withProxy(
    async ({ app, upstream }) => {
      const fresh = await app.inject({ method: "GET", url: "/simple/beta/", headers: { accept: JSON_TYPE } });
      assert.equal(fresh.headers.warning, undefined);
      await app.inject({ method: "GET", url: `/packages/beta/${dists.beta.filename}` });
      await upstream.close();
      const stale = await app.inject({ method: "GET", url: "/simple/beta/", headers: { accept: JSON_TYPE } });
      assert.equal(stale.statusCode, 200);
      assert.equal(stale.headers.warning, '110 - "Response is Stale"');
      assert.equal(stale.body, fresh.body);
      const file = await app.inject({ method: "GET", url: `/packages/beta/${dists.beta.filename}` });
      assert.equal(file.statusCode, 200);
      assert.ok(file.rawPayload.equals(dists.beta.bytes));
      const never = await app.inject({ method: "GET", url: "/simple/alpha-pkg/" });
      assert.equal(never.statusCode, 502);
      assert.equal((await app.pycustoms.state.listEvents({ kind: "stale-page" })).length, 1);
    },
    { server: { pageTtlMs: 0 } },
    fixtureOf(dists, { maxAge: 0 }),
  );
});

test("the gate hook hides files from pages and refuses direct requests with a one-line 403 reason", async () => {
  const gate: ProjectGate = {
    async filterProject(project) {
      const blocked = new Map<string, string>();
      const files = project.files.filter((f) => {
        if (f.version !== "2.0") return true;
        blocked.set(f.filename, "alpha-pkg 2.0 blocked: GHSA-test, CVSS 8.1");
        return false;
      });
      return { project: { ...project, files, versions: ["1.0"] }, blocked };
    },
    async checkFile(_project, file) {
      return file.version === "2.0"
        ? { allow: false, reason: "pycustoms: alpha-pkg 2.0 blocked: GHSA-test, CVSS 8.1" }
        : { allow: true };
    },
  };
  await withProxy(
    async ({ url, upstream }) => {
      const page = await rawGet(`${url}/simple/alpha-pkg/`, { accept: JSON_TYPE });
      const files = JSON.parse(page.body.toString()).files.map((f: { filename: string }) => f.filename);
      assert.deepEqual(files, [dists.alpha1.filename]);
      assert.equal(page.headers["x-pycustoms-hidden-files"], "2");
      const refused = await rawGet(`${url}/packages/alpha-pkg/${dists.alpha2.filename}`);
      assert.equal(refused.status, 403);
      assert.equal(refused.statusMessage, "pycustoms: alpha-pkg 2.0 blocked: GHSA-test, CVSS 8.1");
      assert.equal(upstream.requests.get(`/files/${dists.alpha2.filename}`) ?? 0, 0);
    },
    { listen: true, server: { gate } },
  );
});

test("behind nginx, cached files are handed off with X-Accel-Redirect to the blob path, after the gate", async () => {
  await withProxy(
    async ({ app }) => {
      const path = `/packages/beta/${dists.beta.filename}`;
      const first = await app.inject({ method: "GET", url: path });
      assert.ok(first.rawPayload.equals(dists.beta.bytes), "the first download streams the bytes itself");
      const cached = await app.inject({ method: "GET", url: path });
      const h = dists.beta.sha256;
      assert.equal(cached.headers["x-accel-redirect"], `/_blobs/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}`);
      assert.equal(cached.rawPayload.length, 0);
      assert.equal(cached.headers.etag, `"${h}"`);
    },
    { server: { accelRedirectPrefix: "/_blobs/" } },
  );
});
