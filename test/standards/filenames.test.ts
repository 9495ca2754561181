import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  filenameProjectName,
  parseDistFilename,
  parseSdistFilename,
  parseWheelFilename,
  sameProject,
} from "../../src/standards/filenames.js";

test("a wheel file name gives its name, version and expanded tag sets", () => {
  const r = parseWheelFilename("pip-23.2.1-py3-none-any.whl");
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    kind: "wheel",
    filename: "pip-23.2.1-py3-none-any.whl",
    name: "pip",
    normalizedName: "pip",
    version: "23.2.1",
    buildTag: null,
    pythonTags: ["py3"],
    abiTags: ["none"],
    platformTags: ["any"],
  });
  const compressed = parseWheelFilename(
    "numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  );
  assert.ok(compressed.ok);
  assert.deepEqual(compressed.value.platformTags, ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]);
});

test("a wheel build tag splits into its number and the rest", () => {
  const r = parseWheelFilename("foo-1.0-12abc-py2.py3-none-any.whl");
  assert.ok(r.ok);
  assert.deepEqual(r.value.buildTag, { number: 12, rest: "abc" });
  assert.deepEqual(r.value.pythonTags, ["py2", "py3"]);
  const bad = parseWheelFilename("foo-1.0-abc-py3-none-any.whl");
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? "" : bad.message, /build tag/);
});

test("wheel names from older producers (dots, capitals) normalise to the project name", () => {
  const r = parseWheelFilename("Zope.Interface-5.0-py3-none-any.whl");
  assert.ok(r.ok);
  assert.equal(r.value.normalizedName, "zope-interface");
  assert.ok(sameProject(r.value.name, "zope_interface"));
});

test("malformed wheel names are errors that name the file", () => {
  for (const name of [
    "foo-1.0-py3-none.whl",
    "foo-1.0-1-2-py3-none-any.whl",
    "foo-not.a.version!-py3-none-any.whl",
    "-1.0-py3-none-any.whl",
  ]) {
    const r = parseWheelFilename(name);
    assert.equal(r.ok, false, name);
    assert.ok(!r.ok && r.message.includes(name), `${name}: ${r.ok ? "" : r.message}`);
  }
});

test("file names with path separators, NUL or dot segments are refused", () => {
  for (const name of [
    "../evil-1.0-py3-none-any.whl",
    "a/b-1.0.tar.gz",
    "a\\b-1.0.tar.gz",
    "x\0-1.0.tar.gz",
    "..",
    "",
  ]) {
    assert.equal(parseDistFilename(name).ok, false, JSON.stringify(name));
  }
});

test("a PEP 625 sdist name is standard; legacy archives parse but are not", () => {
  const standard = parseSdistFilename("foo_bar-1.0.tar.gz");
  assert.ok(standard.ok);
  assert.equal(standard.value.normalizedName, "foo-bar");
  assert.equal(standard.value.version, "1.0");
  assert.equal(standard.value.standard, true);
  const legacy = parseSdistFilename("Foo-1.0.zip");
  assert.ok(legacy.ok);
  assert.equal(legacy.value.extension, ".zip");
  assert.equal(legacy.value.standard, false);
});

test("an old sdist with dashes in the name splits at the project name when it is known", () => {
  const known = parseSdistFilename("python-dateutil-2.8.2.tar.gz", "python_dateutil");
  assert.ok(known.ok);
  assert.equal(known.value.name, "python-dateutil");
  assert.equal(known.value.version, "2.8.2");
  const unknown = parseSdistFilename("python-dateutil-2.8.2.tar.gz");
  assert.ok(unknown.ok);
  assert.equal(unknown.value.normalizedName, "python-dateutil");
  // With the project known, a version that itself holds a dash still parses.
  const dashed = parseSdistFilename("foo-1.0-post1.tar.gz", "foo");
  assert.ok(dashed.ok);
  assert.equal(dashed.value.version, "1.0-post1");
});

test("sdist names without a version, or with an invalid one, are errors", () => {
  assert.equal(parseSdistFilename("foo.tar.gz").ok, false);
  assert.equal(parseSdistFilename("foo-.tar.gz").ok, false);
  assert.equal(parseSdistFilename("foo-bar.tar.gz").ok, false);
  assert.equal(parseSdistFilename("foo-1.0.exe").ok, false);
});

test("the file-name form of a project name is normalised with underscores", () => {
  assert.equal(filenameProjectName("FrIeNdLy-._.-bArD"), "friendly_bard");
});

test("random file names never throw, they parse or give a message", () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.constantFrom("", ".whl", ".tar.gz", "-1.0-py3-none-any.whl", "-1.0.zip"),
      (s, suffix) => {
        const r = parseDistFilename(s + suffix);
        assert.ok(r.ok || r.message.length > 0);
      },
    ),
  );
});
