// End to end with real twine and pip: internal packages uploaded to `pycustoms serve` and installed through it,
// with dependency-confusion protection proven on the test upstream's request counter.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setProjectStatus } from "../../src/registry/status.js";
import { listFiles } from "../../src/registry/store.js";
import { createToken } from "../../src/registry/tokens.js";
import { type BuiltDist, buildSdist, buildWheel } from "../support/dists.js";
import {
  clientMissing,
  type E2eServer,
  oneLine,
  pipInstall,
  pipMissing,
  startServe,
  TWINE,
  tempWork,
  twineUpload,
} from "./e2e-clients.js";

const skip = pipMissing || clientMissing(TWINE, "Debian's twine");

function token(server: E2eServer, projects: string[]): string {
  const created = createToken(server.db, { projects });
  if ("error" in created) throw new Error(created.error);
  return created.token;
}

function write(dir: string, dist: BuiltDist): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, dist.filename);
  writeFileSync(path, dist.bytes);
  return path;
}

function installedVersion(target: string, module: string): string | null {
  const init = join(target, module, "__init__.py");
  if (!existsSync(init)) return null;
  return /__version__ = "([^"]+)"/.exec(readFileSync(init, "utf8"))?.[1] ?? null;
}

describe("internal packages: twine upload, pip install, dependency confusion", { skip }, () => {
  let server: E2eServer;
  let work: string;
  let home: string;
  let internalWheel: BuiltDist;
  let internalSdist: BuiltDist;

  before(async () => {
    // The public index holds the same names with a higher version: what a dependency-confusion attack publishes.
    const publicUtils = await buildWheel({ name: "acme-utils", version: "9.0" });
    const publicSecret = await buildWheel({ name: "acme-secret", version: "1.0" });
    const publicDep = await buildWheel({ name: "public-dep", version: "1.2" });
    internalWheel = await buildWheel({ name: "acme-utils", version: "1.0", requiresDist: ["public-dep"] });
    internalSdist = await buildSdist({ name: "acme-utils", version: "1.0", requiresDist: ["public-dep"] });
    const file = (d: BuiltDist) => ({ filename: d.filename, bytes: d.bytes, metadata: d.metadata });
    server = await startServe({
      fixture: {
        projects: [
          { name: "acme-utils", releases: [{ version: "9.0", files: [file(publicUtils)] }] },
          { name: "acme-secret", releases: [{ version: "1.0", files: [file(publicSecret)] }] },
          { name: "public-dep", releases: [{ version: "1.2", files: [file(publicDep)] }] },
        ],
      },
      toml: 'internal-prefixes = ["acme-"]\n',
    });
    work = tempWork("pycustoms-e2e-registry-");
    home = join(work, "home");
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("twine uploads a wheel and an sdist to /legacy/ with a project-scoped token", async () => {
    const dist = join(work, "dist");
    const run = await twineUpload(server, home, token(server, ["acme-utils"]), [
      write(dist, internalWheel),
      write(dist, internalSdist),
    ]);
    assert.equal(run.code, 0, run.output);
    assert.deepEqual(
      listFiles(server.db, "acme-utils")
        .map((f) => f.filename)
        .sort(),
      [internalSdist.filename, internalWheel.filename].sort(),
    );
  });

  test("pip installs the internal 1.0, not the public 9.0, and the upstream is never asked about the name", async () => {
    const target = join(work, "t-utils");
    const run = await pipInstall(server, home, target, ["acme-utils"]);
    assert.equal(run.code, 0, run.output);
    assert.equal(installedVersion(target, "acme_utils"), "1.0");
    // Its public dependency came through the proxy from the upstream.
    assert.equal(installedVersion(target, "public_dep"), "1.2");
    assert.equal(server.upstreamRequestsFor("acme-utils"), 0, JSON.stringify([...server.upstream.requests]));
    // The counter does count: the public dependency's page and file were fetched upstream.
    assert.ok(server.upstreamRequestsFor("public-dep") >= 2, JSON.stringify([...server.upstream.requests]));
  });

  test("/simple/ lists the internal project, and its page carries the PEP 792 status", async () => {
    const root = await fetch(server.index, { headers: { accept: "application/vnd.pypi.simple.v1+json" } });
    const names = ((await root.json()) as { projects: { name: string }[] }).projects.map((p) => p.name);
    assert.ok(names.includes("acme-utils"), names.join(", "));
    assert.ok(names.includes("public-dep"), names.join(", "));
    const changed = setProjectStatus(server.db, "acme-utils", "deprecated", "use acme-tools");
    assert.ok(changed.ok);
    const page = await fetch(`${server.index}acme-utils/`, { headers: { accept: "text/html" } });
    const html = await page.text();
    assert.match(html, /<meta name="pypi:project-status" content="deprecated">/);
    assert.match(html, /<meta name="pypi:project-status-reason" content="use acme-tools">/);
    assert.match(html, /acme_utils-1\.0-py3-none-any\.whl#sha256=/);
    assert.doesNotMatch(html, /9\.0/);
    assert.ok(setProjectStatus(server.db, "acme-utils", "active").ok);
  });

  test("a name under an internal prefix with no internal project is not fetched from upstream either", async () => {
    const run = await pipInstall(server, home, join(work, "t-secret"), ["acme-secret"]);
    assert.notEqual(run.code, 0);
    assert.match(run.output, /No matching distribution found for acme-secret/);
    const direct = await fetch(`${server.url}/packages/acme-secret/acme_secret-1.0-py3-none-any.whl`);
    assert.equal(direct.status, 404);
    assert.equal(server.upstreamRequestsFor("acme-secret"), 0);
  });

  test("bad uploads are refused with clear errors: another project's token, a changed file under the same name, a bad token", async () => {
    const dist = join(work, "dist-bad");
    const wheelPath = write(dist, internalWheel);
    const wrongScope = await twineUpload(server, home, token(server, ["acme-other"]), [wheelPath]);
    assert.notEqual(wrongScope.code, 0);
    assert.match(
      oneLine(wrongScope.output),
      /403 .*The token isn't allowed to upload to project 'acme-utils'/,
    );

    // Same file name, different bytes: a file name always means the same bytes.
    const changed = await buildWheel({
      name: "acme-utils",
      version: "1.0",
      requiresDist: ["public-dep"],
      files: { "acme_utils/extra.py": "TAMPERED = True\n" },
    });
    const changedPath = write(join(work, "dist-changed"), changed);
    const again = await twineUpload(server, home, token(server, ["acme-utils"]), [changedPath]);
    assert.notEqual(again.code, 0);
    assert.match(oneLine(again.output), /400 .*File already exists/);

    const forged = await twineUpload(server, home, "pycustoms_0000000000000000_notatoken", [wheelPath]);
    assert.notEqual(forged.code, 0);
    assert.match(oneLine(forged.output), /403 .*Invalid or non-existent authentication information/);
    assert.equal(listFiles(server.db, "acme-utils").length, 2);
  });

  test("a quarantined internal project offers no files, refuses direct downloads and new uploads", async () => {
    assert.ok(setProjectStatus(server.db, "acme-utils", "quarantined", "token leaked").ok);
    const page = await fetch(`${server.index}acme-utils/`, {
      headers: { accept: "application/vnd.pypi.simple.v1+json" },
    });
    const json = (await page.json()) as {
      "project-status": { status: string; reason?: string };
      files: unknown[];
    };
    assert.deepEqual(json["project-status"], { status: "quarantined", reason: "token leaked" });
    assert.deepEqual(json.files, []);
    const direct = await fetch(`${server.url}/packages/acme-utils/${internalWheel.filename}`);
    assert.equal(direct.status, 403);
    assert.match(await direct.text(), /acme-utils is quarantined: token leaked/);
    const run = await pipInstall(server, home, join(work, "t-quarantined"), ["acme-utils"]);
    assert.notEqual(run.code, 0);
    assert.match(run.output, /No matching distribution found for acme-utils/);

    const next = await buildWheel({ name: "acme-utils", version: "1.1" });
    const upload = await twineUpload(server, home, token(server, ["acme-utils"]), [
      write(join(work, "dist-next"), next),
    ]);
    assert.notEqual(upload.code, 0);
    assert.match(oneLine(upload.output), /403 .*is quarantined .*does not accept new uploads/);
    assert.equal(server.upstreamRequestsFor("acme-utils"), 0);
  });
});
