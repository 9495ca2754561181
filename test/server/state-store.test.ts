import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SqliteStateStore } from "../../src/server/storage/state-store.js";

const dir = mkdtempSync(join(tmpdir(), "pycustoms-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the state store creates its data directory for its owner only", async () => {
  const dataDir = join(dir, "data", "pycustoms");
  const store = new SqliteStateStore(join(dataDir, "state.sqlite"));
  try {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  } finally {
    await store.close();
  }
});
