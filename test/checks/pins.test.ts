import assert from "node:assert/strict";
import { test } from "node:test";
import { checkPins } from "../../src/checks/pins.js";
import { type DependencyInit, makeDependency } from "../../src/inventory/dependency.js";

const req = (init: Partial<DependencyInit> & { rawName: string }) =>
  makeDependency({ format: "requirements", file: "requirements.txt", line: 1, ...init });

const SHA = `sha256:${"a".repeat(64)}`;

test("an exact pin with a hash passes every control", () => {
  assert.deepEqual(checkPins([req({ rawName: "requests", specifier: "==2.32.3", hashes: [SHA] })]), []);
});

test("a range is unpinned and a pin without --hash is unhashed", () => {
  const kinds = checkPins([
    req({ rawName: "flask", specifier: ">=2", line: 1 }),
    req({ rawName: "requests", specifier: "==2.32.3", line: 2 }),
  ]).map((f) => `${f.kind}:${f.package}:${f.line}`);
  assert.deepEqual(kinds, ["unpinned:flask:1", "unhashed:requests:2"]);
});

test("a requirements file mixing hashed and unhashed lines is reported once, at the first unhashed line", () => {
  const findings = checkPins([
    req({ rawName: "a", specifier: "==1.0", line: 1, hashes: [SHA] }),
    req({ rawName: "b", specifier: "==1.0", line: 3 }),
    req({ rawName: "c", specifier: "==1.0", line: 4 }),
  ]);
  const mixed = findings.filter((f) => f.kind === "mixed-hashes");
  assert.equal(mixed.length, 1);
  assert.equal(mixed[0]!.line, 3);
  assert.equal(mixed[0]!.severity, "high");
  assert.match(mixed[0]!.summary, /2 without --hash, first: b/);
});

test("git dependencies on a branch are mutable; a full commit hash is not", () => {
  const branch = req({
    rawName: "celery",
    source: { kind: "vcs", vcs: "git", url: "https://github.com/celery/celery.git", ref: "main" },
  });
  const commit = req({
    rawName: "kombu",
    source: { kind: "vcs", vcs: "git", url: "https://github.com/celery/kombu.git", ref: "0".repeat(40) },
  });
  const findings = checkPins([branch, commit]);
  assert.deepEqual(
    findings.map((f) => [f.kind, f.package]),
    [["mutable-reference", "celery"]],
  );
});

test("a URL dependency is immutable only with a hash", () => {
  const bare = req({ rawName: "x", source: { kind: "url", url: "https://example.com/x-1.0.tar.gz" } });
  const hashed = req({
    rawName: "y",
    source: { kind: "url", url: "https://example.com/y-1.0.tar.gz#sha256=abc123" },
  });
  assert.deepEqual(
    checkPins([bare, hashed]).map((f) => f.package),
    ["x"],
  );
});

test("lock entries need hashes; pyproject ranges beside a lock that locks them are not unpinned", () => {
  const lockHashed = makeDependency({
    rawName: "django",
    format: "uv-lock",
    file: "app/uv.lock",
    line: 10,
    lockedVersion: "5.0.1",
    hashes: [SHA],
  });
  const lockBare = makeDependency({
    rawName: "asgiref",
    format: "uv-lock",
    file: "app/uv.lock",
    line: 20,
    lockedVersion: "3.8.1",
  });
  const manifest = makeDependency({
    rawName: "Django",
    format: "pyproject",
    file: "app/pyproject.toml",
    line: 5,
    specifier: ">=5",
  });
  const elsewhere = makeDependency({
    rawName: "Django",
    format: "pyproject",
    file: "other/pyproject.toml",
    line: 5,
    specifier: ">=5",
  });
  const findings = checkPins([lockHashed, lockBare, manifest, elsewhere]).map((f) => `${f.kind}:${f.file}`);
  assert.deepEqual(findings, ["lock-unhashed:app/uv.lock", "unpinned:other/pyproject.toml"]);
});

test("installed environments and SBOMs are not declarations and are not checked", () => {
  const env = makeDependency({
    rawName: "pip",
    format: "environment",
    file: "venv",
    line: null,
    lockedVersion: "24.0",
  });
  const sbom = makeDependency({
    rawName: "x",
    format: "cyclonedx",
    file: "bom.json",
    line: null,
    specifier: "",
  });
  assert.deepEqual(checkPins([env, sbom]), []);
});

test("constraint files are not required to carry hashes", () => {
  assert.deepEqual(checkPins([req({ rawName: "a", specifier: "==1.0", constraint: true })]), []);
});
