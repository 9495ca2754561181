import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { scanEnvironment, scanEnvironmentDetailed } from "../../src/inventory/environment.js";
import type { Dependency } from "../../src/inventory/types.js";
import { fixture } from "../paths.js";

const SITE = fixture("inventory", "fixtures", "environment", "site-packages");
const PIP_ENV = {
  ...process.env,
  PIP_CONFIG_FILE: "/dev/null",
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  PIP_INDEX_URL: undefined,
  PIP_EXTRA_INDEX_URL: undefined,
  PIP_FIND_LINKS: undefined,
};

let tmp: string;
/** A real `python3 -m venv --without-pip` with the fixture's records copied into its site-packages. */
let bareVenv: string;
let bareSite: string;
/** A real `python3 -m venv` (ensurepip installs pip offline). */
let pipVenv: string;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "pycustoms-env-"));
  bareVenv = join(tmp, "bare");
  pipVenv = join(tmp, "withpip");
  execFileSync("python3", ["-m", "venv", "--without-pip", bareVenv], { stdio: "pipe" });
  execFileSync("python3", ["-m", "venv", pipVenv], { stdio: "pipe", env: PIP_ENV });
  const pythonDir = readdirSync(join(bareVenv, "lib")).find((d) => d.startsWith("python3"));
  assert.ok(pythonDir, "the venv has lib/python3.*");
  bareSite = join(bareVenv, "lib", pythonDir, "site-packages");
  cpSync(SITE, bareSite, { recursive: true });
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function byName(deps: Dependency[], name: string): Dependency {
  const found = deps.filter((d) => d.name === name);
  assert.equal(found.length, 1, `exactly one ${name} in ${deps.map((d) => d.name).join(", ")}`);
  return found[0]!;
}

test("a virtualenv's dist-info records become pinned environment dependencies, each once", () => {
  const { dependencies } = scanEnvironment(bareVenv, "venv");
  assert.deepEqual(dependencies.map((d) => `${d.name}==${d.version}`).sort(), [
    "badurl==1.0",
    "legacy-thing==1.2",
    "localpkg==0.1.0",
    "my-app==0.3.0",
    "noname==4.5",
    "oldsingle==0.9",
    "packaging==23.2",
    "requests==2.31.0",
    "six==1.16.0",
    "urllib3==2.0.7",
  ]);
  const requests = byName(dependencies, "requests");
  const siteRel = bareSite.slice(bareVenv.length + 1);
  assert.deepEqual(requests, {
    name: "requests",
    rawName: "requests",
    version: "2.31.0",
    specifier: "",
    pinned: true,
    hashes: [],
    extras: [],
    markers: null,
    groups: ["main"],
    direct: true,
    source: null,
    format: "environment",
    file: join("venv", siteRel, "requests-2.31.0.dist-info"),
    line: null,
  });
});

test("REQUESTED makes a distribution direct and INSTALLER is returned by the detailed scan", () => {
  const { distributions } = scanEnvironmentDetailed(bareVenv);
  const get = (name: string) => distributions.find((d) => d.dependency.name === name)!;
  assert.deepEqual(
    { installer: get("requests").installer, requested: get("requests").requested },
    { installer: "pip", requested: true },
  );
  assert.deepEqual(
    { installer: get("urllib3").installer, requested: get("urllib3").requested },
    { installer: "uv", requested: false },
  );
  assert.equal(get("urllib3").dependency.direct, false);
  assert.equal(get("six").installer, null);
  // egg-info has no REQUESTED: unknown, not "transitive".
  assert.equal(get("legacy-thing").dependency.direct, null);
});

test("the name comes from METADATA, not from the folder name", () => {
  const { dependencies } = scanEnvironment(SITE);
  const app = byName(dependencies, "my-app");
  assert.equal(app.rawName, "My.App");
  const legacy = byName(dependencies, "legacy-thing");
  assert.equal(legacy.rawName, "Legacy-Thing");
  assert.equal(legacy.file, join(SITE, "Legacy_Thing-1.2-py3.11.egg-info"));
  assert.equal(byName(dependencies, "oldsingle").file, join(SITE, "oldsingle-0.9-py3.11.egg-info"));
});

