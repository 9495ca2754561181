import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import {
  productionTrustRoot,
  readTrustRootFile,
  trustRootFromJSON,
} from "../../src/provenance/trust-root.js";
import { attestationsDir } from "./attestation-data.js";

test("the offline production root is @sigstore/tuf's seed, byte-identical to the published trusted_root.json", () => {
  const require = createRequire(import.meta.url);
  const seeds = JSON.parse(readFileSync(require.resolve("@sigstore/tuf/seeds.json"), "utf8"));
  const seed = Buffer.from(seeds["https://tuf-repo-cdn.sigstore.dev"].targets["trusted_root.json"], "base64");
  assert.deepEqual(seed, readFileSync(join(attestationsDir, "trusted_root.production.json")));
  const root = productionTrustRoot();
  assert.ok(root.certificateAuthorities.length >= 2);
  assert.ok(root.tlogs.some((log) => log.baseURL === "https://rekor.sigstore.dev"));
  assert.equal(productionTrustRoot(), root, "loaded once");
});

test("a supplied trusted root file (staging) loads as trust material", () => {
  const result = readTrustRootFile(join(attestationsDir, "trusted_root.staging.json"));
  assert.ok(result.ok);
  if (result.ok) assert.ok(result.trustRoot.tlogs.some((log) => log.baseURL.includes("sigstage.dev")));
});

test("a missing, non-JSON or non-root file is a message naming it, not an exception", () => {
  const missing = readTrustRootFile("/nonexistent/trusted_root.json");
  assert.deepEqual(missing, {
    ok: false,
    message: "/nonexistent/trusted_root.json: cannot read the trusted root (ENOENT)",
  });
  const notRoot = readTrustRootFile(join(attestationsDir, "rfc8785-0.1.2-py3-none-any.whl.sigstore"));
  assert.equal(notRoot.ok, false);
  if (!notRoot.ok) assert.match(notRoot.message, /rfc8785.*not a Sigstore trusted root/);
  const notJson = readTrustRootFile(join(attestationsDir, "SOURCE.md"));
  assert.equal(notJson.ok, false);
  if (!notJson.ok) assert.match(notJson.message, /SOURCE\.md: not JSON/);
  assert.equal(
    trustRootFromJSON({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }).ok,
    false,
  );
  assert.equal(trustRootFromJSON(null).ok, false);
});
