import assert from "node:assert/strict";
import { test } from "node:test";
import { buildPopularIndex } from "../../src/checks/typosquat.js";
import {
  type AccessDecision,
  decideFile,
  type EvaluationContext,
  evaluateProject,
  filterProjectInfo,
  type GateException,
  refusalLine,
  upstreamFingerprint,
} from "../../src/gate/evaluate.js";
import { parseConfigText } from "../../src/policy/config.js";
import { daysAgo, NOW, project, sdist, wheel } from "../checks/upstream-builders.js";
import { CVSS_5_3, CVSS_8_1, configFrom, osvAdvisory } from "./gate-builders.js";

const old = { uploadTime: daysAgo(100) };

function ctx(init: Partial<EvaluationContext> = {}): EvaluationContext {
  return {
    config: configFrom(),
    advisories: [],
    popular: null,
    now: NOW,
    approvals: [],
    exceptions: [],
    ...init,
  };
}

const requests = project("requests", [
  sdist("requests", "2.30.0", { uploadTime: daysAgo(400) }),
  wheel("requests", "2.31.0", "py3-none-any", { uploadTime: daysAgo(300) }),
  sdist("requests", "2.31.0", { uploadTime: daysAgo(300) }),
  wheel("requests", "2.32.0", "py3-none-any", { uploadTime: daysAgo(30) }),
  sdist("requests", "2.32.0", { uploadTime: daysAgo(30) }),
]);

const vuln = osvAdvisory({
  id: "GHSA-9hjg-9r4m-mvj7",
  aliases: ["CVE-2024-47081"],
  name: "requests",
  introduced: "2.32.0",
  fixed: "2.32.4",
  cvss: CVSS_8_1,
});

test("a vulnerable release is hidden from the page and the previous safe one stays, so resolvers pick it", () => {
  const verdict = evaluateProject(requests, ctx({ advisories: [vuln] }));
  assert.equal(verdict.versions.get("2.32.0")?.decision, "hide");
  assert.deepEqual(verdict.versions.get("2.32.0")?.reasons, ["GHSA-9hjg-9r4m-mvj7, CVSS 8.1"]);
  assert.equal(verdict.versions.get("2.31.0")?.decision, "allow");
  assert.equal(verdict.versions.get("2.30.0")?.decision, "allow");
  assert.equal(verdict.projectDecision, "partial");

  const { project: page, blocked } = filterProjectInfo(requests, verdict);
  assert.deepEqual(page.versions, ["2.30.0", "2.31.0"]);
  assert.deepEqual(
    page.files.map((f) => f.filename),
    ["requests-2.30.0.tar.gz", "requests-2.31.0-py3-none-any.whl", "requests-2.31.0.tar.gz"],
  );
  assert.deepEqual([...blocked.keys()], ["requests-2.32.0-py3-none-any.whl", "requests-2.32.0.tar.gz"]);
});

test("the refusal is one line pip prints: project, version, advisory id and CVSS score", () => {
  const verdict = evaluateProject(requests, ctx({ advisories: [vuln] }));
  const file = requests.files.find((f) => f.filename === "requests-2.32.0.tar.gz")!;
  assert.deepEqual(decideFile(verdict, file), {
    allow: false,
    decision: "hide",
    version: "2.32.0",
    reason: "pycustoms: requests 2.32.0 blocked: GHSA-9hjg-9r4m-mvj7, CVSS 8.1",
  });
  assert.equal(
    refusalLine("p", "1.0", ["a", "b", "c", "d", "e"]),
    "pycustoms: p 1.0 blocked: a; b; c; and 2 more",
  );
  assert.equal(refusalLine("p", "1.0", ["line\nbreak"]), "pycustoms: p 1.0 blocked: line break");
});

test("a vulnerability below fail-on is served with a notice; fail-on medium hides it", () => {
  const medium = osvAdvisory({
    id: "GHSA-aaaa-bbbb-cccc",
    name: "requests",
    fixed: "2.31.0",
    cvss: CVSS_5_3,
  });
  const served = evaluateProject(requests, ctx({ advisories: [medium] }));
  assert.equal(served.versions.get("2.30.0")?.decision, "allow");
  assert.equal(served.versions.get("2.30.0")?.notices.length, 1);
  const strict = evaluateProject(
    requests,
    ctx({ advisories: [medium], config: configFrom('fail-on = "medium"') }),
  );
  assert.equal(strict.versions.get("2.30.0")?.decision, "hide");
  assert.deepEqual(strict.versions.get("2.30.0")?.reasons, ["GHSA-aaaa-bbbb-cccc, CVSS 5.3"]);
});

