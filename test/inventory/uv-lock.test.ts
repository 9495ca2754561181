import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { parseUvLock } from "../../src/inventory/uv-lock.js";
import { fixture, sharedData } from "../paths.js";
import { assertLinesOnEntries, assertWellFormed, checkNeverThrows } from "./lock-invariants.js";

const PROJECT = fixture("inventory", "fixtures", "uv-lock", "project", "uv.lock");
const WORKSPACE = fixture("inventory", "fixtures", "uv-lock", "workspace", "uv.lock");
const REAL = join(sharedData, "real-manifests");

function parseFile(path: string): { text: string; result: ParseResult } {
  const text = readFileSync(path, "utf8");
  return { text, result: parseUvLock(text, "uv.lock") };
}

function byName(result: ParseResult, name: string, version?: string): Dependency {
  const found = result.dependencies.filter(
    (d) => d.name === name && (version === undefined || d.version === version),
  );
  assert.equal(found.length, 1, `exactly one ${name} ${version ?? ""}`);
  return found[0]!;
}

test("the project's own (virtual root) package is left out; every other [[package]] is a locked record", () => {
  const { text, result } = parseFile(PROJECT);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, "[[package]]");
  assert.deepEqual(
    result.dependencies.map((d) => d.name),
    [
      "certifi",
      "charset-normalizer",
      "iniconfig",
      "internal-sdk",
      "orphan",
      "pysocks",
      "pytest",
      "pyyaml",
      "requests",
      "tomli-fork",
      "vendored",
      "zipp",
    ],
  );
  const certifi = byName(result, "certifi");
  assert.equal(certifi.format, "uv-lock");
  assert.equal(certifi.version, "2025.1.31");
  assert.equal(certifi.pinned, true);
  assert.equal(certifi.line, 5);
  assert.deepEqual(certifi.hashes, [
    "sha256:3d5da6925056f6f18f119200434a4780a94263f10d1c21d032a6f6b2baa20651",
    "sha256:ca78db4565a652026a4db2bcdf68f2fb589ea80d0be70e03929ed730746b84fe",
  ]);
  assert.deepEqual(certifi.source, { kind: "index", url: "https://pypi.org/simple" });
  assert.equal(certifi.markers, null);
});

test("direct is true for what the root names in dependencies, optional- and dev-dependencies, else false", () => {
  const { result } = parseFile(PROJECT);
  const direct = result.dependencies.filter((d) => d.direct === true).map((d) => d.name);
  const transitive = result.dependencies.filter((d) => d.direct === false).map((d) => d.name);
  assert.deepEqual(direct, [
    "internal-sdk",
    "pytest",
    "pyyaml",
    "requests",
    "tomli-fork",
    "vendored",
    "zipp",
  ]);
  assert.deepEqual(transitive, ["certifi", "charset-normalizer", "iniconfig", "orphan", "pysocks"]);
});

test("groups follow the graph: main, optional:<extra> (also through an edge's extras), dev groups", () => {
  const { result } = parseFile(PROJECT);
  const groups = Object.fromEntries(result.dependencies.map((d) => [d.name, d.groups]));
  assert.deepEqual(groups, {
    certifi: ["main", "optional:proxy"],
    "charset-normalizer": ["main", "optional:proxy"],
    iniconfig: ["dev"],
    "internal-sdk": ["main"],
    orphan: ["main"],
    pysocks: ["optional:proxy"],
    pytest: ["dev"],
    pyyaml: ["optional:yaml"],
    requests: ["main", "optional:proxy"],
    "tomli-fork": ["dev"],
    vendored: ["main"],
    zipp: ["main"],
  });
});

test("git, url, path and editable sources; the git ref is the locked commit after '#'", () => {
  const { result } = parseFile(PROJECT);
  assert.deepEqual(byName(result, "tomli-fork").source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/example/tomli.git",
    ref: "5f1c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c",
  });
  const zipp = byName(result, "zipp");
  assert.deepEqual(zipp.source, { kind: "url", url: "https://example.org/zipp-3.21.0.tar.gz" });
  assert.deepEqual(zipp.hashes, ["sha256:2c9958f6430a2040341a52eb608ed6dd93ef4392e02ffe219417c1b28b5dd1f4"]);
  const vendored = byName(result, "vendored");
  assert.deepEqual(vendored.source, { kind: "path", path: "vendor/vendored-1.0.0-py3-none-any.whl" });
  assert.equal(vendored.hashes.length, 1);
  const sdk = byName(result, "internal-sdk");
  assert.deepEqual(sdk.source, { kind: "path", path: "../internal-sdk" });
  assert.equal(sdk.editable, true);
  assert.deepEqual(sdk.hashes, []);
});

