import assert from "node:assert/strict";
import { test } from "node:test";
import { checkUnmaintained } from "../../src/checks/unmaintained.js";
import { daysAgo, locked, NOW, project, requirement, sdist, wheel } from "./upstream-builders.js";

const quiet = (days: number) =>
  project("oldlib", [
    sdist("oldlib", "1.0", { uploadTime: daysAgo(days + 400) }),
    sdist("oldlib", "1.1", { uploadTime: daysAgo(days) }),
  ]);

test("no release for more than three years is low, with the last upload as evidence", () => {
  const r = checkUnmaintained(locked("oldlib", "1.0"), quiet(1200), {}, NOW);
  assert.equal(r.skipped, null);
  const f = r.findings[0]!;
  assert.equal(f.kind, "unmaintained");
  assert.equal(f.severity, "low");
  assert.deepEqual(f.evidence, {
    lastUpload: daysAgo(1200),
    lastFile: "oldlib-1.1.tar.gz",
    lastVersion: "1.1",
    daysSinceLastUpload: 1200,
    maxInactivityDays: 1095,
    openAdvisories: 0,
  });
  assert.match(f.summary, /no release for 1200 days/);
});

test("open advisories on an unmaintained package raise it to medium", () => {
  const f = checkUnmaintained(requirement("oldlib", ">=1"), quiet(1200), { openAdvisories: 2 }, NOW)
    .findings[0]!;
  assert.equal(f.severity, "medium");
  assert.match(f.summary, /2 advisories are open/);
});

test("exactly 1095 days quiet is not yet unmaintained; a day more is", () => {
  assert.deepEqual(checkUnmaintained(locked("oldlib", "1.0"), quiet(1095), {}, NOW).findings, []);
  assert.equal(checkUnmaintained(locked("oldlib", "1.0"), quiet(1096), {}, NOW).findings.length, 1);
});

test("the newest upload over all files counts, a yanked or pre-release one included", () => {
  const p = project("oldlib", [
    sdist("oldlib", "1.0", { uploadTime: daysAgo(2000) }),
    wheel("oldlib", "2.0b1", "py3-none-any", { uploadTime: daysAgo(10), yanked: true }),
  ]);
  assert.deepEqual(checkUnmaintained(locked("oldlib", "1.0"), p, {}, NOW).findings, []);
});

test("the inactivity limit is an option", () => {
  assert.equal(
    checkUnmaintained(locked("oldlib", "1.0"), quiet(400), { maxInactivityDays: 365 }, NOW).findings.length,
    1,
  );
});

test("without upload times the check cannot run, and says so", () => {
  const noTimes = project("oldlib", [sdist("oldlib", "1.0")], { capabilities: { uploadTimes: false } });
  assert.match(checkUnmaintained(locked("oldlib", "1.0"), noTimes, {}, NOW).skipped ?? "", /no upload times/);
  const none = project("oldlib", [sdist("oldlib", "1.0")]);
  assert.match(
    checkUnmaintained(locked("oldlib", "1.0"), none, {}, NOW).skipped ?? "",
    /no upload time for any file/,
  );
});
