import assert from "node:assert/strict";
import { test } from "node:test";
import { cell, formatAuditMarkdown } from "../../src/report/markdown.js";
import { sampleAudit, sampleFinding } from "./audit-sample.js";

test("a failing audit headlines the number of failing findings", () => {
  const md = formatAuditMarkdown(sampleAudit());
  assert.ok(md.startsWith("### ❌ 2 findings fail the policy\n"));
});

test("findings below the threshold only: a green headline naming the threshold", () => {
  const md = formatAuditMarkdown(sampleAudit({ findings: [sampleFinding()], failing: [] }));
  assert.ok(md.startsWith("### ✅ No findings at or above high\n"));
});

test("no findings at all: a plain green headline and no table", () => {
  const md = formatAuditMarkdown(sampleAudit({ findings: [], failing: [] }));
  assert.ok(md.startsWith("### ✅ No findings\n"));
  assert.ok(!md.includes("| Package |"));
});

test("one table row per finding, most severe first, with fix and failing mark", () => {
  const md = formatAuditMarkdown(sampleAudit());
  const rows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Package"));
  assert.deepEqual(rows, [
    "| lxml | 4.9.1 | GHSA-lxml-0000-0001 | critical | 4.9.2 | ❌ |",
    "| reqeusts | 1.0.0 | MAL-2025-4242 | critical | remove it (malicious) | ❌ |",
    "| requests | 2.31.0 | [GHSA-9wx4-h78v-vm56](https://github.com/advisories/GHSA-9wx4-h78v-vm56) | medium | 2.32.0 (not allowed by ==2.31.0) |  |",
    "| requirements.txt | — | PC-MIXED-HASHES | low | — |  |",
  ]);
});

test("pipes, backticks and HTML in cells and details are escaped", () => {
  assert.equal(cell("a | b `c` <d>"), "a \\| b \\`c\\` &lt;d&gt;");
  assert.equal(cell("line\nbreak"), "line break");
  const md = formatAuditMarkdown(sampleAudit());
  assert.ok(md.includes("XXE \\| entity expansion in \\`iterparse\\` &lt;script&gt;"));
  assert.ok(!md.includes("<script>"));
  const evil = sampleFinding({ package: "a|b", version: "1`2" });
  const row = formatAuditMarkdown(sampleAudit({ findings: [evil], failing: [] }))
    .split("\n")
    .find((l) => l.startsWith("| a"));
  assert.equal(row?.split(/(?<!\\)\|/).length, 8, "the escaped pipe does not add a column");
  assert.ok(row?.startsWith("| a\\|b | 1\\`2 |"));
});

test("details, ignored findings, stale ignores, skipped checks and errors are included", () => {
  const md = formatAuditMarkdown(sampleAudit());
  assert.ok(md.includes("<details><summary>Finding details</summary>"));
  assert.ok(md.includes("- **GHSA-lxml-0000-0001** (CVE-2025-1111, PYSEC-2025-7) — lxml: XXE"));
  assert.ok(md.includes("<details><summary>1 finding ignored by policy</summary>"));
  assert.ok(md.includes("- **GHSA-ign0-0000-0000** in pyyaml: we only load trusted YAML (until 2027-01-31)"));
  assert.ok(
    md.includes(
      "**Stale ignores** (they match no finding; remove them):\n- GHSA-old0-0000-0000: fixed long ago",
    ),
  );
  assert.ok(md.includes("**Skipped checks:**\n- lock-unhashed: no lock file found"));
  assert.ok(md.includes("- <code>requirements-dev.txt:4</code>: expected a version after '=='"));
  assert.ok(md.includes("The advisory database is stale"));
  assert.equal((md.match(/<details>/g) ?? []).length, (md.match(/<\/details>/g) ?? []).length);
});
