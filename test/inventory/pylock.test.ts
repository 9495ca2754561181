import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parsePylock } from "../../src/inventory/pylock.js";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";
import { assertLinesOnEntries, assertWellFormed, checkNeverThrows } from "./lock-invariants.js";

const FIXTURE = fixture("inventory", "fixtures", "pylock", "pylock.toml");
const REAL = join(sharedData, "real-manifests", "pypa__pipenv__pylock.toml", "pylock.toml");

function parseFile(path: string): { text: string; result: ParseResult } {
  const text = readFileSync(path, "utf8");
  return { text, result: parsePylock(text, "pylock.toml") };
}

function byName(result: ParseResult, name: string): Dependency {
  const found = result.dependencies.filter((d) => d.name === name);
  assert.equal(found.length, 1, `exactly one ${name}`);
  return found[0]!;
}

test("a pylock.toml gives one record per [[packages]] with its header line, version and groups", () => {
  const { text, result } = parseFile(FIXTURE);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, "[[packages]]");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.pinned, d.line, d.groups]),
    [
      ["attrs", "25.1.0", true, 9, ["main"]],
      ["pysocks", "1.7.1", true, 34, ["optional:socks"]],
      ["pytest", "8.3.5", true, 43, ["dev"]],
      ["sphinx-theme", null, false, 52, ["docs", "dev"]],
      ["local-plugin", null, false, 62, ["main"]],
      ["vendored-lib", "0.9.0", true, 70, ["main"]],
    ],
  );
  assert.ok(result.dependencies.every((d) => d.format === "pylock" && d.direct === null));
});

test("hashes come from the sdist, every wheel and the archive, as algorithm:hex in lower case", () => {
  const { result } = parseFile(FIXTURE);
  assert.deepEqual(byName(result, "attrs").hashes, [
    "sha256:1c97078a80c814273a76b2a298a932eb681c87415c11dee0a6921de7f1b02c3e",
    "sha256:c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a",
  ]);
  assert.deepEqual(byName(result, "pytest").hashes, [
    "sha256:c69214aa47deac29fad6c2a4f590b9c4a9fdb16a403176fe154b79c0b4d4d820",
    "blake2b_256:303d",
  ]);
  assert.deepEqual(byName(result, "vendored-lib").hashes, [
    "sha256:6666666666666666666666666666666666666666666666666666666666666666",
  ]);
});

test("index, vcs (at its commit), editable directory and archive become sources; markers are kept", () => {
  const { result } = parseFile(FIXTURE);
  assert.deepEqual(byName(result, "attrs").source, { kind: "index", url: "https://pypi.org/simple" });
  assert.deepEqual(byName(result, "sphinx-theme").source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/example/sphinx-theme.git",
    ref: "9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6",
  });
  const plugin = byName(result, "local-plugin");
  assert.deepEqual(plugin.source, { kind: "path", path: "./plugins/local-plugin" });
  assert.equal(plugin.editable, true);
  assert.deepEqual(byName(result, "vendored-lib").source, {
    kind: "url",
    url: "https://example.org/downloads/vendored_lib-0.9.0.tar.gz",
  });
  assert.equal(byName(result, "pytest").markers, "'dev' in dependency_groups and sys_platform == 'linux'");
  assert.equal(byName(result, "attrs").markers, null);
});

test("an index package without a version, a nameless entry and a bad vcs table are located errors", () => {
  const text = [
    'lock-version = "1.0"',
    "[[packages]]",
    'name = "noversion"',
    'index = "https://pypi.org/simple"',
    "[[packages]]",
    'version = "1.0"',
    "[[packages]]",
    'name = "badvcs"',
    'vcs = "https://example.org/r.git"',
    "[[packages]]",
    'name = "ok"',
    'version = "2.0"',
  ].join("\n");
  const result = parsePylock(text, "pylock.toml");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.line, d.source]),
    [
      ["badvcs", null, 7, null],
      ["ok", "2.0", 10, null],
    ],
  );
  assert.deepEqual(result.errors, [
    { file: "pylock.toml", line: 2, message: 'package "noversion" has no "version"' },
    { file: "pylock.toml", line: 5, message: '[[packages]] entry #2 has no "name" string' },
    { file: "pylock.toml", line: 7, message: 'package "badvcs": "vcs" must be a table' },
  ]);
});

test("an unsupported lock-version is reported at its line and the packages are still read", () => {
  const result = parsePylock(
    'lock-version = "2.0"\n[[packages]]\nname = "a"\nversion = "1"\n',
    "pylock.toml",
  );
  assert.equal(result.dependencies.length, 1);
  assert.deepEqual(result.errors, [
    {
      file: "pylock.toml",
      line: 1,
      message: 'lock-version "2.0" is not supported (expected 1.x); read as 1.0',
    },
  ]);
});

test("a TOML syntax error is one error with its line and column", () => {
  const result = parsePylock('lock-version = "1.0"\n[[packages]\nname = "a"\n', "pylock.toml");
  assert.deepEqual(result.dependencies, []);
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0]?.line, 2);
  assert.equal(typeof result.errors[0]?.column, "number");
});

test("real pipenv pylock.toml: 103 packages, no errors, groups from the dependency_groups markers", () => {
  const { text, result } = parseFile(REAL);
  assert.deepEqual(result.errors, []);
  assert.equal(result.dependencies.length, 103);
  assertLinesOnEntries(result, text, "[[packages]]");
  assertWellFormed(result, text, "pylock.toml");
  const pytz = byName(result, "pytz");
  assert.deepEqual(
    [pytz.version, pytz.hashes.length, pytz.line, pytz.groups],
    ["2026.1.post1", 2, 8, ["main"]],
  );
  const zipp = byName(result, "zipp");
  assert.deepEqual([zipp.version, zipp.hashes.length, zipp.line, zipp.groups], ["3.21.0", 2, 1762, ["dev"]]);
  assert.equal(zipp.markers, "('dev' in dependency_groups) and (python_version >= '3.9')");
  assert.deepEqual(zipp.source, { kind: "index", url: "https://pypi.org/simple/" });
  assert.equal(result.dependencies.filter((d) => d.groups.includes("dev")).length, 102);
});

test("a 5,000-package lock yields all 5,000 records (speed is measured by npm run bench)", () => {
  const parts = ['lock-version = "1.0"', 'created-by = "bench"', ""];
  for (let i = 0; i < 5000; i++) {
    const hex = i.toString(16).padStart(64, "0");
    parts.push(
      `[[packages]]\nname = "pkg-${i}"\nversion = "1.${i}.0"\nindex = "https://pypi.org/simple"\n` +
        `sdist = {name = "pkg_${i}-1.${i}.0.tar.gz", url = "https://files.example/pkg_${i}.tar.gz", size = 10, hashes = {sha256 = "${hex}"}}\n` +
        `wheels = [\n    {name = "pkg_${i}-1.${i}.0-py3-none-any.whl", url = "https://files.example/pkg_${i}.whl", size = 9, hashes = {sha256 = "${hex}"}},\n]\n`,
    );
  }
  const text = parts.join("\n");
  assert.equal(parsePylock(text, "pylock.toml").dependencies.length, 5000);
});

test("random line and character mutations of a valid lock never throw and only give located errors", () => {
  checkNeverThrows(parsePylock, readFileSync(FIXTURE, "utf8"), "pylock.toml");
});
