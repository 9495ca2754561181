import assert from "node:assert/strict";
import { test } from "node:test";
import { ageInDays, formatInspectJson, inspectJsonDocument } from "../../src/report/inspect-json.js";
import { sampleCard } from "./inspect-sample.js";

test("the document carries the schema id and its sections in a fixed order", () => {
  const doc = inspectJsonDocument(sampleCard());
  assert.deepEqual(Object.keys(doc), [
    "schema",
    "tool",
    "generated_at",
    "project",
    "version",
    "ownership",
    "releases",
    "advisories",
    "typosquat",
    "findings",
    "ignored",
    "skipped",
    "index_capabilities",
    "summary",
  ]);
  assert.equal(doc.schema, "pycustoms.inspect/1");
  assert.deepEqual(doc.version, { requested: "2.0.0", inspected: "2.0.0", latest: "1.9.0" });
  assert.deepEqual(doc.project, {
    name: "sample-pkg",
    index: "https://mirror.example/simple/",
    status: "deprecated",
    status_reason: "use other-pkg",
    status_published: true,
    popular_rank: null,
  });
});

test("release rows carry ages in whole days, sizes, yanks and provenance per file", () => {
  const doc = JSON.parse(formatInspectJson(sampleCard())) as {
    releases: { total: number; shown: Record<string, unknown>[] };
  };
  assert.equal(doc.releases.total, 7);
  const [inspected, latest, pre] = doc.releases.shown;
  assert.equal(inspected?.age_days, 0, "12 hours old");
  assert.equal(inspected?.yanked_reason, "broken wheel");
  assert.deepEqual(inspected?.provenance, {
    status: "invalid",
    verified_publishers: [],
    files: [
      {
        filename: "sample_pkg-2.0.0-py3-none-any.whl",
        status: "invalid",
        publisher: null,
        message: "the statement's subject digest does not match",
      },
    ],
  });
  assert.equal(latest?.age_days, 365);
  assert.deepEqual(
    (latest?.provenance as { verified_publishers: string[] } | undefined)?.verified_publishers,
    ["GitHub acme/sample (.github/workflows/release.yml)"],
  );
  assert.equal(pre?.age_days, null);
  assert.equal(pre?.size, null);
  assert.equal(pre?.provenance, null);
});

test("findings use the audit's shape, marked when they fail the policy, with snake_case evidence", () => {
  const doc = inspectJsonDocument(sampleCard()) as {
    findings: Record<string, unknown>[];
    summary: Record<string, unknown>;
    advisories: { inspected: Record<string, unknown>[] };
  };
  assert.equal(doc.findings[0]?.fails_policy, true);
  assert.equal(doc.findings[0]?.fixed_in, "1.9.0");
  assert.deepEqual(doc.findings[0]?.evidence, { yanked_reason: "broken wheel", files_yanked: 2 });
  assert.deepEqual(doc.advisories.inspected[0], {
    id: "GHSA-aaaa-bbbb-cccc",
    aliases: ["CVE-2026-1", "PYSEC-2026-1"],
    kind: "vulnerability",
    severity: "medium",
    score: 5.3,
    summary: "a crafted header is logged",
    fixed_in: "2.0.1",
    url: "https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc",
  });
  assert.deepEqual(doc.summary, {
    verdict: "fail",
    fail_on: "high",
    findings: 1,
    by_severity: { critical: 0, high: 1, medium: 0, low: 0, info: 0 },
    failing: 1,
    ignored: 0,
    skipped: 1,
  });
});

test("without an advisory database the advisory lists are null, not empty", () => {
  const doc = inspectJsonDocument(sampleCard({ advisories: { inspected: null, latest: null } }));
  assert.deepEqual(doc.advisories, { inspected: null, latest: null });
});

test("ageInDays counts whole days, treats a zone-less time as UTC, and knows no age without a time", () => {
  assert.equal(ageInDays("2026-11-20T00:00:00", "2026-11-28T00:00:00.000Z"), 8);
  assert.equal(ageInDays("2026-11-27T00:00:01Z", "2026-11-28T00:00:00.000Z"), 0);
  assert.equal(ageInDays(null, "2026-11-28T00:00:00.000Z"), null);
});
