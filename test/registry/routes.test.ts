import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import Fastify, { type FastifyInstance } from "fastify";
import { blake2b256Hex } from "../../src/registry/blake2b.js";
import { internalProject } from "../../src/registry/internal-project.js";
import { byteRange, reasonPhrase, registryPlugin, type UploadEvent } from "../../src/registry/routes.js";
import { setProjectStatus } from "../../src/registry/status.js";
import { getFile, getProject, listFiles } from "../../src/registry/store.js";
import { createToken, revokeToken } from "../../src/registry/tokens.js";
import { FsBlobStore } from "../../src/server/storage/blob-store.js";
import {
  buildSdist,
  buildWheel,
  buildZip,
  metadataText,
  sdistEntries,
  twineForm,
  wheelWithZeros,
} from "./dist-builders.js";

const WHEEL = "demo_pkg-1.0-py3-none-any.whl";
const SDIST = "demo_pkg-1.0.tar.gz";

interface Upload {
  filename?: string;
  bytes: Buffer;
  fields?: Readonly<Record<string, string | readonly string[] | undefined>>;
  auth?: string | null;
  url?: string;
}

let dir: string;
let db: Database.Database;
let blobs: FsBlobStore;
let app: FastifyInstance;
let events: UploadEvent[];
let demoToken: string;

function basic(password: string, user = "__token__"): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** The form twine sends for these bytes, with overrides. */
function formFor(bytes: Buffer, filename: string, overrides: Record<string, string | string[]> = {}) {
  const type = filename.endsWith(".whl") ? "bdist_wheel" : "sdist";
  return { ...twineForm("demo_pkg", "1.0", type, blake2b256Hex(bytes), bytes), ...overrides };
}

async function upload(u: Upload) {
  const filename = u.filename ?? WHEEL;
  const fd = new FormData();
  for (const [k, v] of Object.entries(u.fields ?? formFor(u.bytes, filename))) {
    const values: readonly (string | undefined)[] = typeof v === "string" || v === undefined ? [v] : v;
    for (const one of values) if (one !== undefined) fd.append(k, one);
  }
  fd.append("content", new Blob([new Uint8Array(u.bytes)], { type: "application/octet-stream" }), filename);
  const request = new Request("http://registry.test/", { method: "POST", body: fd });
  const headers: Record<string, string> = { "content-type": request.headers.get("content-type")! };
  const auth = u.auth === undefined ? basic(demoToken) : u.auth;
  if (auth !== null) headers.authorization = auth;
  return app.inject({
    method: "POST",
    url: u.url ?? "/legacy/",
    headers,
    payload: Buffer.from(await request.arrayBuffer()),
  });
}

