import assert from "node:assert/strict";
import { test } from "node:test";
import Database from "better-sqlite3";
import type { Advisory } from "../../src/advisories/types.js";
import {
  addException,
  approve,
  deny,
  listBlocked,
  listRequests,
  readAuditLog,
} from "../../src/gate/admin.js";
import { type EvaluationContext, evaluateProject } from "../../src/gate/evaluate.js";
import { type StoredGateOptions, StoredProjectGate } from "../../src/gate/project-gate.js";
import { verifyAuditChain } from "../../src/gate/stores.js";
import type { Config } from "../../src/policy/config.js";
import type { ProjectInfo } from "../../src/upstream/types.js";
import { daysAgo, NOW, project, sdist, wheel } from "../checks/upstream-builders.js";
import { CVSS_8_1, configFrom, osvAdvisory } from "./gate-builders.js";

const client = { client: "10.0.0.7" };

/** A gate over an in-memory database with a settable clock, counting evaluations. */
function harness(
  init: {
    config?: Config;
    advisories?: Advisory[];
    db?: Database.Database;
  } & Partial<StoredGateOptions> = {},
) {
  const db = init.db ?? new Database(":memory:");
  const state = { now: NOW, evaluations: 0, advisories: init.advisories ?? [] };
  const gate = new StoredProjectGate({
    db,
    config: init.config ?? configFrom(),
    advisoriesFor: (name) => state.advisories.filter((a) => a.affected.some((e) => e.name === name)),
    popular: null,
    now: () => state.now,
    recheckAfterMs: 0,
    evaluate: (p: ProjectInfo, ctx: EvaluationContext) => {
      state.evaluations++;
      return evaluateProject(p, ctx);
    },
    ...init,
  });
  return { db, gate, state };
}

const requests = () =>
  project("requests", [
    wheel("requests", "2.31.0", "py3-none-any", { uploadTime: daysAgo(300) }),
    wheel("requests", "2.32.0", "py3-none-any", { uploadTime: daysAgo(30) }),
  ]);

const vuln = osvAdvisory({
  id: "GHSA-9hjg-9r4m-mvj7",
  aliases: ["CVE-2024-47081"],
  name: "requests",
  introduced: "2.32.0",
  fixed: "2.32.4",
  cvss: CVSS_8_1,
});

test("a project is evaluated once per upstream change, remembered across page objects and gate restarts", async () => {
  const { db, gate, state } = harness({ advisories: [vuln] });
  const page = requests();
  const first = await gate.filterProject(page, client);
  const again = await gate.filterProject(page, client);
  await gate.checkFile(page, page.files[0]!, client);
  assert.equal(state.evaluations, 1);
  // The same input gives the same filtered object (the server caches rendered pages by identity).
  assert.equal(again, first);
  assert.deepEqual(first.project.versions, ["2.31.0"]);

  // An equal page fetched again is a new object with the same fingerprint: no new evaluation.
  await gate.filterProject(requests(), client);
  assert.equal(state.evaluations, 1);
  const restarted = harness({ db, advisories: [vuln] });
  await restarted.gate.filterProject(requests(), client);
  assert.equal(restarted.state.evaluations, 0);

  // A new upstream file is a new fingerprint: evaluated again.
  const changed = requests();
  changed.files.push(wheel("requests", "2.32.4", "py3-none-any", { uploadTime: daysAgo(20) }));
  changed.versions.push("2.32.4");
  const filtered = await gate.filterProject(changed, client);
  assert.equal(state.evaluations, 2);
  assert.deepEqual(filtered.project.versions, ["2.31.0", "2.32.4"]);
});

test("a new advisory re-evaluates the remembered verdict", async () => {
  const { gate, state } = harness();
  const page = requests();
  assert.deepEqual((await gate.filterProject(page, client)).project.versions, ["2.31.0", "2.32.0"]);
  state.advisories = [vuln];
  assert.deepEqual((await gate.filterProject(page, client)).project.versions, ["2.31.0"]);
  assert.equal(state.evaluations, 2);
});

