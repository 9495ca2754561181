import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { createGateTables, recordAccessRequest } from "../../src/gate/stores.js";
import { assertNoStackTrace, runCli } from "./run-cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "pycustoms-cli-admin-"));
const dbPath = join(dataDir, "state.sqlite");

function cli(...args: string[]) {
  const run = runCli([...args, "--data-dir", dataDir]);
  assertNoStackTrace(run);
  return run;
}

/** What a gate in allowlist mode records when a client asks for an unapproved project. */
function seedRequests(): void {
  const db = new Database(dbPath);
  try {
    createGateTables(db);
    for (const [project, specifier, version] of [
      ["alpha-pkg", "", null],
      ["beta", "==0.5", "0.5"],
    ] as const) {
      recordAccessRequest(db, {
        project,
        specifier,
        version,
        requestedBy: "10.1.2.3",
        at: "2026-07-31T09:00:00.000Z",
        findings: [],
      });
    }
  } finally {
    db.close();
  }
}

describe("pycustoms requests / approve / deny / exception / audit-log / blocked / cache stats", () => {
  before(() => {
    // The database the server would have created: the CLI opens the same file.
    const first = cli("requests");
    assert.equal(first.code, 0);
    assert.match(first.stdout, /no pending access requests/);
    seedRequests();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("requests lists the pending requests as a table and as JSON", () => {
    const table = cli("requests");
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^ID\s+STATUS\s+PROJECT/);
    assert.match(table.stdout, /\n1\s+pending\s+alpha-pkg\s+-\s+10\.1\.2\.3/);
    assert.match(table.stdout, /\n2\s+pending\s+beta==0\.5\s+0\.5/);
    const json = JSON.parse(cli("requests", "--format", "json").stdout);
    assert.equal(json.schema, "pycustoms.access-requests/1");
    assert.deepEqual(
      json.requests.map((r: { project: string }) => r.project),
      ["alpha-pkg", "beta"],
    );
  });

  it("deny without --reason and approve of an unknown or malformed id are usage errors (exit 2)", () => {
    const noReason = cli("deny", "2");
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason/);
    const blank = cli("deny", "2", "--reason", " ");
    assert.equal(blank.code, 2);
    assert.match(blank.stderr, /a denial needs a --reason/);
    const unknown = cli("approve", "42");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /pycustoms: error: no access request #42/);
    const malformed = cli("approve", "two");
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /'two' is not an access request id/);
    assert.equal(cli("requests").stdout.match(/pending/g)?.length, 2, "nothing was decided");
  });

  it("approve and deny decide, say who decided, and land in the audit log", () => {
    const approved = cli("approve", "1", "--reason", "reviewed by security", "--by", "alice");
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.stdout, "approved request #1: alpha-pkg (every release)\n");
    const denied = JSON.parse(cli("deny", "#2", "--reason", "use gamma", "--format", "json").stdout);
    assert.equal(denied.request.status, "denied");
    assert.match(denied.request.decidedBy, /^cli:/);
    assert.match(cli("requests").stdout, /no pending access requests/);
    const all = cli("requests", "--status", "all").stdout;
    assert.match(all, /approved\s+alpha-pkg.*alice: reviewed by security/);
    const log = JSON.parse(cli("audit-log", "--format", "json").stdout);
    assert.equal(log.schema, "pycustoms.audit-log/1");
    assert.deepEqual(
      log.entries.map((e: { actor: string; action: string; project: string }) => [e.action, e.project]),
      [
        ["approved", "alpha-pkg"],
        ["denied", "beta"],
      ],
    );
    assert.equal(log.entries[0].actor, "alice");
  });

  it("exception add needs --reason and --expires; it is listed, removable, and audited", () => {
    const noExpiry = cli("exception", "add", "alpha-pkg", "--kind", "cooldown", "--reason", "hotfix");
    assert.equal(noExpiry.code, 2);
    assert.match(noExpiry.stderr, /--expires/);
    const badExpiry = cli(
      "exception",
      "add",
      "alpha-pkg",
      "--kind",
      "cooldown",
      "--reason",
      "x",
      "--expires",
      "soon",
    );
    assert.equal(badExpiry.code, 2);
    assert.match(badExpiry.stderr, /--expires must be an ISO date/);
    const past = cli(
      "exception",
      "add",
      "alpha-pkg",
      "--kind",
      "cooldown",
      "--reason",
      "x",
      "--expires",
      "2001-01-01",
    );
    assert.equal(past.code, 2);
    assert.match(past.stderr, /the expiry is in the past/);
    const added = JSON.parse(
      cli(
        "exception",
        "add",
        "Alpha_Pkg",
        "--specifier",
        ">=2",
        "--kind",
        "GHSA-aaaa-bbbb-cccc",
        "--reason",
        "not reachable in our use",
        "--expires",
        "30d",
        "--format",
        "json",
      ).stdout,
    );
    assert.equal(added.schema, "pycustoms.exception/1");
    assert.equal(added.exception.project, "alpha-pkg");
    const days = (Date.parse(added.exception.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    assert.match(cli("exception", "list").stdout, /\n1\s+active\s+alpha-pkg>=2\s+GHSA-aaaa-bbbb-cccc/);
    assert.equal(cli("exception", "remove", "1").code, 0);
    assert.match(cli("exception", "list").stdout, /\n1\s+ended\s+alpha-pkg>=2/);
    assert.equal(cli("exception", "remove", "9").code, 2);
    const actions = JSON.parse(
      cli("audit-log", "--project", "ALPHA_PKG", "--format", "json").stdout,
    ).entries.map((e: { action: string }) => e.action);
    assert.deepEqual(actions, ["approved", "exception-added", "exception-expired"]);
    assert.equal(JSON.parse(cli("audit-log", "--limit", "1", "--format", "json").stdout).entries.length, 1);
    assert.equal(cli("audit-log", "--limit", "none").code, 2);
  });

  it("audit-log --verify exits 0 on an intact chain and 1 when a row was changed", () => {
    const ok = cli("audit-log", "--verify");
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /audit log intact: 4 rows/);
    const db = new Database(dbPath);
    try {
      db.exec("DROP TRIGGER audit_log_no_update");
      db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE id = 1").run();
    } finally {
      db.close();
    }
    const broken = cli("audit-log", "--verify", "--format", "json");
    assert.equal(broken.code, 1);
    const result = JSON.parse(broken.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.brokenAt, 1);
  });

  it("blocked and cache stats answer on a data directory without a server", () => {
    const blocked = cli("blocked");
    assert.equal(blocked.code, 0);
    assert.match(blocked.stdout, /nothing blocked/);
    const stats = JSON.parse(cli("cache", "stats", "--format", "json").stdout);
    assert.equal(stats.schema, "pycustoms.cache-stats/1");
    assert.deepEqual(stats.blobs, { count: 0, bytes: 0 });
    assert.equal(stats.audit.approved, 1);
    assert.match(cli("cache", "stats").stdout, /^files:\s+0 \(0\.0 MB\)/);
    assert.equal(cli("cache", "stats", "--format", "yaml").code, 2);
  });
});

it("a command that only reads refuses a data directory that does not exist, and creates nothing", () => {
  const missing = join(tmpdir(), `pycustoms-no-such-data-dir-${process.pid}`);
  for (const args of [
    ["requests"],
    ["blocked"],
    ["exception", "list"],
    ["audit-log"],
    ["cache", "stats"],
    ["token", "list"],
    ["project", "list"],
  ]) {
    const run = runCli([...args, "--data-dir", missing]);
    assertNoStackTrace(run);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, /no data directory .*check --data-dir/);
  }
  assert.equal(existsSync(missing), false);
});
