import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonText } from "../../src/report/json-text.js";

test("JSON reports are compact by default and indented by two spaces when asked, always one final newline", () => {
  const doc = { schema: "x/1", list: [1, { a: null }] };
  assert.equal(jsonText(doc), '{"schema":"x/1","list":[1,{"a":null}]}\n');
  assert.equal(jsonText(doc, { pretty: true }), `${JSON.stringify(doc, null, 2)}\n`);
  assert.deepEqual(JSON.parse(jsonText(doc)), JSON.parse(jsonText(doc, { pretty: true })));
});
