import assert from "node:assert/strict";
import { test } from "node:test";
import { checkHashIntegrity } from "../../src/checks/hash-integrity.js";
import { locked, project, requirement, sdist, wheel } from "./upstream-builders.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);
const BAD = "f".repeat(64);

const six = project("six", [
  sdist("six", "1.16.0", { hashes: { sha256: A } }),
  wheel("six", "1.16.0", "py2.py3-none-any", { hashes: { sha256: B } }),
  sdist("six", "1.17.0", { hashes: { sha256: C } }),
]);

test("hashes that match the release's files pass", () => {
  const r = checkHashIntegrity(locked("six", "1.16.0", { hashes: [`sha256:${A}`, `sha256:${B}`] }), six);
  assert.deepEqual(r, { findings: [], skipped: null });
});

test("a locked hash that matches no file of the release is critical, with the release's files and digests", () => {
  const r = checkHashIntegrity(locked("six", "1.16.0", { hashes: [`sha256:${A}`, `sha256:${BAD}`] }), six);
  const mismatch = r.findings.filter((f) => f.kind === "hash-mismatch");
  assert.equal(mismatch.length, 1);
  const f = mismatch[0]!;
  assert.equal(f.id, "hash-mismatch");
  assert.equal(f.severity, "critical");
  assert.match(f.summary, /artifact replaced or lock tampered/);
  assert.deepEqual(f.evidence, {
    hash: `sha256:${BAD}`,
    index: "https://pypi.org/simple/",
    releaseFiles: [
      { filename: "six-1.16.0.tar.gz", hashes: { sha256: A } },
      { filename: "six-1.16.0-py2.py3-none-any.whl", hashes: { sha256: B } },
    ],
  });
});

test("a hash of another release's file does not count for this release", () => {
  const r = checkHashIntegrity(
    locked("six", "1.16.0", { hashes: [`sha256:${A}`, `sha256:${B}`, `sha256:${C}`] }),
    six,
  );
  assert.deepEqual(
    r.findings.map((f) => [f.kind, f.evidence?.hash]),
    [["hash-mismatch", `sha256:${C}`]],
  );
});

test("files of the release the lock does not cover are info, by file name", () => {
  const r = checkHashIntegrity(requirement("six", "==1.16.0", { hashes: [`sha256:${A}`] }), six);
  assert.deepEqual(
    r.findings.map((f) => [f.kind, f.severity, f.evidence?.files]),
    [["hash-uncovered", "info", ["six-1.16.0-py2.py3-none-any.whl"]]],
  );
});

test("digests compare case-insensitively, and other algorithms the index publishes are compared too", () => {
  const p = project("x", [sdist("x", "1.0", { hashes: { sha256: A, md5: "0123abcd" } })]);
  assert.deepEqual(
    checkHashIntegrity(locked("x", "1.0", { hashes: [`sha256:${A.toUpperCase()}`] }), p).findings,
    [],
  );
  const md5 = checkHashIntegrity(locked("x", "1.0", { hashes: ["md5:99999999"] }), p);
  assert.equal(md5.findings[0]!.kind, "hash-mismatch");
});

test("a hash in an algorithm the index does not publish cannot be compared, and the check says so", () => {
  const r = checkHashIntegrity(locked("six", "1.16.0", { hashes: [`sha512:${"d".repeat(128)}`] }), six);
  assert.deepEqual(r.findings, []);
  assert.match(r.skipped ?? "", /use sha512, but .* publishes sha256/);
});

test("the check cannot run without digests on the index, without hashes, or without a pin", () => {
  const bare = project("six", [sdist("six", "1.16.0")]);
  assert.match(
    checkHashIntegrity(locked("six", "1.16.0", { hashes: [`sha256:${A}`] }), bare).skipped ?? "",
    /publishes no digests/,
  );
  assert.match(checkHashIntegrity(locked("six", "1.16.0"), six).skipped ?? "", /no hashes to compare/);
  assert.match(
    checkHashIntegrity(requirement("six", ">=1", { hashes: [`sha256:${A}`] }), six).skipped ?? "",
    /not pinned/,
  );
  assert.match(
    checkHashIntegrity(locked("six", "9.9", { hashes: [`sha256:${A}`] }), six).skipped ?? "",
    /six 9\.9 is not on/,
  );
});

test("a local version is compared with its own files only", () => {
  const p = project("torch", [
    wheel("torch", "2.1.0", "cp311-cp311-linux_x86_64", { hashes: { sha256: A } }),
    wheel("torch", "2.1.0+cpu", "cp311-cp311-linux_x86_64", { hashes: { sha256: B } }),
  ]);
  assert.deepEqual(
    checkHashIntegrity(locked("torch", "2.1.0+cpu", { hashes: [`sha256:${B}`] }), p).findings,
    [],
  );
  assert.equal(
    checkHashIntegrity(locked("torch", "2.1.0+cpu", { hashes: [`sha256:${A}`] }), p).findings[0]!.kind,
    "hash-mismatch",
  );
});