test("within the recheck interval a page object's verdict is used without looking anything up", async () => {
  const { gate, state } = harness({ recheckAfterMs: 60_000 });
  const page = requests();
  await gate.filterProject(page, client);
  state.advisories = [vuln];
  assert.equal((await gate.filterProject(page, client)).project.files.length, 2);
  gate.invalidate("Requests");
  assert.equal((await gate.filterProject(page, client)).project.files.length, 1);
});

test("filterProjectRemembered answers from the remembered verdict only: null before one exists and after invalidate", async () => {
  const { gate, state } = harness({ recheckAfterMs: 60_000, advisories: [vuln] });
  const page = requests();
  assert.equal(gate.filterProjectRemembered(page, client), null, "nothing remembered yet");
  const filtered = await gate.filterProject(page, client);
  assert.equal(gate.filterProjectRemembered(page, client), filtered, "the same object as the awaited answer");
  assert.equal(state.evaluations, 1);
  gate.invalidate("requests");
  assert.equal(gate.filterProjectRemembered(page, client), null, "invalidated: look again");
  state.now = new Date(NOW.getTime() + 61_000);
  await gate.filterProject(page, client);
  assert.notEqual(gate.filterProjectRemembered(page, client), null);
  state.now = new Date(NOW.getTime() + 200_000);
  assert.equal(gate.filterProjectRemembered(page, client), null, "past the recheck interval");
});

test("allowlist: a page view answered from the remembered verdict still counts as an access request", async () => {
  const { db, gate } = harness({ config: configFrom('[serve]\nmode = "allowlist"'), recheckAfterMs: 60_000 });
  const page = project("flask", [sdist("flask", "3.0.0", { uploadTime: daysAgo(100) })]);
  await gate.filterProject(page, client);
  for (let i = 0; i < 3; i++) assert.deepEqual(gate.filterProjectRemembered(page, client)?.project.files, []);
  assert.deepEqual(
    listRequests(db, "pending").map((r) => [r.specifier, r.requestCount]),
    [["", 4]],
  );
});

test("a blocked file is refused with the one-line reason, and the refusal is logged each time", async () => {
  const { db, gate } = harness({ advisories: [vuln] });
  const page = requests();
  const file = page.files.find((f) => f.version === "2.32.0")!;
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await gate.checkFile(page, file, client), {
      allow: false,
      reason: "pycustoms: requests 2.32.0 blocked: GHSA-9hjg-9r4m-mvj7, CVSS 8.1",
    });
  }
  assert.deepEqual(await gate.checkFile(page, page.files[0]!, client), { allow: true });
  const log = readAuditLog(db, { project: "requests" });
  assert.deepEqual(
    log.map((r) => [r.action, r.actor, r.version]),
    [
      ["hidden", "pycustoms", "2.32.0"],
      ["blocked", "10.0.0.7", "2.32.0"],
      ["blocked", "10.0.0.7", "2.32.0"],
      ["served", "10.0.0.7", "2.31.0"],
    ],
  );
  assert.equal(log[1]!.filename, "requests-2.32.0-py3-none-any.whl");
  assert.equal(log[1]!.findings[0]!.id, "GHSA-9hjg-9r4m-mvj7");
  assert.equal(verifyAuditChain(db).ok, true);
});

test("'hidden' is logged once per verdict change, not per page view; a release that clears is logged too", async () => {
  const { db, gate, state } = harness();
  const page = project("httpx", [
    sdist("httpx", "0.28.1", { uploadTime: daysAgo(30) }),
    sdist("httpx", "0.29.0", { uploadTime: daysAgo(2) }),
  ]);
  for (let i = 0; i < 5; i++) await gate.filterProject(page, client);
  assert.deepEqual(
    readAuditLog(db).map((r) => [r.action, r.version, r.reason]),
    [["hidden", "0.29.0", "hold: released 48 hours ago, within the 7-day cooldown"]],
  );
  state.now = new Date(daysAgo(-6));
  assert.equal((await gate.filterProject(page, client)).project.files.length, 2);
  assert.deepEqual(
    readAuditLog(db).map((r) => [r.action, r.version]),
    [
      ["hidden", "0.29.0"],
      ["cleared", "0.29.0"],
    ],
  );
  assert.equal(state.evaluations, 2);
});

