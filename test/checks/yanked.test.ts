import assert from "node:assert/strict";
import { test } from "node:test";
import { checkYanked } from "../../src/checks/yanked.js";
import { locked, project, requirement, sdist, wheel } from "./upstream-builders.js";

const yank = (reason: string | null) => ({ yanked: true, yankedReason: reason });

const attrs = project("attrs", [
  sdist("attrs", "21.0.0"),
  sdist("attrs", "21.1.0", yank("broken import")),
  wheel("attrs", "21.1.0", "py3-none-any", yank("broken import")),
  sdist("attrs", "21.2.0"),
  sdist("attrs", "22.0.0rc1"),
  sdist("attrs", "22.0.0", yank(null)),
]);

test("a lock on a release whose files are all yanked is high, with the reason and the newest release to use", () => {
  const r = checkYanked(locked("attrs", "21.1.0"), attrs);
  assert.equal(r.skipped, null);
  assert.equal(r.findings.length, 1);
  const f = r.findings[0]!;
  assert.equal(f.kind, "yanked");
  assert.equal(f.severity, "high");
  assert.match(f.summary, /attrs 21\.1\.0 was yanked.*reason: broken import/);
  // 22.0.0 is yanked and 22.0.0rc1 a pre-release, so 21.2.0 is the newest release to move to.
  assert.equal(f.fixedIn, "21.2.0");
  assert.deepEqual(f.evidence, {
    yankedFiles: ["attrs-21.1.0.tar.gz", "attrs-21.1.0-py3-none-any.whl"],
    otherFiles: [],
    reasons: ["broken import"],
  });
  assert.equal(f.url, "https://pypi.org/project/attrs/21.1.0/");
});

test("a yank without a reason says so", () => {
  const f = checkYanked(requirement("attrs", "==22.0.0"), attrs).findings[0]!;
  assert.match(f.summary, /no reason given/);
  assert.equal(f.fixedIn, "21.2.0");
});

test("a release that is not yanked has no finding, also when written differently (21.2 = 21.2.0)", () => {
  assert.deepEqual(checkYanked(requirement("attrs", "==21.2"), attrs), { findings: [], skipped: null });
});

test("a release with only some files yanked is info, without a suggestion", () => {
  const p = project("pkg", [sdist("pkg", "1.0"), wheel("pkg", "1.0", "py3-none-any", yank("bad wheel"))]);
  const f = checkYanked(locked("pkg", "1.0"), p).findings[0]!;
  assert.equal(f.severity, "info");
  assert.match(f.summary, /1 of 2 files/);
  assert.equal(f.fixedIn, null);
});

test("a pinned version the index does not have is medium: removed?", () => {
  const f = checkYanked(locked("attrs", "20.0.0"), attrs).findings[0]!;
  assert.equal(f.severity, "medium");
  assert.match(f.summary, /not found on https:\/\/pypi\.org\/simple\/: removed\?/);
  assert.equal(f.evidence?.listedInVersions, false);
  assert.equal(f.fixedIn, "21.2.0");
});

test("a version listed in PEP 700 versions but without files is reported as having no files", () => {
  const p = project("pkg", [sdist("pkg", "1.0")], { versions: ["1.0", "1.1"] });
  const f = checkYanked(locked("pkg", "1.1"), p).findings[0]!;
  assert.match(f.summary, /listed .* but has no files/);
  assert.equal(f.evidence?.listedInVersions, true);
});

test("the suggestion honours a range specifier and skips pre-releases", () => {
  // A lock entry from a manifest range: version 21.1.0, range <22 declared beside it.
  const dep = locked("attrs", "21.1.0", { specifier: ">=21,<22" });
  assert.equal(checkYanked(dep, attrs).findings[0]!.fixedIn, "21.2.0");
  const narrow = locked("attrs", "21.1.0", { specifier: ">=21,<21.2" });
  assert.equal(checkYanked(narrow, attrs).findings[0]!.fixedIn, "21.0.0");
});

test("a pinned pre-release that is yanked suggests the newest stable release", () => {
  const p = project("pkg", [sdist("pkg", "1.0"), sdist("pkg", "2.0b1", yank("oops")), sdist("pkg", "1.1")]);
  assert.equal(checkYanked(requirement("pkg", "==2.0b1"), p).findings[0]!.fixedIn, "1.1");
});

test("local versions are distinct releases: a yanked +cpu build does not make the +cu121 build yanked", () => {
  const p = project("torch", [
    wheel("torch", "2.1.0+cpu", "cp311-cp311-linux_x86_64", yank("bad build")),
    wheel("torch", "2.1.0+cu121", "cp311-cp311-linux_x86_64"),
  ]);
  assert.equal(checkYanked(locked("torch", "2.1.0+cpu"), p).findings[0]!.severity, "high");
  assert.deepEqual(checkYanked(locked("torch", "2.1.0+cu121"), p).findings, []);
});

test("a range that admits only yanked releases is high; a range with a good release is fine", () => {
  const bad = checkYanked(requirement("attrs", ">=21.1,<21.2"), attrs);
  assert.equal(bad.findings.length, 1);
  assert.equal(bad.findings[0]!.severity, "high");
  assert.deepEqual(bad.findings[0]!.evidence?.yankedVersions, ["21.1.0"]);
  assert.equal(bad.findings[0]!.fixedIn, "21.2.0");
  assert.deepEqual(checkYanked(requirement("attrs", ">=21"), attrs).findings, []);
});

test("a range that is not PEP 440 cannot be checked, and says so", () => {
  const poetry = requirement("attrs", "^21.1", { format: "pyproject", file: "pyproject.toml" });
  const r = checkYanked(poetry, attrs);
  assert.match(r.skipped ?? "", /"\^21\.1" .* is not PEP 440/);
});

test("a quarantined project's releases are not inspected: project-status reports it", () => {
  const r = checkYanked(locked("attrs", "21.1.0"), {
    ...attrs,
    files: [],
    versions: [],
    status: { status: "quarantined", reason: null },
  });
  assert.deepEqual(r.findings, []);
  assert.match(r.skipped ?? "", /quarantined/);
});
