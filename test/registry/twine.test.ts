// End to end with the real client: Debian's twine uploading to the registry plugin on a loopback port.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import Fastify, { type FastifyInstance } from "fastify";
import { registryPlugin } from "../../src/registry/routes.js";
import { setProjectStatus } from "../../src/registry/status.js";
import { getFile, listFiles } from "../../src/registry/store.js";
import { createToken } from "../../src/registry/tokens.js";
import { FsBlobStore } from "../../src/server/storage/blob-store.js";
import { buildSdist, buildWheel } from "../support/dists.js";

const TWINE = "/usr/bin/twine";

interface TwineRun {
  code: number | null;
  output: string;
}

let work: string;
let home: string;
let db: Database.Database;
let blobs: FsBlobStore;
let app: FastifyInstance;
let legacyUrl: string;

/** twine in its own process (async: the server answering it lives in this one), seeing no user configuration. */
function twine(args: string[]): Promise<TwineRun> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    TWINE_NON_INTERACTIVE: "1",
    PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
    NO_PROXY: "127.0.0.1,localhost",
    // twine prints through rich: a wide, colourless terminal keeps each message on one line.
    COLUMNS: "400",
    NO_COLOR: "1",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(TWINE, ["upload", "--disable-progress-bar", "--repository-url", legacyUrl, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      // Whatever rich still wraps or colours, compare on one line of plain text.
      resolve({ code, output: output.replace(/\x1b\[[0-9;]*m/g, "").replace(/\s+/g, " ") });
    });
  });
}

function token(projects: string[]): string {
  const created = createToken(db, { projects });
  assert.ok("token" in created);
  return created.token;
}

function write(dir: string, filename: string, bytes: Buffer): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, filename);
  writeFileSync(path, bytes);
  return path;
}

describe("twine upload to the registry", {
  skip: !existsSync(TWINE) && "Debian's twine is not installed",
}, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "pycustoms-twine-"));
    home = join(work, "home");
    mkdirSync(home);
    db = new Database(join(work, "state.sqlite"));
    blobs = new FsBlobStore(join(work, "blobs"));
    app = Fastify();
    await app.register(registryPlugin, { db, blobs, limits: { maxFileBytes: 1024 * 1024 } });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    legacyUrl = `${address}/legacy/`;
  });

  after(async () => {
    await app.close();
    db.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("uploads a wheel and an sdist (200), stores both, and an identical re-upload succeeds again", async () => {
    const wheel = await buildWheel({ name: "acme-tool", version: "1.0" });
    const sdist = await buildSdist({ name: "acme-tool", version: "1.0" });
    const dist = join(work, "dist-1");
    const files = [write(dist, wheel.filename, wheel.bytes), write(dist, sdist.filename, sdist.bytes)];
    const secret = token(["acme-tool"]);
    const first = await twine(["-u", "__token__", "-p", secret, ...files]);
    assert.equal(first.code, 0, first.output);
    assert.deepEqual(
      listFiles(db, "acme-tool")
        .map((f) => f.filename)
        .sort(),
      [sdist.filename, wheel.filename].sort(),
    );
    assert.equal(getFile(db, wheel.filename)?.sha256, wheel.sha256);
    assert.deepEqual(await blobs.has(sdist.sha256), { size: sdist.bytes.length });
    assert.equal(getFile(db, wheel.filename)?.metadata, wheel.metadata);

    const again = await twine(["-u", "__token__", "-p", secret, ...files]);
    assert.equal(again.code, 0, again.output);
    assert.equal(listFiles(db, "acme-tool").length, 2);
  });

  it("a different file under an uploaded name fails, and twine prints 'File already exists'", async () => {
    const secret = token(["acme-other"]);
    const first = await buildWheel({ name: "acme-other", version: "1.0" });
    const ok = await twine([
      "-u",
      "__token__",
      "-p",
      secret,
      write(join(work, "dist-2a"), first.filename, first.bytes),
    ]);
    assert.equal(ok.code, 0, ok.output);
    const changed = await buildWheel({
      name: "acme-other",
      version: "1.0",
      files: { "acme_other/x.py": "X = 1\n" },
    });
    assert.equal(changed.filename, first.filename);
    const run = await twine([
      "-u",
      "__token__",
      "-p",
      secret,
      write(join(work, "dist-2b"), changed.filename, changed.bytes),
    ]);
    assert.notEqual(run.code, 0);
    assert.match(
      run.output,
      /HTTPError: 400 Bad Request from \S+ File already exists \('acme_other-1\.0-py3-none-any\.whl'/,
    );
    assert.equal(getFile(db, first.filename)?.sha256, first.sha256);
  });

  it("a wrong token fails with the 403 message; a token for another project fails naming the project", async () => {
    const wheel = await buildWheel({ name: "acme-guarded", version: "1.0" });
    const path = write(join(work, "dist-3"), wheel.filename, wheel.bytes);
    const wrong = await twine(["-u", "__token__", "-p", `${token(["acme-guarded"]).slice(0, -3)}abc`, path]);
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.output,
      /HTTPError: 403 Forbidden from \S+ Invalid or non-existent authentication information\./,
    );
    const elsewhere = await twine(["-u", "__token__", "-p", token(["acme-tool"]), path]);
    assert.notEqual(elsewhere.code, 0);
    assert.match(
      elsewhere.output,
      /HTTPError: 403 Forbidden from \S+ The token isn't allowed to upload to project 'acme-guarded'/,
    );
    assert.equal(listFiles(db, "acme-guarded").length, 0);
  });

  it("an archived project refuses the upload, and twine shows why", async () => {
    const secret = token(["acme-old"]);
    const v1 = await buildWheel({ name: "acme-old", version: "1.0" });
    const ok = await twine([
      "-u",
      "__token__",
      "-p",
      secret,
      write(join(work, "dist-4a"), v1.filename, v1.bytes),
    ]);
    assert.equal(ok.code, 0, ok.output);
    assert.ok(setProjectStatus(db, "acme-old", "archived", "use acme-new").ok);
    const v2 = await buildWheel({ name: "acme-old", version: "2.0" });
    const run = await twine([
      "-u",
      "__token__",
      "-p",
      secret,
      write(join(work, "dist-4b"), v2.filename, v2.bytes),
    ]);
    assert.notEqual(run.code, 0);
    assert.match(
      run.output,
      /HTTPError: 403 Forbidden from \S+ Project 'acme-old' is archived \(use acme-new\) and does not accept new uploads/,
    );
  });
});
