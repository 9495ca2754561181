import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { repoRoot, sharedData } from "../paths.js";
import { assertNoStackTrace, runCli } from "./run-cli.js";

const example = join(repoRoot, "examples", "shop");
const tmp = mkdtempSync(join(tmpdir(), "pycustoms-audit-cli-"));
const db = join(tmp, "advisories.sqlite");
after(() => rmSync(tmp, { recursive: true, force: true }));

interface AuditJson {
  schema: string;
  findings: {
    id: string;
    aliases: string[];
    kind: string;
    severity: string;
    package: string;
    version: string | null;
    file: string;
    line: number | null;
    fixed_in: string | null;
  }[];
  skipped: { check: string; reason: string }[];
  stale_ignores: { id: string }[];
  ignored: unknown[];
}

before(() => {
  const r = runCli([
    "db",
    "update",
    "--db",
    db,
    "--from",
    join(sharedData, "pypa-advisory-database", "vulns.tar.gz"),
    join(sharedData, "malicious-packages-pypi", "osv-pypi.tar.gz"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2661 records: 2661 added/);
});

function project(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

test("db status reports the imported counts", () => {
  const r = runCli(["db", "status", "--db", db, "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { counts: { malicious: number; withdrawn: number } };
  assert.equal(s.counts.malicious, 9207);
  assert.equal(s.counts.withdrawn, 11);
});

test("the example fails the policy with merged advisory ids located at the manifest line", () => {
  const r = runCli(["audit", "--no-upstream", "--db", db, "--format", "json", example]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as AuditJson;
  assert.equal(doc.schema, "pycustoms.audit/1");
  const requests = doc.findings.find(
    (f) => f.package === "requests" && f.version === "2.19.0" && f.aliases.includes("CVE-2018-18074"),
  );
  assert.ok(requests, "requests 2.19.0 has CVE-2018-18074");
  assert.equal(requests.id, "GHSA-x84v-xcm2-53pg");
  assert.ok(requests.aliases.includes("PYSEC-2018-28"));
  assert.equal(requests.fixed_in, "2.20.0");
  assert.equal(requests.line, 7);
  assert.ok(doc.findings.some((f) => f.kind === "mixed-hashes"));
  assert.deepEqual(doc.skipped, []);
});

test("a known-malicious package is critical and fails even with fail-on critical", () => {
  const dir = project("malicious", { "requirements.txt": "reqeosts==1.0.0\n" });
  const r = runCli(["audit", "--no-upstream", "--db", db, "--format", "json", "--fail-on", "critical", dir]);
  assert.equal(r.code, 1, r.stdout);
  const doc = JSON.parse(r.stdout) as AuditJson;
  const mal = doc.findings.find((f) => f.kind === "malicious");
  assert.ok(mal, "reqeosts is in the OSSF malicious-packages data");
  assert.equal(mal.severity, "critical");
  assert.match(mal.id, /^MAL-/);
});

test("clean pinned, hashed dependencies exit 0", () => {
  const dir = project("clean", {
    "requirements.txt": `requests==2.32.3 --hash=sha256:${"ab".repeat(32)}\n`,
  });
  const r = runCli(["audit", "--no-upstream", "--db", db, dir]);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /No findings/);
});

test("ignores need a reason; expired ones report the finding again; unmatched ones are stale", () => {
  const dir = project("ignores", {
    "requirements.txt": `requests==2.19.0 --hash=sha256:${"ab".repeat(32)}\n`,
    "pycustoms.toml": `fail-on = "low"
[[ignore]]
id = "CVE-2018-18074"
reason = "we never follow redirects"

[[ignore]]
id = "GHSA-j8r2-6x86-q33q"
reason = "no proxies"
until = 2020-01-01

[[ignore]]
id = "PYSEC-0000-0"
reason = "left over"
`,
  });
  const r = runCli(["audit", "--no-upstream", "--db", db, "--format", "json", dir]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as AuditJson & { findings: { evidence?: { expiredIgnore?: unknown } }[] };
  assert.equal(doc.ignored.length, 1);
  assert.ok(doc.findings.some((f) => f.id === "GHSA-j8r2-6x86-q33q"));
  assert.deepEqual(
    doc.stale_ignores.map((s) => s.id),
    ["PYSEC-0000-0"],
  );
  const cli = runCli([
    "audit",
    "--no-upstream",
    "--db",
    db,
    "--format",
    "json",
    "--ignore",
    "GHSA-j8r2-6x86-q33q",
    dir,
  ]);
  const cliDoc = JSON.parse(cli.stdout) as AuditJson;
  assert.ok(!cliDoc.findings.some((f) => f.id === "GHSA-j8r2-6x86-q33q"));
});

test("an invalid policy file is a usage error naming the key", () => {
  const dir = project("badconfig", {
    "requirements.txt": "requests==2.32.3\n",
    "pycustoms.toml": 'fail_on = "high"\n[[ignore]]\nid = "X"\n',
  });
  const r = runCli(["audit", "--no-upstream", "--db", db, dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /fail_on/);
  assert.match(r.stderr, /reason/);
  assertNoStackTrace(r);
});

test("without a database the audit says so, skips the advisory checks, and still checks pins", () => {
  // The default database (here through PYCUSTOMS_DB) may not exist yet; a --db given on the command line must.
  const r = runCli(["audit", "--no-upstream", "--format", "json", example], {
    env: { PYCUSTOMS_DB: join(tmp, "none.sqlite") },
  });
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout) as AuditJson;
  assert.deepEqual(
    doc.skipped.map((s) => s.check),
    ["vulnerability", "malicious"],
  );
  assert.match(doc.skipped[0]!.reason, /pycustoms db update/);
  assert.ok(doc.findings.every((f) => f.kind !== "vulnerability"));
  assert.ok(doc.findings.some((f) => f.kind === "mutable-reference"));
});

test("a corrupt database is exit 2 with a one-line message", () => {
  const bad = join(tmp, "corrupt.sqlite");
  writeFileSync(bad, "this is not a database, just text that is long enough to have a header".repeat(20));
  const r = runCli(["audit", "--no-upstream", "--db", bad, example]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a SQLite database or is corrupt/);
  assertNoStackTrace(r);
});

test("SARIF, markdown and CycloneDX outputs are produced for the same run", () => {
  const sarif = runCli(["audit", "--no-upstream", "--db", db, "--format", "sarif", example]);
  assert.equal(sarif.code, 1);
  const log = JSON.parse(sarif.stdout) as {
    version: string;
    runs: { results: { locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
  };
  assert.equal(log.version, "2.1.0");
  assert.ok(log.runs[0]!.results.length > 10);
  assert.ok(log.runs[0]!.results.every((r) => r.locations[0]!.physicalLocation.region.startLine >= 1));
  const md = runCli(["audit", "--no-upstream", "--db", db, "--format", "markdown", example]);
  assert.match(md.stdout, /GHSA-x84v-xcm2-53pg/);
  const cdx = runCli(["audit", "--no-upstream", "--db", db, "--format", "cyclonedx", example]);
  const bom = JSON.parse(cdx.stdout) as { vulnerabilities: { id: string }[] };
  assert.ok(bom.vulnerabilities.some((v) => v.id === "GHSA-x84v-xcm2-53pg"));
});

test("init writes a starter config that the audit accepts, and refuses to overwrite it", () => {
  const dir = project("init", { "requirements.txt": `requests==2.32.3 --hash=sha256:${"ab".repeat(32)}\n` });
  assert.equal(runCli(["init", dir]).code, 0);
  assert.equal(runCli(["init", dir]).code, 2);
  const r = runCli(["audit", "--no-upstream", "--db", db, dir]);
  assert.equal(r.code, 0, r.stderr);
});

test("an index URL that is not http(s) is a usage error on the command line and a located skip in a file", () => {
  const dir = join(tmp, "bad-index");
  mkdirSync(dir, { recursive: true });
  // An unset variable stays as written (pip does the same), leaving no URL.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: pip's ${VAR} syntax, as a requirements file has it
  writeFileSync(join(dir, "requirements.txt"), "-i ${PYCUSTOMS_TEST_UNSET}/simple\nrequests==2.31.0\n");
  const fromFile = runCli(["audit", "--offline", "--db", db, "--format", "json", dir], {
    env: { PYCUSTOMS_TEST_UNSET: undefined },
  });
  assertNoStackTrace(fromFile);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const doc = JSON.parse(fromFile.stdout) as { skipped: { check: string; reason: string }[] };
  assert.ok(
    doc.skipped.some((s) =>
      /is looked up on \$\{PYCUSTOMS_TEST_UNSET\}\/simple \(.*requirements\.txt:2\), which is not an http\(s\) URL/.test(
        s.reason,
      ),
    ),
    JSON.stringify(doc.skipped),
  );
  for (const [command, target] of [
    ["audit", dir],
    ["inspect", "requests"],
  ] as const) {
    const flag = runCli([command, "--offline", "--index-url", "http://[::1", target]);
    assertNoStackTrace(flag);
    assert.equal(flag.code, 2, command);
    assert.match(flag.stderr, /--index-url must be an http\(s\) URL/);
  }
});

test("a --db that does not exist is a usage error, not an audit without advisories", () => {
  for (const command of [
    ["audit", "--no-upstream", example],
    ["inspect", "--offline", "requests"],
  ]) {
    const r = runCli([...command, "--db", join(tmp, "typo.sqlite")]);
    assertNoStackTrace(r);
    assert.equal(r.code, 2, command[0]);
    assert.match(r.stderr, /--db .*typo\.sqlite: no such file/);
  }
});

test("a --db that is a folder, and a failed db update source, are each said once, plainly", () => {
  const folder = join(tmp, "a-folder");
  mkdirSync(folder, { recursive: true });
  for (const command of [
    ["audit", "--no-upstream", example],
    ["db", "update"],
    ["db", "status"],
  ]) {
    const r = runCli([...command, "--db", folder]);
    assert.equal(r.code, 2, command.join(" "));
    assert.match(r.stderr, /--db .*a-folder is a folder: name the database file/);
  }
  const missing = join(tmp, "no-such-source.zip");
  const update = runCli(["db", "update", "--from", missing, "--db", join(tmp, "fresh.sqlite")]);
  assert.equal(update.code, 2);
  assert.equal(update.stdout.split(missing).length - 1, 2, update.stdout); // "<source>: failed: <source>: …"
  assert.doesNotMatch(update.stdout, /warning:/);
});
