import assert from "node:assert/strict";
import { test } from "node:test";
import { checkReleaseAge } from "../../src/checks/release-age.js";
import { daysAgo, locked, NOW, project, requirement, sdist, wheel } from "./upstream-builders.js";

const at = (days: number) => ({ uploadTime: daysAgo(days) });

const httpx = project("httpx", [
  sdist("httpx", "0.27.0", at(200)),
  sdist("httpx", "0.28.0", at(30)),
  sdist("httpx", "0.28.1", at(9)),
  // Released 2 days ago; a wheel added later does not make it younger.
  sdist("httpx", "0.29.0", at(2)),
  wheel("httpx", "0.29.0", "py3-none-any", at(1)),
  sdist("httpx", "0.30.0rc1", at(0.5)),
]);

test("a pin on a release younger than the cooldown is medium, with its upload time and age in hours", () => {
  const r = checkReleaseAge(requirement("httpx", "==0.29.0"), httpx, {}, NOW);
  assert.equal(r.skipped, null);
  const f = r.findings[0]!;
  assert.equal(f.kind, "release-age");
  assert.equal(f.severity, "medium");
  assert.equal(f.version, "0.29.0");
  assert.deepEqual(f.evidence, { uploadTime: daysAgo(2), ageHours: 48, minReleaseAgeDays: 7 });
  assert.equal(f.fixedIn, null);
  assert.match(f.summary, /48 hours ago, within the 7-day cooldown/);
});

test("reportCooldownVersion names the newest release past the cooldown that the specifier admits", () => {
  const r = checkReleaseAge(locked("httpx", "0.29.0"), httpx, { reportCooldownVersion: true }, NOW);
  assert.equal(r.findings[0]!.evidence?.newestAllowed, "0.28.1");
  assert.equal(r.findings[0]!.fixedIn, "0.28.1");
  const ranged = locked("httpx", "0.29.0", { specifier: "<0.28.1" });
  assert.equal(
    checkReleaseAge(ranged, httpx, { reportCooldownVersion: true }, NOW).findings[0]!.fixedIn,
    "0.28.0",
  );
});

test("a release exactly 7 days old has cooled down; a minute younger has not", () => {
  const exact = project("p", [sdist("p", "1.0", at(7))]);
  assert.deepEqual(checkReleaseAge(locked("p", "1.0"), exact, {}, NOW), { findings: [], skipped: null });
  const younger = project("p", [sdist("p", "1.0", at(7 - 1 / 1440))]);
  assert.equal(checkReleaseAge(locked("p", "1.0"), younger, {}, NOW).findings.length, 1);
});

test("an old release has no finding", () => {
  assert.deepEqual(checkReleaseAge(locked("httpx", "0.28.0"), httpx, {}, NOW).findings, []);
});

test("the cooldown length and per-package exceptions are options (names normalised, 0 exempts)", () => {
  assert.equal(
    checkReleaseAge(locked("httpx", "0.28.1"), httpx, { minReleaseAgeDays: 10 }, NOW).findings.length,
    1,
  );
  assert.deepEqual(
    checkReleaseAge(locked("httpx", "0.29.0"), httpx, { exceptions: { HTTPX: 0 } }, NOW).findings,
    [],
  );
  assert.deepEqual(
    checkReleaseAge(
      locked("httpx", "0.29.0"),
      httpx,
      { minReleaseAgeDays: 30, exceptions: { httpx: 1 } },
      NOW,
    ).findings,
    [],
  );
});

test("a range that would install a fresh release is medium and names the newest cooled-down alternative", () => {
  const r = checkReleaseAge(requirement("httpx", ">=0.28"), httpx, {}, NOW);
  const f = r.findings[0]!;
  assert.equal(f.severity, "medium");
  assert.equal(f.version, null);
  // The pre-release 0.30.0rc1 is not what the range installs; 0.29.0 is.
  assert.equal(f.evidence?.newest, "0.29.0");
  assert.equal(f.evidence?.newestAllowed, "0.28.1");
  assert.equal(f.fixedIn, "0.28.1");
  assert.match(f.summary, /httpx>=0\.28 would install 0\.29\.0, released 48 hours ago.*0\.28\.1/);
});

test("a range whose newest release has cooled down is fine", () => {
  assert.deepEqual(checkReleaseAge(requirement("httpx", "<0.29"), httpx, {}, NOW).findings, []);
});

test("a range that allows pre-releases is checked against the pre-release it would install", () => {
  const f = checkReleaseAge(requirement("httpx", ">=0.30.0rc1"), httpx, {}, NOW).findings[0]!;
  assert.equal(f.evidence?.newest, "0.30.0rc1");
  assert.equal(f.evidence?.ageHours, 12);
  assert.equal(f.evidence?.newestAllowed, null);
});

test("a yanked fresh release is not what a range installs", () => {
  const p = project("p", [sdist("p", "1.0", at(100)), sdist("p", "1.1", { ...at(1), yanked: true })]);
  assert.deepEqual(checkReleaseAge(requirement("p", ">=1"), p, {}, NOW).findings, []);
});

test("a local version is aged by its own files", () => {
  const p = project("torch", [
    wheel("torch", "2.1.0+cpu", "cp311-cp311-linux_x86_64", at(30)),
    wheel("torch", "2.1.0+cu121", "cp311-cp311-linux_x86_64", at(1)),
  ]);
  assert.deepEqual(checkReleaseAge(locked("torch", "2.1.0+cpu"), p, {}, NOW).findings, []);
  assert.equal(checkReleaseAge(locked("torch", "2.1.0+cu121"), p, {}, NOW).findings.length, 1);
});

test("without upload times the check cannot run, and says so", () => {
  const noTimes = project("p", [sdist("p", "1.0")], { capabilities: { uploadTimes: false } });
  assert.match(
    checkReleaseAge(locked("p", "1.0"), noTimes, {}, NOW).skipped ?? "",
    /publishes no upload times/,
  );
  const missing = project("p", [sdist("p", "1.0")]);
  assert.match(
    checkReleaseAge(locked("p", "1.0"), missing, {}, NOW).skipped ?? "",
    /no upload time for the files/,
  );
  assert.match(checkReleaseAge(locked("p", "2.0"), missing, {}, NOW).skipped ?? "", /p 2\.0 is not on/);
});

test("PyPI's JSON API upload time without a zone is read as UTC", () => {
  const p = project("p", [sdist("p", "1.0", { uploadTime: "2026-07-30T12:00:00" })]);
  assert.equal(checkReleaseAge(locked("p", "1.0"), p, {}, NOW).findings[0]!.evidence?.ageHours, 48);
});
