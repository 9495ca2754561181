import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidName, normalizeName } from "../../src/standards/names.js";
import { exactVersion } from "../../src/standards/specifiers.js";

test("PEP 503 normalisation folds case and runs of separators", () => {
  assert.equal(normalizeName("Friendly-Bard"), "friendly-bard");
  assert.equal(normalizeName("FRIENDLY._-BARD"), "friendly-bard");
  assert.equal(normalizeName("zope.interface"), "zope-interface");
});

test("valid names start and end with a letter or digit", () => {
  assert.ok(isValidName("a"));
  assert.ok(isValidName("typing_extensions"));
  assert.ok(!isValidName("-bad"));
  assert.ok(!isValidName("bad."));
  assert.ok(!isValidName("spa ce"));
});

test("only a lone == without wildcard, or ===, is an exact pin", () => {
  assert.equal(exactVersion("==1.2.3"), "1.2.3");
  assert.equal(exactVersion(" == 1.2.3 "), "1.2.3");
  assert.equal(exactVersion("===1.0-foo"), "1.0-foo");
  assert.equal(exactVersion("==1.2.*"), null);
  assert.equal(exactVersion(">=1.2"), null);
  assert.equal(exactVersion("==1.2,!=1.3"), null);
  assert.equal(exactVersion(""), null);
  assert.equal(exactVersion("==not a version"), null);
});
