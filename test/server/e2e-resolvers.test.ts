// End to end with Debian's poetry and pipenv: both lock and install through `pycustoms serve`, and both pick the
// allowed version when the gate hides a vulnerable one, offline against a test upstream on loopback.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BuiltDist, buildSdist, buildWheel } from "../support/dists.js";
import {
  clientEnv,
  clientMissing,
  type E2eServer,
  PIPENV,
  POETRY,
  runClient,
  startServe,
  tempWork,
} from "./e2e-clients.js";

// Both run on Debian's Python (their own interpreter), whatever python3 is first on PATH: another Python found
// there (pyenv, say) would make virtualenv try to download seed wheels that Debian does not ship for it.
const SYSTEM_PYTHON = "/usr/bin/python3";
const SYSTEM_PATH = "/usr/bin:/bin";

let server: E2eServer;
let work: string;

before(async () => {
  if (clientMissing(POETRY, "poetry") && clientMissing(PIPENV, "pipenv")) return;
  const file = (d: BuiltDist) => ({ filename: d.filename, bytes: d.bytes, metadata: d.metadata });
  const delta10 = await buildWheel({ name: "delta-lib", version: "1.0" });
  // 1.1 is named by the advisory fixture GHSA-4mfp-8r2c-e2e2 (CVSS 8.1): the gate hides it.
  const delta11 = await buildWheel({ name: "delta-lib", version: "1.1" });
  const echo = await buildWheel({ name: "echo-app", version: "0.3", requiresDist: ["delta-lib>=1.0"] });
  const echoSdist = await buildSdist({ name: "echo-app", version: "0.3", requiresDist: ["delta-lib>=1.0"] });
  server = await startServe({
    fixture: {
      projects: [
        {
          name: "delta-lib",
          releases: [
            { version: "1.0", files: [file(delta10)] },
            { version: "1.1", files: [file(delta11)] },
          ],
        },
        {
          name: "echo-app",
          releases: [
            { version: "0.3", files: [file(echo), { filename: echoSdist.filename, bytes: echoSdist.bytes }] },
          ],
        },
      ],
    },
  });
  work = tempWork("pycustoms-e2e-resolvers-");
});

after(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function systemPythonVersion(): string {
  const run = spawnSync(SYSTEM_PYTHON, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    encoding: "utf8",
  });
  return run.stdout.trim();
}

function sitePackages(venv: string): string {
  const lib = join(venv, "lib");
  const python = readdirSync(lib).find((d) => d.startsWith("python3"));
  if (python === undefined) throw new Error(`no python3.* under ${lib}`);
  return join(lib, python, "site-packages");
}

describe("poetry resolves and installs through the proxy", {
  skip: clientMissing(POETRY, "Debian's poetry"),
}, () => {
  let project: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    project = join(work, "poetry-project");
    mkdirSync(project, { recursive: true });
    // poetry 1.3 has no `source add --priority`: the source is written into pyproject.toml (`default = true`
    // makes it replace PyPI), exactly as the start-up lines of `pycustoms serve` show.
    writeFileSync(
      join(project, "pyproject.toml"),
      [
        "[tool.poetry]",
        'name = "e2e-consumer"',
        'version = "0.1.0"',
        'description = ""',
        'authors = ["Test <test@example.com>"]',
        "",
        "[tool.poetry.dependencies]",
        'python = "^3.9"',
        'echo-app = "*"',
        "",
        "[[tool.poetry.source]]",
        'name = "pycustoms"',
        `url = "${server.index}"`,
        "default = true",
        "",
        "[build-system]",
        'requires = ["poetry-core"]',
        'build-backend = "poetry.core.masonry.api"',
        "",
      ].join("\n"),
    );
    env = clientEnv(join(work, "poetry-home"), {
      POETRY_VIRTUALENVS_IN_PROJECT: "true",
      POETRY_CACHE_DIR: join(work, "poetry-cache"),
      POETRY_NO_INTERACTION: "1",
      PATH: SYSTEM_PATH,
    });
  });

  test("poetry lock picks delta-lib 1.0: the vulnerable 1.1 is not on the proxy's pages", async () => {
    const run = await runClient(POETRY, ["lock", "--no-update"], { env, cwd: project, timeoutMs: 90_000 });
    assert.equal(run.code, 0, run.output);
    const lock = readFileSync(join(project, "poetry.lock"), "utf8");
    assert.match(lock, /name = "delta-lib"\nversion = "1\.0"/);
    assert.match(lock, /name = "echo-app"\nversion = "0\.3"/);
    assert.doesNotMatch(lock, /delta_lib-1\.1/);
    assert.match(lock, new RegExp(`url = "${server.index.replace(/\/$/, "")}`));
  });

  test("poetry install --no-root installs the locked packages from the proxy", async () => {
    const run = await runClient(POETRY, ["install", "--no-root"], { env, cwd: project, timeoutMs: 90_000 });
    assert.equal(run.code, 0, run.output);
    const site = sitePackages(join(project, ".venv"));
    assert.ok(existsSync(join(site, "delta_lib-1.0.dist-info")), readdirSync(site).join(", "));
    assert.ok(existsSync(join(site, "echo_app-0.3.dist-info")), readdirSync(site).join(", "));
  });
});

describe("pipenv locks and installs through the proxy", {
  skip: clientMissing(PIPENV, "Debian's pipenv") || clientMissing(SYSTEM_PYTHON, "Debian's python3"),
}, () => {
  let project: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    project = join(work, "pipenv-project");
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, "Pipfile"),
      [
        "[[source]]",
        'name = "pycustoms"',
        `url = "${server.index}"`,
        "verify_ssl = false",
        "",
        "[packages]",
        'echo-app = "*"',
        "",
        "[requires]",
        `python_version = "${systemPythonVersion()}"`,
        "",
      ].join("\n"),
    );
    env = clientEnv(join(work, "pipenv-home"), {
      PIPENV_VENV_IN_PROJECT: "1",
      PIPENV_NOSPIN: "1",
      PIPENV_YES: "1",
      PIPENV_PYTHON: SYSTEM_PYTHON,
      PIPENV_CACHE_DIR: join(work, "pipenv-cache"),
      PATH: SYSTEM_PATH,
    });
    // With PYENV_ROOT set, pipenv looks for interpreters among pyenv's versions too.
    delete env.PYENV_ROOT;
  });

  test("pipenv lock pins delta-lib 1.0 with the hash the proxy published", async () => {
    const run = await runClient(PIPENV, ["lock"], { env, cwd: project, timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.output);
    const lock = JSON.parse(readFileSync(join(project, "Pipfile.lock"), "utf8")) as {
      default: Record<string, { version: string; hashes: string[] }>;
    };
    assert.equal(lock.default["delta-lib"]?.version, "==1.0");
    assert.equal(lock.default["echo-app"]?.version, "==0.3");
    assert.equal(lock.default["delta-lib"]?.hashes.length, 1);
  });

  test("pipenv sync installs the locked packages from the proxy", async () => {
    const run = await runClient(PIPENV, ["sync"], { env, cwd: project, timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.output);
    const site = sitePackages(join(project, ".venv"));
    assert.ok(existsSync(join(site, "delta_lib-1.0.dist-info")), readdirSync(site).join(", "));
    assert.ok(existsSync(join(site, "echo_app-0.3.dist-info")), readdirSync(site).join(", "));
  });
});
