import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parsePoetryLock } from "../../src/inventory/poetry-lock.js";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";
import { assertLinesOnEntries, assertWellFormed, checkNeverThrows } from "./lock-invariants.js";

const V2 = fixture("inventory", "fixtures", "poetry-lock", "v2", "poetry.lock");
const V1 = fixture("inventory", "fixtures", "poetry-lock", "v1", "poetry.lock");
const REAL = join(sharedData, "real-manifests");

function parseFile(path: string): { text: string; result: ParseResult } {
  const text = readFileSync(path, "utf8");
  return { text, result: parsePoetryLock(text, "poetry.lock") };
}

function byName(result: ParseResult, name: string): Dependency {
  const found = result.dependencies.filter((d) => d.name === name);
  assert.equal(found.length, 1, `exactly one ${name}`);
  return found[0]!;
}

test("a Poetry 2.x lock gives one locked record per [[package]] with its header line, hashes and groups", () => {
  const { text, result } = parseFile(V2);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(
    result.dependencies.map((d) => d.name),
    [
      "certifi",
      "colorama",
      "internal-tools",
      "local-helpers",
      "pendulum",
      "pytest",
      "tree-sitter",
      "vendored-wheel",
      "zipfile36",
    ],
  );
  assertLinesOnEntries(result, text, "[[package]]");
  const certifi = byName(result, "certifi");
  assert.equal(certifi.version, "2025.1.31");
  assert.equal(certifi.pinned, true);
  assert.equal(certifi.format, "poetry-lock");
  assert.equal(certifi.line, 3);
  assert.deepEqual(certifi.hashes, [
    "sha256:ca78db4565a652026a4db2bcdf68f2fb589ea80d0be70e03929ed730746b84fe",
    "sha256:3d5da6925056f6f18f119200434a4780a94263f10d1c21d032a6f6b2baa20651",
  ]);
  assert.deepEqual(certifi.groups, ["main"]);
  assert.equal(certifi.direct, null);
  assert.equal(certifi.source, null);
  assert.deepEqual(byName(result, "pytest").groups, ["dev"]);
});

test("per-group markers become one disjunction; a plain markers string is kept as written", () => {
  const { result } = parseFile(V2);
  const colorama = byName(result, "colorama");
  assert.deepEqual(colorama.groups, ["main", "dev"]);
  assert.equal(colorama.markers, '(platform_system == "Windows") or (sys_platform == "win32")');
  assert.equal(byName(result, "tree-sitter").markers, 'python_version >= "3.10" and extra == "syntax"');
  assert.equal(byName(result, "certifi").markers, null);
});

test("an optional package named by a top-level [extras] entry is in optional:<extra> rather than main", () => {
  const { result } = parseFile(V2);
  const ts = byName(result, "tree-sitter");
  assert.deepEqual(ts.groups, ["optional:syntax"]);
  // Upper-case hex in the lock is normalised.
  assert.deepEqual(ts.hashes, ["sha256:abd95af65ca2f4f7eacca9b1cd9cc3e3b8c5d1a4e1f9b6e2d4c3a2b1c0d9e8f7"]);
});

test("[package.source] git, legacy, url, file and directory become vcs, index, url and path sources", () => {
  const { result } = parseFile(V2);
  assert.deepEqual(byName(result, "pendulum").source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/sdispater/pendulum.git",
    ref: "4a7d2b6e8b6b2e0d1c3c2f4a1e5d6b7c8a9f0e1d",
  });
  assert.deepEqual(byName(result, "internal-tools").source, {
    kind: "index",
    url: "https://pypi.example.com/simple",
  });
  assert.deepEqual(byName(result, "zipfile36").source, {
    kind: "url",
    url: "https://example.org/archives/zipfile36-0.1.3.tar.gz",
  });
  assert.deepEqual(byName(result, "vendored-wheel").source, {
    kind: "path",
    path: "vendor/vendored_wheel-2.0.0-py3-none-any.whl",
  });
  const local = byName(result, "local-helpers");
  assert.deepEqual(local.source, { kind: "path", path: "../local-helpers" });
  assert.equal(local.editable, true, "develop = true is an editable install");
  assert.equal(byName(result, "pendulum").editable, undefined);
  assert.equal(byName(result, "internal-tools").line, 28);
});

test("a Poetry 1.x lock takes groups from category and hashes from [metadata.files] by normalised name", () => {
  const { text, result } = parseFile(V1);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, "[[package]]");
  assert.deepEqual(
    result.dependencies.map((d) => [d.rawName, d.version, d.groups, d.hashes.length]),
    [
      ["attrs", "22.2.0", ["dev"], 2],
      ["idna", "3.4", ["main"], 2],
      ["PyYAML", "6.0", ["optional:yaml"], 1],
      ["requests", "2.28.2", ["main"], 2],
    ],
  );
  assert.deepEqual(byName(result, "pyyaml").hashes, [
    "sha256:68fb519c14306fec9720a2a5b45bc9f0c8d1b9c72adf45c37baedfcd949c35a2",
  ]);
});

test("a TOML syntax error is one error with its line and column, and no records", () => {
  const text = '[[package]]\nname = "a"\nversion = "1.0\n';
  const result = parsePoetryLock(text, "poetry.lock");
  assert.deepEqual(result.dependencies, []);
  assert.equal(result.errors.length, 1);
  const [e] = result.errors;
  assert.equal(e?.file, "poetry.lock");
  assert.equal(e?.line, 3);
  assert.equal(typeof e?.column, "number");
  assert.match(e?.message ?? "", /^invalid TOML: /);
  assert.doesNotMatch(e?.message ?? "", /\n/);
});