test("workspace members from [manifest] are left out, their dependencies are direct, a versioned edge picks its fork", () => {
  const { text, result } = parseFile(WORKSPACE);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, "[[package]]");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.direct, d.groups]),
    [
      ["anyio", "4.8.0", true, ["main"]],
      ["click", "8.1.8", true, ["main"]],
      ["idna", "3.10", false, ["main"]],
      ["numpy", "1.26.4", false, ["main"]],
      ["numpy", "2.2.0", true, ["test"]],
      ["uvloop", "0.21.0", true, ["optional:fast"]],
    ],
  );
});

test("without an identifiable root, direct is null and every package is main", () => {
  const text = [
    "version = 1",
    "",
    "[[package]]",
    'name = "a"',
    'version = "1.0"',
    'source = { registry = "https://pypi.org/simple" }',
    'dependencies = [{ name = "b" }]',
    "",
    "[[package]]",
    'name = "b"',
    'version = "2.0"',
    'source = { registry = "https://pypi.org/simple" }',
  ].join("\n");
  const result = parseUvLock(text, "uv.lock");
  assert.deepEqual(result.errors, []);
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.direct, d.groups, d.line]),
    [
      ["a", null, ["main"], 3],
      ["b", null, ["main"], 9],
    ],
  );
});

test("a nameless entry, a non-string version and an unknown source shape are errors at the entry's header", () => {
  const text = [
    "version = 1",
    "[[package]]",
    'version = "1.0"',
    "[[package]]",
    'name = "b"',
    "version = 2",
    "[[package]]",
    'name = "c"',
    'version = "3.0"',
    'source = { mystery = "x" }',
    "[[package]]",
    'name = "dyn"',
    'source = { directory = "libs/dyn" }',
  ].join("\n");
  const result = parseUvLock(text, "uv.lock");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.pinned, d.source]),
    [
      ["c", "3.0", true, null],
      ["dyn", null, false, { kind: "path", path: "libs/dyn" }],
    ],
  );
  assert.deepEqual(result.errors, [
    { file: "uv.lock", line: 2, message: '[[package]] entry #1 has no "name" string' },
    { file: "uv.lock", line: 4, message: 'package "b": "version" must be a non-empty string' },
    { file: "uv.lock", line: 7, message: 'package "c": unrecognised "source" (keys: mystery)' },
  ]);
});

test("a TOML syntax error is one error with its line and column", () => {
  const result = parseUvLock('version = 1\n\n[[package]]\nname = "a"\nversion = 1.0.0\n', "uv.lock");
  assert.deepEqual(result.dependencies, []);
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0]?.line, 5);
  assert.equal(typeof result.errors[0]?.column, "number");
});

// pydantic-ai's uv.lock has 347 [[package]]: 6 are workspace members ([manifest] members), so 341 records.
test("real pydantic-ai workspace lock: 347 [[package]] minus 6 workspace members = 341 records", () => {
  const { text, result } = parseFile(join(REAL, "pydantic__pydantic-ai__uv.lock", "uv.lock"));
  assert.deepEqual(result.errors, []);
  assert.equal(result.dependencies.length, 341);
  assertLinesOnEntries(result, text, "[[package]]");
  assertWellFormed(result, text, "uv.lock");
  for (const member of [
    "clai",
    "pydantic-ai",
    "pydantic-ai-examples",
    "pydantic-ai-slim",
    "pydantic-evals",
    "pydantic-graph",
  ]) {
    assert.ok(!result.dependencies.some((d) => d.name === member), `${member} is left out`);
  }
  const httpx = byName(result, "httpx");
  assert.deepEqual([httpx.version, httpx.hashes.length, httpx.line, httpx.direct], ["0.28.1", 2, 2591, true]);
  const snc = byName(result, "strict-no-cover");
  assert.deepEqual(
    [snc.version, snc.hashes.length, snc.line, snc.direct, snc.groups],
    ["0.1.1", 0, 7240, true, ["dev"]],
  );
  assert.deepEqual(snc.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/pydantic/strict-no-cover.git",
    ref: "7fc59da2c4dff919db2095a0f0e47101b657131d",
  });
  // The dev group pins pydocket 0.22.0 by version; 0.20.1 is only reached transitively.
  assert.deepEqual(
    [byName(result, "pydocket", "0.20.1").direct, byName(result, "pydocket", "0.22.0").direct],
    [false, true],
  );
  assert.deepEqual(byName(result, "pydocket", "0.22.0").line, 5935);
  assert.deepEqual(byName(result, "griffecli").groups, ["lint"]);
});

