// `pycustoms serve` as a user starts it: the built CLI in its own process, its start-up lines, pip through it, and
// a clean stop on SIGTERM.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { clientSetupLines, exposureWarning } from "../../src/cli/serve.js";
import { cliPath } from "../paths.js";
import { buildWheel } from "../support/dists.js";
import { type RunningUpstream, startUpstreamServer } from "../support/upstream-server.js";
import { clientEnv, PYTHON, pipMissing, runClient, tempWork } from "./e2e-clients.js";

test("the start-up lines point pip, uv, poetry and pipenv at the index, and twine at /legacy/", () => {
  const lines = clientSetupLines("http://127.0.0.1:3141/simple/").join("\n");
  assert.match(lines, /pip config set global\.index-url http:\/\/127\.0\.0\.1:3141\/simple\//);
  assert.match(lines, /UV_INDEX_URL=http:\/\/127\.0\.0\.1:3141\/simple\//);
  assert.match(lines, /poetry source add --priority=primary pycustoms http:\/\/127\.0\.0\.1:3141\/simple\//);
  assert.match(
    lines,
    /\[\[tool\.poetry\.source\]\] name = "pycustoms" url = "http:\/\/127\.0\.0\.1:3141\/simple\/" default = true/,
  );
  assert.match(
    lines,
    /\[\[source\]\] name = "pycustoms" url = "http:\/\/127\.0\.0\.1:3141\/simple\/" verify_ssl = false/,
  );
  assert.match(lines, /twine upload --repository-url http:\/\/127\.0\.0\.1:3141\/legacy\/ -u __token__/);
  const behindPrefix = clientSetupLines("https://pkgs.example.com/py/simple/").join("\n");
  assert.match(behindPrefix, /--repository-url https:\/\/pkgs\.example\.com\/py\/legacy\//);
  assert.match(behindPrefix, /verify_ssl = true/);
});

test("binding beyond loopback gives a loud warning; loopback gives none", () => {
  assert.equal(exposureWarning("127.0.0.1"), null);
  assert.equal(exposureWarning("localhost"), null);
  assert.equal(exposureWarning("::1"), null);
  assert.match(exposureWarning("0.0.0.0") ?? "", /^WARNING: listening on every network interface/);
  assert.match(exposureWarning("10.1.2.3") ?? "", /^WARNING: listening on 10\.1\.2\.3/);
});

describe("the built CLI serves", {
  skip: pipMissing || (!existsSync(cliPath) && `the CLI is not built (${cliPath}): npm run build`),
}, () => {
  let upstream: RunningUpstream;
  let work: string;
  let child: ChildProcess;
  let stderr = "";
  let index = "";

  before(async () => {
    const wheel = await buildWheel({ name: "zeta-pkg", version: "1.4" });
    upstream = await startUpstreamServer({
      projects: [
        {
          name: "zeta-pkg",
          releases: [
            {
              version: "1.4",
              files: [{ filename: wheel.filename, bytes: wheel.bytes, metadata: wheel.metadata }],
            },
          ],
        },
      ],
    });
    work = tempWork("pycustoms-e2e-process-");
    const config = join(work, "pycustoms.toml");
    writeFileSync(config, 'internal-prefixes = ["acme-"]\n\n[serve]\nmode = "open"\n');
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", HOME: join(work, "home") };
    delete env.PYCUSTOMS_DB;
    child = spawn(
      process.execPath,
      [
        cliPath,
        "serve",
        "--config",
        config,
        "--port",
        "0",
        "--data-dir",
        join(work, "data"),
        "--upstream",
        `${upstream.url}/simple/`,
        "--db",
        join(work, "no-such-advisories.sqlite"),
        "--log-level",
        "warn",
      ],
      { env, stdio: ["ignore", "ignore", "pipe"] },
    );
    index = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up lines within 20 s:\n${stderr}`)), 20_000);
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
        const url = /pycustoms serve: (http:\/\/127\.0\.0\.1:\d+\/simple\/)/.exec(stderr)?.[1];
        if (url && /twine: /.test(stderr)) {
          clearTimeout(timer);
          resolve(url);
        }
      });
      child.on("exit", (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await upstream?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("it prints where it listens (loopback), the missing advisory database, and the exact client lines", () => {
    const port = new URL(index).port;
    assert.match(stderr, /!! NO ADVISORY DATABASE at .*no-such-advisories\.sqlite/);
    assert.doesNotMatch(stderr, /WARNING: listening on/);
    assert.doesNotMatch(
      stderr,
      /Deprecation|Warning:/,
      "no library warnings at start (Fastify's FSTDEP023 was one)",
    );
    assert.match(stderr, /mode: +open/);
    assert.match(stderr, /internal: +uploaded projects, acme-\*/);
    assert.ok(stderr.includes(`pip config set global.index-url ${index}`), stderr);
    assert.ok(stderr.includes(`UV_INDEX_URL=${index}`), stderr);
    assert.ok(stderr.includes(`poetry source add --priority=primary pycustoms ${index}`), stderr);
    assert.ok(stderr.includes(`[[source]] name = "pycustoms" url = "${index}"`), stderr);
    assert.ok(stderr.includes(`twine upload --repository-url http://127.0.0.1:${port}/legacy/`), stderr);
  });

  test("pip installs through the running process, with the gate on", async () => {
    const target = join(work, "target");
    const run = await runClient(
      PYTHON,
      ["-m", "pip", "install", "--no-compile", "--target", target, "--index-url", index, "zeta-pkg"],
      { env: clientEnv(join(work, "pip-home")), timeoutMs: 60_000 },
    );
    assert.equal(run.code, 0, run.output);
    assert.ok(existsSync(join(target, "zeta_pkg", "__init__.py")));
    const internal = await fetch(`${index}acme-anything/`);
    assert.equal(internal.status, 404);
    assert.equal(upstream.requests.get("/simple/acme-anything/") ?? 0, 0);
  });

  test("SIGTERM stops it cleanly", async () => {
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => {
      timer = setTimeout(() => r("timeout"), 10_000);
    });
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    assert.equal(code, 0, stderr);
  });
});
