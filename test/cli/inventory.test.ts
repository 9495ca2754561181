import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cliPath, fixture, repoRoot, sharedData } from "../paths.js";
import { assertNoStackTrace, runCli } from "./run-cli.js";

const example = join(repoRoot, "examples", "shop");
const tmp = mkdtempSync(join(tmpdir(), "pycustoms-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface InventoryJson {
  schema: string;
  files: { path: string; format: string; dependencies: number }[];
  dependencies: Record<string, unknown>[];
  errors: { file: string; line: number | null; column?: number; message: string }[];
}

test("every command and subcommand answers --help with exit 0", () => {
  for (const args of [
    [],
    ["inventory"],
    ["check-pins"],
    ["audit"],
    ["db"],
    ["db", "update"],
    ["db", "status"],
    ["init"],
  ]) {
    const r = runCli([...args, "--help"]);
    assert.equal(r.code, 0, `${args.join(" ")} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: pycustoms/);
  }
  const v = runCli(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test("top-level help lists every command, though a run loads only the module of the command it names", () => {
  const r = runCli(["--help"]);
  assert.equal(r.code, 0);
  const listed = [...r.stdout.matchAll(/^ {2}([a-z-]+)(?: \[options\]| <| \[|\s{2,})/gm)].map((m) => m[1]);
  for (const command of [
    ...["inventory", "check-pins", "db", "audit", "init", "serve", "inspect", "token", "project"],
    ...["requests", "approve", "deny", "blocked", "exception", "audit-log", "cache"],
  ]) {
    assert.ok(listed.includes(command), `${command} in: ${listed.join(", ")}`);
    assert.equal(runCli([command, "--help"]).code, 0, `${command} --help`);
  }
  const typo = runCli(["audti"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Did you mean audit\?/);
});

test("no command, or a command group without its subcommand, shows help as a usage error (exit 2)", () => {
  for (const args of [[], ["db"], ["token"], ["exception"]]) {
    const r = runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /Usage: pycustoms/);
  }
  // Help asked for is a success, whichever way it is asked.
  for (const args of [["help"], ["help", "db"], ["db", "--help"]])
    assert.equal(runCli(args).code, 0, args.join(" "));
});

test("a reader that closes the pipe early ends the run quietly, without an EPIPE stack trace", () => {
  // Far more output than a pipe holds (the real manifests' inventory is megabytes of JSON); head takes 100 bytes.
  const manifests = join(sharedData, "real-manifests");
  const command = `"${process.execPath}" "${cliPath}" inventory --format json "${manifests}"; echo "exit $?" >&2`;
  const r = spawnSync("sh", ["-c", `(${command}) | head -c 100`], { encoding: "utf8" });
  assert.equal(r.stdout.length, 100);
  assert.match(
    r.stdout,
    /^\{"schema":"pycustoms.inventory\/1"/,
    "compact JSON when stdout is not a terminal",
  );
  assert.equal(r.stderr, "exit 0\n", "no stack trace, and the exit code of a run that was not wrong");
});

test("JSON on a terminal is indented for reading (run under a pseudo-terminal with script(1))", () => {
  const command = `"${process.execPath}" "${cliPath}" inventory --format json "${example}"`;
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\{\r?\n {2}"schema": "pycustoms.inventory\/1"/);
});

test("an unknown option or command is a usage error: exit 2, a message, no stack trace", () => {
  const r = runCli(["inventory", "--frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--frobnicate'/);
  assertNoStackTrace(r);
  const c = runCli(["no-such-command"]);
  assert.equal(c.code, 2);
  const f = runCli(["inventory", "--format", "xml", example]);
  assert.equal(f.code, 2);
  assert.match(f.stderr, /Allowed choices are table, json, cyclonedx/);
});

test("inventory of the example as JSON follows includes and lists every declaration with file and line", () => {
  const r = runCli(["inventory", "--format", "json", example]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as InventoryJson;
  assert.equal(doc.schema, "pycustoms.inventory/1");
  assert.deepEqual(doc.errors, []);
  const byKey = new Map(doc.dependencies.map((d) => [`${d.name}@${d.file}`, d]));
  const django = byKey.get(`django@${join(example, "requirements.txt")}`);
  assert.ok(django, "django from requirements.txt");
  assert.equal(django.version, "3.2.0");
  assert.equal(django.pinned, true);
  assert.equal(django.line, 3);
  assert.equal(django.direct, true);
  const jinja = byKey.get(`jinja2@${join(example, "requirements", "base.txt")}`);
  assert.ok(jinja);
  assert.deepEqual(jinja.hashes, ["sha256:74c935a1b8bb9a3947c50a54766a969d4846290e1e788ea44c1392163723c3bd"]);
  const celery = byKey.get(`celery@${join(example, "requirements", "base.txt")}`);
  assert.deepEqual(celery?.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/celery/celery.git",
    ref: "main",
  });
  const coverage = byKey.get(`coverage@${join(example, "pyproject.toml")}`);
  assert.deepEqual(coverage?.extras, ["toml"]);
  assert.deepEqual(coverage?.groups, ["test", "dev"]);
  // base.txt is reached twice (walked, and through -r): its three records appear once.
  assert.equal(doc.dependencies.filter((d) => d.name === "jinja2").length, 1);
  assert.equal(doc.dependencies.length, 14);
});

test("the table groups by file and ends with a summary line; NO_COLOR output has no escapes", () => {
  const r = runCli(["inventory", example]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /requirements\.txt {2}\(requirements, 4 dependencies\)/);
  assert.match(r.stdout, /3 files, 14 dependencies, 8 pinned, 1 hashed\n$/);
  assert.doesNotMatch(r.stdout, /\u001b\[/);
});

test("CycloneDX output is a 1.6 BOM with purls and hashes", () => {
  const r = runCli(["inventory", "--format", "cyclonedx", example]);
  assert.equal(r.code, 0, r.stderr);
  const bom = JSON.parse(r.stdout) as {
    specVersion: string;
    components: { purl: string; hashes?: { alg: string; content: string }[] }[];
  };
  assert.equal(bom.specVersion, "1.6");
  const jinja = bom.components.find((c) => c.purl === "pkg:pypi/jinja2@2.10");
  assert.deepEqual(jinja?.hashes, [
    { alg: "SHA-256", content: "74c935a1b8bb9a3947c50a54766a969d4846290e1e788ea44c1392163723c3bd" },
  ]);
});

test("every real lock file and manifest in shared data is inventoried without errors", () => {
  const r = runCli(["inventory", "--format", "json", join(sharedData, "real-manifests")]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as InventoryJson;
  assert.deepEqual(doc.errors, []);
  const count = (suffix: string) => doc.files.find((f) => f.path.endsWith(suffix))?.dependencies;
  assert.equal(count("python-poetry__poetry__poetry.lock/poetry.lock"), 78);
  assert.equal(count("pdm-project__pdm__pdm.lock/pdm.lock"), 100);
  assert.equal(count("pypa__pipenv__Pipfile.lock/Pipfile.lock"), 110);
  assert.equal(count("pypa__pipenv__pylock.toml/pylock.toml"), 103);
  assert.equal(count("Chia-Network__chia-blockchain__poetry.lock/poetry.lock"), 161);
  // uv workspace members are the project itself, not dependencies: 347 packages less 6 members.
  assert.equal(count("pydantic__pydantic-ai__uv.lock/uv.lock"), 341);
});

test("a malformed file is an error with file, line and column, and the other files are still read", () => {
  const dir = join(tmp, "mixed");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "requirements.txt"), "requests==2.32.3\n");
  writeFileSync(join(dir, "poetry.lock"), '[[package]]\nname = "x"\nversion = "1.0\n');
  const r = runCli(["inventory", "--format", "json", dir]);
  assert.equal(r.code, 0, "errors beside results are not a failure");
  assertNoStackTrace(r);
  const doc = JSON.parse(r.stdout) as InventoryJson;
  assert.equal(doc.dependencies.length, 1);
  assert.equal(doc.errors.length, 1);
  assert.equal(doc.errors[0]!.file, join(dir, "poetry.lock"));
  assert.equal(doc.errors[0]!.line, 3);
  assert.equal(typeof doc.errors[0]!.column, "number");
});

test("when nothing at all can be read the exit code is 2", () => {
  const bad = join(tmp, "binary-requirements.txt");
  writeFileSync(bad, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0, 0, 0]));
  const r = runCli(["inventory", bad]);
  assert.equal(r.code, 2);
  assert.match(r.stdout + r.stderr, /binary file/);
  assertNoStackTrace(r);
  const missing = runCli(["inventory", join(tmp, "nope")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stdout + missing.stderr, /no such file or directory/);
});

test("--env reads an installed environment beside the manifests", () => {
  const site = fixture("inventory", "fixtures", "environment", "site-packages");
  const r = runCli(["inventory", "--format", "json", "--env", site]);
  assert.ok(r.code === 0 || r.code === 2, r.stderr);
  const doc = JSON.parse(r.stdout) as InventoryJson;
  assert.ok(doc.dependencies.some((d) => d.format === "environment"));
});

test("check-pins exits 1 on the example's findings and 0 on a fully pinned, hashed file", () => {
  const r = runCli(["check-pins", "--format", "json", example]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout) as { schema: string; findings: { kind: string; package: string }[] };
  assert.equal(doc.schema, "pycustoms.check-pins/1");
  const kinds = new Set(doc.findings.map((f) => `${f.kind}:${f.package}`));
  for (const k of ["mutable-reference:celery", "mixed-hashes:", "unpinned:markupsafe", "unhashed:django"]) {
    assert.ok(kinds.has(k), `expected ${k}`);
  }
  const clean = join(tmp, "clean");
  mkdirSync(clean, { recursive: true });
  writeFileSync(join(clean, "requirements.txt"), `requests==2.32.3 --hash=sha256:${"ab".repeat(32)}\n`);
  const ok = runCli(["check-pins", clean]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /all 1 dependencies pinned and hash-checked/);
});

test("--env takes one folder and may repeat: the paths after it are still inventoried", () => {
  const site = fixture("inventory", "fixtures", "environment", "site-packages");
  const dir = join(tmp, "env-then-path");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "requirements.txt"), "requests==2.31.0\n");
  const r = runCli(["inventory", "--format", "json", "--env", site, "--env", site, dir]);
  const doc = JSON.parse(r.stdout) as InventoryJson;
  assert.deepEqual(
    doc.files.map((f) => f.format),
    ["requirements", "environment", "environment"],
  );
});

test("-o writes through a symlink and into a device, and refuses a folder without leaving a temporary file", () => {
  const dir = join(tmp, "outputs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "requirements.txt"), "requests==2.31.0\n");
  const report = join(dir, "report.json");
  writeFileSync(report, "old");
  const link = join(dir, "latest.json");
  symlinkSync(report, link);
  assert.equal(runCli(["inventory", "--format", "json", "-o", link, dir]).code, 0);
  assert.ok(lstatSync(link).isSymbolicLink(), "the link is still a link");
  assert.equal((JSON.parse(readFileSync(report, "utf8")) as InventoryJson).schema, "pycustoms.inventory/1");

  assert.equal(runCli(["inventory", "-o", "/dev/null", dir]).code, 0);
  assert.ok(statSync("/dev/null").isCharacterDevice(), "/dev/null is still a device");

  mkdirSync(join(dir, "sub"), { recursive: true });
  const refused = runCli(["inventory", "-o", join(dir, "sub"), dir]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /cannot write .*sub: it is a directory/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes(".tmp-")),
    [],
    "no temporary file left",
  );
});

test("a FIFO where a manifest is expected is reported, not waited on", {
  skip: process.platform === "win32",
}, () => {
  const dir = join(tmp, "fifo");
  mkdirSync(dir, { recursive: true });
  const fifo = join(dir, "requirements.txt");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  writeFileSync(join(dir, "requirements.in"), `-r ${fifo}\nrequests==2.31.0\n`);
  const direct = runCli(["inventory", fifo]);
  assert.equal(direct.code, 2);
  assert.match(direct.stdout, /not a regular file/);
  const included = runCli(["inventory", "--format", "json", join(dir, "requirements.in")]);
  assert.equal(included.code, 0);
  const doc = JSON.parse(included.stdout) as InventoryJson;
  assert.equal(doc.dependencies.length, 1);
  assert.match(doc.errors[0]?.message ?? "", /not a regular file/);
});

test("check-pins on a folder without manifests is a usage error, as inventory and audit are", () => {
  const empty = join(tmp, "nothing-here");
  mkdirSync(empty, { recursive: true });
  const r = runCli(["check-pins", empty]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no manifests, lock files or SBOMs found/);
});
