import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, it, mock } from "node:test";
import Database from "better-sqlite3";
import { createRegistryTables } from "../../src/registry/store.js";
import {
  createToken,
  listTokens,
  normalizeScopes,
  revokeToken,
  secretMatches,
  tokenAllows,
  verifyToken,
} from "../../src/registry/tokens.js";

function freshDb(): Database.Database {
  const db = new Database(":memory:");
  createRegistryTables(db);
  return db;
}

function created(db: Database.Database, projects: string[], description?: string) {
  const result = createToken(db, { projects, description: description ?? null });
  assert.ok("token" in result, JSON.stringify(result));
  return result;
}

describe("API tokens", () => {
  it("are pycustoms_<16 hex id>_<43 base64url secret>, each one different", () => {
    const db = freshDb();
    const a = created(db, ["demo"]).token;
    const b = created(db, ["demo"]).token;
    assert.match(a, /^pycustoms_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
  });

  it("are never stored in clear: no column of any table holds the secret, only its sha256", () => {
    const db = freshDb();
    const { token, record } = created(db, ["demo"], "ci");
    const secret = token.slice(`pycustoms_${record.id}_`.length);
    const rows = db.prepare("SELECT * FROM registry_tokens").all() as Record<string, unknown>[];
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(secret), "the secret is not stored");
    assert.ok(!dump.includes(token), "the token is not stored");
    assert.equal(rows[0]?.secret_sha256, crypto.createHash("sha256").update(secret).digest("hex"));
    // Also not in the file's free pages or journal: the in-memory database serialised whole.
    assert.equal(db.serialize().indexOf(Buffer.from(secret)), -1);
  });

  it("verify: the right token passes and records its use; revoked or altered tokens fail", () => {
    const db = freshDb();
    const { token, record } = created(db, ["Demo_Pkg"]);
    const when = new Date("2026-01-02T03:04:05Z");
    const ok = verifyToken(db, token, when);
    assert.equal(ok?.id, record.id);
    assert.deepEqual(ok?.projects, ["demo-pkg"]);
    assert.equal(listTokens(db)[0]?.lastUsedAt, when.toISOString());
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    assert.equal(verifyToken(db, flipped), null);
    const otherId = token.replace(/^pycustoms_[0-9a-f]{16}/, "pycustoms_0000000000000000");
    assert.equal(verifyToken(db, otherId), null);
    assert.ok(revokeToken(db, record.id));
    assert.equal(revokeToken(db, record.id), false, "revoking twice reports nothing to do");
    assert.equal(verifyToken(db, token), null);
  });

  it("verify: wrong tokens of every length from 0 to 200 are refused without throwing", () => {
    const db = freshDb();
    const { token } = created(db, ["demo"]);
    const prefix = token.slice(0, "pycustoms_".length + 17);
    for (let n = 0; n <= 200; n++) {
      assert.equal(verifyToken(db, "x".repeat(n)), null, `length ${n}`);
      assert.equal(verifyToken(db, prefix + "y".repeat(n)), null, `secret length ${n}`);
      assert.equal(secretMatches("z".repeat(n), "00".repeat(32)), false);
    }
    assert.equal(verifyToken(db, "\u0000\uffff"), null);
  });

  it("verify compares with crypto.timingSafeEqual, also when the id is unknown", () => {
    const db = freshDb();
    const { token } = created(db, ["demo"]);
    const spy = mock.method(crypto, "timingSafeEqual");
    try {
      verifyToken(db, token);
      verifyToken(db, `${token.slice(0, -2)}zz`);
      verifyToken(db, token.replace(/^pycustoms_[0-9a-f]{16}/, "pycustoms_ffffffffffffffff"));
      verifyToken(db, "short");
      assert.equal(spy.mock.callCount(), 4);
      for (const call of spy.mock.calls) {
        const [a, b] = call.arguments as [Buffer, Buffer];
        assert.equal(a.length, 32);
        assert.equal(b.length, 32);
      }
    } finally {
      spy.mock.restore();
    }
  });

  it("scopes: normalised names, '*' for every project, invalid names refused", () => {
    assert.deepEqual(normalizeScopes(["Foo.Bar", "foo_bar", "baz"]), ["baz", "foo-bar"]);
    assert.deepEqual(normalizeScopes([]), {
      error: "a token needs at least one --project (or '*' for every project)",
    });
    assert.deepEqual(normalizeScopes(["../etc"]), { error: "'../etc' is not a valid project name" });
    const db = freshDb();
    const scoped = created(db, ["foo-bar"]).record;
    assert.ok(tokenAllows(scoped, "Foo_Bar"));
    assert.ok(!tokenAllows(scoped, "foo-barx"));
    const admin = created(db, ["*"]).record;
    assert.ok(tokenAllows(admin, "anything"));
  });
});
