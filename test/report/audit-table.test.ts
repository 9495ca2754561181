import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAuditTable, summaryLine } from "../../src/report/audit-table.js";
import { sampleAudit, sampleFinding } from "./audit-sample.js";

const ESC = "\u001b[";

test("without colour the table holds no ANSI escapes", () => {
  const text = formatAuditTable(sampleAudit(), { color: false });
  assert.ok(!text.includes(ESC));
});

test("with colour severities and package names are styled", () => {
  const text = formatAuditTable(sampleAudit(), { color: true });
  assert.ok(text.includes(`${ESC}31m`), "red for high/critical");
  assert.ok(text.includes(`${ESC}1mlxml${ESC}22m`), "bold package name");
});

test("findings are grouped by package, worst package first, with version, ids, summary and fix", () => {
  const text = formatAuditTable(sampleAudit(), { color: false });
  const lines = text.split("\n");
  const lxml = lines.findIndex((l) => l.startsWith("lxml 4.9.1"));
  const requests = lines.findIndex((l) => l.startsWith("requests 2.31.0"));
  assert.ok(lxml >= 0 && requests > lxml, "critical lxml before medium requests");
  assert.equal(lines[lxml], "lxml 4.9.1  services/api/requirements.txt:12");
  assert.equal(lines[lxml + 1], "  CRITICAL GHSA-lxml-0000-0001 (CVE-2025-1111, PYSEC-2025-7)");
  assert.equal(lines[lxml + 2], "           XXE | entity expansion in `iterparse` <script>");
  assert.equal(lines[lxml + 3], "           fixed in 4.9.2");
  assert.equal(lines[lxml + 4], "  fix: upgrade to 4.9.2 (allowed by your specifier >=4,<5)");
  assert.ok(text.includes("  fix: upgrade to 2.32.0 (NOT allowed by your specifier ==2.31.0)\n"));
  assert.ok(text.includes("  fix: remove reqeusts: it is reported as malicious\n"));
  assert.ok(text.includes("\nrequirements.txt\n  LOW      PC-MIXED-HASHES\n"));
});

test("skipped checks, stale ignores, the ignored count, errors and a stale database are listed", () => {
  const text = formatAuditTable(sampleAudit(), { color: false });
  assert.ok(text.includes("Skipped checks:\n  lock-unhashed: no lock file found\n"));
  assert.ok(
    text.includes(
      "Stale ignores (they match no finding; remove them):\n  GHSA-old0-0000-0000: fixed long ago\n",
    ),
  );
  assert.ok(text.includes("1 finding ignored by policy.\n"));
  assert.ok(text.includes("Errors:\n  requirements-dev.txt:4:9: expected a version after '=='\n"));
  assert.ok(text.includes("the advisory database is stale (last updated: 2026-01-01T00:00:00Z)"));
});

test("the summary line counts packages, findings by severity, ignored and audited dependencies", () => {
  const text = formatAuditTable(sampleAudit(), { color: false });
  const summary =
    "4 packages with 4 findings (2 critical, 1 medium, 1 low), 1 ignored; 4 dependencies audited";
  assert.ok(text.includes(`\n${summary}\nFAIL: 2 findings at or above high or malicious\n`));
  assert.equal(summaryLine(sampleAudit()), summary);
});

test("a package without a known fixed version says so", () => {
  const text = formatAuditTable(
    sampleAudit({
      findings: [sampleFinding({ fixedIn: null })],
      fixes: { requests: { version: null, allowedBySpecifier: null } },
    }),
    { color: false },
  );
  assert.ok(text.includes("  fix: no fixed version is known\n"));
});

test("a clean audit says so and has no FAIL line", () => {
  const result = sampleAudit({
    findings: [],
    failing: [],
    ignored: [],
    staleIgnores: [],
    skipped: [],
    errors: [],
    fixes: {},
  });
  result.database.stale = false;
  assert.equal(formatAuditTable(result, { color: false }), "No findings; 4 dependencies audited\n");
});

test("an expired ignore is shown under its finding", () => {
  const f = sampleFinding({
    evidence: { expiredIgnore: { until: "2026-01-31", reason: "waiting for upstream", note: "" } },
  });
  const text = formatAuditTable(sampleAudit({ findings: [f], failing: [] }), { color: false });
  assert.ok(text.includes("           ignore expired on 2026-01-31 (waiting for upstream)\n"));
});

test("with a width, long lines are cut to it", () => {
  const text = formatAuditTable(sampleAudit(), { color: true, width: 40 });
  for (const line of text.split("\n")) {
    assert.ok(line.replace(/\u001b\[[0-9;]*m/g, "").length <= 40, line);
  }
  assert.ok(text.includes("…"));
});
