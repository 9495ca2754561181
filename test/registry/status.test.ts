import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { setProjectStatus, statusRefusesUploads, statusServesFiles } from "../../src/registry/status.js";
import { createRegistryTables, ensureProject, getProject } from "../../src/registry/store.js";

function withProject(): Database.Database {
  const db = new Database(":memory:");
  createRegistryTables(db);
  ensureProject(db, "demo-pkg", "demo_pkg", new Date("2026-01-01T00:00:00Z"));
  return db;
}

describe("internal project status (PEP 792)", () => {
  it("sets a marker with its reason, and active clears the reason", () => {
    const db = withProject();
    const at = new Date("2026-02-01T00:00:00Z");
    const archived = setProjectStatus(db, "Demo.Pkg", "archived", "  replaced by\n demo-ng ", at);
    assert.ok(archived.ok);
    assert.equal(archived.previous, "active");
    assert.deepEqual(
      {
        status: archived.project.status,
        reason: archived.project.statusReason,
        at: archived.project.statusChangedAt,
      },
      { status: "archived", reason: "replaced by demo-ng", at: at.toISOString() },
    );
    const active = setProjectStatus(db, "demo-pkg", "active", "ignored");
    assert.ok(active.ok);
    assert.equal(active.previous, "archived");
    assert.equal(getProject(db, "demo-pkg")?.statusReason, null);
  });

  it("refuses unknown statuses, invalid names and projects that were never uploaded", () => {
    const db = withProject();
    assert.deepEqual(setProjectStatus(db, "demo-pkg", "deleted"), {
      ok: false,
      reason: "unknown status 'deleted': use one of active, archived, deprecated, quarantined",
    });
    assert.deepEqual(setProjectStatus(db, "../x", "archived"), {
      ok: false,
      reason: "'../x' is not a valid project name",
    });
    assert.deepEqual(setProjectStatus(db, "requests", "archived"), {
      ok: false,
      reason: "no internal project 'requests' (projects are created by their first upload)",
    });
    assert.equal(getProject(db, "requests"), null);
  });

  it("archived and quarantined refuse uploads; only quarantined hides files", () => {
    assert.deepEqual(
      (["active", "archived", "deprecated", "quarantined"] as const).map((s) => [
        s,
        statusRefusesUploads(s),
        statusServesFiles(s),
      ]),
      [
        ["active", false, true],
        ["archived", true, true],
        ["deprecated", false, true],
        ["quarantined", true, false],
      ],
    );
  });
});
