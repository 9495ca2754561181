import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import type { ProjectVerdict } from "../../src/gate/evaluate.js";
import { recordAccessRequest, saveVerdict } from "../../src/gate/stores.js";
import { createRegistryTables } from "../../src/registry/store.js";
import { createToken, revokeToken } from "../../src/registry/tokens.js";
import { ADMIN_PREFIX, adminRoutes, parseWhen, presentedToken } from "../../src/server/admin-routes.js";
import { allowAllGate } from "../../src/server/gate-hook.js";
import { FsBlobStore } from "../../src/server/storage/blob-store.js";
import { SqliteStateStore } from "../../src/server/storage/state-store.js";

const NOW = new Date("2026-08-01T12:00:00.000Z");

interface Setup {
  app: FastifyInstance;
  state: SqliteStateStore;
  admin: string;
  adminId: string;
  scoped: string;
  invalidated: (string | undefined)[];
  dir: string;
}

async function setUp(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "pycustoms-admin-api-"));
  const state = new SqliteStateStore(join(dir, "state.sqlite"), { now: () => NOW.getTime() });
  createRegistryTables(state.db);
  const admin = createToken(state.db, { projects: ["*"], description: "ops" });
  const scoped = createToken(state.db, { projects: ["acme"] });
  if ("error" in admin || "error" in scoped) throw new Error("token");
  const invalidated: (string | undefined)[] = [];
  const gate = { ...allowAllGate, invalidate: (p?: string) => invalidated.push(p) };
  const app = Fastify();
  await app.register(adminRoutes, {
    services: { state, blobs: new FsBlobStore(join(dir, "blobs")), gate },
    now: () => NOW,
  });
  return { app, state, admin: admin.token, adminId: admin.record.id, scoped: scoped.token, invalidated, dir };
}

function seedRequest(s: Setup, project: string, specifier = "", version: string | null = null) {
  return recordAccessRequest(s.state.db, {
    project,
    specifier,
    version,
    requestedBy: "10.0.0.7",
    at: "2026-07-31T09:00:00.000Z",
    findings: [],
  }).request;
}

describe("admin API: authentication", () => {
  let s: Setup;
  before(async () => {
    s = await setUp();
  });
  after(async () => {
    await s.app.close();
    await s.state.close();
    rmSync(s.dir, { recursive: true, force: true });
  });

  it("without a token every admin route is 401 with a Bearer challenge; health answers anyway", async () => {
    for (const url of [
      "/requests",
      "/blocked",
      "/audit-log",
      "/audit-log/verify",
      "/cache/stats",
      "/exceptions",
    ]) {
      const r = await s.app.inject({ url: `${ADMIN_PREFIX}${url}` });
      assert.equal(r.statusCode, 401, url);
      assert.match(String(r.headers["www-authenticate"]), /^Bearer realm=/);
      assert.equal(r.json().schema, "pycustoms.error/1");
    }
    const health = await s.app.inject({ url: `${ADMIN_PREFIX}/health` });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().status, "ok");
    assert.equal(health.json().database, "ok");
  });

  it("a wrong secret for a real token id, and a revoked admin token, are 401", async () => {
    const wrong = s.admin.replace(/_[^_]+$/, `_${"A".repeat(43)}`);
    const r = await s.app.inject({
      url: `${ADMIN_PREFIX}/requests`,
      headers: { authorization: `Bearer ${wrong}` },
    });
    assert.equal(r.statusCode, 401);
    const other = createToken(s.state.db, { projects: ["*"] });
    if ("error" in other) throw new Error(other.error);
    revokeToken(s.state.db, other.record.id);
    const revoked = await s.app.inject({
      url: `${ADMIN_PREFIX}/requests`,
      headers: { authorization: `Bearer ${other.token}` },
    });
    assert.equal(revoked.statusCode, 401);
  });

  it("a token scoped to projects is 403: only a '*' token administers", async () => {
    const r = await s.app.inject({
      url: `${ADMIN_PREFIX}/requests`,
      headers: { authorization: `Bearer ${s.scoped}` },
    });
    assert.equal(r.statusCode, 403);
    assert.match(r.json().error, /not an admin token/);
  });

  it("the admin token works as Bearer and as Basic __token__ (curl -u __token__:…)", async () => {
    const bearer = await s.app.inject({
      url: `${ADMIN_PREFIX}/requests`,
      headers: { authorization: `Bearer ${s.admin}` },
    });
    assert.equal(bearer.statusCode, 200);
    const basic = await s.app.inject({
      url: `${ADMIN_PREFIX}/requests`,
      headers: { authorization: `Basic ${Buffer.from(`__token__:${s.admin}`).toString("base64")}` },
    });
    assert.equal(basic.statusCode, 200);
    assert.equal(basic.headers["cache-control"], "no-store");
  });

  it("presentedToken reads Bearer and Basic __token__ only", () => {
    assert.equal(presentedToken("Bearer abc"), "abc");
    assert.equal(presentedToken(`Basic ${Buffer.from("__token__:xyz").toString("base64")}`), "xyz");
    assert.equal(presentedToken(`Basic ${Buffer.from("alice:xyz").toString("base64")}`), null);
    assert.equal(presentedToken("Digest abc"), null);
    assert.equal(presentedToken(undefined), null);
  });
});