for (const [dir, packages, root] of [
  ["getredash__redash__uv.lock", 239, "redash"],
  ["saleor__saleor__uv.lock", 231, "saleor"],
] as const) {
  test(`real ${dir}: ${packages} [[package]] minus the virtual root = ${packages - 1} records`, () => {
    const { text, result } = parseFile(join(REAL, dir, "uv.lock"));
    assert.deepEqual(result.errors, []);
    assert.equal(result.dependencies.length, packages - 1);
    assert.ok(!result.dependencies.some((d) => d.name === root));
    assertLinesOnEntries(result, text, "[[package]]");
    assertWellFormed(result, text, "uv.lock");
    assert.ok(result.dependencies.every((d) => d.direct !== null && d.pinned));
  });
}

test("real redash and saleor spot checks: versions, hash counts, lines, direct and groups", () => {
  const redash = parseFile(join(REAL, "getredash__redash__uv.lock", "uv.lock")).result;
  const advocate = byName(redash, "advocate");
  assert.deepEqual(
    [advocate.version, advocate.hashes.length, advocate.line, advocate.direct],
    ["1.0.0", 2, 5, true],
  );
  const ldap3 = byName(redash, "ldap3");
  assert.deepEqual([ldap3.version, ldap3.line, ldap3.groups], ["2.9.1", 1267, ["ldap3"]]);
  assert.deepEqual(byName(redash, "pytest").groups, ["dev"]);
  const saleor = parseFile(join(REAL, "saleor__saleor__uv.lock", "uv.lock")).result;
  const django = byName(saleor, "django");
  assert.deepEqual(
    [django.version, django.hashes.length, django.line, django.direct],
    ["5.2.17", 2, 567, true],
  );
  const amqp = byName(saleor, "amqp");
  assert.deepEqual([amqp.version, amqp.line, amqp.direct], ["5.3.1", 18, false]);
});

test("a 5,000-package lock yields all 5,000 records (speed is measured by npm run bench)", () => {
  const parts = ["version = 1", "revision = 2", 'requires-python = ">=3.10"', ""];
  const rootDeps: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const hex = i.toString(16).padStart(64, "0");
    if (i % 10 === 0) rootDeps.push(`    { name = "pkg-${i}" },`);
    parts.push(
      `[[package]]\nname = "pkg-${i}"\nversion = "1.${i}.0"\nsource = { registry = "https://pypi.org/simple" }\n` +
        `dependencies = [\n    { name = "pkg-${(i + 1) % 5000}" },\n]\n` +
        `sdist = { url = "https://files.example/pkg_${i}-1.${i}.0.tar.gz", hash = "sha256:${hex}", size = 1000 }\n` +
        `wheels = [\n    { url = "https://files.example/pkg_${i}-1.${i}.0-py3-none-any.whl", hash = "sha256:${hex}", size = 900 },\n]\n`,
    );
  }
  parts.push(
    `[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\ndependencies = [\n${rootDeps.join("\n")}\n]\n`,
  );
  const text = parts.join("\n");
  const result = parseUvLock(text, "uv.lock");
  assert.equal(result.dependencies.length, 5000);
  assert.equal(result.dependencies.filter((d) => d.direct).length, 500);
});

test("random line and character mutations of a valid lock never throw and only give located errors", () => {
  checkNeverThrows(parseUvLock, readFileSync(PROJECT, "utf8"), "uv.lock");
  checkNeverThrows(parseUvLock, readFileSync(WORKSPACE, "utf8"), "uv.lock", 150);
});
