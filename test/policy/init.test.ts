import assert from "node:assert/strict";
import { test } from "node:test";
import { CHECK_IDS, DEFAULT_CONFIG, parseConfigText } from "../../src/policy/config.js";
import { starterConfig } from "../../src/policy/init.js";

test("the starter config parses back without errors and changes nothing", () => {
  const r = parseConfigText(starterConfig(), "pycustoms.toml", false);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config, { ...DEFAULT_CONFIG, ignore: [], index: {} });
});

test("the starter config names every key and every known check", () => {
  const text = starterConfig();
  for (const key of [
    "fail-on",
    "max-db-age",
    "[checks]",
    "[[ignore]]",
    "reason",
    "until",
    "package",
    "[serve]",
  ]) {
    assert.ok(text.includes(key), key);
  }
  for (const key of ["host", "port", "upstream", "data-dir"])
    assert.match(text, new RegExp(`^# ${key} = `, "m"));
  for (const id of CHECK_IDS) assert.match(text, new RegExp(`^# ${id} +=`, "m"), id);
});

test("uncommenting every setting line gives a valid config with the defaults", () => {
  const uncommented = starterConfig()
    .split("\n")
    .map((line) => line.replace(/^# (?=\[\[?[a-z.-]+\]\]?$|[a-z][a-z-]* *= )/, ""))
    .join("\n");
  assert.match(uncommented, /^fail-on = "high"$/m);
  assert.match(uncommented, /^\[checks\]$/m);
  const r = parseConfigText(uncommented, "pycustoms.toml", false);
  assert.deepEqual(r.errors, []);
  assert.equal(r.config.failOn, DEFAULT_CONFIG.failOn);
  assert.equal(r.config.maxDbAgeMs, DEFAULT_CONFIG.maxDbAgeMs);
  assert.deepEqual(r.config.checks, DEFAULT_CONFIG.checks);
  assert.equal(r.config.ignore.length, 1);
  assert.equal(r.config.ignore[0]!.package, "lxml");
  assert.equal(r.config.serve.port, DEFAULT_CONFIG.serve.port);
  assert.equal(r.config.serve.dataDir, ".pycustoms");
});
