import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parsePipfileLock } from "../../src/inventory/pipfile-lock.js";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";
import { assertLinesOnEntries, assertWellFormed, checkNeverThrows } from "./lock-invariants.js";

const FIXTURE = fixture("inventory", "fixtures", "pipfile-lock", "Pipfile.lock");
const REAL = join(sharedData, "real-manifests", "pypa__pipenv__Pipfile.lock", "Pipfile.lock");

function parseFile(path: string): { text: string; result: ParseResult } {
  const text = readFileSync(path, "utf8");
  return { text, result: parsePipfileLock(text, "Pipfile.lock") };
}

function find(result: ParseResult, name: string, group: string): Dependency {
  const found = result.dependencies.filter((d) => d.name === name && d.groups.includes(group));
  assert.equal(found.length, 1, `exactly one ${name} in ${group}`);
  return found[0]!;
}

test("default is main, develop is dev, a custom category keeps its name; lines are the package keys", () => {
  const { text, result } = parseFile(FIXTURE);
  assert.deepEqual(result.errors, []);
  assertLinesOnEntries(result, text, null);
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.groups, d.line]),
    [
      ["company-auth", "3.1.0", ["main"], 24],
      ["django", "5.1.7", ["main"], 31],
      ["mylib", null, ["main"], 40],
      ["requests", null, ["main"], 44],
      ["wheelhouse-pkg", "1.0", ["main"], 51],
      ["coverage", "7.6.12", ["dev"], 57],
      ["sphinx", "8.1.3", ["docs"], 70],
    ],
  );
  assert.ok(result.dependencies.every((d) => d.format === "pipfile-lock" && d.direct === null));
});

test('"==" versions are locked, hashes are normalised, markers and extras are kept', () => {
  const { result } = parseFile(FIXTURE);
  const django = find(result, "django", "main");
  assert.equal(django.pinned, true);
  assert.equal(django.markers, "python_version >= '3.10'");
  assert.deepEqual(django.hashes, [
    "sha256:6d1b8e3a6e0f5d2b4a7c9e1f3b5d7a9c2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b",
    "sha256:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
  ]);
  const coverage = find(result, "coverage", "dev");
  assert.deepEqual(coverage.extras, ["toml"]);
  assert.equal(coverage.hashes.length, 2);
  assert.deepEqual(find(result, "sphinx", "docs").hashes, []);
});

test("index names resolve through _meta.sources; git+ref, editable path and file URL entries carry their source", () => {
  const { result } = parseFile(FIXTURE);
  assert.deepEqual(find(result, "company-auth", "main").source, {
    kind: "index",
    url: "https://pypi.example.com/simple",
  });
  assert.deepEqual(find(result, "django", "main").source, { kind: "index", url: "https://pypi.org/simple" });
  const requests = find(result, "requests", "main");
  assert.deepEqual(requests.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/psf/requests.git",
    ref: "0e322af87745eff34caffe4df68456ebc20d9068",
  });
  assert.deepEqual([requests.pinned, requests.extras], [false, ["socks"]]);
  const mylib = find(result, "mylib", "main");
  assert.deepEqual(mylib.source, { kind: "path", path: "./mylib" });
  assert.equal(mylib.editable, true);
  assert.deepEqual(find(result, "wheelhouse-pkg", "main").source, {
    kind: "url",
    url: "https://example.org/wheels/wheelhouse_pkg-1.0-py3-none-any.whl",
  });
  // Two sources and no "index": where coverage comes from is unknown.
  assert.equal(find(result, "coverage", "dev").source, null);
});

test("a JSON syntax error is one error located from JSON.parse's position", () => {
  const result = parsePipfileLock('{\n  "default": {\n    "a": {,\n  }\n}', "Pipfile.lock");
  assert.deepEqual(result.dependencies, []);
  assert.equal(result.errors.length, 1);
  const [e] = result.errors;
  assert.equal(e?.file, "Pipfile.lock");
  assert.equal(e?.line, 3);
  assert.equal(e?.column, 11);
  assert.match(e?.message ?? "", /^invalid JSON: /);
});

test("a truncated file is an error at its end", () => {
  const text = '{\n "default": {}\n';
  const [e] = parsePipfileLock(text, "Pipfile.lock").errors;
  assert.equal(e?.line, 3);
  assert.equal(e?.column, 1);
});

