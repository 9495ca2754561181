import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SEVERITIES } from "../../src/checks/types.js";
import { compareFindings, sortedFindings } from "../../src/report/audit-result.js";
import { sampleFinding } from "./audit-sample.js";

test("sortedFindings orders exactly as compareFindings does (it only computes each severity rank once)", () => {
  const finding = fc
    .record({
      severity: fc.constantFrom(...SEVERITIES),
      package: fc.constantFrom("", "a", "b", "requests"),
      id: fc.constantFrom("GHSA-1", "PYSEC-2", "CVE-3", "MAL-4", "unhashed"),
      file: fc.constantFrom("requirements.txt", "a/uv.lock"),
      line: fc.option(fc.nat(20), { nil: null }),
    })
    .map((over) => sampleFinding(over));
  fc.assert(
    fc.property(fc.array(finding, { maxLength: 30 }), (findings) => {
      assert.deepEqual(sortedFindings(findings), [...findings].sort(compareFindings));
    }),
    { numRuns: 2000 },
  );
});