describe("registry upload routes (twine's legacy API)", () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pycustoms-registry-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    await app?.close();
    db?.close();
    db = new Database(":memory:");
    blobs = new FsBlobStore(mkdtempSync(join(dir, "blobs-")));
    events = [];
    app = Fastify();
    await app.register(registryPlugin, {
      db,
      blobs,
      limits: { maxFileBytes: 256 * 1024 },
      onUpload: (e) => events.push(e),
    });
    const created = createToken(db, { projects: ["Demo.Pkg"] });
    assert.ok("token" in created);
    demoToken = created.token;
  });

  it("stores a wheel: the blob by sha256, the row with its metadata, the project created by the first upload", async () => {
    const bytes = await buildWheel();
    const res = await upload({ bytes });
    assert.equal(res.statusCode, 200, res.body);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const row = getFile(db, WHEEL);
    assert.equal(row?.sha256, sha);
    assert.equal(row?.blake2b256, blake2b256Hex(bytes));
    assert.equal(row?.project, "demo-pkg");
    assert.equal(row?.metadata, metadataText("demo_pkg", "1.0"));
    assert.deepEqual(await blobs.has(sha), { size: bytes.length });
    assert.equal(getProject(db, "demo-pkg")?.status, "active");
    assert.equal(getProject(db, "demo-pkg")?.displayName, "demo_pkg");
    assert.equal(events[0]?.outcome, "stored");
    assert.equal(events[0]?.tokenId, row?.uploadedBy);
  });

  it("serves the stored file and its .metadata at the URLs the internal project page lists", async () => {
    const bytes = await buildWheel();
    assert.equal((await upload({ bytes })).statusCode, 200);
    const info = internalProject(db, "Demo_Pkg", { baseUrl: "http://proxy.test/" });
    assert.ok(info);
    assert.equal(info.status.status, "active");
    assert.deepEqual(info.versions, ["1.0"]);
    const file = info.files[0]!;
    const sha = createHash("sha256").update(bytes).digest("hex");
    assert.equal(file.url, `http://proxy.test/registry/files/${sha}/${WHEEL}`);
    assert.deepEqual(file.hashes, { sha256: sha });
    assert.equal(file.size, bytes.length);
    const path = new URL(file.url).pathname;
    const got = await app.inject({ method: "GET", url: path });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.rawPayload, bytes);
    assert.equal(got.headers.etag, `"${sha}"`);
    const meta = await app.inject({ method: "GET", url: `${path}.metadata` });
    assert.equal(meta.statusCode, 200);
    const metaSha = createHash("sha256").update(meta.rawPayload).digest("hex");
    assert.deepEqual(file.coreMetadata, { sha256: metaSha });
    assert.deepEqual(await blobs.has(metaSha), { size: meta.rawPayload.length }, "metadata is a blob too");
    assert.equal(meta.body, metadataText("demo_pkg", "1.0"));
    const ranged = await app.inject({ method: "GET", url: path, headers: { range: "bytes=0-3" } });
    assert.equal(ranged.statusCode, 206);
    assert.equal(ranged.headers["content-range"], `bytes 0-3/${bytes.length}`);
    assert.deepEqual(ranged.rawPayload, bytes.subarray(0, 4));
    const wrongSha = await app.inject({ method: "GET", url: path.replace(sha, "0".repeat(64)) });
    assert.equal(wrongSha.statusCode, 404);
  });

  it("an identical re-upload is 200 and changes nothing; POST /legacy without the slash is served too", async () => {
    const bytes = await buildWheel();
    assert.equal((await upload({ bytes })).statusCode, 200);
    const again = await upload({ bytes, url: "/legacy" });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(listFiles(db, "demo-pkg").length, 1);
    assert.equal(events[1]?.outcome, "duplicate");
  });

  it("a different file under a stored name is 400, its reason starting with 'File already exists'", async () => {
    assert.equal((await upload({ bytes: await buildWheel() })).statusCode, 200);
    const other = await buildWheel({ extra: [{ path: "demo_pkg/more.py", data: "X = 2\n" }] });
    const res = await upload({ bytes: other });
    assert.equal(res.statusCode, 400);
    assert.match(
      res.statusMessage,
      /^File already exists \('demo_pkg-1\.0-py3-none-any\.whl', with blake2_256 hash '[0-9a-f]{64}'\)/,
    );
    assert.match(res.body, /File already exists/);
    assert.equal(
      getFile(db, WHEEL)?.sha256,
      createHash("sha256")
        .update(await buildWheel())
        .digest("hex"),
    );
  });

  it("only one sdist per release", async () => {
    const sdist = buildSdist();
    assert.equal((await upload({ bytes: sdist, filename: SDIST })).statusCode, 200);
    const zipName = "demo_pkg-1.0.zip";
    const zipSdist = await buildZip(sdistEntries().map((e) => ({ path: e.path, data: e.data ?? "" })));
    const res = await upload({ bytes: zipSdist, filename: zipName, fields: formFor(zipSdist, zipName) });
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.statusMessage,
      "Only one sdist may be uploaded per release: demo_pkg-1.0.tar.gz exists already.",
    );
  });

  it("without credentials: 401 with a Basic challenge; nothing stored", async () => {
    const res = await upload({ bytes: await buildWheel(), auth: null });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers["www-authenticate"], 'Basic realm="pycustoms"');
    assert.equal(listFiles(db, "demo-pkg").length, 0);
  });

  it("a wrong token, a wrong user name or a revoked token: 403 'Invalid or non-existent authentication information.'", async () => {
    const bytes = await buildWheel();
    const wrong = `${demoToken.slice(0, -4)}AAAA`;
    for (const auth of [basic(wrong), basic(demoToken, "alice"), basic("pypi-abc"), "Bearer xyz"]) {
      const res = await upload({ bytes, auth });
      assert.equal(res.statusCode, 403, auth);
      assert.match(res.statusMessage, /^Invalid or non-existent authentication information\./);
    }
    const id = demoToken.split("_")[1]!;
    assert.ok(revokeToken(db, id));
    const revoked = await upload({ bytes });
    assert.equal(revoked.statusCode, 403);
    assert.equal(listFiles(db, "demo-pkg").length, 0);
  });

  it("a token scoped to another project: 403 naming the project, and no project is created", async () => {
    const other = createToken(db, { projects: ["other-project"] });
    assert.ok("token" in other);
    const res = await upload({ bytes: await buildWheel(), auth: basic(other.token) });
    assert.equal(res.statusCode, 403);
    assert.equal(res.statusMessage, "The token isn't allowed to upload to project 'demo-pkg'");
    assert.equal(getProject(db, "demo-pkg"), null);
  });

  it("an admin token ('*') may create any project", async () => {
    const admin = createToken(db, { projects: ["*"] });
    assert.ok("token" in admin);
    const res = await upload({ bytes: await buildWheel(), auth: basic(admin.token) });
    assert.equal(res.statusCode, 200);
  });

  it("a wrong sha256 digest: 400 naming the digest", async () => {
    const bytes = await buildWheel();
    const res = await upload({ bytes, fields: formFor(bytes, WHEEL, { sha256_digest: "0".repeat(64) }) });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /^The sha256_digest in the form \(0{64}\) does not match the file/);
  });

  it("metadata that names another project than the form: 400", async () => {
    const bytes = await buildWheel({ metadata: metadataText("evil_pkg", "1.0") });
    const res = await upload({ bytes });
    assert.equal(res.statusCode, 400);
    assert.match(
      res.statusMessage,
      /^Invalid distribution file: name in METADATA \(evil_pkg\) does not match the form/,
    );
  });

  it("a traversal file name: 400, and nothing reaches the blob store", async () => {
    const bytes = await buildWheel();
    const res = await upload({ bytes, filename: `../../${WHEEL}`, fields: formFor(bytes, WHEEL) });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /path separators and '\.\.' are not allowed/);
    assert.equal(await blobs.has(createHash("sha256").update(bytes).digest("hex")), null);
  });

  it("a file over the size limit: 400 'File too large'", async () => {
    const big = Buffer.alloc(300 * 1024, 1);
    const res = await upload({ bytes: big, fields: formFor(big, WHEEL) });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /^File too large/);
  });

  it("form fields that are each under their limit but too large together: 400, and nothing is stored", async () => {
    const bytes = await buildWheel();
    const chunk = "x".repeat(3 * 1024 * 1024);
    const res = await upload({ bytes, fields: formFor(bytes, WHEEL, { keywords: [chunk, chunk, chunk] }) });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /^The form fields are too large together/);
    assert.equal(await blobs.has(createHash("sha256").update(bytes).digest("hex")), null);
  });

  it("a zip bomb: 400 naming it", async () => {
    const bomb = await wheelWithZeros(50 * 1024 * 1024);
    const res = await upload({ bytes: bomb });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /^Invalid distribution file: zip bomb/);
  });

  for (const status of ["archived", "quarantined"] as const) {
    it(`an ${status} project refuses uploads with 403 and its reason`, async () => {
      assert.equal((await upload({ bytes: buildSdist(), filename: SDIST })).statusCode, 200);
      assert.ok(setProjectStatus(db, "demo-pkg", status, "moved to demo-ng").ok);
      const res = await upload({ bytes: await buildWheel() });
      assert.equal(res.statusCode, 403);
      assert.equal(
        res.statusMessage,
        `Project 'demo-pkg' is ${status} (moved to demo-ng) and does not accept new uploads`,
      );
      const info = internalProject(db, "demo-pkg", { baseUrl: "http://proxy.test" });
      assert.deepEqual(info?.status, { status, reason: "moved to demo-ng" });
      const sha = getFile(db, SDIST)!.sha256;
      const get = await app.inject({ method: "GET", url: `/registry/files/${sha}/${SDIST}` });
      if (status === "quarantined") {
        assert.equal(info?.files.length, 0, "a quarantined project offers no files");
        assert.equal(get.statusCode, 403);
      } else {
        assert.equal(info?.files.length, 1, "an archived project still offers its files");
        assert.equal(get.statusCode, 200);
      }
    });
  }

  it("a deprecated project still accepts uploads", async () => {
    assert.equal((await upload({ bytes: buildSdist(), filename: SDIST })).statusCode, 200);
    assert.ok(setProjectStatus(db, "demo-pkg", "deprecated", "use demo-ng").ok);
    assert.equal((await upload({ bytes: await buildWheel() })).statusCode, 200);
  });

  it("old actions are gone (410), other protocol versions unknown (400)", async () => {
    const bytes = await buildWheel();
    const doc = await upload({ bytes, fields: formFor(bytes, WHEEL, { ":action": "doc_upload" }) });
    assert.equal(doc.statusCode, 410);
    const v2 = await upload({ bytes, fields: formFor(bytes, WHEEL, { protocol_version: "2" }) });
    assert.equal(v2.statusCode, 400);
    assert.equal(v2.statusMessage, "Unknown protocol version.");
  });

  it("a body that is not multipart: 400", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/legacy/",
      headers: { authorization: basic(demoToken), "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /multipart\/form-data/);
  });

  it("reason phrases are one line of printable ASCII, whatever the file name held", async () => {
    const bytes = await buildWheel();
    const res = await upload({
      bytes,
      filename: "dém\u2028o\r\nX-Evil: 1.whl",
      fields: formFor(bytes, WHEEL),
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.statusMessage, /^[\x20-\x7e]+$/);
    assert.equal(res.headers["x-evil"], undefined);
    assert.equal(reasonPhrase("a\r\nb\u00e9\tc"), "a b? c");
    assert.equal(reasonPhrase("x".repeat(1000)).length, 400);
  });
});

describe("byteRange", () => {
  it("reads one range, a suffix, an open end; refuses ranges past the end; ignores multi-ranges", () => {
    assert.deepEqual(byteRange("bytes=0-9", 100), { start: 0, end: 9 });
    assert.deepEqual(byteRange("bytes=-10", 100), { start: 90, end: 99 });
    assert.deepEqual(byteRange("bytes=95-", 100), { start: 95, end: 99 });
    assert.deepEqual(byteRange("bytes=95-500", 100), { start: 95, end: 99 });
    assert.equal(byteRange("bytes=100-", 100), "unsatisfiable");
    assert.equal(byteRange("bytes=0-1,5-6", 100), null);
    assert.equal(byteRange(undefined, 100), null);
  });
});
