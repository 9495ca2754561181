import assert from "node:assert/strict";
import { test } from "node:test";
import { makeDependency } from "../../src/inventory/dependency.js";
import { redactCredentials } from "../../src/standards/urls.js";

test("user-info in URLs is replaced, everything else kept as written", () => {
  assert.equal(redactCredentials("https://user:s3cret@pypi.corp/simple"), "https://***@pypi.corp/simple");
  assert.equal(
    redactCredentials("git+https://ghp_token@github.com/o/r.git"),
    "git+https://***@github.com/o/r.git",
  );
  assert.equal(redactCredentials("ssh://git@github.com/o/r.git"), "ssh://git@github.com/o/r.git");
  assert.equal(redactCredentials("https://pypi.org/simple"), "https://pypi.org/simple");
  assert.equal(redactCredentials("./local/path"), "./local/path");
});

test("dependency sources never keep credentials", () => {
  const dep = makeDependency({
    rawName: "x",
    format: "requirements",
    file: "r.txt",
    line: 1,
    source: { kind: "index", url: "https://ci:hunter2@pypi.corp/simple" },
  });
  assert.deepEqual(dep.source, { kind: "index", url: "https://***@pypi.corp/simple" });
});
