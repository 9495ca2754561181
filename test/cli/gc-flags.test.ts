import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { topNames, uvLock } from "../../bench/generate.js";
import { gcFlagsFor } from "../../src/cli/gc-flags.js";
import { cliPath, repoRoot, sharedData } from "../paths.js";

test("batch commands trade GC latency for throughput; the server keeps V8's defaults", () => {
  assert.deepEqual(gcFlagsFor("serve"), []);
  for (const command of ["inventory", "check-pins", "audit", "db", undefined]) {
    assert.deepEqual(
      gcFlagsFor(command),
      ["--no-incremental-marking", "--no-minor-gc-task"],
      String(command),
    );
  }
});

test("a batch run on a big lock file does no incremental marking, where V8's defaults would", () => {
  const dir = mkdtempSync(join(tmpdir(), "pycustoms-gc-"));
  try {
    const lock = join(dir, "uv.lock");
    writeFileSync(lock, uvLock(topNames(sharedData, 5000)));
    const traced = (args: string[]): string => {
      const r = spawnSync(process.execPath, ["--trace-gc", ...args], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    // The control: parsing the same file with V8's defaults starts incremental marking.
    assert.match(traced([join(repoRoot, "dist", "bench", "parse-only.js"), lock]), /incremental marking/);
    const run = traced([cliPath, "inventory", "--format", "json", "--output", join(dir, "out.json"), lock]);
    assert.doesNotMatch(run, /incremental marking/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
