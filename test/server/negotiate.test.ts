// Simple-API content negotiation: q-values, specificity, aliases, `?format=`, and what is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { negotiateFormat, parseAccept } from "../../src/server/negotiate.js";

const JSON_V1 = "application/vnd.pypi.simple.v1+json";
const HTML_V1 = "application/vnd.pypi.simple.v1+html";

test("pip's and uv's Accept headers get JSON; a browser's and none get text/html", () => {
  assert.deepEqual(negotiateFormat(`${JSON_V1}, ${HTML_V1};q=0.1, text/html;q=0.01`, undefined), {
    ok: true,
    format: "json",
  });
  assert.deepEqual(negotiateFormat("text/html,application/xhtml+xml,*/*;q=0.8", undefined), {
    ok: true,
    format: "text-html",
  });
  assert.deepEqual(negotiateFormat(undefined, undefined), { ok: true, format: "text-html" });
  assert.deepEqual(negotiateFormat("", undefined), { ok: true, format: "text-html" });
});

test("the highest q wins and the most specific range decides a type's q", () => {
  assert.deepEqual(negotiateFormat(`${HTML_V1};q=0.9, ${JSON_V1};q=0.5`, undefined), {
    ok: true,
    format: "html-v1",
  });
  assert.deepEqual(negotiateFormat(`application/*;q=0.9, text/html;q=0.1`, undefined), {
    ok: true,
    format: "html-v1",
  });
  // */* would allow JSON, but the explicit q=0 for it excludes it
  assert.deepEqual(negotiateFormat(`${JSON_V1};q=0, text/html;q=0, */*`, undefined), {
    ok: true,
    format: "html-v1",
  });
  assert.deepEqual(negotiateFormat("application/vnd.pypi.simple.latest+json", undefined), {
    ok: true,
    format: "json",
  });
});

test("?format= takes precedence over Accept, and an unknown one is refused", () => {
  assert.deepEqual(negotiateFormat(HTML_V1, JSON_V1), { ok: true, format: "json" });
  assert.deepEqual(negotiateFormat(JSON_V1, "text/html"), { ok: true, format: "text-html" });
  assert.equal(negotiateFormat(undefined, "application/json").ok, false);
  assert.equal(negotiateFormat(undefined, `${JSON_V1}, ${HTML_V1}`).ok, false);
});

test("nothing acceptable is refused (406) rather than guessed", () => {
  assert.equal(negotiateFormat("application/xml", undefined).ok, false);
  assert.equal(negotiateFormat("image/*", undefined).ok, false);
  assert.equal(negotiateFormat("*/*;q=0", undefined).ok, false);
});

test("broken Accept headers never throw (property)", () => {
  fc.assert(
    fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (accept, format) => {
      const result = negotiateFormat(accept, format);
      assert.equal(typeof result.ok, "boolean");
      for (const r of parseAccept(accept)) assert.ok(r.q >= 0 && r.q <= 1);
    }),
  );
});
