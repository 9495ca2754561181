import assert from "node:assert/strict";
import { test } from "node:test";
import { auditJsonDocument, formatAuditJson } from "../../src/report/audit-json.js";
import { sampleAudit, sampleFinding } from "./audit-sample.js";

function allKeys(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allKeys(v, into);
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      into.push(k);
      allKeys(v, into);
    }
  }
  return into;
}

test("the document names its schema and keeps the top-level fields in a fixed order", () => {
  const doc = JSON.parse(formatAuditJson(sampleAudit()));
  assert.equal(doc.schema, "pycustoms.audit/1");
  assert.deepEqual(Object.keys(doc), [
    "schema",
    "tool",
    "findings",
    "ignored",
    "stale_ignores",
    "skipped",
    "errors",
    "fixes",
    "database",
    "summary",
  ]);
});

test("every key is snake_case, evidence included, fixes keyed by package", () => {
  const f = sampleFinding({
    evidence: { affectedRanges: [">=2,<2.32"], expiredIgnore: { until: "2026-01-01" } },
  });
  const doc = auditJsonDocument(sampleAudit({ findings: [f] }));
  const keys = allKeys({ ...doc, fixes: Object.values(doc.fixes as object) });
  const camel = keys.filter((k) => /[A-Z]/.test(k));
  assert.deepEqual(camel, []);
  assert.ok(keys.includes("affected_ranges"));
  assert.ok(keys.includes("expired_ignore"));
});

test("a finding carries every documented field with its value", () => {
  const doc = auditJsonDocument(sampleAudit());
  const requests = (doc.findings as Record<string, unknown>[]).find((f) => f.package === "requests");
  assert.deepEqual(requests, {
    id: "GHSA-9wx4-h78v-vm56",
    aliases: ["CVE-2024-35195"],
    kind: "vulnerability",
    severity: "medium",
    score: 5.6,
    package: "requests",
    version: "2.31.0",
    specifier: "==2.31.0",
    file: "requirements.txt",
    line: 3,
    summary:
      "Requests `Session` object does not verify requests after making first request with verify=False",
    fixed_in: "2.32.0",
    url: "https://github.com/advisories/GHSA-9wx4-h78v-vm56",
    fails_policy: false,
  });
});

test("findings are sorted most severe first and failing ones are marked", () => {
  const doc = auditJsonDocument(sampleAudit());
  const findings = doc.findings as { id: string; severity: string; fails_policy: boolean }[];
  assert.deepEqual(
    findings.map((f) => [f.id, f.severity, f.fails_policy]),
    [
      ["GHSA-lxml-0000-0001", "critical", true],
      ["MAL-2025-4242", "critical", true],
      ["GHSA-9wx4-h78v-vm56", "medium", false],
      ["PC-MIXED-HASHES", "low", false],
    ],
  );
});

test("ignored, stale ignores, skipped, errors, fixes, database and summary are filled in", () => {
  const doc = auditJsonDocument(sampleAudit()) as Record<string, unknown>;
  const ignored = doc.ignored as { reason: string; until: string; finding: { id: string } }[];
  assert.deepEqual(
    ignored.map((i) => [i.finding.id, i.reason, i.until]),
    [["GHSA-ign0-0000-0000", "we only load trusted YAML", "2027-01-31"]],
  );
  assert.deepEqual(doc.stale_ignores, [{ id: "GHSA-old0-0000-0000", reason: "fixed long ago" }]);
  assert.deepEqual(doc.skipped, [{ check: "lock-unhashed", reason: "no lock file found" }]);
  assert.deepEqual(doc.errors, [
    { file: "requirements-dev.txt", line: 4, column: 9, message: "expected a version after '=='" },
  ]);
  assert.deepEqual(doc.fixes, {
    lxml: { version: "4.9.2", allowed_by_specifier: true },
    requests: { version: "2.32.0", allowed_by_specifier: false },
    reqeusts: { version: null, allowed_by_specifier: null },
  });
  assert.deepEqual(Object.keys(doc.fixes as object), ["lxml", "reqeusts", "requests"]);
  assert.deepEqual(doc.database, {
    path: "/home/u/.cache/pycustoms/osv.sqlite",
    last_update: "2026-01-01T00:00:00Z",
    stale: true,
  });
  assert.deepEqual(doc.summary, {
    verdict: "fail",
    fail_on: "high",
    dependencies: 4,
    packages_with_findings: 4,
    findings: 4,
    by_severity: { critical: 2, high: 0, medium: 1, low: 1, info: 0 },
    failing: 2,
    ignored: 1,
    stale_ignores: 1,
    errors: 1,
  });
});

test("an error without a line has line null and no column", () => {
  const doc = auditJsonDocument(sampleAudit({ errors: [{ file: "x.txt", message: "unreadable" }] }));
  assert.deepEqual(doc.errors, [{ file: "x.txt", line: null, message: "unreadable" }]);
});

test("the output is the same for the same input (stable), and ends with a newline", () => {
  const a = formatAuditJson(sampleAudit());
  const reordered = sampleAudit();
  reordered.findings.reverse();
  assert.equal(formatAuditJson(reordered), a);
  assert.ok(a.endsWith("}\n"));
});
