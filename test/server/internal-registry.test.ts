// The internal registry's in-memory names: seen at once for this connection's writes, within the recheck interval
// for another connection's (another worker process, the admin CLI), and pages read again only after a commit.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { setProjectStatus } from "../../src/registry/status.js";
import { createRegistryTables, ensureProject } from "../../src/registry/store.js";
import { createInternalRegistry } from "../../src/server/internal-registry.js";

function openDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  return db;
}

describe("createInternalRegistry over a shared state database", () => {
  let work: string;
  let path: string;
  const opened: Database.Database[] = [];
  const open = () => {
    const db = openDb(path);
    opened.push(db);
    return db;
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), "pycustoms-internal-"));
    path = join(work, "state.sqlite");
    createRegistryTables(open());
  });

  after(() => {
    for (const db of opened) db.close();
    rmSync(work, { recursive: true, force: true });
  });

  test("a project created by another connection is internal once the recheck interval has passed, not before", () => {
    let now = 1_000;
    const server = open();
    const registry = createInternalRegistry(server, {}, { recheckAfterMs: 250, now: () => now });
    assert.equal(registry.isInternal("late-pkg"), false);
    ensureProject(open(), "late-pkg", "Late_Pkg", new Date());
    // Held in memory: no query per request, so the other connection's commit is not seen yet ...
    now += 100;
    assert.equal(registry.isInternal("late-pkg"), false);
    // ... and is seen at the next data_version check.
    now += 150;
    assert.equal(registry.isInternal("late-pkg"), true);
    assert.equal(registry.isInternal("other-pkg"), false);
  });

  test("a project created through the server's own connection is internal at once", () => {
    const now = 5_000;
    const server = open();
    const registry = createInternalRegistry(server, {}, { recheckAfterMs: 60_000, now: () => now });
    assert.equal(registry.isInternal("own-upload"), false);
    ensureProject(server, "own-upload", "own-upload", new Date());
    assert.equal(registry.isInternal("own-upload"), true);
  });

  test("configured names and prefixes are internal without any project", () => {
    const registry = createInternalRegistry(open(), { names: ["Acme_Secret"], prefixes: ["Corp."] });
    assert.equal(registry.isInternal("acme-secret"), true);
    assert.equal(registry.isInternal("corp-tools"), true);
    assert.equal(registry.isInternal("corporate"), false);
    assert.equal(registry.isInternal("acme"), false);
  });

  test("a page is the same object until something is committed, and another connection's change shows at once", () => {
    const now = 9_000;
    const server = open();
    const registry = createInternalRegistry(server, {}, { recheckAfterMs: 60_000, now: () => now });
    ensureProject(server, "paged-pkg", "paged-pkg", new Date());
    const first = registry.page("paged-pkg", "http://127.0.0.1:1");
    assert.ok(first);
    assert.equal(first.status.status, "active");
    assert.equal(registry.page("paged-pkg", "http://127.0.0.1:1"), first);
    assert.notEqual(registry.page("paged-pkg", "http://other:2"), first);
    // The admin CLI quarantines it from its own process: the page is read again at the next request.
    assert.ok(setProjectStatus(open(), "paged-pkg", "quarantined", "token leaked").ok);
    const after = registry.page("paged-pkg", "http://127.0.0.1:1");
    assert.notEqual(after, first);
    assert.equal(after?.status.status, "quarantined");
    assert.equal(registry.page("no-such-pkg", "http://127.0.0.1:1"), null);
  });
});