test("an [[ignore]] rule of the configuration lets the release through, as in audit", () => {
  const config = configFrom(
    '[[ignore]]\nid = "CVE-2024-47081"\nreason = "we never call the affected function"',
  );
  const verdict = evaluateProject(requests, ctx({ advisories: [vuln], config }));
  assert.equal(verdict.versions.get("2.32.0")?.decision, "allow");
});

test("a vulnerability exception naming an alias lifts the hiding for the versions it covers, until it expires", () => {
  const exception: GateException = {
    project: "requests",
    specifier: "==2.32.0",
    kind: "CVE-2024-47081",
    reason: "mitigated by our proxy settings",
    expiresAt: daysAgo(-3),
    createdBy: "alice",
  };
  const verdict = evaluateProject(requests, ctx({ advisories: [vuln], exceptions: [exception] }));
  assert.equal(verdict.versions.get("2.32.0")?.decision, "allow");
  assert.match(verdict.versions.get("2.32.0")!.notices.join("\n"), /exception from alice/);
  assert.equal(verdict.validUntil, daysAgo(-3));
  const later = evaluateProject(
    requests,
    ctx({ advisories: [vuln], exceptions: [exception], now: new Date(daysAgo(-4)) }),
  );
  assert.equal(later.versions.get("2.32.0")?.decision, "hide");
});

test("a malicious release blocks every release of the project", () => {
  const evil = project("colorizr", [sdist("colorizr", "1.0.0", old), sdist("colorizr", "1.0.1", old)]);
  const mal = osvAdvisory({
    id: "MAL-2025-1234",
    name: "colorizr",
    versions: ["1.0.1"],
    summary: "Malicious code in colorizr (PyPI)",
    malicious: true,
  });
  const verdict = evaluateProject(evil, ctx({ advisories: [mal] }));
  assert.equal(verdict.projectDecision, "block");
  for (const v of ["1.0.0", "1.0.1"]) {
    assert.equal(verdict.versions.get(v)?.decision, "block");
    assert.deepEqual(verdict.versions.get(v)?.reasons, ["MAL-2025-1234, known malicious package"]);
  }
  assert.equal(filterProjectInfo(evil, verdict).project.files.length, 0);
  // "any" does not lift a malicious verdict; only an exception naming it does.
  const any: GateException = {
    project: "colorizr",
    specifier: "",
    kind: "any",
    reason: "x",
    expiresAt: null,
    createdBy: "bob",
  };
  assert.equal(evaluateProject(evil, ctx({ advisories: [mal], exceptions: [any] })).projectDecision, "block");
});

test("a quarantined project serves no files at all", () => {
  const q = project("pkg-q", [sdist("pkg-q", "1.0", old), sdist("pkg-q", "1.1", old)], {
    status: { status: "quarantined", reason: "malware reported" },
  });
  const verdict = evaluateProject(q, ctx());
  assert.equal(verdict.projectDecision, "block");
  assert.deepEqual(verdict.projectReasons, ["project quarantined upstream (malware reported)"]);
  const { project: page, blocked } = filterProjectInfo(q, verdict);
  assert.deepEqual(page.files, []);
  assert.deepEqual(page.versions, []);
  assert.equal(page.status.status, "quarantined");
  assert.equal(
    blocked.get("pkg-q-1.0.tar.gz"),
    "pycustoms: pkg-q 1.0 blocked: project quarantined upstream (malware reported)",
  );
});

test("an archived project stays installable and is flagged", () => {
  const a = project("oldlib", [sdist("oldlib", "3.0", old)], {
    status: { status: "archived", reason: "use newlib" },
  });
  const verdict = evaluateProject(a, ctx());
  assert.equal(verdict.projectDecision, "allow");
  assert.equal(verdict.versions.get("3.0")?.decision, "allow");
  assert.equal(verdict.notices.length, 1);
  assert.match(verdict.notices[0]!, /archived.*use newlib/);
  assert.equal(filterProjectInfo(a, verdict).project.files.length, 1);
});

