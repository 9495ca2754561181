import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createToken } from "../../src/registry/tokens.js";
import { SqliteStateStore } from "../../src/server/storage/state-store.js";
import { buildDists, type Dists, fixtureOf, type RunningProxy, startProxy } from "./harness.js";

describe("admin API inside pycustoms serve (buildServer)", () => {
  let dists: Dists;
  let proxy: RunningProxy;
  let token: string;
  before(async () => {
    dists = await buildDists();
    proxy = await startProxy(fixtureOf(dists));
    const state = proxy.app.pycustoms.state;
    assert.ok(state instanceof SqliteStateStore);
    const created = createToken(state.db, { projects: ["*"] });
    if ("error" in created) throw new Error(created.error);
    token = created.token;
  });
  after(async () => proxy.close());

  it("is mounted under /-/admin/, refuses without a token, and counts what the proxy cached", async () => {
    const denied = await proxy.app.inject({ url: "/-/admin/cache/stats" });
    assert.equal(denied.statusCode, 401);
    const file = await proxy.app.inject({ url: `/packages/beta/${dists.beta.filename}` });
    assert.equal(file.statusCode, 200);
    const stats = await proxy.app.inject({
      url: "/-/admin/cache/stats",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(stats.statusCode, 200);
    const body = stats.json();
    assert.equal(body.blobs.count, 1);
    assert.equal(body.blobs.bytes, dists.beta.bytes.length);
    assert.equal(body.pages.count, 1);
    const health = await proxy.app.inject({ url: "/-/admin/health" });
    assert.equal(health.json().status, "ok");
  });
});
