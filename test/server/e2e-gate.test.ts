// End to end with real pip: the gate of `pycustoms serve` (advisories from a real advisory database, upstream
// project status, allowlist mode with access requests) in front of a test upstream serving real wheels.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { approve, listRequests, readAuditLog } from "../../src/gate/admin.js";
import { type BuiltDist, buildWheel } from "../support/dists.js";
import type { UpstreamFixture } from "../support/upstream-server.js";
import { type E2eServer, oneLine, pip, pipInstall, pipMissing, startServe, tempWork } from "./e2e-clients.js";

const skip = pipMissing;

function wheelFile(d: BuiltDist) {
  return { filename: d.filename, bytes: d.bytes, metadata: d.metadata };
}

async function fixture(): Promise<UpstreamFixture> {
  const vuln1 = await buildWheel({ name: "vuln-pkg", version: "1.0" });
  const vuln2 = await buildWheel({ name: "vuln-pkg", version: "2.0" });
  const held = await buildWheel({ name: "held-pkg", version: "1.0" });
  const old = await buildWheel({ name: "old-pkg", version: "3.0" });
  const gamma = await buildWheel({ name: "gamma", version: "0.9" });
  return {
    projects: [
      {
        name: "vuln-pkg",
        releases: [
          { version: "1.0", files: [wheelFile(vuln1)] },
          { version: "2.0", files: [wheelFile(vuln2)] },
        ],
      },
      {
        name: "held-pkg",
        status: "quarantined",
        statusReason: "malware report under review",
        releases: [{ version: "1.0", files: [wheelFile(held)] }],
      },
      {
        name: "old-pkg",
        status: "archived",
        releases: [{ version: "3.0", files: [wheelFile(old)] }],
      },
      { name: "gamma", releases: [{ version: "0.9", files: [wheelFile(gamma)] }] },
    ],
  };
}

function installedVersion(target: string, module: string): string | null {
  const init = join(target, module, "__init__.py");
  if (!existsSync(init)) return null;
  return /__version__ = "([^"]+)"/.exec(readFileSync(init, "utf8"))?.[1] ?? null;
}

describe("the gate in open mode, through pip", { skip }, () => {
  let server: E2eServer;
  let work: string;

  before(async () => {
    server = await startServe({ fixture: await fixture() });
    work = tempWork("pycustoms-e2e-gate-");
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("the advisory database was loaded at start", () => {
    assert.equal(server.report.advisories.loaded, true);
    assert.deepEqual(server.report.warnings, []);
  });

  test("a blocked vulnerable version makes pip install the previous safe one", async () => {
    const target = join(work, "t-vuln");
    const run = await pipInstall(server, join(work, "home"), target, ["vuln-pkg"]);
    assert.equal(run.code, 0, run.output);
    assert.equal(installedVersion(target, "vuln_pkg"), "1.0");
    const hidden = readAuditLog(server.db, { project: "vuln-pkg" }).filter((e) => e.action === "hidden");
    assert.equal(hidden.length, 1);
    assert.equal(hidden[0]?.version, "2.0");
    assert.match(hidden[0]?.reason ?? "", /GHSA-7xq2-9pcv-e2e1, CVSS 8\.1/);
  });

  test("pip install pkg==<blocked> fails: the page does not offer it, so pip names only the safe version", async () => {
    const run = await pipInstall(server, join(work, "home"), join(work, "t-pinned"), ["vuln-pkg==2.0"]);
    assert.notEqual(run.code, 0);
    assert.match(oneLine(run.output), /from versions: 1\.0\)/);
    assert.match(run.output, /No matching distribution found for vuln-pkg==2\.0/);
    assert.doesNotMatch(run.output, /Traceback/);
  });

  test("a direct download of the blocked file fails with pip printing the one-line pycustoms reason", async () => {
    const url = `${server.url}/packages/vuln-pkg/vuln_pkg-2.0-py3-none-any.whl`;
    const run = await pipInstall(server, join(work, "home"), join(work, "t-direct"), [url]);
    assert.notEqual(run.code, 0);
    assert.match(
      oneLine(run.output),
      /403 Client Error: pycustoms: vuln-pkg 2\.0 blocked: GHSA-7xq2-9pcv-e2e1, CVSS 8\.1 for url/,
    );
    const blocked = readAuditLog(server.db, { project: "vuln-pkg" }).filter((e) => e.action === "blocked");
    assert.equal(blocked.at(-1)?.filename, "vuln_pkg-2.0-py3-none-any.whl");
  });

  test("a project quarantined upstream fails cleanly: no files offered, no traceback", async () => {
    const target = join(work, "t-held");
    const run = await pipInstall(server, join(work, "home"), target, ["held-pkg"]);
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /No matching distribution found for held-pkg/);
    assert.doesNotMatch(run.output, /Traceback/);
    assert.equal(existsSync(join(target, "held_pkg")), false);
    const page = await fetch(`${server.index}held-pkg/`, {
      headers: { accept: "application/vnd.pypi.simple.v1+json" },
    });
    const json = (await page.json()) as { "project-status": { status: string }; files: unknown[] };
    assert.equal(json["project-status"].status, "quarantined");
    assert.deepEqual(json.files, []);
  });

  test("an archived upstream project stays installable", async () => {
    const target = join(work, "t-old");
    const run = await pipInstall(server, join(work, "home"), target, ["old-pkg"]);
    assert.equal(run.code, 0, run.output);
    assert.equal(installedVersion(target, "old_pkg"), "3.0");
  });
});

describe("the gate in allowlist mode, through pip", { skip }, () => {
  let server: E2eServer;
  let work: string;

  before(async () => {
    server = await startServe({ fixture: await fixture(), toml: '[serve]\nmode = "allowlist"\n' });
    work = tempWork("pycustoms-e2e-allow-");
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("an unapproved project fails, is recorded as an access request, and installs after approve", async () => {
    const home = join(work, "home");
    const target = join(work, "t-gamma");
    // A user name in the index URL (Basic auth) names the requester, beside the address.
    const withUser = server.index.replace("http://", "http://alice:unused@");
    const first = await pip(server, home, ["install", "--no-compile", "--target", target, "gamma"], withUser);
    assert.notEqual(first.code, 0);
    assert.match(first.output, /No matching distribution found for gamma/);

    // The admin CLI works on the same database file from its own process: a connection of its own here too.
    const admin = new Database(join(server.work, "data", "state.sqlite"));
    try {
      const pending = listRequests(admin, "pending");
      assert.equal(pending.length, 1, JSON.stringify(pending));
      assert.equal(pending[0]?.project, "gamma");
      assert.equal(pending[0]?.specifier, "");
      assert.equal(pending[0]?.requestedBy, "alice@127.0.0.1");
      const approved = approve(admin, pending[0]?.id ?? -1, "security-team", "reviewed, fine");
      assert.ok(approved.ok, JSON.stringify(approved));
    } finally {
      admin.close();
    }
    // A running server sees another process's decision within its recheck interval (2 s).
    await new Promise((r) => setTimeout(r, 2100));
    const second = await pipInstall(server, home, target, ["gamma"]);
    assert.equal(second.code, 0, second.output);
    assert.equal(installedVersion(target, "gamma"), "0.9");
    assert.deepEqual(listRequests(server.db, "pending"), []);
  });
});
