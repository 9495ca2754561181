import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isolatedEnv, runCliAsync } from "../audit/run-cli-async.js";
import { auditUpstream } from "../audit/upstream-fixture.js";
import { sharedData } from "../paths.js";
import { testCertificate } from "../support/tls.js";
import {
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";
import { assertNoStackTrace, type CliRun } from "./run-cli.js";

interface AuditJson {
  findings: {
    kind: string;
    severity: string;
    package: string;
    version: string | null;
    summary: string;
    file: string;
    fixed_in: string | null;
    line: number | null;
  }[];
  skipped: { check: string; reason: string }[];
}

const tmp = mkdtempSync(join(tmpdir(), "pycustoms-audit-upstream-"));
const db = join(tmp, "advisories.sqlite");
let server: RunningUpstream;
let fixture: UpstreamFixture;
let requirements: string;
let online: { run: CliRun; doc: AuditJson };

function project(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const totalRequests = () => [...server.requests.values()].reduce((a, b) => a + b, 0);

async function audit(
  dir: string,
  cache: string,
  extra: string[] = [],
  indexUrl = `${server.url}/simple/`,
  env: NodeJS.ProcessEnv = {},
) {
  const run = await runCliAsync(
    ["audit", "--db", db, "--format", "json", "--index-url", indexUrl, ...extra, dir],
    {
      env: isolatedEnv(join(tmp, cache), env),
    },
  );
  assertNoStackTrace(run);
  return { run, doc: JSON.parse(run.stdout || "{}") as AuditJson };
}

function findingOf(doc: AuditJson, kind: string, pkg: string) {
  return doc.findings.find((f) => f.kind === kind && f.package === pkg);
}

const config = (url: string) => `internal-names = ["acme-internal"]
[index]
public-url = "${url}/simple/"
retries = 0
[checks]
ownership = true
`;

before(async () => {
  const built = await auditUpstream(new Date());
  fixture = built.fixture;
  requirements = built.requirements;
  server = await startUpstreamServer(fixture);
  const imported = await runCliAsync(
    [
      "db",
      "update",
      "--db",
      db,
      "--from",
      join(sharedData, "top-pypi-packages", "top-pypi-packages.min.json"),
    ],
    { env: isolatedEnv(join(tmp, "db-cache")) },
  );
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /popular-projects list of 15000 projects/);
  const dir = project("signals", { "requirements.txt": requirements, "pycustoms.toml": config(server.url) });
  online = await audit(dir, "cache-signals");
});

after(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test("db status shows the popular-projects list imported by db update --from", async () => {
  const r = await runCliAsync(["db", "status", "--db", db], { env: isolatedEnv(join(tmp, "db-cache")) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /popular projects: 15000 \(list of 2026-04-01 06:34:06\)/);
});

test("a quarantined project is critical and an archived one high, failing the audit", () => {
  assert.equal(online.run.code, 1, online.run.stderr);
  assert.equal(findingOf(online.doc, "project-status", "quarantined-pkg")?.severity, "critical");
  assert.equal(findingOf(online.doc, "project-status", "archived-pkg")?.severity, "high");
});

test("a pinned yanked release is high and carries the yank reason and the release to move to", () => {
  const f = findingOf(online.doc, "yanked", "yanked-pkg");
  assert.equal(f?.severity, "high");
  assert.match(f?.summary ?? "", /breaks on Python 3\.12/);
  assert.equal(f?.fixed_in, "1.1");
});

test("a release one day old is inside the 7-day cooldown; the cooled-down release is suggested", () => {
  const f = findingOf(online.doc, "release-age", "fresh-pkg");
  assert.equal(f?.severity, "medium");
  assert.match(f?.summary ?? "", /7-day cooldown/);
  assert.equal(f?.fixed_in, "1.0", "the newest release past the cooldown");
  assert.equal(findingOf(online.doc, "release-age", "good-pkg"), undefined);
});

test("reqeusts is flagged as a typosquat of requests from the imported popular list", () => {
  const f = findingOf(online.doc, "typosquat", "reqeusts");
  assert.ok(f, JSON.stringify(online.doc.findings.map((x) => [x.kind, x.package])));
  assert.match(f.summary, /"requests"/);
  assert.equal(findingOf(online.doc, "typosquat", "acme-internal"), undefined);
});

test("a locked hash that matches no file of the release is a critical hash mismatch", () => {
  const f = findingOf(online.doc, "hash-mismatch", "hashed-pkg");
  assert.equal(f?.severity, "critical");
  assert.match(f?.summary ?? "", /0000000000/);
  // The sdist is not covered by the locked hashes: info.
  assert.equal(findingOf(online.doc, "hash-uncovered", "hashed-pkg")?.severity, "info");
});

test("a wheel ten times the size of the previous release's is a size anomaly", () => {
  const f = findingOf(online.doc, "size-anomaly", "big-pkg");
  assert.equal(f?.severity, "medium");
});

test("an internal name that exists on the public index is critical dependency confusion", () => {
  const f = findingOf(online.doc, "dependency-confusion", "acme-internal");
  assert.equal(f?.severity, "critical");
});

test("a single owner with no organisation is info; an organisation-owned project is not reported", () => {
  assert.equal(findingOf(online.doc, "ownership", "solo-pkg")?.severity, "info");
  assert.equal(findingOf(online.doc, "ownership", "good-pkg"), undefined);
});

test("checks that could not run say why, once per check and reason, naming the first dependency and the rest", () => {
  const noHashes = online.doc.skipped.filter(
    (s) => s.check === "hash-mismatch" && /no hashes/.test(s.reason),
  );
  assert.equal(noHashes.length, 1, JSON.stringify(online.doc.skipped));
  assert.match(
    noHashes[0]!.reason,
    /^good-pkg has no hashes to compare \(and the same for archived-pkg, yanked-pkg, .* and 2 more dependencies\)$/,
  );
  // The quarantined project has no files: each check that needs them names it.
  assert.ok(
    online.doc.skipped.some((s) => s.check === "yanked" && /^quarantined-pkg is quarantined/.test(s.reason)),
  );
});

test("--extra-index-url in a requirements file is high dependency confusion at the option's line", async () => {
  const dir = project("extra-index", {
    "requirements.txt": `good-pkg==1.0.0\n--extra-index-url ${server.url}/other/simple/\n`,
  });
  const { run, doc } = await audit(dir, "cache-extra");
  assert.equal(run.code, 1, run.stderr);
  const f = doc.findings.find((x) => x.kind === "dependency-confusion");
  assert.equal(f?.severity, "high");
  assert.match(f?.file ?? "", /requirements\.txt$/);
  assert.equal(f?.line, 2);
});

test("--offline after a warm run answers from the cache without a request; cold, it lists what it could not check", async () => {
  const dir = project("offline", {
    "requirements.txt": "quarantined-pkg==1.0\nreqeusts==2.0.0\ngood-pkg==1.0.0\n",
    "pycustoms.toml": "[checks]\nownership = true\n",
  });
  const warm = await audit(dir, "cache-offline");
  assert.equal(warm.run.code, 1);
  const before = totalRequests();
  const offline = await audit(dir, "cache-offline", ["--offline"]);
  assert.equal(totalRequests(), before, "no request in --offline mode");
  assert.deepEqual(
    offline.doc.findings.map((f) => `${f.kind}:${f.package}`).sort(),
    warm.doc.findings.map((f) => `${f.kind}:${f.package}`).sort(),
  );

  const cold = await audit(dir, "cache-cold", ["--offline"]);
  assert.equal(totalRequests(), before);
  const checks = new Set(cold.doc.skipped.map((s) => s.check));
  for (const check of [
    "project-status",
    "yanked",
    "release-age",
    "hash-mismatch",
    "size-anomaly",
    "ownership",
  ]) {
    assert.ok(checks.has(check), `${check} listed as skipped`);
  }
  const status = cold.doc.skipped.find((s) => s.check === "project-status");
  assert.match(status?.reason ?? "", /offline, and .* not in the HTTP cache .*and the same for .* and /);
  // Typosquatting needs no network: the popular list is in the database.
  assert.ok(findingOf(cold.doc, "typosquat", "reqeusts"));
});

test("an index answering 500, or not listening, skips the upstream checks with the reason and keeps the exit code", async () => {
  const dir = project("down", {
    "requirements.txt": "good-pkg==1.0.0\nrequests>=2\n",
    "pycustoms.toml": "[index]\nretries = 0\n",
  });
  const local = await audit(dir, "cache-down", ["--no-upstream"]);
  assert.deepEqual(local.doc.skipped, [], "--no-upstream is like switching the checks off");

  server.setFault("/simple/good-pkg/", { status: 500 });
  server.setFault("/simple/requests/", { status: 500 });
  const failing = await audit(dir, "cache-down");
  server.setFault("/simple/good-pkg/", null);
  server.setFault("/simple/requests/", null);
  assert.equal(failing.run.code, local.run.code);
  assert.deepEqual(
    failing.doc.findings.map((f) => f.kind).sort(),
    local.doc.findings.map((f) => f.kind).sort(),
  );
  const yanked = failing.doc.skipped.find((s) => s.check === "yanked");
  assert.match(yanked?.reason ?? "", /could not be reached: .*HTTP 500/);
  assert.match(failing.run.stderr, /upstream checks skipped/);

  const gone = await audit(dir, "cache-down", [], "http://127.0.0.1:9/simple/");
  assert.equal(gone.run.code, local.run.code);
  assert.match(gone.doc.skipped.find((s) => s.check === "release-age")?.reason ?? "", /could not be reached/);
});

test("over HTTPS the index is asked through one HTTP/2 connection, with the same findings as over HTTP", async () => {
  const certificate = testCertificate();
  const secure = await startUpstreamServer(fixture, { tls: certificate });
  try {
    const dir = project("signals-https", {
      "requirements.txt": requirements,
      "pycustoms.toml": config(secure.url),
    });
    const run = await audit(dir, "cache-https", [], `${secure.url}/simple/`, {
      NODE_EXTRA_CA_CERTS: certificate.certPath,
    });
    const facts = (doc: AuditJson) => doc.findings.map((f) => `${f.kind} ${f.package} ${f.severity}`).sort();
    assert.equal(run.run.code, online.run.code, run.run.stderr);
    assert.deepEqual(facts(run.doc), facts(online.doc));
    assert.ok(secure.log.length > 10);
    assert.ok(secure.log.every((r) => r.httpVersion === "2.0"));
    assert.equal(secure.connections(), 1, JSON.stringify(secure.log.map((r) => [r.httpVersion, r.path])));
  } finally {
    await secure.close();
  }
});

test("credentials in --index-url are used but never printed, in any format or message", async () => {
  const secret = "s3cret-t0ken";
  const locked = await startUpstreamServer({ ...fixture, auth: { username: "ci", password: secret } });
  try {
    const dir = project("auth", { "requirements.txt": "quarantined-pkg==1.0\ngood-pkg==1.0.0\n" });
    const url = locked.url.replace("http://", `http://ci:${secret}@`);
    for (const format of ["table", "json", "sarif", "markdown"]) {
      const run = await runCliAsync(
        ["audit", "--db", db, "--format", format, "--index-url", `${url}/simple/`, dir],
        {
          env: isolatedEnv(join(tmp, `cache-auth-${format}`)),
        },
      );
      assert.equal(run.code, 1, run.stderr);
      assert.ok(!`${run.stdout}${run.stderr}`.includes(secret), `${format} leaks the secret`);
      if (format === "json")
        assert.ok(findingOf(JSON.parse(run.stdout) as AuditJson, "project-status", "quarantined-pkg"));
    }
    const wrong = locked.url.replace("http://", "http://ci:wrong-pass-999@");
    const denied = await runCliAsync(["audit", "--db", db, "--index-url", `${wrong}/simple/`, dir], {
      env: isolatedEnv(join(tmp, "cache-auth-wrong")),
    });
    assert.ok(!`${denied.stdout}${denied.stderr}`.includes("wrong-pass-999"));
    assert.match(denied.stdout, /HTTP 401/);
  } finally {
    await locked.close();
  }
});