test("yanked files are served with their yank marker, not hidden (PEP 592)", () => {
  const y = project("yk", [
    sdist("yk", "1.0", old),
    sdist("yk", "1.1", { ...old, yanked: true, yankedReason: "broken build" }),
  ]);
  const verdict = evaluateProject(y, ctx());
  assert.equal(verdict.versions.get("1.1")?.decision, "allow");
  assert.match(verdict.versions.get("1.1")!.notices[0]!, /yanked.*broken build/);
  const page = filterProjectInfo(y, verdict).project;
  const file = page.files.find((f) => f.version === "1.1")!;
  assert.equal(file.yanked, true);
  assert.equal(file.yankedReason, "broken build");
});

test("the cooldown holds a 2-day-old release back until it is 7 days old; a cooldown exception lets it through", () => {
  const fresh = project("httpx", [
    sdist("httpx", "0.28.1", { uploadTime: daysAgo(30) }),
    sdist("httpx", "0.29.0", { uploadTime: daysAgo(2) }),
  ]);
  const held = evaluateProject(fresh, ctx());
  assert.equal(held.versions.get("0.29.0")?.decision, "hold");
  assert.deepEqual(held.versions.get("0.29.0")?.reasons, [
    "released 48 hours ago, within the 7-day cooldown",
  ]);
  assert.equal(held.versions.get("0.28.1")?.decision, "allow");
  // The verdict comes due when the cooldown ends.
  assert.equal(held.validUntil, daysAgo(-5));
  assert.equal(
    evaluateProject(fresh, ctx({ now: new Date(daysAgo(-5)) })).versions.get("0.29.0")?.decision,
    "allow",
  );

  const exception: GateException = {
    project: "HTTPX",
    specifier: ">=0.29",
    kind: "cooldown",
    reason: "security fix we need now",
    expiresAt: daysAgo(-1),
    createdBy: "alice",
  };
  const excepted = evaluateProject(fresh, ctx({ exceptions: [exception] }));
  assert.equal(excepted.versions.get("0.29.0")?.decision, "allow");
  assert.equal(excepted.validUntil, daysAgo(-1));
  const expired = evaluateProject(fresh, ctx({ exceptions: [exception], now: new Date(daysAgo(-1)) }));
  assert.equal(expired.versions.get("0.29.0")?.decision, "hold");
});

test("a file added to an old release within the cooldown is held on its own; the release's other files stay", () => {
  const added = wheel("popular-pkg", "1.0.0", "py3-none-any", { uploadTime: daysAgo(0.5) });
  added.filename = "popular_pkg-1.0.0-1-py3-none-any.whl"; // a build tag: pip prefers it over the old wheel
  const pkg = project("popular-pkg", [
    wheel("popular-pkg", "1.0.0", "py3-none-any", { uploadTime: daysAgo(900) }),
    sdist("popular-pkg", "1.0.0", { uploadTime: daysAgo(900) }),
    added,
  ]);
  const verdict = evaluateProject(pkg, ctx());
  const release = verdict.versions.get("1.0.0");
  assert.equal(release?.decision, "allow");
  assert.deepEqual(release?.heldFiles, {
    [added.filename]: `${added.filename} added 12 hours ago, within the 7-day cooldown`,
  });
  const page = filterProjectInfo(pkg, verdict);
  assert.deepEqual(
    page.project.files.map((f) => f.filename),
    pkg.files.filter((f) => f !== added).map((f) => f.filename),
  );
  assert.equal(
    page.blocked.get(added.filename),
    `pycustoms: popular-pkg 1.0.0 blocked: ${added.filename} added 12 hours ago, within the 7-day cooldown`,
  );
  assert.deepEqual(decideFile(verdict, pkg.files[0]!), { allow: true, version: "1.0.0" });
  // The verdict comes due when the file's cooldown ends; then the file is served.
  assert.equal(verdict.validUntil, daysAgo(-6.5));
  const later = evaluateProject(pkg, ctx({ now: new Date(daysAgo(-6.5)) }));
  assert.equal(later.versions.get("1.0.0")?.heldFiles, undefined);
  // A cooldown exception for the release lets the new file through too.
  const exception: GateException = {
    project: "popular-pkg",
    specifier: "==1.0.0",
    kind: "cooldown",
    reason: "rebuilt wheel we asked for",
    expiresAt: null,
    createdBy: "alice",
  };
  assert.equal(
    evaluateProject(pkg, ctx({ exceptions: [exception] })).versions.get("1.0.0")?.heldFiles,
    undefined,
  );
});