test("direct_url.json: a VCS install records the commit actually installed", () => {
  const packaging = byName(scanEnvironment(SITE).dependencies, "packaging");
  assert.deepEqual(packaging.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/pypa/packaging.git",
    ref: "b3a5d7d68991c040615d5345bb55f61de53ba176",
  });
});

test("direct_url.json: an archive keeps its URL and hashes (deduplicated), a file:// archive is a path", () => {
  const deps = scanEnvironment(SITE).dependencies;
  const six = byName(deps, "six");
  assert.equal(six.source?.kind, "url");
  assert.match((six.source as { url: string }).url, /six-1\.16\.0-py2\.py3-none-any\.whl$/);
  assert.deepEqual(six.hashes, ["sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"]);
  assert.deepEqual(byName(deps, "localpkg").source, {
    kind: "path",
    path: "/srv/wheels/localpkg-0.1.0-py3-none-any.whl",
  });
});

test("direct_url.json: dir_info editable marks an editable install from a local path", () => {
  const app = byName(scanEnvironment(SITE).dependencies, "my-app");
  assert.equal(app.editable, true);
  assert.deepEqual(app.source, { kind: "path", path: "/home/dev/my app" });
  assert.equal(byName(scanEnvironment(SITE).dependencies, "requests").editable, undefined);
});

test("bad records are reported, not thrown: missing METADATA, no Name, invalid name, broken direct_url.json", () => {
  const { dependencies, errors } = scanEnvironment(SITE, "site");
  const messages = errors.map((e) => `${e.file}: ${e.message}`);
  assert.equal(errors.length, 4, messages.join("\n"));
  assert.ok(
    messages.some((m) =>
      m.startsWith(`${join("site", "broken-1.0.dist-info", "METADATA")}: distribution skipped: cannot read`),
    ),
  );
  assert.ok(
    messages.some((m) =>
      m.startsWith(
        `${join("site", "noname-4.5.dist-info", "METADATA")}: no Name in the metadata; using "noname"`,
      ),
    ),
  );
  assert.ok(
    messages.some((m) =>
      /evil-1\.0\.dist-info.*skipped: "\.\.\/\.\.\/etc" is not a valid project name/.test(m),
    ),
  );
  assert.ok(
    messages.some((m) => /badurl-1\.0\.dist-info\/direct_url\.json: ignored: not valid JSON/.test(m)),
  );
  // The record with a broken direct_url.json is still inventoried, only without a source.
  assert.equal(byName(dependencies, "badurl").source, null);
  assert.equal(
    dependencies.some((d) => d.name === "broken" || d.name === "evil"),
    false,
  );
});

test("a genuine venv with pip lists pip at the version pip itself reports", () => {
  const out = execFileSync(join(pipVenv, "bin", "python"), ["-m", "pip", "--version"], {
    env: PIP_ENV,
    encoding: "utf8",
  });
  const version = /^pip (\S+) from/.exec(out)?.[1];
  assert.ok(version, `pip --version said ${out}`);
  const { distributions, errors } = scanEnvironmentDetailed(pipVenv);
  assert.deepEqual(errors, []);
  const pip = distributions.filter((d) => d.dependency.name === "pip");
  assert.equal(pip.length, 1, "pip is found once although lib64 -> lib");
  assert.equal(pip[0]!.dependency.version, version);
  assert.equal(pip[0]!.installer, "pip");
});

test("a symlinked site-packages loop terminates with an error", () => {
  const venv = join(tmp, "loop");
  mkdirSync(join(venv, "lib", "python3.11"), { recursive: true });
  writeFileSync(join(venv, "pyvenv.cfg"), "home = /usr/bin\n");
  symlinkSync("site-packages", join(venv, "lib", "python3.11", "site-packages"));
  const { dependencies, errors } = scanEnvironment(venv, "loop");
  assert.deepEqual(dependencies, []);
  assert.ok(
    errors.some((e) => /symlink loop/.test(e.message)),
    JSON.stringify(errors),
  );
});

