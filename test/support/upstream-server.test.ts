// The test index must be PyPI-shaped enough for real clients, and the built dists real: the machine's pip proves both.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { demoFixture } from "./demo-fixture.js";
import { buildSdist, buildWheel, sha256Hex } from "./dists.js";
import { type RunningUpstream, startUpstreamServer, type UpstreamFixture } from "./upstream-server.js";

const run = promisify(execFile);
const PYTHON = process.env.PYCUSTOMS_TEST_PYTHON ?? "python3";
const pipMissing = spawnSync(PYTHON, ["-m", "pip", "--version"], { encoding: "utf8" }).status !== 0;
const skip = pipMissing ? `no pip for ${PYTHON} on this machine` : false;

/** The machine's pip sees nothing but the test index: no config files, no index or find-links variables. */
function pipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PIP_CONFIG_FILE: "/dev/null",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
  };
  for (const name of [
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_TARGET",
  ]) {
    delete env[name];
  }
  env.PIP_NO_CACHE_DIR = "1";
  env.PIP_DEFAULT_TIMEOUT = "10";
  env.NO_PROXY = "127.0.0.1,localhost";
  env.no_proxy = env.NO_PROXY;
  return env;
}

async function pip(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(PYTHON, ["-m", "pip", ...args], { env: pipEnv(), timeout: 60_000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    assert.fail(`pip ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

let fixture: UpstreamFixture;
const servers: RunningUpstream[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pycustoms-pip-"));
  dirs.push(d);
  return d;
}

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

test("pip downloads a wheel from the test index (PEP 691 JSON) with the exact bytes served", {
  skip,
}, async () => {
  const server = await serve();
  const dest = tempDir();
  await pip(["download", "--no-deps", "--index-url", `${server.url}/simple/`, "demo-pkg==1.0.0", "-d", dest]);
  const wheel = fixture.projects[0]!.releases[0]!.files[0]!;
  assert.deepEqual(readdirSync(dest), [wheel.filename]);
  assert.equal(sha256Hex(readFileSync(join(dest, wheel.filename))), sha256Hex(wheel.bytes));
  const page = server.log.find((r) => r.path === "/simple/demo-pkg/");
  assert.match(String(page?.headers.accept), /application\/vnd\.pypi\.simple\.v1\+json/);
});

test("pip downloads the sdist from an HTML-only test index", { skip }, async () => {
  const server = await serve({ formats: ["html"] });
  const dest = tempDir();
  await pip([
    "download",
    "--no-deps",
    "--no-binary",
    ":all:",
    "--index-url",
    `${server.url}/simple/`,
    "demo-pkg==1.0.0",
    "-d",
    dest,
  ]);
  const sdist = fixture.projects[0]!.releases[0]!.files[1]!;
  assert.deepEqual(readdirSync(dest), [sdist.filename]);
  assert.equal(sha256Hex(readFileSync(join(dest, sdist.filename))), sha256Hex(sdist.bytes));
});

test("pip installs a pinned yanked release and its dependency from the test index", { skip }, async () => {
  const server = await serve();
  const target = tempDir();
  await pip(["install", "--index-url", `${server.url}/simple/`, "--target", target, "demo-pkg==1.1.0"]);
  const installed = readdirSync(target).sort();
  assert.ok(installed.includes("demo_pkg-1.1.0.dist-info"), installed.join(", "));
  assert.ok(installed.includes("other_pkg-2.0.0.dist-info"), installed.join(", "));
  assert.ok((server.requests.get("/simple/other-pkg/") ?? 0) >= 1);
});

test("a built sdist is real: pip builds it offline (in-tree backend) and installs it", { skip }, async () => {
  const built = await buildSdist({ name: "Real.Sdist", version: "0.3", requiresPython: ">=3.8" });
  assert.equal(built.filename, "real_sdist-0.3.tar.gz");
  const dir = tempDir();
  const path = join(dir, built.filename);
  writeFileSync(path, built.bytes);
  const target = join(dir, "site");
  await pip(["install", "--no-index", "--no-deps", "--target", target, path]);
  assert.ok(readdirSync(target).includes("real_sdist-0.3.dist-info"));
  const { stdout } = await run(PYTHON, ["-c", "import real_sdist; print(real_sdist.__version__)"], {
    env: { ...process.env, PYTHONPATH: target },
  });
  assert.equal(stdout.trim(), "0.3");
});

test("a built wheel is real: pip installs it and Python imports it", { skip }, async () => {
  const built = await buildWheel({
    name: "Real.Wheel",
    version: "3.2.1",
    files: { "real_wheel/extra.py": "X = 42\n" },
  });
  assert.equal(built.filename, "real_wheel-3.2.1-py3-none-any.whl");
  const dir = tempDir();
  const path = join(dir, built.filename);
  writeFileSync(path, built.bytes);
  const target = join(dir, "site");
  await pip(["install", "--no-index", "--no-deps", "--target", target, path]);
  const { stdout } = await run(
    PYTHON,
    ["-c", "import real_wheel, real_wheel.extra; print(real_wheel.__version__, real_wheel.extra.X)"],
    {
      env: { ...process.env, PYTHONPATH: target },
    },
  );
  assert.equal(stdout.trim(), "3.2.1 42");
  const record = readFileSync(join(target, "real_wheel-3.2.1.dist-info", "RECORD"), "utf8");
  assert.match(record, /^real_wheel\/extra\.py,sha256=[A-Za-z0-9_-]{43},7$/m);
});

test("padBytes makes a wheel larger by about that much (for size anomalies)", async () => {
  const small = await buildWheel({ name: "pad", version: "1.0" });
  const big = await buildWheel({ name: "pad", version: "1.0", padBytes: 100_000 });
  assert.ok(big.bytes.length - small.bytes.length >= 100_000);
  assert.equal(big.sha256, sha256Hex(big.bytes));
  const again = await buildWheel({ name: "pad", version: "1.0", padBytes: 100_000 });
  assert.equal(again.sha256, big.sha256, "wheels are reproducible byte for byte");
});

test("the test index negotiates by Accept, answers 304 to a matching ETag and 301 for unnormalised names", async () => {
  const server = await serve();
  const page = `${server.url}/simple/demo-pkg/`;
  const json = await fetch(page, { headers: { accept: "application/vnd.pypi.simple.latest+json" } });
  assert.equal(json.headers.get("content-type"), "application/vnd.pypi.simple.v1+json");
  assert.equal(json.headers.get("vary"), "Accept");
  const etag = json.headers.get("etag")!;
  await json.arrayBuffer();
  const none = await fetch(page);
  assert.equal(
    none.headers.get("content-type"),
    "text/html; charset=utf-8",
    "no Accept gets HTML, as on PyPI",
  );
  assert.notEqual(none.headers.get("etag"), etag, "each representation has its own ETag");
  await none.arrayBuffer();
  const cached = await fetch(page, {
    headers: { accept: "application/vnd.pypi.simple.v1+json", "if-none-match": etag },
  });
  assert.equal(cached.status, 304);
  const moved = await fetch(`${server.url}/simple/Demo.Pkg/`, { redirect: "manual" });
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "/simple/demo-pkg/");
  const htmlOnly = await serve({ formats: ["html"] });
  const refused = await fetch(`${htmlOnly.url}/simple/demo-pkg/`, {
    headers: { accept: "application/vnd.pypi.simple.v1+json" },
  });
  assert.equal(refused.status, 406);
  assert.equal(server.requests.get("/simple/demo-pkg/"), 3);
});