test("a release whose upload time the index does not give is held: its age cannot clear the cooldown", () => {
  const unknown = project("mirror-pkg", [sdist("mirror-pkg", "2.0.0", { uploadTime: null })]);
  const verdict = evaluateProject(unknown, ctx());
  assert.equal(verdict.versions.get("2.0.0")?.decision, "hold");
  assert.match(verdict.versions.get("2.0.0")?.reasons[0] ?? "", /^upload time unknown/);
  const noTimes = project("mirror-pkg", [sdist("mirror-pkg", "2.0.0", { uploadTime: null })], {
    capabilities: { uploadTimes: false },
  });
  assert.equal(evaluateProject(noTimes, ctx()).versions.get("2.0.0")?.decision, "hold");
  // An operator who turns the cooldown off, or the check, serves it.
  for (const toml of ['min-release-age = "0d"', "[checks]\nrelease-age = false"]) {
    const config = configFrom(toml);
    assert.equal(evaluateProject(noTimes, ctx({ config })).versions.get("2.0.0")?.decision, "allow", toml);
  }
});

test("min-release-age comes from the configuration", () => {
  const fresh = project("httpx", [sdist("httpx", "0.29.0", { uploadTime: daysAgo(2) })]);
  const config = configFrom('min-release-age = "1d"');
  assert.equal(evaluateProject(fresh, ctx({ config })).versions.get("0.29.0")?.decision, "allow");
});

test("allowlist mode: nothing is served until approved; approvals cover a project or a specifier", () => {
  const config = configFrom('[serve]\nmode = "allowlist"');
  const p = project("flask", [sdist("flask", "2.3.0", old), sdist("flask", "3.0.0", old)]);
  const pending = evaluateProject(p, ctx({ config }));
  assert.equal(pending.projectDecision, "pending");
  assert.equal(pending.versions.get("3.0.0")?.decision, "pending");
  assert.equal(pending.versions.get("3.0.0")?.access, "unreviewed");

  const approval = (specifier: string, status: AccessDecision["status"], at: string): AccessDecision => ({
    project: "flask",
    specifier,
    status,
    decidedBy: "alice",
    decidedAt: at,
    reason: status === "denied" ? "use the internal fork" : "reviewed",
  });
  const one = evaluateProject(p, ctx({ config, approvals: [approval("<3", "approved", daysAgo(1))] }));
  assert.equal(one.versions.get("2.3.0")?.decision, "allow");
  assert.equal(one.versions.get("3.0.0")?.decision, "pending");
  assert.equal(one.projectDecision, "partial");

  const all = evaluateProject(p, ctx({ config, approvals: [approval("", "approved", daysAgo(1))] }));
  assert.equal(all.projectDecision, "allow");

  const denied = evaluateProject(p, ctx({ config, approvals: [approval("", "denied", daysAgo(1))] }));
  assert.equal(denied.projectDecision, "block");
  assert.deepEqual(denied.versions.get("3.0.0")?.reasons, ["access denied by alice: use the internal fork"]);

  // The latest decision covering a release holds.
  const later = evaluateProject(
    p,
    ctx({
      config,
      approvals: [approval("", "denied", daysAgo(2)), approval("==3.0.0", "approved", daysAgo(1))],
    }),
  );
  assert.equal(later.versions.get("3.0.0")?.decision, "allow");
  assert.equal(later.versions.get("2.3.0")?.decision, "block");
});

test("an approval does not override the checks: an approved vulnerable release stays hidden", () => {
  const config = configFrom('[serve]\nmode = "allowlist"');
  const approvals: AccessDecision[] = [
    {
      project: "requests",
      specifier: "",
      status: "approved",
      decidedBy: "a",
      decidedAt: daysAgo(1),
      reason: "ok",
    },
  ];
  const verdict = evaluateProject(requests, ctx({ config, approvals, advisories: [vuln] }));
  assert.equal(verdict.versions.get("2.32.0")?.decision, "hide");
  assert.equal(verdict.versions.get("2.31.0")?.decision, "allow");
});