test("cooldown: a 2-day-old release is held until an exception lets it through, and held again after it expires", async () => {
  const { db, gate, state } = harness();
  const page = project("httpx", [
    sdist("httpx", "0.28.1", { uploadTime: daysAgo(30) }),
    sdist("httpx", "0.29.0", { uploadTime: daysAgo(2) }),
  ]);
  const fresh = page.files[1]!;
  const held = await gate.checkFile(page, fresh, client);
  assert.deepEqual(held, {
    allow: false,
    reason: "pycustoms: httpx 0.29.0 blocked: released 48 hours ago, within the 7-day cooldown",
  });
  const added = addException(db, {
    project: "httpx",
    specifier: "==0.29.0",
    kind: "cooldown",
    reason: "fixes CVE we are exposed to",
    expiresAt: daysAgo(-1),
    createdBy: "alice",
    now: NOW,
  });
  assert.equal(added.ok, true);
  assert.deepEqual(await gate.checkFile(page, fresh, client), { allow: true });
  state.now = new Date(daysAgo(-1.5));
  assert.equal((await gate.checkFile(page, fresh, client)).allow, false);
  assert.deepEqual(
    readAuditLog(db).map((r) => r.action),
    ["hidden", "blocked", "exception-added", "cleared", "served", "hidden", "blocked"],
  );
});

test("allowlist: an unapproved project becomes one access request, however often it is asked for", async () => {
  const { db, gate } = harness({ config: configFrom('[serve]\nmode = "allowlist"') });
  const page = project("flask", [sdist("flask", "3.0.0", { uploadTime: daysAgo(100) })]);
  const file = page.files[0]!;
  for (let i = 0; i < 5; i++) {
    const decision = await gate.checkFile(page, file, client);
    assert.deepEqual(decision, {
      allow: false,
      reason:
        "pycustoms: flask 3.0.0 blocked: not approved for use (allowlist): an access request is recorded for review (request #1)",
    });
  }
  const requests = listRequests(db, "pending");
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.project, "flask");
  assert.equal(requests[0]!.specifier, "==3.0.0");
  assert.equal(requests[0]!.version, "3.0.0");
  assert.equal(requests[0]!.requestedBy, "10.0.0.7");
  assert.equal(requests[0]!.requestCount, 5);

  // Page views ask for the whole project: one more request, counted as it repeats.
  for (let i = 0; i < 5; i++) assert.deepEqual((await gate.filterProject(page, client)).project.files, []);
  assert.deepEqual(
    listRequests(db, "pending").map((r) => [r.specifier, r.requestCount]),
    [
      ["==3.0.0", 5],
      ["", 5],
    ],
  );
  assert.deepEqual(
    readAuditLog(db)
      .filter((r) => r.action === "requested")
      .map((r) => r.reason),
    ["access request #1 for flask==3.0.0", "access request #2 for flask"],
  );
});

