import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Finding } from "../../src/checks/types.js";
import { type Config, DEFAULT_CONFIG, type IgnoreRule } from "../../src/policy/config.js";
import { applyPolicy } from "../../src/policy/decide.js";

function finding(over: Partial<Finding>): Finding {
  return {
    kind: "vulnerability",
    id: "GHSA-aaaa-bbbb-cccc",
    aliases: ["CVE-2024-0001", "PYSEC-2024-1"],
    severity: "high",
    score: 7.5,
    package: "lxml",
    version: "4.9.1",
    specifier: "==4.9.1",
    file: "requirements.txt",
    line: 3,
    summary: "XXE in lxml",
    fixedIn: "4.9.2",
    url: null,
    ...over,
  };
}

function rule(over: Partial<IgnoreRule>): IgnoreRule {
  return {
    id: "GHSA-aaaa-bbbb-cccc",
    reason: "not reachable",
    until: null,
    package: null,
    origin: { file: "pycustoms.toml", line: 1 },
    ...over,
  };
}

function config(over: Partial<Config> = {}): Config {
  return { ...DEFAULT_CONFIG, checks: { ...DEFAULT_CONFIG.checks }, ignore: [], ...over };
}

const now = new Date("2026-02-01T12:00:00Z");
const run = (findings: Finding[], c: Config, cliIgnores: string[] = []) =>
  applyPolicy(findings, c, { now, cliIgnores });

describe("ignores", () => {
  test("an ignore matches a finding by its id", () => {
    const f = finding({});
    const r = run([f], config({ ignore: [rule({})] }));
    assert.deepEqual(r.active, []);
    assert.equal(r.ignored.length, 1);
    assert.equal(r.ignored[0]!.finding, f);
    assert.equal(r.ignored[0]!.ignore.reason, "not reachable");
    assert.equal(r.exitCode, 0);
  });

  test("an ignore matches a finding by any alias, whatever the case", () => {
    const r = run([finding({})], config({ ignore: [rule({ id: "pysec-2024-1" })] }));
    assert.equal(r.ignored.length, 1);
    assert.deepEqual(r.staleIgnores, []);
  });

  test("a package-scoped ignore leaves the same advisory in another package active", () => {
    const inLxml = finding({});
    const inOther = finding({ package: "other-pkg", version: "1.0" });
    const r = run([inLxml, inOther], config({ ignore: [rule({ package: "lxml" })] }));
    assert.deepEqual(
      r.ignored.map((i) => i.finding.package),
      ["lxml"],
    );
    assert.deepEqual(
      r.active.map((f) => f.package),
      ["other-pkg"],
    );
    assert.equal(r.exitCode, 1);
  });

  test("an ignore still holds on its until day and no longer the day after", () => {
    const onTheDay = run([finding({})], config({ ignore: [rule({ until: "2026-02-01" })] }));
    assert.equal(onTheDay.ignored.length, 1);
    const after = run([finding({})], config({ ignore: [rule({ until: "2026-01-31" })] }));
    assert.equal(after.ignored.length, 0);
    assert.equal(after.active.length, 1);
    assert.deepEqual(after.active[0]!.evidence?.expiredIgnore, {
      until: "2026-01-31",
      reason: "not reachable",
      note: "ignore expired on 2026-01-31",
    });
    assert.equal(after.expiredIgnores.length, 1);
    assert.equal(after.expiredIgnores[0]!.ignore.until, "2026-01-31");
    assert.deepEqual(after.failing, after.active);
    assert.equal(after.exitCode, 1);
    assert.deepEqual(
      after.staleIgnores,
      [],
      "an expired rule that matched is reported as expired, not stale",
    );
  });

  test("an expired ignore does not alter the caller's finding", () => {
    const f = finding({ evidence: { ranges: [">=4,<4.9.2"] } });
    const r = run([f], config({ ignore: [rule({ until: "2025-01-01" })] }));
    assert.deepEqual(f.evidence, { ranges: [">=4,<4.9.2"] });
    assert.deepEqual(r.active[0]!.evidence?.ranges, [">=4,<4.9.2"]);
  });

  test("a valid ignore wins over an expired one for the same finding", () => {
    const r = run(
      [finding({})],
      config({ ignore: [rule({ until: "2025-01-01" }), rule({ id: "CVE-2024-0001", reason: "renewed" })] }),
    );
    assert.equal(r.ignored[0]?.ignore.reason, "renewed");
    assert.deepEqual(r.active, []);
  });

  test("an ignore that matches no finding is stale", () => {
    const stale = rule({ id: "GHSA-gone-gone-gone" });
    const r = run([finding({})], config({ ignore: [rule({}), stale] }));
    assert.deepEqual(r.staleIgnores, [stale]);
  });

  test("--ignore on the command line suppresses by id and is stale when unused", () => {
    const r = run([finding({})], config(), ["CVE-2024-0001", "CVE-1999-0001"]);
    assert.equal(r.ignored.length, 1);
    assert.equal(r.ignored[0]!.ignore.origin.file, "command line");
    assert.deepEqual(
      r.staleIgnores.map((i) => i.id),
      ["CVE-1999-0001"],
    );
  });

  test("a check rule id ignores that check's findings", () => {
    const f = finding({
      kind: "unpinned",
      id: "PC-UNPINNED",
      aliases: [],
      severity: "medium",
      package: "flask",
    });
    const r = run([f], config({ ignore: [rule({ id: "PC-UNPINNED", package: "Flask" })] }));
    assert.equal(r.ignored.length, 1);
  });
});

describe("checks and thresholds", () => {
  test("findings of a disabled check are dropped, others kept", () => {
    const unpinned = finding({ kind: "unpinned", id: "PC-UNPINNED", aliases: [], severity: "medium" });
    const vuln = finding({});
    const c = config();
    c.checks.unpinned = false;
    const r = run([unpinned, vuln], c);
    assert.deepEqual(r.active, [vuln]);
    assert.deepEqual(r.ignored, []);
  });

  test("fail-on decides which severities fail", () => {
    const findings = (["info", "low", "medium", "high", "critical"] as const).map((severity) =>
      finding({ severity, id: `GHSA-${severity}` }),
    );
    const failingAt = (failOn: Config["failOn"]) =>
      run(findings, config({ failOn })).failing.map((f) => f.severity);
    assert.deepEqual(failingAt("high"), ["high", "critical"]);
    assert.deepEqual(failingAt("critical"), ["critical"]);
    assert.deepEqual(failingAt("info"), ["info", "low", "medium", "high", "critical"]);
    assert.deepEqual(failingAt("medium"), ["medium", "high", "critical"]);
  });

  test("a finding below fail-on is active but does not fail the run", () => {
    const r = run([finding({ severity: "medium" })], config({ failOn: "high" }));
    assert.equal(r.active.length, 1);
    assert.deepEqual(r.failing, []);
    assert.equal(r.exitCode, 0);
  });

  test("a malicious finding fails whatever fail-on says, even at severity info", () => {
    const mal = finding({ kind: "malicious", id: "MAL-2025-1", aliases: [], severity: "info", score: null });
    const r = run([mal], config({ failOn: "critical" }));
    assert.deepEqual(r.failing, [mal]);
    assert.equal(r.exitCode, 1);
  });

  test("no findings: nothing fails and the exit code is 0", () => {
    const r = run([], config());
    assert.deepEqual(r, {
      active: [],
      ignored: [],
      expiredIgnores: [],
      staleIgnores: [],
      failing: [],
      exitCode: 0,
    });
  });
});