test("symlinks inside site-packages (a looping dist-info, a link back up) neither hang nor crash", () => {
  const site = join(tmp, "links", "site-packages");
  mkdirSync(site, { recursive: true });
  cpSync(join(SITE, "requests-2.31.0.dist-info"), join(site, "requests-2.31.0.dist-info"), {
    recursive: true,
  });
  symlinkSync("self-1.0.dist-info", join(site, "self-1.0.dist-info"));
  symlinkSync("..", join(site, "up"));
  symlinkSync(".", join(site, "here.dist-info"));
  const { dependencies, errors } = scanEnvironment(site, "sp");
  assert.deepEqual(
    dependencies.map((d) => d.name),
    ["requests"],
  );
  const files = errors.map((e) => e.file).sort();
  assert.deepEqual(files, [join("sp", "here.dist-info", "METADATA"), join("sp", "self-1.0.dist-info")]);
});

test("two records of one project in one site-packages are reported", () => {
  const site = join(tmp, "dupes", "site-packages");
  mkdirSync(join(site, "six-1.15.0.dist-info"), { recursive: true });
  mkdirSync(join(site, "six-1.16.0.dist-info"), { recursive: true });
  writeFileSync(join(site, "six-1.15.0.dist-info", "METADATA"), "Name: six\nVersion: 1.15.0\n");
  writeFileSync(join(site, "six-1.16.0.dist-info", "METADATA"), "Name: six\nVersion: 1.16.0\n");
  const { dependencies, errors } = scanEnvironment(site);
  assert.equal(dependencies.length, 2);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /six is installed 2 times in one site-packages: 1\.15\.0 .*, 1\.16\.0/);
});

test("a folder that is neither a venv nor site-packages, and a missing path, are errors", () => {
  const plain = join(tmp, "plain");
  mkdirSync(plain, { recursive: true });
  writeFileSync(join(plain, "README"), "hi");
  const notEnv = scanEnvironment(plain, "plain");
  assert.deepEqual(notEnv.dependencies, []);
  assert.equal(notEnv.errors.length, 1);
  assert.match(notEnv.errors[0]!.message, /not a virtual environment/);
  const missing = scanEnvironment(join(tmp, "nope"), "nope");
  assert.deepEqual(missing.errors, [{ file: "nope", message: "no such file or directory" }]);
});

test("a Windows-layout environment (Lib/site-packages) is scanned", () => {
  const venv = join(tmp, "win");
  mkdirSync(join(venv, "Lib", "site-packages", "six-1.16.0.dist-info"), { recursive: true });
  writeFileSync(join(venv, "pyvenv.cfg"), "home = C:\\Python312\n");
  writeFileSync(
    join(venv, "Lib", "site-packages", "six-1.16.0.dist-info", "METADATA"),
    "Name: six\nVersion: 1.16.0\n",
  );
  const { dependencies, errors } = scanEnvironment(venv, "win");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.file]),
    [["six", join("win", "Lib", "site-packages", "six-1.16.0.dist-info")]],
  );
});

test("a Version that is not PEP 440 is kept but said: no advisory can be matched against it", () => {
  const site = mkdtempSync(join(tmpdir(), "pycustoms-env-version-"));
  try {
    mkdirSync(join(site, "weird-1.0.dist-info"));
    writeFileSync(
      join(site, "weird-1.0.dist-info", "METADATA"),
      "Metadata-Version: 2.1\nName: weird\nVersion: not a version!\n",
    );
    const { dependencies, errors } = scanEnvironment(site, "site");
    assert.equal(byName(dependencies, "weird").version, "not a version!");
    assert.deepEqual(
      errors.map((e) => e.message),
      [`weird's Version "not a version!" is not a PEP 440 version: advisories cannot be matched against it`],
    );
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});