test("an entry without a name or with a non-string version is an error at its header; the rest is read", () => {
  const text = [
    "[[package]]",
    'version = "1.0"',
    "",
    "[[package]]",
    'name = "b"',
    "version = 2",
    "",
    "[[package]]",
    'name = "c"',
    'version = "3.0"',
    "",
    "[[package]]",
    'name = "d"',
  ].join("\n");
  const result = parsePoetryLock(text, "poetry.lock");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.line]),
    [["c", "3.0", 8]],
  );
  assert.deepEqual(result.errors, [
    { file: "poetry.lock", line: 1, message: '[[package]] entry #1 has no "name" string' },
    { file: "poetry.lock", line: 4, message: 'package "b": "version" must be a non-empty string' },
    { file: "poetry.lock", line: 12, message: 'package "d" has no "version"' },
  ]);
});

test('a "package" key that is not an array of tables is reported at its line', () => {
  const result = parsePoetryLock('# comment\npackage = "x"\n', "poetry.lock");
  assert.deepEqual(result.dependencies, []);
  assert.deepEqual(result.errors, [
    { file: "poetry.lock", line: 2, message: '"package" must be an array of tables ([[package]])' },
  ]);
});

test("an empty lock has no records and no errors", () => {
  assert.deepEqual(parsePoetryLock("", "poetry.lock"), { dependencies: [], errors: [] });
});

for (const [dir, count] of [
  ["Chia-Network__chia-blockchain__poetry.lock", 161],
  ["Textualize__textual__poetry.lock", 111],
  ["python-poetry__poetry__poetry.lock", 78],
] as const) {
  test(`real ${dir}: ${count} packages, no errors, every line on its [[package]] header`, () => {
    const { text, result } = parseFile(join(REAL, dir, "poetry.lock"));
    assert.deepEqual(result.errors, []);
    assert.equal(result.dependencies.length, count);
    assertLinesOnEntries(result, text, "[[package]]");
    assertWellFormed(result, text, "poetry.lock");
    assert.ok(result.dependencies.every((d) => d.pinned && d.version !== null));
  });
}

test("real chia lock: aiohttp, the chia-index miniupnpc and the legacy-keyring extra are read as written", () => {
  const { result } = parseFile(join(REAL, "Chia-Network__chia-blockchain__poetry.lock", "poetry.lock"));
  const aiohttp = byName(result, "aiohttp");
  assert.deepEqual([aiohttp.version, aiohttp.hashes.length, aiohttp.line], ["3.14.3", 119, 27]);
  const miniupnpc = byName(result, "miniupnpc");
  assert.deepEqual([miniupnpc.version, miniupnpc.hashes.length, miniupnpc.line], ["2.3.3", 36, 2898]);
  assert.deepEqual(miniupnpc.source, { kind: "index", url: "https://pypi.chia.net/simple" });
  assert.deepEqual(miniupnpc.groups, ["optional:upnp"]);
  assert.deepEqual(byName(result, "keyrings-cryptfile").groups, ["optional:legacy-keyring"]);
});

test("real poetry lock: poetry-core from git at its resolved commit, colorama's per-group markers", () => {
  const { result } = parseFile(join(REAL, "python-poetry__poetry__poetry.lock", "poetry.lock"));
  const core = byName(result, "poetry-core");
  assert.deepEqual([core.version, core.hashes.length, core.line], ["2.4.1", 0, 1402]);
  assert.deepEqual(core.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/python-poetry/poetry-core.git",
    ref: "e3998b0e111dc03e4aa721fd054c48e5c7de6fc5",
  });
  const colorama = byName(result, "colorama");
  assert.deepEqual(colorama.groups, ["main", "github-actions", "test"]);
  assert.equal(colorama.markers, '(os_name == "nt") or (sys_platform == "win32")');
  const tarfile = byName(result, "backports-tarfile");
  assert.deepEqual(
    [tarfile.version, tarfile.line, tarfile.markers],
    ["1.2.0", 23, 'python_version < "3.12"'],
  );
});

test("real textual lock: rich is in main and dev, tree-sitter only in the syntax extra", () => {
  const { result } = parseFile(join(REAL, "Textualize__textual__poetry.lock", "poetry.lock"));
  assert.deepEqual(byName(result, "rich").groups, ["main", "dev"]);
  const ts = byName(result, "tree-sitter");
  assert.deepEqual(
    [ts.version, ts.hashes.length, ts.line, ts.groups],
    ["0.25.2", 36, 2492, ["optional:syntax"]],
  );
});

test("a 5,000-package lock yields all 5,000 records (speed is measured by npm run bench)", () => {
  const parts: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const hex = i.toString(16).padStart(64, "0");
    parts.push(
      `[[package]]\nname = "pkg-${i}"\nversion = "1.${i}.0"\ndescription = "Package ${i}"\noptional = false\n` +
        `python-versions = ">=3.9"\ngroups = ["main"]\nfiles = [\n` +
        `    {file = "pkg_${i}-1.${i}.0-py3-none-any.whl", hash = "sha256:${hex}"},\n` +
        `    {file = "pkg_${i}-1.${i}.0.tar.gz", hash = "sha256:${hex}"},\n]\n\n` +
        `[package.dependencies]\npkg-${i + 1} = ">=1.0"\n`,
    );
  }
  const text = parts.join("\n");
  const result = parsePoetryLock(text, "poetry.lock");
  assert.equal(result.dependencies.length, 5000);
  assert.equal(result.dependencies[4999]?.line, text.split("\n").lastIndexOf("[[package]]") + 1);
});

test("random line and character mutations of a valid lock never throw and only give located errors", () => {
  checkNeverThrows(parsePoetryLock, readFileSync(V2, "utf8"), "poetry.lock");
  checkNeverThrows(parsePoetryLock, readFileSync(V1, "utf8"), "poetry.lock", 150);
});
