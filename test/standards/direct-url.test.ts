import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fileUrlPath, parseDirectUrl } from "../../src/standards/direct-url.js";

test("vcs_info keeps the VCS, the installed commit and the requested revision", () => {
  const r = parseDirectUrl(
    JSON.stringify({
      url: "https://github.com/pypa/pip.git",
      vcs_info: { vcs: "git", commit_id: "abc123", requested_revision: "main" },
      subdirectory: "src",
    }),
  );
  assert.deepEqual(r, {
    ok: true,
    warnings: [],
    value: {
      kind: "vcs",
      url: "https://github.com/pypa/pip.git",
      vcs: "git",
      commitId: "abc123",
      requestedRevision: "main",
      subdirectory: "src",
    },
  });
});

test("archive_info reads both the hashes table and the deprecated single hash, lower-cased and deduplicated", () => {
  const r = parseDirectUrl(
    JSON.stringify({
      url: "https://example.org/a.whl",
      archive_info: { hash: "sha256=ABCD", hashes: { sha256: "abcd", md5: "ff" } },
    }),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    kind: "archive",
    url: "https://example.org/a.whl",
    hashes: ["sha256:abcd", "md5:ff"],
    subdirectory: null,
  });
});

test("exactly one of vcs_info, archive_info, dir_info is required", () => {
  const none = parseDirectUrl('{"url": "file:///x"}');
  assert.deepEqual(none, {
    ok: false,
    message: "expected exactly one of vcs_info, archive_info, dir_info (found none)",
  });
  const two = parseDirectUrl('{"url": "file:///x", "dir_info": {}, "archive_info": {}}');
  assert.equal(two.ok, false);
  assert.match((two as { message: string }).message, /found archive_info, dir_info/);
});

test("malformed hashes and a missing commit are warnings, not failures", () => {
  const r = parseDirectUrl(
    JSON.stringify({
      url: "https://e.org/a.tar.gz",
      archive_info: { hash: "sha256:zz", hashes: { sha256: 5 } },
    }),
  );
  assert.ok(r.ok);
  assert.equal(r.warnings.length, 2);
  const v = parseDirectUrl(JSON.stringify({ url: "https://e.org/r", vcs_info: { vcs: "hg" } }));
  assert.ok(v.ok);
  assert.deepEqual(v.warnings, [`vcs_info has no "commit_id"`]);
});

test("file: URLs become local paths, percent-decoded; other schemes are not paths", () => {
  assert.equal(fileUrlPath("file:///home/dev/my%20app"), "/home/dev/my app");
  assert.equal(fileUrlPath("https://example.org/x"), null);
  assert.equal(fileUrlPath("file://server/share/x"), "//server/share/x");
});

test("any text parses to a result, never an exception", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      const r = parseDirectUrl(text);
      assert.equal(typeof r.ok, "boolean");
    }),
    { numRuns: 500 },
  );
});