test("allowlist: approve lets the release through; deny keeps it blocked with the reason", async () => {
  const { db, gate } = harness({ config: configFrom('[serve]\nmode = "allowlist"') });
  const flask = project("flask", [sdist("flask", "3.0.0", { uploadTime: daysAgo(100) })]);
  const django = project("django", [sdist("django", "5.0", { uploadTime: daysAgo(100) })]);
  await gate.checkFile(flask, flask.files[0]!, client);
  await gate.checkFile(django, django.files[0]!, client);
  const [forFlask, forDjango] = listRequests(db, "pending");

  const approved = approve(db, forFlask!.id, "alice", "reviewed, widely used");
  assert.equal(approved.ok && approved.value.status, "approved");
  assert.deepEqual(await gate.checkFile(flask, flask.files[0]!, client), { allow: true });
  assert.equal((await gate.filterProject(flask, client)).project.files.length, 1);

  assert.deepEqual(deny(db, forDjango!.id, "bob", ""), { ok: false, error: "a denial needs a reason" });
  assert.equal(deny(db, forDjango!.id, "bob", "use the internal build").ok, true);
  assert.deepEqual(await gate.checkFile(django, django.files[0]!, client), {
    allow: false,
    reason: "pycustoms: django 5.0 blocked: access denied by bob: use the internal build",
  });
  // A denied project does not queue new requests.
  assert.equal(listRequests(db, "pending").length, 0);
  assert.deepEqual(approve(db, 99, "alice", "x"), { ok: false, error: "no access request #99" });

  const decisions = readAuditLog(db).filter((r) => r.action === "approved" || r.action === "denied");
  assert.deepEqual(
    decisions.map((r) => [r.action, r.actor, r.project]),
    [
      ["approved", "alice", "flask"],
      ["denied", "bob", "django"],
    ],
  );
});

test("approving with a wider specifier covers later releases too", async () => {
  const { db, gate } = harness({ config: configFrom('[serve]\nmode = "allowlist"') });
  const page = project("flask", [
    sdist("flask", "3.0.0", { uploadTime: daysAgo(100) }),
    sdist("flask", "3.1.0", { uploadTime: daysAgo(50) }),
  ]);
  await gate.checkFile(page, page.files[0]!, client);
  const id = listRequests(db, "pending")[0]!.id;
  assert.deepEqual(approve(db, id, "alice", "ok", { specifier: "not a spec" }), {
    ok: false,
    error: '"not a spec" is not a PEP 440 version specifier',
  });
  assert.equal(approve(db, id, "alice", "ok", { specifier: ">=3" }).ok, true);
  assert.equal((await gate.filterProject(page, client)).project.files.length, 2);
});

test("listBlocked shows every refused release from the current verdicts, with its reasons", async () => {
  const { db, gate } = harness({ advisories: [vuln] });
  await gate.filterProject(requests(), client);
  assert.deepEqual(
    listBlocked(db).map(({ project, version, decision, reasons }) => ({
      project,
      version,
      decision,
      reasons,
    })),
    [
      {
        project: "requests",
        version: "2.32.0",
        decision: "hide",
        reasons: ["GHSA-9hjg-9r4m-mvj7, CVSS 8.1"],
      },
    ],
  );
});

test("addException refuses incomplete or expired exceptions", () => {
  const db = new Database(":memory:");
  const base = {
    project: "httpx",
    specifier: "",
    kind: "cooldown",
    reason: "needed",
    expiresAt: daysAgo(-1),
    createdBy: "alice",
    now: NOW,
  };
  assert.deepEqual(addException(db, { ...base, reason: " " }), {
    ok: false,
    error: "an exception needs a reason",
  });
  assert.deepEqual(addException(db, { ...base, expiresAt: daysAgo(1) }), {
    ok: false,
    error: "the expiry is in the past",
  });
  assert.deepEqual(addException(db, { ...base, project: "not a name!" }), {
    ok: false,
    error: '"not a name!" is not a project name',
  });
  const ok = addException(db, { ...base, project: "HTTPX" });
  assert.equal(ok.ok && ok.value.project, "httpx");
});

test("a quarantined upstream project serves no files through the gate", async () => {
  const { gate } = harness();
  const page = project("pkg-q", [sdist("pkg-q", "1.0", { uploadTime: daysAgo(100) })], {
    status: { status: "quarantined", reason: null },
  });
  const filtered = await gate.filterProject(page, client);
  assert.deepEqual(filtered.project.files, []);
  assert.equal(
    filtered.blocked.get("pkg-q-1.0.tar.gz"),
    "pycustoms: pkg-q 1.0 blocked: project quarantined upstream",
  );
  assert.equal((await gate.checkFile(page, page.files[0]!, client)).allow, false);
});
