// Real pip through the proxy: download, install, --require-hashes, and a tampered upstream file that pip must not get.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { sha256Hex } from "../support/dists.js";
import {
  buildDists,
  type Dists,
  fixtureOf,
  pipEnv,
  type RunningProxy,
  startProxy,
  tempDir,
} from "./harness.js";

const run = promisify(execFile);
const PYTHON = process.env.PYCUSTOMS_TEST_PYTHON ?? "python3";
const pipMissing = spawnSync(PYTHON, ["-m", "pip", "--version"], { encoding: "utf8" }).status !== 0;
const skip = pipMissing ? `no pip for ${PYTHON} on this machine` : false;

let dists: Dists;
let proxy: RunningProxy;
let work: string;

before(async () => {
  if (skip) return;
  dists = await buildDists();
  proxy = await startProxy(fixtureOf(dists), { listen: true });
  work = tempDir("pycustoms-pip-");
});

after(async () => {
  if (skip) return;
  await proxy.close();
  rmSync(work, { recursive: true, force: true });
});

async function pip(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      PYTHON,
      ["-m", "pip", ...args, "--index-url", `${proxy.url}/simple/`, "--timeout", "10", "--retries", "0"],
      { env: pipEnv(), timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === "number" ? err.code : 1,
      stdout: err.stdout ?? "",
      stderr: err.stderr ?? "",
    };
  }
}

test("pip download resolves through the proxy: newest allowed wheel plus its dependency, bytes as published", {
  skip,
}, async () => {
  const dest = join(work, "download");
  const result = await pip(["download", "--dest", dest, "alpha-pkg"]);
  assert.equal(result.code, 0, result.stderr);
  const got = readdirSync(dest).sort();
  assert.deepEqual(got, [dists.alpha2.filename, dists.beta.filename].sort());
  assert.equal(sha256Hex(readFileSync(join(dest, dists.alpha2.filename))), dists.alpha2.sha256);
  assert.equal(sha256Hex(readFileSync(join(dest, dists.beta.filename))), dists.beta.sha256);
});

test("pip install --target installs from the proxy; the yanked version is skipped", { skip }, async () => {
  const target = join(work, "target");
  const result = await pip(["install", "--no-compile", "--target", target, "alpha-pkg<3"]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(join(target, "alpha_pkg", "__init__.py")));
  assert.match(readFileSync(join(target, "alpha_pkg", "__init__.py"), "utf8"), /2\.0/);
  assert.ok(existsSync(join(target, "beta", "__init__.py")));
});

test("pip install --require-hashes succeeds with the published hash", { skip }, async () => {
  const requirements = join(work, "requirements.txt");
  writeFileSync(requirements, `beta==0.5 --hash=sha256:${dists.beta.sha256}\n`);
  const result = await pip([
    "install",
    "--no-compile",
    "--target",
    join(work, "hashed"),
    "--require-hashes",
    "-r",
    requirements,
  ]);
  assert.equal(result.code, 0, result.stderr);
});

test("a tampered upstream file makes pip fail; nothing is cached and the event is recorded", {
  skip,
}, async () => {
  const tampered = fixtureOf(dists);
  const evil = Buffer.from(dists.alpha1.bytes);
  evil[evil.length - 1] = evil[evil.length - 1]! ^ 0xff;
  // The proxy has already cached the project page with the true hash; upstream now serves other bytes.
  tampered.projects[0]!.releases[0]!.files[0]!.bytes = evil;
  await pip(["download", "--no-deps", "--dest", join(work, "probe"), "alpha-pkg==2.0"]);
  proxy.upstream.setFixture(tampered);
  const before = proxy.blobFiles().length;
  const result = await pip(["download", "--no-deps", "--dest", join(work, "evil"), "alpha-pkg==1.0"]);
  assert.notEqual(result.code, 0, "pip must fail");
  assert.ok(!existsSync(join(work, "evil", dists.alpha1.filename)));
  assert.equal(proxy.blobFiles().length, before);
  assert.ok(!proxy.blobFiles().some((f) => f.endsWith(dists.alpha1.sha256)));
  assert.deepEqual(proxy.tempFiles(), []);
  const events = await proxy.app.pycustoms.state.listEvents({ kind: "digest-mismatch" });
  assert.ok(events.some((e) => e.filename === dists.alpha1.filename));
  proxy.upstream.setFixture(fixtureOf(dists));
});
