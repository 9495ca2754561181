import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { artifactUri, formatSarif, sarifLevel, sarifLog } from "../../src/report/sarif.js";
import { fixture } from "../paths.js";
import { sampleAudit, sampleFinding } from "./audit-sample.js";

// ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof addFormatsModule.default;

/** The official OASIS SARIF 2.1.0 schema (see fixtures/sarif-schema-2.1.0.ORIGIN.md). */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(fixture("report", "fixtures", "sarif-schema-2.1.0.json"), "utf8"));
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

interface SarifRun {
  tool: {
    driver: { name: string; version: string; informationUri: string; rules: Record<string, unknown>[] };
  };
  results: Record<string, unknown>[];
  invocations: {
    executionSuccessful: boolean;
    toolExecutionNotifications: { message: { text: string } }[];
  }[];
  originalUriBaseIds?: Record<string, { uri: string }>;
}

const runOf = (log: Record<string, unknown>) => (log.runs as SarifRun[])[0]!;

describe("SARIF output", () => {
  const validate = sarifValidator();

  test("the sample audit is valid against the official SARIF 2.1.0 schema", () => {
    const log = JSON.parse(formatSarif(sampleAudit(), { repoRoot: "/work/repo" }));
    const ok = validate(log);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });

  test("the schema check can fail: a result without a message is rejected", () => {
    const log = sarifLog(sampleAudit());
    delete runOf(log).results[0]!.message;
    assert.equal(validate(log), false);
  });

  test("an empty audit is valid too", () => {
    const log = sarifLog(
      sampleAudit({ findings: [], ignored: [], failing: [], errors: [], skipped: [], staleIgnores: [] }),
    );
    assert.ok(validate(log), JSON.stringify(validate.errors));
    assert.deepEqual(runOf(log).results, []);
  });

  test("one rule per distinct finding id, with security-severity, level and help link", () => {
    const twice = sampleFinding({ package: "requests", file: "other/requirements.txt" });
    const run = runOf(sarifLog(sampleAudit({ findings: [...sampleAudit().findings, twice] })));
    const ids = run.tool.driver.rules.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), [
      "GHSA-9wx4-h78v-vm56",
      "GHSA-ign0-0000-0000",
      "GHSA-lxml-0000-0001",
      "MAL-2025-4242",
      "PC-MIXED-HASHES",
    ]);
    const byId = Object.fromEntries(run.tool.driver.rules.map((r) => [r.id as string, r]));
    assert.deepEqual((byId["GHSA-lxml-0000-0001"] as { properties: unknown }).properties, {
      "security-severity": "9.8",
      tags: ["security", "supply-chain", "vulnerability"],
      aliases: ["CVE-2025-1111", "PYSEC-2025-7"],
    });
    const mal = byId["MAL-2025-4242"] as {
      properties: Record<string, unknown>;
      defaultConfiguration: unknown;
    };
    assert.equal(mal.properties["security-severity"], "9.5", "no CVSS score: the severity's number");
    assert.deepEqual(mal.defaultConfiguration, { level: "error" });
    assert.equal(byId["GHSA-9wx4-h78v-vm56"]!.helpUri, "https://github.com/advisories/GHSA-9wx4-h78v-vm56");
    assert.equal(byId["MAL-2025-4242"]!.helpUri, "https://osv.dev/vulnerability/MAL-2025-4242");
    assert.equal(byId["PC-MIXED-HASHES"]!.helpUri, undefined);
    assert.equal(run.tool.driver.name, "pycustoms");
    assert.equal(run.tool.driver.version, "0.1.0");
  });

  test("levels: error for high and critical, warning for medium, note for low and info", () => {
    assert.deepEqual((["critical", "high", "medium", "low", "info"] as const).map(sarifLevel), [
      "error",
      "error",
      "warning",
      "note",
      "note",
    ]);
  });

  test("locations are repo-relative manifest paths with forward slashes under %SRCROOT%, line at least 1", () => {
    const abs = sampleFinding({ file: "/work/repo/services/api/requirements.txt", line: 12 });
    const noLine = sampleFinding({ id: "PC-X", file: "sub\\dir\\requirements.txt", line: null });
    const run = runOf(
      sarifLog(sampleAudit({ findings: [abs, noLine], ignored: [] }), { repoRoot: "/work/repo" }),
    );
    const locs = run.results.map(
      (r) =>
        (r.locations as { physicalLocation: { artifactLocation: unknown; region: unknown } }[])[0]!
          .physicalLocation,
    );
    assert.deepEqual(locs, [
      {
        artifactLocation: { uri: "services/api/requirements.txt", uriBaseId: "%SRCROOT%" },
        region: { startLine: 12 },
      },
      {
        artifactLocation: { uri: "sub/dir/requirements.txt", uriBaseId: "%SRCROOT%" },
        region: { startLine: 1 },
      },
    ]);
    assert.deepEqual(run.originalUriBaseIds, { "%SRCROOT%": { uri: "file:///work/repo/" } });
  });

  test("artifact URIs escape spaces and keep paths outside the root absolute", () => {
    assert.deepEqual(artifactUri("my dir/req.txt"), { uri: "my%20dir/req.txt", relative: true });
    assert.deepEqual(artifactUri("/elsewhere/req.txt", "/work/repo"), {
      uri: "file:///elsewhere/req.txt",
      relative: false,
    });
  });

  test("partial fingerprints are stable per rule, package and file, and ignore the line", () => {
    const fp = (f = sampleFinding()) =>
      (
        runOf(sarifLog(sampleAudit({ findings: [f], ignored: [] }))).results[0]!
          .partialFingerprints as Record<string, string>
      )["pycustomsFinding/v1"];
    const base = fp();
    assert.match(base!, /^[0-9a-f]{32}$/);
    assert.equal(fp(sampleFinding({ line: 99, version: "2.31.1" })), base);
    assert.notEqual(fp(sampleFinding({ package: "urllib3" })), base);
    assert.notEqual(fp(sampleFinding({ file: "dev-requirements.txt" })), base);
    assert.notEqual(fp(sampleFinding({ id: "GHSA-other" })), base);
  });

  test("ignored findings are results with an external suppression carrying the reason", () => {
    const run = runOf(sarifLog(sampleAudit()));
    const suppressed = run.results.filter((r) => r.suppressions !== undefined);
    assert.equal(suppressed.length, 1);
    assert.equal(suppressed[0]!.ruleId, "GHSA-ign0-0000-0000");
    assert.deepEqual(suppressed[0]!.suppressions, [
      { kind: "external", justification: "we only load trusted YAML (until 2027-01-31)" },
    ]);
  });

  test("input errors and skipped checks become tool notifications", () => {
    const inv = runOf(sarifLog(sampleAudit())).invocations[0]!;
    assert.equal(inv.executionSuccessful, false);
    assert.deepEqual(
      inv.toolExecutionNotifications.map((n) => n.message.text),
      [
        "requirements-dev.txt:4: expected a version after '=='",
        "check lock-unhashed skipped: no lock file found",
      ],
    );
  });

  test("the result message names the package, version, summary and fix", () => {
    const run = runOf(sarifLog(sampleAudit({ findings: [sampleFinding()], ignored: [] })));
    assert.deepEqual(run.results[0]!.message, {
      text: "requests 2.31.0: Requests `Session` object does not verify requests after making first request with verify=False (fixed in 2.32.0)",
    });
  });
});
