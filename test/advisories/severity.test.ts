import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { baseScore, ratingOf, severityOf } from "../../src/advisories/severity.js";
import type { Advisory, SeverityVector } from "../../src/advisories/types.js";

function advisory(severity: SeverityVector[], extra: Partial<Advisory> = {}): Advisory {
  return {
    id: "GHSA-test",
    aliases: [],
    kind: "vulnerability",
    summary: "",
    details: "",
    published: null,
    modified: "2024-01-01T00:00:00Z",
    withdrawn: null,
    severity,
    databaseSeverity: null,
    affected: [],
    references: [],
    ...extra,
  };
}

const V31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

describe("baseScore", () => {
  test("CVSS v3.1 and v3.0 vectors score per the FIRST equations", () => {
    assert.equal(baseScore(V31_CRITICAL), 9.8);
    assert.equal(baseScore("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L"), 5.6);
    assert.equal(baseScore("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
    // By hand: impact 6.42 x 0.22 = 1.4124, exploitability 8.22 x .55 x .44 x .62 x .62 = 0.7647 -> roundup 2.2
    assert.equal(baseScore("CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N"), 2.2);
  });

  test("CVSS v4.0 vectors match the FIRST v4.0 calculator's published results", () => {
    // Scores as given by the FIRST cvss-v4-calculator for these widely used vectors.
    const expected: [string, number][] = [
      ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3],
      ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10],
      ["CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5],
      ["CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.0],
      ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9],
      ["CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.1],
      ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0],
    ];
    for (const [vector, score] of expected) assert.equal(baseScore(vector), score, vector);
  });

  test("a v4.0 threat metric does not change the base score (CVSS-B), as temporal metrics don't in v3", () => {
    assert.equal(baseScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"), 9.3);
    assert.equal(baseScore(`${V31_CRITICAL}/E:U/RL:O/RC:C`), 9.8);
  });

  test("CVSS v2 vectors (no prefix) score too", () => {
    assert.equal(baseScore("AV:N/AC:L/Au:N/C:P/I:P/A:P"), 7.5);
    assert.equal(baseScore("AV:N/AC:M/Au:N/C:N/I:P/A:N"), 4.3);
  });

  test("malformed, partial or unknown vectors have no score and never throw", () => {
    for (const bad of [
      "",
      "garbage",
      "CVSS:3.1/AV:N",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
      "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
      "AV:N/AC:L/Au:N/C:P/I:P",
      "CVSS:5.0/AV:N",
    ]) {
      assert.equal(baseScore(bad), null, bad);
    }
  });

  test("random mutations of valid vectors never throw", () => {
    const vectors = [
      V31_CRITICAL,
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
      "AV:N/AC:L/Au:N/C:P/I:P/A:P",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...vectors),
        fc.nat(80),
        fc.nat(5),
        fc.string({ maxLength: 4 }),
        (v, at, cut, insert) => {
          const mutated = v.slice(0, at) + insert + v.slice(at + cut);
          const score = baseScore(mutated);
          assert.ok(score === null || (score >= 0 && score <= 10));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("ratingOf", () => {
  test("CVSS qualitative bands, with 0.0 as info", () => {
    assert.deepEqual([0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10].map(ratingOf), [
      "info",
      "low",
      "low",
      "medium",
      "medium",
      "high",
      "high",
      "critical",
      "critical",
    ]);
  });
});

describe("severityOf", () => {
  test("a v3.1 vector of 9.8 is critical with its score and vector", () => {
    assert.deepEqual(severityOf(advisory([{ type: "CVSS_V3", score: V31_CRITICAL }])), {
      severity: "critical",
      score: 9.8,
      vector: V31_CRITICAL,
    });
  });

  test("v3 is preferred over v4 when both are present, whatever their order", () => {
    const v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"; // 6.9
    const v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"; // 7.5
    const r = severityOf(
      advisory([
        { type: "CVSS_V4", score: v4 },
        { type: "CVSS_V3", score: v3 },
      ]),
    );
    assert.deepEqual(r, { severity: "high", score: 7.5, vector: v3 });
  });

  test("v4 is used when there is no v3 vector, and v2 only as a last resort", () => {
    const v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N";
    const v2 = "AV:N/AC:L/Au:N/C:P/I:P/A:P";
    assert.deepEqual(
      severityOf(
        advisory([
          { type: "CVSS_V2", score: v2 },
          { type: "CVSS_V4", score: v4 },
        ]),
      ),
      { severity: "medium", score: 5.1, vector: v4 },
    );
    assert.deepEqual(severityOf(advisory([{ type: "CVSS_V2", score: v2 }])), {
      severity: "high",
      score: 7.5,
      vector: v2,
    });
  });

  test("a malformed v3 vector falls back to the next usable vector, then to the database rating", () => {
    const v2 = "AV:N/AC:M/Au:N/C:N/I:P/A:N";
    assert.deepEqual(
      severityOf(
        advisory([
          { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q" },
          { type: "CVSS_V2", score: v2 },
        ]),
      ),
      { severity: "medium", score: 4.3, vector: v2 },
    );
    assert.deepEqual(
      severityOf(advisory([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N" }], { databaseSeverity: "HIGH" })),
      {
        severity: "high",
        score: null,
        vector: null,
      },
    );
  });

  test("database ratings map LOW/MODERATE/MEDIUM/HIGH/CRITICAL, in any case", () => {
    const rate = (databaseSeverity: string) => severityOf(advisory([], { databaseSeverity })).severity;
    assert.deepEqual(["LOW", "MODERATE", "medium", "HIGH", "Critical"].map(rate), [
      "low",
      "medium",
      "medium",
      "high",
      "critical",
    ]);
  });

  test("with no vector and no rating the severity is medium with no score", () => {
    assert.deepEqual(severityOf(advisory([])), { severity: "medium", score: null, vector: null });
    assert.deepEqual(
      severityOf(advisory([{ type: "Ubuntu", score: "high" }], { databaseSeverity: "UNKNOWN" })),
      {
        severity: "medium",
        score: null,
        vector: null,
      },
    );
  });

  test("a zero score is info, not medium", () => {
    const zero = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N";
    assert.deepEqual(severityOf(advisory([{ type: "CVSS_V3", score: zero }])), {
      severity: "info",
      score: 0,
      vector: zero,
    });
  });

  test("malicious advisories are always critical, whatever their vectors or ratings say", () => {
    const r = severityOf(
      advisory([{ type: "CVSS_V3", score: "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N" }], {
        id: "MAL-2024-1",
        kind: "malicious",
        databaseSeverity: "LOW",
      }),
    );
    assert.equal(r.severity, "critical");
  });
});