describe("admin API: decisions, exceptions, audit log, statistics", () => {
  let s: Setup;
  let auth: { authorization: string };
  beforeEach(async () => {
    s = await setUp();
    auth = { authorization: `Bearer ${s.admin}` };
  });
  const tearDown = async () => {
    await s.app.close();
    await s.state.close();
    rmSync(s.dir, { recursive: true, force: true });
  };

  it("requests lists pending by default, every request with status=all, and refuses an unknown status", async () => {
    try {
      const a = seedRequest(s, "alpha");
      const b = seedRequest(s, "beta", "==1.0", "1.0");
      await s.app.inject({
        method: "POST",
        url: `${ADMIN_PREFIX}/requests/${b.id}/deny`,
        headers: auth,
        payload: { reason: "not needed" },
      });
      const pending = (await s.app.inject({ url: `${ADMIN_PREFIX}/requests`, headers: auth })).json();
      assert.equal(pending.schema, "pycustoms.access-requests/1");
      assert.deepEqual(
        pending.requests.map((r: { id: number }) => r.id),
        [a.id],
      );
      const all = (await s.app.inject({ url: `${ADMIN_PREFIX}/requests?status=all`, headers: auth })).json();
      assert.deepEqual(
        all.requests.map((r: { project: string; status: string }) => `${r.project}:${r.status}`),
        ["alpha:pending", "beta:denied"],
      );
      const bad = await s.app.inject({ url: `${ADMIN_PREFIX}/requests?status=maybe`, headers: auth });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error, /pending, approved, denied or all/);
    } finally {
      await tearDown();
    }
  });

  it("approve with a specifier widens the request, writes an audit row by the token and invalidates the gate", async () => {
    try {
      const req = seedRequest(s, "alpha", "==2.0", "2.0");
      const r = await s.app.inject({
        method: "POST",
        url: `${ADMIN_PREFIX}/requests/${req.id}/approve`,
        headers: auth,
        payload: { reason: "reviewed", specifier: ">=2,<3" },
      });
      assert.equal(r.statusCode, 200);
      const body = r.json();
      assert.equal(body.schema, "pycustoms.access-request/1");
      assert.equal(body.request.status, "approved");
      assert.equal(body.request.specifier, ">=2,<3");
      assert.equal(body.request.decidedBy, `token:${s.adminId}`);
      assert.deepEqual(s.invalidated, ["alpha"]);
      const log = (await s.app.inject({ url: `${ADMIN_PREFIX}/audit-log`, headers: auth })).json();
      assert.equal(log.entries.length, 1);
      assert.equal(log.entries[0].action, "approved");
      assert.equal(log.entries[0].actor, `token:${s.adminId}`);
      assert.match(log.entries[0].reason, /reviewed/);
    } finally {
      await tearDown();
    }
  });

  it("a denial without a reason is 400 and changes nothing; unknown ids are 404; bad specifiers 400", async () => {
    try {
      const req = seedRequest(s, "alpha");
      for (const payload of [{}, { reason: "  " }]) {
        const r = await s.app.inject({
          method: "POST",
          url: `${ADMIN_PREFIX}/requests/${req.id}/deny`,
          headers: auth,
          payload,
        });
        assert.equal(r.statusCode, 400);
        assert.equal(r.json().error, "a denial needs a reason");
      }
      const missing = await s.app.inject({
        method: "POST",
        url: `${ADMIN_PREFIX}/requests/999/approve`,
        headers: auth,
        payload: {},
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error, "no access request #999");
      const notId = await s.app.inject({
        method: "POST",
        url: `${ADMIN_PREFIX}/requests/1e3/approve`,
        headers: auth,
        payload: {},
      });
      assert.equal(notId.statusCode, 404);
      const spec = await s.app.inject({
        method: "POST",
        url: `${ADMIN_PREFIX}/requests/${req.id}/approve`,
        headers: auth,
        payload: { specifier: "newest please" },
      });
      assert.equal(spec.statusCode, 400);
      assert.match(spec.json().error, /not a PEP 440 version specifier/);
      const broken = await s.app.inject({
        method: "POST",
        url: `${ADMIN_PREFIX}/requests/${req.id}/deny`,
        headers: { ...auth, "content-type": "application/json" },
        payload: "{reason:",
      });
      assert.equal(broken.statusCode, 400);
      assert.equal(broken.json().schema, "pycustoms.error/1");
      const still = (await s.app.inject({ url: `${ADMIN_PREFIX}/requests`, headers: auth })).json();
      assert.equal(still.requests[0].status, "pending");
      assert.deepEqual(s.invalidated, []);
    } finally {
      await tearDown();
    }
  });

  it("exceptions need a reason and a future expiry; a duration counts from now; DELETE ends one and keeps it", async () => {
    try {
      const post = (payload: Record<string, unknown>) =>
        s.app.inject({ method: "POST", url: `${ADMIN_PREFIX}/exceptions`, headers: auth, payload });
      const base = { project: "Alpha_Pkg", kind: "cooldown", reason: "hotfix", expires: "14d" };
      assert.match((await post({ ...base, reason: "" })).json().error, /reason is required/);
      assert.match((await post({ ...base, expires: undefined })).json().error, /expires is required/);
      assert.match((await post({ ...base, expires: "soon" })).json().error, /ISO date or a duration/);
      const past = await post({ ...base, expires: "2020-01-01" });
      assert.equal(past.statusCode, 400);
      assert.match(past.json().error, /past/);
      const created = await post(base);
      assert.equal(created.statusCode, 201);
      const e = created.json().exception;
      assert.equal(e.project, "alpha-pkg");
      assert.equal(e.expiresAt, "2026-08-15T12:00:00.000Z");
      assert.equal(e.createdBy, `token:${s.adminId}`);
      const ended = await s.app.inject({
        method: "DELETE",
        url: `${ADMIN_PREFIX}/exceptions/${e.id}`,
        headers: auth,
      });
      assert.equal(ended.statusCode, 200);
      assert.equal(ended.json().exception.expiresAt, NOW.toISOString());
      const list = (await s.app.inject({ url: `${ADMIN_PREFIX}/exceptions`, headers: auth })).json();
      assert.equal(list.exceptions.length, 1);
      const gone = await s.app.inject({
        method: "DELETE",
        url: `${ADMIN_PREFIX}/exceptions/77`,
        headers: auth,
      });
      assert.equal(gone.statusCode, 404);
      assert.deepEqual(s.invalidated, ["alpha-pkg", "alpha-pkg"]);
      const actions = (await s.app.inject({ url: `${ADMIN_PREFIX}/audit-log`, headers: auth }))
        .json()
        .entries.map((r: { action: string }) => r.action);
      assert.deepEqual(actions, ["exception-added", "exception-expired"]);
    } finally {
      await tearDown();
    }
  });

  it("audit-log filters by project, since and limit, and verify notices a changed row", async () => {
    try {
      for (const project of ["alpha", "beta", "alpha"]) {
        const req = seedRequest(s, project);
        await s.app.inject({
          method: "POST",
          url: `${ADMIN_PREFIX}/requests/${req.id}/approve`,
          headers: auth,
          payload: { reason: "ok" },
        });
      }
      const get = async (q: string) =>
        (await s.app.inject({ url: `${ADMIN_PREFIX}/audit-log${q}`, headers: auth })).json();
      assert.equal((await get("")).entries.length, 3);
      assert.deepEqual(
        (await get("?project=Alpha")).entries.map((e: { id: number }) => e.id),
        [1, 3],
      );
      assert.deepEqual(
        (await get("?limit=1")).entries.map((e: { id: number }) => e.id),
        [3],
      );
      assert.equal((await get("?since=2026-08-02")).entries.length, 0);
      assert.equal((await get("?since=1d")).entries.length, 3);
      const badLimit = await s.app.inject({ url: `${ADMIN_PREFIX}/audit-log?limit=0`, headers: auth });
      assert.equal(badLimit.statusCode, 400);
      const ok = await get("/verify");
      assert.deepEqual(
        { schema: ok.schema, ok: ok.ok, rows: ok.rows },
        { schema: "pycustoms.audit-verify/1", ok: true, rows: 3 },
      );
      // Someone with the database file bypasses the append-only trigger and edits a row.
      s.state.db.exec("DROP TRIGGER audit_log_no_update");
      s.state.db.prepare("UPDATE audit_log SET reason = 'nothing to see' WHERE id = 2").run();
      const broken = await get("/verify");
      assert.equal(broken.ok, false);
      assert.equal(broken.brokenAt, 2);
    } finally {
      await tearDown();
    }
  });

  it("blocked lists the refused releases of the stored verdicts with their reasons", async () => {
    try {
      const verdict: ProjectVerdict = {
        project: "requests",
        fingerprint: "f",
        inputs: "i",
        mode: "open" as ProjectVerdict["mode"],
        evaluatedAt: NOW.toISOString(),
        validUntil: null,
        projectDecision: "partial",
        projectReasons: [],
        notices: [],
        findings: [],
        versions: new Map([
          ["2.30.0", { decision: "allow", access: "unreviewed", reasons: [], findings: [], notices: [] }],
          [
            "2.31.0",
            {
              decision: "block",
              access: "unreviewed",
              reasons: ["GHSA-xxxx, CVSS 8.1"],
              findings: [],
              notices: [],
            },
          ],
        ]),
      };
      saveVerdict(s.state.db, verdict);
      const body = (await s.app.inject({ url: `${ADMIN_PREFIX}/blocked`, headers: auth })).json();
      assert.equal(body.schema, "pycustoms.blocked/1");
      assert.deepEqual(body.blocked, [
        {
          project: "requests",
          version: "2.31.0",
          decision: "block",
          reasons: ["GHSA-xxxx, CVSS 8.1"],
          evaluatedAt: NOW.toISOString(),
        },
      ]);
    } finally {
      await tearDown();
    }
  });

  it("cache/stats counts verified files and bytes, cached pages and events by kind", async () => {
    try {
      const blobs = new FsBlobStore(join(s.dir, "blobs"));
      const { createHash } = await import("node:crypto");
      for (const text of ["one", "three"]) {
        const bytes = Buffer.from(text);
        await blobs.put([bytes], { sha256: createHash("sha256").update(bytes).digest("hex") });
      }
      await s.state.putPage({
        project: "alpha",
        upstream: "http://upstream/simple/",
        fetchedAt: NOW.getTime(),
        info: {} as never,
      });
      await s.state.recordEvent({ kind: "stale-page", project: "alpha", filename: null, detail: "down" });
      await s.state.recordEvent({ kind: "stale-page", project: "alpha", filename: null, detail: "down" });
      await s.state.recordEvent({
        kind: "digest-mismatch",
        project: "alpha",
        filename: "a.whl",
        detail: "x",
      });
      const stats = (await s.app.inject({ url: `${ADMIN_PREFIX}/cache/stats`, headers: auth })).json();
      assert.equal(stats.schema, "pycustoms.cache-stats/1");
      assert.deepEqual(stats.blobs, { count: 2, bytes: 8 });
      assert.equal(stats.partialDownloads, 0);
      assert.deepEqual(stats.pages, {
        count: 1,
        oldestFetchedAt: NOW.toISOString(),
        newestFetchedAt: NOW.toISOString(),
      });
      assert.deepEqual(stats.events, { "digest-mismatch": 1, "stale-page": 2 });
    } finally {
      await tearDown();
    }
  });
});

describe("parseWhen", () => {
  it("reads ISO dates and durations forward or backward from now, and nothing else", () => {
    assert.equal(parseWhen("2027-01-31", NOW, 1), "2027-01-31T00:00:00.000Z");
    assert.equal(parseWhen("2027-01-31T10:00:00+02:00", NOW, 1), "2027-01-31T08:00:00.000Z");
    assert.equal(parseWhen("2w", NOW, 1), "2026-08-15T12:00:00.000Z");
    assert.equal(parseWhen("12h", NOW, -1), "2026-08-01T00:00:00.000Z");
    assert.equal(parseWhen("tomorrow", NOW, 1), null);
    assert.equal(parseWhen("2027-13-45", NOW, 1), null);
  });
});
