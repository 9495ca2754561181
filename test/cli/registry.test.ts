import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, mock } from "node:test";
import Database from "better-sqlite3";
import { Command } from "commander";
import { registerRegistry } from "../../src/cli/registry.js";
import { UsageError } from "../../src/cli/terminal.js";
import { ensureProject } from "../../src/registry/store.js";
import { verifyToken } from "../../src/registry/tokens.js";

const dataDir = mkdtempSync(join(tmpdir(), "pycustoms-cli-registry-"));
const dbPath = join(dataDir, "state.sqlite");

/** Runs `pycustoms <args> --data-dir <dataDir>` in process; returns what it printed on stdout. */
async function run(...args: string[]): Promise<string> {
  const program = new Command("pycustoms").exitOverride();
  registerRegistry(program);
  for (const cmd of program.commands) cmd.exitOverride();
  let out = "";
  // Only text is ours: the test runner reports through the same stream with serialised (binary) chunks.
  const original = process.stdout.write.bind(process.stdout);
  const stdout = mock.method(process.stdout, "write", ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== "string") return original(chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write);
  const stderr = mock.method(process.stderr, "write", () => true);
  try {
    await program.parseAsync(["node", "pycustoms", ...args, "--data-dir", dataDir]);
  } finally {
    stdout.mock.restore();
    stderr.mock.restore();
  }
  return out;
}

describe("pycustoms token / project commands", () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("token create prints the token once; it verifies against the state database, which never holds it", async () => {
    const token = (await run("token", "create", "--project", "Acme_Tool", "--project", "acme-lib")).trim();
    assert.match(token, /^pycustoms_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const db = new Database(dbPath);
    try {
      assert.deepEqual(verifyToken(db, token)?.projects, ["acme-lib", "acme-tool"]);
    } finally {
      db.close();
    }
    const secret = token.split("_").slice(2).join("_");
    assert.ok(!readFileSync(dbPath).includes(secret), "the secret is not in the database file");
    const listed = JSON.parse(await run("token", "list", "--format", "json"));
    assert.equal(listed.schema, "pycustoms.tokens/1");
    assert.equal(listed.tokens.length, 1);
    assert.ok(!JSON.stringify(listed).includes(secret));
  });

  it("token revoke stops a token at once; an unknown id is a usage error", async () => {
    const created = JSON.parse(await run("token", "create", "--project", "x", "--format", "json"));
    assert.equal(await run("token", "revoke", created.id), `revoked token ${created.id}\n`);
    const db = new Database(dbPath);
    try {
      assert.equal(verifyToken(db, created.token), null);
    } finally {
      db.close();
    }
    await assert.rejects(run("token", "revoke", "0000000000000000"), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, "no token with id '0000000000000000'");
      return true;
    });
  });

  it("token create refuses an invalid project name", async () => {
    await assert.rejects(
      run("token", "create", "--project", "../x"),
      /'\.\.\/x' is not a valid project name/,
    );
  });

  it("project status shows and sets the PEP 792 status; unknown projects are refused", async () => {
    const db = new Database(dbPath);
    ensureProject(db, "acme-tool", "acme_tool", new Date());
    db.close();
    assert.equal(await run("project", "status", "Acme.Tool"), "acme-tool: active\n");
    assert.equal(
      await run("project", "status", "acme-tool", "archived", "--reason", "use acme-tool2"),
      "acme-tool: active -> archived (use acme-tool2)\n",
    );
    assert.match(await run("project", "list"), /^acme-tool {2}archived \(use acme-tool2\) {2}0 files$/m);
    await assert.rejects(run("project", "status", "requests", "archived"), /no internal project 'requests'/);
    await assert.rejects(run("project", "status", "acme-tool", "gone"), /unknown status 'gone'/);
  });
});
