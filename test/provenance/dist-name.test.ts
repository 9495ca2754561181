import assert from "node:assert/strict";
import { test } from "node:test";
import { sameDistribution } from "../../src/provenance/dist-name.js";

test("wheel names compare as parsed names: tag order, name spelling and version spelling do not matter", () => {
  assert.ok(
    sameDistribution(
      "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    ),
  );
  assert.ok(sameDistribution("Foo_Bar-1.0-py3-none-any.whl", "foo_bar-1.0.0-py3-none-any.whl"));
  assert.ok(sameDistribution("pep740_sampleproject-1.0.0.tar.gz", "pep740-sampleproject-1.0.0.tar.gz"));
});

test("a different name, version, tag set, build tag or archive format is another file", () => {
  assert.ok(!sameDistribution("rfc8785-0.1.2-py3-none-any.whl", "rfc8786-0.1.2-py3-none-any.whl"));
  assert.ok(!sameDistribution("rfc8785-0.1.2-py3-none-any.whl", "rfc8785-0.1.3-py3-none-any.whl"));
  assert.ok(!sameDistribution("x-1.0-py2.py3-none-any.whl", "x-1.0-py3-none-any.whl"));
  assert.ok(!sameDistribution("x-1.0-1-py3-none-any.whl", "x-1.0-py3-none-any.whl"));
  assert.ok(!sameDistribution("x-1.0.tar.gz", "x-1.0.zip"));
  assert.ok(!sameDistribution("x-1.0.tar.gz", "x-1.0-py3-none-any.whl"));
});

test("names that are neither wheels nor sdists only match themselves", () => {
  assert.ok(sameDistribution("x-1.0.egg", "x-1.0.egg"));
  assert.ok(!sameDistribution("x-1.0.egg", "X-1.0.egg"));
});
