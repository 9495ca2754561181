import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parsePdmLock } from "../../src/inventory/pdm-lock.js";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";
import { assertLinesOnEntries, assertWellFormed, checkNeverThrows } from "./lock-invariants.js";

const V4 = fixture("inventory", "fixtures", "pdm-lock", "v4", "pdm.lock");
const V3 = fixture("inventory", "fixtures", "pdm-lock", "v3", "pdm.lock");
const REAL = join(sharedData, "real-manifests", "pdm-project__pdm__pdm.lock", "pdm.lock");

function parseFile(path: string): { text: string; result: ParseResult } {
  const text = readFileSync(path, "utf8");
  return { text, result: parsePdmLock(text, "pdm.lock") };
}

function only(result: ParseResult, pred: (d: Dependency) => boolean): Dependency {
  const found = result.dependencies.filter(pred);
  assert.equal(found.length, 1);
  return found[0]!;
}

test("a pdm.lock gives one locked record per [[package]], with PDM's default group reported as main", () => {
  const { text, result } = parseFile(V4);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, "[[package]]");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.groups, d.line]),
    [
      ["anyio", "4.8.0", ["main"], 13],
      ["exceptiongroup", "1.2.2", ["main", "dev"], 28],
      ["httpx", "0.28.1", ["main"], 39],
      ["httpx", "0.28.1", ["socks"], 49],
      ["mylib", "0.3.0", ["main"], 64],
      ["pytest", "8.3.4", ["dev"], 73],
      ["socksio", "1.0.0", ["socks"], 83],
    ],
  );
  const anyio = result.dependencies[0]!;
  assert.equal(anyio.format, "pdm-lock");
  assert.equal(anyio.pinned, true);
  assert.equal(anyio.direct, null);
  assert.deepEqual(anyio.hashes, [
    "sha256:b5011f270ab5eb0abf13385f851315585cc37ef330dd88e27ec3d34d651fd47a",
    "sha256:1d9fe889df5212298c0c0723fa20479d1b94883a2df44bd3897aa91083316f7a",
  ]);
});

test("the extras entry of a package is its own record with extras; marker becomes markers", () => {
  const { result } = parseFile(V4);
  const socks = only(result, (d) => d.name === "httpx" && d.extras.length > 0);
  assert.deepEqual(socks.extras, ["socks"]);
  assert.deepEqual(only(result, (d) => d.name === "httpx" && d.extras.length === 0).extras, []);
  assert.equal(only(result, (d) => d.name === "exceptiongroup").markers, 'python_version < "3.11"');
  assert.equal(only(result, (d) => d.name === "anyio").markers, null);
});

test("git (at its revision), editable path and url packages carry their sources", () => {
  const { result } = parseFile(V4);
  assert.deepEqual(only(result, (d) => d.name === "pytest").source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/pytest-dev/pytest.git",
    ref: "0b7ca28ac8a1d40b3e0b6a9b8e71b0b7a6c1f2e3",
  });
  const mylib = only(result, (d) => d.name === "mylib");
  assert.deepEqual(mylib.source, { kind: "path", path: "./packages/mylib" });
  assert.equal(mylib.editable, true);
  const socksio = only(result, (d) => d.name === "socksio");
  assert.deepEqual(socksio.source, {
    kind: "url",
    url: "https://example.org/wheels/socksio-1.0.0-py3-none-any.whl",
  });
  assert.deepEqual(socksio.hashes, [
    "sha256:95dc1f15f9b34e8d7b16f06d74b8ccf48f609af32ab33c608d08761c5dcbb1f3",
  ]);
});

test('an older lock keeps hashes in [metadata.files] keyed "name version"', () => {
  const { text, result } = parseFile(V3);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, "[[package]]");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.hashes.length, d.groups]),
    [
      ["certifi", "2022.12.7", 2, ["main"]],
      ["requests", "2.28.2", 1, ["main"]],
    ],
  );
});

test("a TOML syntax error is one located error", () => {
  const result = parsePdmLock('[metadata]\ngroups = ["default"\n\n[[package]]\nname = "x"\n', "pdm.lock");
  assert.deepEqual(result.dependencies, []);
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0]?.file, "pdm.lock");
  assert.equal(typeof result.errors[0]?.line, "number");
  assert.equal(typeof result.errors[0]?.column, "number");
});

test("an entry without a name, or an index package without a version, is an error at its header", () => {
  const text = [
    "[[package]]",
    'version = "1.0"',
    "[[package]]",
    'name = "nover"',
    "[[package]]",
    'name = "fromgit"',
    'git = "https://example.org/r.git"',
    'revision = "abc"',
    "[[package]]",
    'name = "badver"',
    "version = [1]",
  ].join("\n");
  const result = parsePdmLock(text, "pdm.lock");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.pinned, d.line]),
    [["fromgit", null, false, 5]],
  );
  assert.deepEqual(result.errors, [
    { file: "pdm.lock", line: 1, message: '[[package]] entry #1 has no "name" string' },
    { file: "pdm.lock", line: 3, message: 'package "nover" has no "version"' },
    { file: "pdm.lock", line: 9, message: 'package "badver": "version" must be a non-empty string' },
  ]);
});

test("real pdm lock: 100 packages, no errors, every line on its [[package]] header", () => {
  const { text, result } = parseFile(REAL);
  assert.deepEqual(result.errors, []);
  assert.equal(result.dependencies.length, 100);
  assertLinesOnEntries(result, text, "[[package]]");
  assertWellFormed(result, text, "pdm.lock");
  const anyio = only(result, (d) => d.name === "anyio");
  assert.deepEqual(
    [anyio.version, anyio.hashes.length, anyio.line, anyio.groups],
    ["4.13.0", 2, 13, ["main", "test"]],
  );
  const coverage = result.dependencies.filter((d) => d.name === "coverage");
  assert.deepEqual(
    coverage.map((d) => [d.version, d.extras, d.hashes.length, d.line]),
    [
      ["7.13.5", [], 106, 230],
      ["7.13.5", ["toml"], 106, 345],
    ],
  );
  const socks = only(result, (d) => d.name === "httpx" && d.extras.length > 0);
  assert.deepEqual([socks.extras, socks.line], [["socks"], 719]);
});

test("a 5,000-package lock yields all 5,000 records (speed is measured by npm run bench)", () => {
  const parts = ["[metadata]", 'groups = ["default"]', 'lock_version = "4.5.0"', ""];
  for (let i = 0; i < 5000; i++) {
    const hex = i.toString(16).padStart(64, "0");
    parts.push(
      `[[package]]\nname = "pkg-${i}"\nversion = "1.${i}.0"\nrequires_python = ">=3.9"\nsummary = "x"\n` +
        `groups = ["default"]\ndependencies = [\n    "pkg-${i + 1}>=1",\n]\nfiles = [\n` +
        `    {file = "pkg_${i}-1.${i}.0-py3-none-any.whl", hash = "sha256:${hex}"},\n]\n`,
    );
  }
  const text = parts.join("\n");
  assert.equal(parsePdmLock(text, "pdm.lock").dependencies.length, 5000);
});

test("random line and character mutations of a valid lock never throw and only give located errors", () => {
  checkNeverThrows(parsePdmLock, readFileSync(V4, "utf8"), "pdm.lock");
  checkNeverThrows(parsePdmLock, readFileSync(V3, "utf8"), "pdm.lock", 150);
});
