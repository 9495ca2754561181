import assert from "node:assert/strict";
import { test } from "node:test";
import Database from "better-sqlite3";
import {
  appendAudit,
  auditHead,
  createGateTables,
  GENESIS_HASH,
  readAudit,
  recordAccessRequest,
  verifyAuditChain,
} from "../../src/gate/stores.js";

function freshDb(): Database.Database {
  const db = new Database(":memory:");
  createGateTables(db);
  return db;
}

function entry(i: number) {
  return {
    time: `2026-08-01T12:00:0${i}.000Z`,
    actor: "10.0.0.1",
    action: "served",
    project: "requests",
    version: "2.31.0",
    filename: `requests-2.31.0-${i}.whl`,
    reason: null,
    findings: [],
  };
}

test("the audit log refuses UPDATE and DELETE", () => {
  const db = freshDb();
  appendAudit(db, [entry(1), entry(2)]);
  assert.throws(() => db.prepare("UPDATE audit_log SET reason = 'x' WHERE id = 1").run(), /append-only/);
  assert.throws(() => db.prepare("DELETE FROM audit_log WHERE id = 1").run(), /append-only/);
  assert.equal(readAudit(db).length, 2);
});

test("each audit row chains to the one before; the chain verifies", () => {
  const db = freshDb();
  assert.deepEqual(verifyAuditChain(db), { ok: true, rows: 0, head: GENESIS_HASH });
  const [a, b] = appendAudit(db, [entry(1), entry(2)]);
  const [c] = appendAudit(db, [entry(3)]);
  assert.equal(a!.prevHash, GENESIS_HASH);
  assert.equal(b!.prevHash, a!.hash);
  assert.equal(c!.prevHash, b!.hash);
  assert.deepEqual(verifyAuditChain(db), { ok: true, rows: 3, head: c!.hash });
  assert.deepEqual(auditHead(db), { id: 3, hash: c!.hash });
});

test("a row changed behind the triggers' back is detected at that row", () => {
  const db = freshDb();
  appendAudit(db, [entry(1), entry(2), entry(3)]);
  db.exec("DROP TRIGGER audit_log_no_update");
  db.prepare("UPDATE audit_log SET reason = 'nothing to see' WHERE id = 2").run();
  const result = verifyAuditChain(db);
  assert.equal(result.ok, false);
  assert.equal(result.ok ? 0 : result.brokenAt, 2);
  assert.equal(result.rows, 1);
});

test("a row removed from the middle is detected at the row after it", () => {
  const db = freshDb();
  appendAudit(db, [entry(1), entry(2), entry(3)]);
  db.exec("DROP TRIGGER audit_log_no_delete");
  db.prepare("DELETE FROM audit_log WHERE id = 2").run();
  const result = verifyAuditChain(db);
  assert.equal(result.ok ? 0 : result.brokenAt, 3);
  assert.match(result.ok ? "" : result.message, /removed or inserted/);
});

test("readAudit filters by time and project and keeps the newest rows under a limit", () => {
  const db = freshDb();
  appendAudit(db, [entry(1), { ...entry(2), project: "flask" }, entry(3), entry(4)]);
  assert.deepEqual(
    readAudit(db, { project: "requests", limit: 2 }).map((r) => r.id),
    [3, 4],
  );
  assert.deepEqual(
    readAudit(db, { since: "2026-08-01T12:00:02.000Z" }).map((r) => r.id),
    [2, 3, 4],
  );
});

test("a repeated access request is counted on the open one, not queued again", () => {
  const db = freshDb();
  const req = {
    project: "flask",
    specifier: "==3.0.0",
    version: "3.0.0",
    requestedBy: "10.0.0.1",
    at: "2026-08-01T12:00:00.000Z",
    findings: [],
  };
  const first = recordAccessRequest(db, req);
  assert.equal(first.created, true);
  for (let i = 0; i < 4; i++) {
    const again = recordAccessRequest(db, {
      ...req,
      requestedBy: "10.0.0.2",
      at: "2026-08-01T13:00:00.000Z",
    });
    assert.equal(again.created, false);
    assert.equal(again.request.id, first.request.id);
  }
  const rows = db.prepare("SELECT * FROM access_requests").all() as {
    request_count: number;
    last_requested_at: string;
    requested_by: string;
  }[];
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.request_count, 5);
  assert.equal(rows[0]!.requested_by, "10.0.0.1");
  assert.equal(rows[0]!.last_requested_at, "2026-08-01T13:00:00.000Z");
});
