import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cliPath, sharedData } from "../paths.js";
import { buildSdist, buildWheel } from "../support/dists.js";
import {
  type FixtureFile,
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";
import { assertNoStackTrace, type CliRun } from "./run-cli.js";

const tmp = mkdtempSync(join(tmpdir(), "pycustoms-inspect-cli-"));
const db = join(tmp, "advisories.sqlite");
const DAY = 86_400_000;
let upstream: RunningUpstream;
let index = "";

/**
 * Runs the built CLI without blocking this process: the test upstream is served from this process's event loop,
 * which `spawnSync` (run-cli.ts) would freeze until every request timed out.
 */
function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...env };
  for (const key of ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PYCUSTOMS_DB"])
    delete merged[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: tmp, env: merged });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** ISO upload time `days` before now, so ages and inactivity do not rot as the calendar moves on. */
function daysAgo(days: number): string {
  return new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, ".000000Z");
}

// A real PEP 740 provenance object, attached to a file it does not attest: it must come out "invalid".
const FOREIGN_PROVENANCE = JSON.parse(
  readFileSync(join(sharedData, "attestations", "pep740-sampleproject-1.0.0.tar.gz.provenance"), "utf8"),
) as unknown;

const ADVISORY = {
  schema_version: "1.6.0",
  id: "PYSEC-2099-41",
  modified: "2024-05-01T00:00:00Z",
  published: "2024-05-01T00:00:00Z",
  aliases: ["CVE-2099-41"],
  summary: "healthy-pkg before 1.1.0 runs code from a crafted config file",
  details: "Test advisory for the inspect command.",
  severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
  affected: [
    {
      package: { ecosystem: "PyPI", name: "healthy-pkg" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.1.0" }] }],
    },
  ],
};

async function fixture(): Promise<UpstreamFixture> {
  const file = async (name: string, version: string, days: number, extra: Partial<FixtureFile> = {}) => {
    const w = await buildWheel({ name, version });
    return { filename: w.filename, bytes: w.bytes, uploadTime: daysAgo(days), ...extra };
  };
  const sdist = async (name: string, version: string, days: number) => {
    const s = await buildSdist({ name, version });
    return { filename: s.filename, bytes: s.bytes, uploadTime: daysAgo(days) };
  };
  return {
    projects: [
      {
        name: "Healthy_Pkg",
        ownership: {
          organization: "acme",
          roles: [
            { role: "Owner", user: "alice" },
            { role: "Owner", user: "bob" },
            { role: "Maintainer", user: "carol" },
          ],
        },
        releases: [
          {
            version: "1.0.0",
            files: [await file("healthy-pkg", "1.0.0", 600), await sdist("healthy-pkg", "1.0.0", 600)],
          },
          {
            version: "1.1.0",
            files: [await file("healthy-pkg", "1.1.0", 400, { provenance: FOREIGN_PROVENANCE })],
          },
          { version: "2.0.0", files: [await file("healthy-pkg", "2.0.0", 200)] },
          { version: "2.1.0rc1", files: [await file("healthy-pkg", "2.1.0rc1", 60)] },
          {
            version: "2.1.0",
            files: [await file("healthy-pkg", "2.1.0", 30), await sdist("healthy-pkg", "2.1.0", 30)],
          },
        ],
      },
      {
        name: "old-pkg",
        status: "archived",
        statusReason: "moved to new-pkg",
        ownership: { organization: null, roles: [{ role: "Owner", user: "mallory" }] },
        releases: [
          { version: "0.9", files: [await file("old-pkg", "0.9", 2000)] },
          { version: "1.0", yanked: "leaks credentials", files: [await file("old-pkg", "1.0", 1900)] },
        ],
      },
      {
        name: "bad-pkg",
        status: "quarantined",
        statusReason: "malware",
        releases: [{ version: "0.1", files: [await file("bad-pkg", "0.1", 3)] }],
      },
      {
        name: "reqeusts",
        ownership: { organization: "squat", roles: [{ role: "Owner", user: "eve" }] },
        releases: [{ version: "2.31.0", files: [await file("reqeusts", "2.31.0", 100)] }],
      },
      {
        name: "flaky-pkg",
        releases: [{ version: "1.0", files: [await file("flaky-pkg", "1.0", 100)] }],
      },
    ],
  };
}

before(async () => {
  upstream = await startUpstreamServer(await fixture());
  index = `${upstream.url}/simple/`;
  const advisory = join(tmp, "PYSEC-2099-41.json");
  writeFileSync(advisory, JSON.stringify(ADVISORY));
  const r = await runCliAsync(
    [
      "db",
      "update",
      "--db",
      db,
      "--from",
      advisory,
      join(sharedData, "top-pypi-packages", "top-pypi-packages.min.json"),
    ],
    { XDG_CACHE_HOME: join(tmp, "cache") },
  );
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await upstream?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `inspect` against the test index with an HTTP cache of the test's own. */
async function inspect(args: string[]): Promise<CliRun> {
  const run = await runCliAsync(["inspect", "--index-url", index, "--db", db, ...args], {
    XDG_CACHE_HOME: join(tmp, "cache"),
    PIP_CONFIG_FILE: "/dev/null",
  });
  assertNoStackTrace(run);
  return run;
}

interface InspectJson {
  schema: string;
  tool: { name: string; version: string };
  generated_at: string;
  project: {
    name: string;
    index: string;
    status: string;
    status_reason: string | null;
    status_published: boolean;
    popular_rank: number | null;
  };
  version: { requested: string | null; inspected: string | null; latest: string | null };
  ownership: { owners: string[]; maintainers: string[]; organization: string | null } | null;
  releases: {
    total: number;
    shown: {
      version: string;
      upload_time: string | null;
      age_days: number | null;
      files: number;
      size: number | null;
      yanked: boolean;
      yanked_reason: string | null;
      prerelease: boolean;
      inspected: boolean;
      latest: boolean;
      provenance: { status: string; verified_publishers: string[]; files: { filename: string }[] } | null;
    }[];
  };
  advisories: {
    inspected: { id: string; aliases: string[]; severity: string; fixed_in: string | null }[] | null;
    latest: { id: string }[] | null;
  };
  typosquat: { target: string; rank: number; technique: string } | null;
  findings: {
    kind: string;
    severity: string;
    package: string;
    version: string | null;
    fails_policy: boolean;
  }[];
  skipped: { check: string; reason: string }[];
  summary: { verdict: string; fail_on: string; findings: number; failing: number };
}

async function json(args: string[]): Promise<{ code: number | null; doc: InspectJson; stderr: string }> {
  const r = await inspect([...args, "--format", "json"]);
  assert.equal(r.stderr.includes("internal error"), false, r.stderr);
  return { code: r.code, doc: JSON.parse(r.stdout) as InspectJson, stderr: r.stderr };
}

test("a healthy project: the latest final release is inspected, releases newest first, exit 0", async () => {
  const { code, doc, stderr } = await json(["healthy-pkg"]);
  assert.equal(code, 0, stderr);
  assert.equal(doc.schema, "pycustoms.inspect/1");
  assert.equal(doc.tool.name, "pycustoms");
  assert.equal(doc.project.name, "healthy-pkg");
  assert.equal(doc.project.index, index);
  assert.equal(doc.project.status, "active");
  assert.equal(doc.project.status_published, true);
  assert.deepEqual(doc.version, { requested: null, inspected: "2.1.0", latest: "2.1.0" });
  assert.deepEqual(doc.ownership, { owners: ["alice", "bob"], maintainers: ["carol"], organization: "acme" });
  assert.equal(doc.releases.total, 5);
  assert.deepEqual(
    doc.releases.shown.map((r) => r.version),
    ["2.1.0", "2.1.0rc1", "2.0.0", "1.1.0", "1.0.0"],
  );
  const latest = doc.releases.shown[0]!;
  assert.equal(latest.inspected, true);
  assert.equal(latest.latest, true);
  assert.equal(latest.files, 2);
  assert.ok(latest.size !== null && latest.size > 0);
  assert.ok(latest.age_days === 29 || latest.age_days === 30, String(latest.age_days));
  assert.equal(latest.provenance?.status, "none");
  assert.equal(latest.provenance?.files.length, 2, "every file of the inspected release is examined");
  assert.equal(doc.releases.shown[1]!.prerelease, true);
  const attested = doc.releases.shown.find((r) => r.version === "1.1.0")!;
  assert.equal(attested.provenance?.status, "invalid", "a provenance for another file never verifies");
  // The advisory fixed in 1.1.0 affects neither the inspected nor the latest release.
  assert.deepEqual(doc.advisories.inspected, []);
  assert.deepEqual(doc.advisories.latest, []);
  assert.equal(doc.typosquat, null);
  assert.deepEqual(
    doc.findings.filter((f) => f.fails_policy),
    [],
  );
  assert.equal(doc.summary.verdict, "pass");
  assert.ok(doc.skipped.some((s) => s.check === "hash-mismatch"));
});

test("--releases limits the list, and provenance is fetched only for the releases it needs", async () => {
  const before = upstream.requests.get(
    "/integrity/healthy-pkg/1.1.0/healthy_pkg-1.1.0-py3-none-any.whl/provenance",
  );
  const { code, doc } = await json(["healthy-pkg==2.1.0", "--releases", "2"]);
  assert.equal(code, 0);
  assert.deepEqual(
    doc.releases.shown.map((r) => r.version),
    ["2.1.0", "2.1.0rc1"],
  );
  assert.equal(doc.version.requested, "2.1.0");
  // 1.1.0 is not shown, but it is among the releases the regression check compares with: one fetch at most.
  const afterCount = upstream.requests.get(
    "/integrity/healthy-pkg/1.1.0/healthy_pkg-1.1.0-py3-none-any.whl/provenance",
  );
  assert.ok((afterCount ?? 0) - (before ?? 0) <= 1);
});

test("an older release asked for is listed after the latest ones, with the advisories that affect it", async () => {
  const { code, doc } = await json(["healthy-pkg==1.0.0", "--releases", "1"]);
  assert.equal(code, 1, "a critical advisory fails the default policy");
  assert.deepEqual(
    doc.releases.shown.map((r) => [r.version, r.inspected]),
    [
      ["2.1.0", false],
      ["1.0.0", true],
    ],
  );
  assert.equal(doc.advisories.inspected?.length, 1);
  const advisory = doc.advisories.inspected![0]!;
  assert.equal(advisory.id, "PYSEC-2099-41");
  assert.deepEqual(advisory.aliases, ["CVE-2099-41"]);
  assert.equal(advisory.severity, "critical");
  assert.equal(advisory.fixed_in, "1.1.0");
  assert.deepEqual(doc.advisories.latest, []);
  const finding = doc.findings.find((f) => f.kind === "vulnerability");
  assert.equal(finding?.fails_policy, true);
  assert.equal(finding?.version, "1.0.0");
});

test("the table names the project, its owners, releases and the verdict", async () => {
  const r = await inspect(["healthy-pkg", "--releases", "3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^healthy-pkg 2\.1\.0 {2}\(latest\)$/m);
  assert.match(r.stdout, /owners\s+alice, bob$/m);
  assert.match(r.stdout, /organisation\s+acme$/m);
  assert.match(r.stdout, /Releases \(3 of 5, newest first\)/);
  assert.match(r.stdout, /^ {2}2\.1\.0 \* /m);
  assert.match(r.stdout, /Advisories affecting 2\.1\.0\n {2}none known/);
  assert.match(r.stdout, /Checks that could not run\n(.*\n)* {2}hash-mismatch: /);
  assert.doesNotMatch(r.stdout, /FAIL/);
});

test("an archived project with a single owner: high finding, exit 1, yanked release shown with its reason", async () => {
  const { code, doc } = await json(["old-pkg"]);
  assert.equal(code, 1);
  assert.equal(doc.project.status, "archived");
  assert.equal(doc.project.status_reason, "moved to new-pkg");
  assert.equal(doc.version.inspected, "0.9", "the yanked 1.0 is not the latest");
  assert.deepEqual(doc.ownership, { owners: ["mallory"], maintainers: [], organization: null });
  const yanked = doc.releases.shown.find((r) => r.version === "1.0")!;
  assert.equal(yanked.yanked, true);
  assert.equal(yanked.yanked_reason, "leaks credentials");
  const kinds = doc.findings.map((f) => `${f.kind}:${f.severity}`);
  assert.ok(kinds.includes("project-status:high"), kinds.join());
  // The single owner shows in the card; the info finding follows the policy, where ownership is off by default.
  assert.ok(!kinds.some((k) => k.startsWith("ownership:")), kinds.join());
  assert.ok(kinds.includes("unmaintained:low"), kinds.join());
  assert.equal(doc.summary.verdict, "fail");
});

test("==VERSION of a yanked release is inspected and reported as yanked", async () => {
  const { code, doc } = await json(["old-pkg==1.0"]);
  assert.equal(code, 1);
  assert.equal(doc.version.inspected, "1.0");
  assert.equal(doc.version.latest, "0.9");
  const yanked = doc.findings.find((f) => f.kind === "yanked");
  assert.equal(yanked?.severity, "high");
  assert.equal(yanked?.version, "1.0");
  const table = await inspect(["old-pkg==1.0"]);
  assert.match(table.stdout, /yanked: leaks credentials/);
  assert.match(table.stdout, /^old-pkg 1\.0 {2}\(latest: 0\.9\)$/m);
});

test("a quarantined project: critical, no releases, and every check that could not run says why", async () => {
  const { code, doc } = await json(["bad-pkg"]);
  assert.equal(code, 1);
  assert.equal(doc.project.status, "quarantined");
  assert.equal(doc.version.inspected, null);
  assert.deepEqual(doc.releases.shown, []);
  const status = doc.findings.find((f) => f.kind === "project-status");
  assert.equal(status?.severity, "critical");
  const skipped = new Map(doc.skipped.map((s) => [s.check, s.reason]));
  for (const check of ["yanked", "release-age", "unmaintained", "provenance"]) {
    assert.ok(skipped.get(check), `${check} is listed as skipped`);
  }
  assert.match(skipped.get("yanked")!, /quarantined/);
});

test("a name one transposition from a popular project is flagged as a typosquat", async () => {
  const { code, doc } = await json(["reqeusts"]);
  assert.equal(code, 1);
  assert.equal(doc.typosquat?.target, "requests");
  assert.equal(doc.typosquat?.technique, "transposition");
  assert.ok(doc.findings.some((f) => f.kind === "typosquat" && f.severity === "high"));
});

test("a project the index does not have exits 2 with one line naming the index", async () => {
  const r = await inspect(["no-such-pkg"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `pycustoms: error: project no-such-pkg not found on ${index}\n`);
});

test("a release the index does not have exits 2 and names the latest", async () => {
  const r = await inspect(["healthy-pkg==9.9"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /healthy-pkg has no release 9\.9 on .* \(latest: 2\.1\.0\)/);
});

test("a failing index (HTTP 500) exits 2 with a one-line reason and no stack trace", async () => {
  upstream.setFault("/simple/flaky-pkg/", { status: 500 });
  try {
    const r = await inspect(["flaky-pkg"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^pycustoms: error: .*500/);
    assert.match(lines[0]!, /127\.0\.0\.1/);
  } finally {
    upstream.setFault("/simple/flaky-pkg/", null);
  }
});

test("bad arguments are usage errors", async () => {
  assert.equal((await inspect(["healthy-pkg>=1"])).code, 2);
  const r = await inspect(["healthy-pkg", "--releases", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--releases expects a whole number/);
});

test("offline, a project never fetched is a one-line error; one fetched before is inspected from the cache", async () => {
  const missing = await inspect(["reqeusts", "--offline", "--index-url", `${upstream.url}/other/simple/`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--offline/);
  const cached = await json(["healthy-pkg", "--offline"]);
  assert.equal(cached.code, 0, cached.stderr);
  assert.equal(cached.doc.version.inspected, "2.1.0");
});
