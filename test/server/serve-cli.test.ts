// `pycustoms serve` pieces that need no process: the example config, the data folder, the client set-up lines.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { clientSetupLines, defaultDataDir } from "../../src/cli/serve.js";
import { loadConfig } from "../../src/policy/config.js";
import { repoRoot } from "../paths.js";

test("the bundled example configuration loads without errors and keeps the loopback default", () => {
  const loaded = loadConfig(repoRoot, join(repoRoot, "examples", "serve", "pycustoms.toml"));
  assert.deepEqual(loaded.errors, []);
  assert.equal(loaded.config.serve.host, "127.0.0.1");
  assert.equal(loaded.config.serve.port, 3141);
  assert.deepEqual(loaded.config.serve.upstream, ["https://pypi.org/simple/"]);
});

test("the data folder defaults to $XDG_DATA_HOME/pycustoms, else ~/.local/share/pycustoms", () => {
  assert.equal(defaultDataDir({ XDG_DATA_HOME: "/data" }, "/home/u"), "/data/pycustoms");
  assert.equal(defaultDataDir({}, "/home/u"), "/home/u/.local/share/pycustoms");
  assert.equal(defaultDataDir({ XDG_DATA_HOME: "relative" }, "/home/u"), "/home/u/.local/share/pycustoms");
});

test("start-up lines give the exact pip, uv and poetry settings; plain http off loopback adds trusted-host", () => {
  const local = clientSetupLines("http://127.0.0.1:3141/simple/");
  assert.ok(local.some((l) => l.includes("pip config set global.index-url http://127.0.0.1:3141/simple/")));
  assert.ok(local.some((l) => l.includes("UV_INDEX_URL=http://127.0.0.1:3141/simple/")));
  assert.ok(local.some((l) => l.includes("[[tool.uv.index]]")));
  assert.ok(
    local.some((l) =>
      l.includes("poetry source add --priority=primary pycustoms http://127.0.0.1:3141/simple/"),
    ),
  );
  assert.ok(!local.some((l) => l.includes("trusted-host")));
  const remote = clientSetupLines("http://build-cache:3141/simple/");
  assert.ok(remote.some((l) => l.includes("pip config set global.trusted-host build-cache")));
});