test("wrong entries are errors at their key line; the other entries are still read", () => {
  const text = JSON.stringify(
    {
      _meta: { sources: [{ name: "pypi", url: "https://pypi.org/simple" }] },
      default: {
        a: "==1.0",
        b: { version: 2 },
        c: { version: ">=1.0" },
        d: { hashes: [] },
        e: { version: "==1.0", index: "nowhere" },
        f: { version: "==3.0" },
      },
      develop: [],
    },
    null,
    4,
  );
  const result = parsePipfileLock(text, "Pipfile.lock");
  assert.deepEqual(
    result.dependencies.map((d) => [d.name, d.version, d.line, d.source]),
    [
      ["e", "1.0", 21, null],
      ["f", "3.0", 25, { kind: "index", url: "https://pypi.org/simple" }],
    ],
  );
  assert.deepEqual(result.errors, [
    { file: "Pipfile.lock", line: 11, message: 'default: package "a": entry must be an object' },
    {
      file: "Pipfile.lock",
      line: 12,
      message: 'default: package "b": "version" must be a string such as "==1.2.3"',
    },
    {
      file: "Pipfile.lock",
      line: 15,
      message: 'default: package "c": "version" ">=1.0" is not an exact "==" pin',
    },
    { file: "Pipfile.lock", line: 18, message: 'default: package "d": no "version"' },
    {
      file: "Pipfile.lock",
      line: 21,
      message: 'default: package "e": index "nowhere" is not in _meta.sources',
    },
    { file: "Pipfile.lock", line: 29, message: '"develop" must be an object of packages' },
  ]);
});

test("a JSON document that is not an object is one error", () => {
  assert.deepEqual(parsePipfileLock("[]", "Pipfile.lock"), {
    dependencies: [],
    errors: [{ file: "Pipfile.lock", line: 1, column: 1, message: "Pipfile.lock must be a JSON object" }],
  });
});

test("real pipenv Pipfile.lock: 110 entries across default (10) and develop (100), lines on their keys", () => {
  const { text, result } = parseFile(REAL);
  assert.deepEqual(result.errors, []);
  assert.equal(result.dependencies.length, 110);
  assert.equal(result.dependencies.filter((d) => d.groups[0] === "main").length, 10);
  assert.equal(result.dependencies.filter((d) => d.groups[0] === "dev").length, 100);
  assertLinesOnEntries(result, text, null);
  assertWellFormed(result, text, "Pipfile.lock");
  const pytestMain = find(result, "pytest", "main");
  assert.deepEqual([pytestMain.version, pytestMain.hashes.length, pytestMain.line], ["9.0.3", 2, 57]);
  assert.deepEqual(pytestMain.source, { kind: "index", url: "https://pypi.org/simple" });
  const pytestDev = find(result, "pytest", "dev");
  assert.deepEqual([pytestDev.version, pytestDev.line], ["9.0.3", 1167]);
  const coverage = find(result, "coverage", "dev");
  assert.deepEqual(
    [coverage.version, coverage.hashes.length, coverage.line, coverage.extras],
    ["7.13.5", 106, 506, ["toml"]],
  );
  assert.equal(find(result, "alabaster", "dev").line, 145);
});

test("a 5,000-package lock yields all 5,000 records (speed is measured by npm run bench)", () => {
  const develop: Record<string, unknown> = {};
  for (let i = 0; i < 5000; i++) {
    const hex = i.toString(16).padStart(64, "0");
    develop[`pkg-${i}`] = {
      hashes: [`sha256:${hex}`, `sha256:${hex}`],
      markers: "python_version >= '3.9'",
      version: `==1.${i}.0`,
    };
  }
  const text = JSON.stringify(
    { _meta: { sources: [{ name: "pypi", url: "https://pypi.org/simple" }] }, default: {}, develop },
    null,
    4,
  );
  const result = parsePipfileLock(text, "Pipfile.lock");
  assert.equal(result.dependencies.length, 5000);
  assertLinesOnEntries(result, text, null);
});

test("random line and character mutations of a valid lock never throw and only give located errors", () => {
  checkNeverThrows(parsePipfileLock, readFileSync(FIXTURE, "utf8"), "Pipfile.lock");
});
