import assert from "node:assert/strict";
import { test } from "node:test";
import { checkSizeAnomaly } from "../../src/checks/size-anomaly.js";
import { locked, project, requirement, sdist, wheel } from "./upstream-builders.js";

const MB = 1_000_000;
const sized = (size: number) => ({ size });

test("an sdist more than 3x and over 1 MB larger than the previous release's is medium, with both sizes", () => {
  const p = project("pkg", [sdist("pkg", "1.0", sized(500_000)), sdist("pkg", "1.1", sized(2_000_000))]);
  const r = checkSizeAnomaly(locked("pkg", "1.1"), p);
  assert.equal(r.skipped, null);
  const f = r.findings[0]!;
  assert.equal(f.kind, "size-anomaly");
  assert.equal(f.severity, "medium");
  assert.equal(f.evidence?.previousVersion, "1.0");
  assert.equal(f.evidence?.size, 2_000_000);
  assert.equal(f.evidence?.previousSize, 500_000);
  assert.equal(f.evidence?.ratio, 4);
  assert.match(f.summary, /pkg-1\.1\.tar\.gz is 4× the size of pkg-1\.0\.tar\.gz from 1\.0/);
});

test("exactly 3x is not an anomaly; just over is", () => {
  const exact = project("pkg", [sdist("pkg", "1.0", sized(MB)), sdist("pkg", "1.1", sized(3 * MB))]);
  assert.deepEqual(checkSizeAnomaly(locked("pkg", "1.1"), exact), { findings: [], skipped: null });
  const over = project("pkg", [sdist("pkg", "1.0", sized(MB)), sdist("pkg", "1.1", sized(3 * MB + 1))]);
  assert.equal(checkSizeAnomaly(locked("pkg", "1.1"), over).findings.length, 1);
});

test("the increase must be at least 1 MB: exactly 1,000,000 bytes more counts, one byte less does not", () => {
  const exact = project("pkg", [sdist("pkg", "1.0", sized(100_000)), sdist("pkg", "1.1", sized(1_100_000))]);
  assert.equal(checkSizeAnomaly(locked("pkg", "1.1"), exact).findings.length, 1);
  const under = project("pkg", [sdist("pkg", "1.0", sized(100_000)), sdist("pkg", "1.1", sized(1_099_999))]);
  assert.deepEqual(checkSizeAnomaly(locked("pkg", "1.1"), under).findings, []);
});

test("the limits are options", () => {
  const p = project("pkg", [sdist("pkg", "1.0", sized(1000)), sdist("pkg", "1.1", sized(2500))]);
  assert.equal(
    checkSizeAnomaly(locked("pkg", "1.1"), p, { maxSizeRatio: 2, minSizeIncreaseBytes: 1000 }).findings
      .length,
    1,
  );
});

test("wheels are compared with the previous wheel of the same tags, not with the largest", () => {
  const p = project("np", [
    wheel("np", "1.0", "cp311-cp311-manylinux_x86_64", sized(20 * MB)),
    wheel("np", "1.0", "cp311-cp311-win_amd64", sized(2 * MB)),
    wheel("np", "1.1", "cp311-cp311-manylinux_x86_64", sized(21 * MB)),
    wheel("np", "1.1", "cp311-cp311-win_amd64", sized(9 * MB)),
  ]);
  const f = checkSizeAnomaly(locked("np", "1.1"), p).findings[0]!;
  assert.equal(f.evidence?.previousSize, 2 * MB);
  assert.equal(f.evidence?.ratio, 4.5);
  assert.deepEqual(
    (f.evidence?.anomalies as { file: string }[] | undefined)?.map((a) => a.file),
    ["np-1.1-cp311-cp311-win_amd64.whl"],
  );
});

test("when no wheel tags carry over, the largest wheels are compared", () => {
  const p = project("np", [
    wheel("np", "1.0", "cp310-cp310-manylinux_x86_64", sized(2 * MB)),
    wheel("np", "1.1", "cp312-cp312-manylinux_x86_64", sized(7 * MB)),
  ]);
  assert.equal(checkSizeAnomaly(locked("np", "1.1"), p).findings[0]!.evidence?.ratio, 3.5);
});

test("an sdist is never compared with a wheel", () => {
  const p = project("pkg", [
    wheel("pkg", "1.0", "py3-none-any", sized(100)),
    sdist("pkg", "1.1", sized(5 * MB)),
  ]);
  assert.match(checkSizeAnomaly(locked("pkg", "1.1"), p).skipped ?? "", /share no kind of artifact/);
});

test("the previous release skips pre-releases, unless the pinned version is one", () => {
  const p = project("pkg", [
    sdist("pkg", "1.0", sized(4 * MB)),
    sdist("pkg", "2.0b1", sized(100_000)),
    sdist("pkg", "2.0rc1", sized(5 * MB)),
    sdist("pkg", "2.0", sized(5 * MB)),
  ]);
  assert.deepEqual(checkSizeAnomaly(locked("pkg", "2.0"), p).findings, []);
  const pre = checkSizeAnomaly(requirement("pkg", "==2.0rc1"), p).findings[0]!;
  assert.equal(pre.evidence?.previousVersion, "2.0b1");
});

test("a local build is compared with the previous release of the same local label", () => {
  const p = project("torch", [
    wheel("torch", "2.0.0+cpu", "cp311-cp311-linux_x86_64", sized(200 * MB)),
    wheel("torch", "2.0.0+cu121", "cp311-cp311-linux_x86_64", sized(2000 * MB)),
    wheel("torch", "2.1.0", "cp311-cp311-linux_x86_64", sized(10 * MB)),
    wheel("torch", "2.1.0+cu121", "cp311-cp311-linux_x86_64", sized(2100 * MB)),
  ]);
  const r = checkSizeAnomaly(locked("torch", "2.1.0+cu121"), p);
  assert.deepEqual(r, { findings: [], skipped: null });
  const plain = project("torch", [
    ...p.files,
    wheel("torch", "2.2.0", "cp311-cp311-linux_x86_64", sized(50 * MB)),
  ]);
  assert.equal(
    checkSizeAnomaly(locked("torch", "2.2.0"), plain).findings[0]!.evidence?.previousVersion,
    "2.1.0",
  );
});

test("the check cannot run without sizes, without a pin, or without an earlier release", () => {
  const noSizes = project("pkg", [sdist("pkg", "1.0"), sdist("pkg", "1.1")], {
    capabilities: { sizes: false },
  });
  assert.match(checkSizeAnomaly(locked("pkg", "1.1"), noSizes).skipped ?? "", /publishes no file sizes/);
  const p = project("pkg", [sdist("pkg", "1.0", sized(10)), sdist("pkg", "1.1", sized(10))]);
  assert.match(checkSizeAnomaly(requirement("pkg", ">=1"), p).skipped ?? "", /not pinned/);
  assert.match(checkSizeAnomaly(locked("pkg", "1.0"), p).skipped ?? "", /no earlier release/);
  assert.match(checkSizeAnomaly(locked("pkg", "1.2"), p).skipped ?? "", /pkg 1\.2 is not on/);
  const unsized = project("pkg", [sdist("pkg", "1.0", sized(10)), sdist("pkg", "1.1")]);
  assert.match(checkSizeAnomaly(locked("pkg", "1.1"), unsized).skipped ?? "", /gives no sizes for pkg 1\.1/);
});