test("a typosquat of a popular project is blocked entirely; an exception naming the finding lifts it", () => {
  const popular = buildPopularIndex(["boto3", "requests", "urllib3", "numpy", "setuptools"]);
  const squat = project("reqeusts", [sdist("reqeusts", "1.0", old), sdist("reqeusts", "1.1", old)]);
  const verdict = evaluateProject(squat, ctx({ popular }));
  assert.equal(verdict.projectDecision, "block");
  assert.deepEqual(verdict.versions.get("1.1")?.reasons, ['possible typosquat of "requests" (rank 2)']);
  assert.equal(verdict.findings.find((f) => f.kind === "typosquat")?.severity, "high");

  assert.equal(evaluateProject(requests, ctx({ popular })).projectDecision, "allow");
  const reviewed: GateException = {
    project: "reqeusts",
    specifier: "",
    kind: "typosquat",
    reason: "our own package, really",
    expiresAt: null,
    createdBy: "alice",
  };
  assert.equal(evaluateProject(squat, ctx({ popular, exceptions: [reviewed] })).projectDecision, "allow");
  const allowed = configFrom('typosquat-allow = ["reqeusts"]');
  assert.equal(evaluateProject(squat, ctx({ popular, config: allowed })).projectDecision, "allow");
});

test("a file whose name gives no version is refused: no release check can clear it", () => {
  const p = project("odd", [sdist("odd", "1.0", old)]);
  const stray = { ...sdist("odd", "1.0", old), filename: "odd-latest.zip", version: null };
  const withStray = { ...p, files: [...p.files, stray] };
  const verdict = evaluateProject(withStray, ctx());
  const { blocked } = filterProjectInfo(withStray, verdict);
  assert.match(
    blocked.get("odd-latest.zip")!,
    /^pycustoms: odd-latest\.zip blocked: its name gives no version/,
  );
});

test("a size jump far beyond the previous release is hidden when size anomalies fail the policy", () => {
  const p = project("grow", [
    sdist("grow", "1.0", { ...old, size: 100_000 }),
    sdist("grow", "1.1", { ...old, size: 5_000_000 }),
  ]);
  assert.equal(evaluateProject(p, ctx()).versions.get("1.1")?.decision, "allow");
  const strict = evaluateProject(p, ctx({ config: configFrom('fail-on = "medium"') }));
  assert.equal(strict.versions.get("1.1")?.decision, "hide");
  assert.match(strict.versions.get("1.1")!.reasons[0]!, /^size anomaly: 50× the size of 1\.0/);
});

test("the upstream fingerprint changes with the file list and not with object identity", () => {
  const copy = structuredClone(requests);
  assert.equal(upstreamFingerprint(copy), upstreamFingerprint(requests));
  const yanked = structuredClone(requests);
  yanked.files[0]!.yanked = true;
  assert.notEqual(upstreamFingerprint(yanked), upstreamFingerprint(requests));
});

test("a project with thousands of releases is evaluated quickly", () => {
  const files = [];
  for (let i = 0; i < 1500; i++) {
    const v = `1.${Math.floor(i / 10)}.${i % 10}`;
    files.push(sdist("big", v, { uploadTime: daysAgo(2000 - i), size: 10_000 + i }));
    files.push(wheel("big", v, "py3-none-any", { uploadTime: daysAgo(2000 - i), size: 9_000 + i }));
  }
  const big = project("big", files);
  const advisories = [
    osvAdvisory({
      id: "GHSA-bbbb-cccc-dddd",
      name: "big",
      introduced: "1.50.0",
      fixed: "1.60.0",
      cvss: CVSS_8_1,
    }),
  ];
  const started = performance.now();
  const verdict = evaluateProject(big, ctx({ advisories }));
  const ms = performance.now() - started;
  assert.equal(verdict.versions.size, 1500);
  assert.equal(verdict.versions.get("1.55.5")?.decision, "hide");
  assert.equal(verdict.versions.get("1.60.0")?.decision, "allow");
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test("[serve] mode is open by default, and a mode other than open or allowlist is an error naming the line", () => {
  assert.equal(configFrom().serve.mode, "open");
  const loaded = parseConfigText('[serve]\nmode = "closed"\n', "pycustoms.toml", false);
  assert.deepEqual(loaded.errors, [
    {
      file: "pycustoms.toml",
      line: 2,
      message: '[serve]: `mode` must be "open" or "allowlist" (got "closed")',
    },
  ]);
  assert.equal(loaded.config.serve.mode, "open");
});
