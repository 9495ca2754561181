import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Database, useWal } from "../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "pycustoms-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh database file with one table, in rollback-journal mode (SQLite's default). */
function freshFile(name: string): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.exec("CREATE TABLE t (x INTEGER)");
  db.close();
  return path;
}

/** Another process that holds a read transaction (a shared lock) on `path` for `ms`; resolves once it holds it. */
async function holdReadLock(path: string, ms: number): Promise<ChildProcess> {
  const script = `
    const { Database } = await import(${JSON.stringify(new URL("../src/sqlite.js", import.meta.url).href)});
    const db = new Database(process.argv[1]);
    db.exec("BEGIN");
    db.prepare("SELECT count(*) FROM t").get();
    process.stdout.write("holding\\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec("COMMIT");
    db.close();`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, path, String(ms)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`lock holder exited ${code} before holding`)));
  });
  return child;
}

const exited = (child: ChildProcess) => new Promise((resolve) => child.once("exit", resolve));

/** Runs `opens` processes that each open `path` at the same instant and switch it to WAL; their outcomes. */
async function openAtOnce(path: string, opens: number): Promise<string[]> {
  const script = `
    const { Database, useWal } = await import(${JSON.stringify(new URL("../src/sqlite.js", import.meta.url).href)});
    const [path, at] = process.argv.slice(1);
    // Sleep until just before the instant, then spin the last milliseconds: all three open at once.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, Number(at) - 3 - Date.now()));
    while (Date.now() < Number(at)) {}
    try {
      const db = new Database(path, { timeout: 5000 });
      useWal(db, 5000);
      db.exec("CREATE TABLE IF NOT EXISTS t (x INTEGER)");
      db.exec("INSERT INTO t VALUES (1)");
      process.stdout.write(db.pragma("journal_mode", { simple: true }));
      db.close();
    } catch (e) {
      process.stdout.write(e.code + ": " + e.message);
    }`;
  const at = Date.now() + 400;
  return Promise.all(
    Array.from({ length: opens }, async () => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, path, String(at)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      await exited(child);
      return out;
    }),
  );
}

test("processes that open one fresh file at the same instant all switch it to WAL", async () => {
  // SQLite converts the journal only with exclusive access and, where waiting could deadlock, fails at once
  // instead of calling the busy handler: without useWal's retries one of three such processes failed with
  // SQLITE_BUSY in 11 of 40 trials here. Ten trials miss that with a chance of ~4%.
  for (let trial = 0; trial < 10; trial++) {
    const path = join(dir, `race-${trial}.sqlite`);
    assert.deepEqual(await openAtOnce(path, 3), ["wal", "wal", "wal"], `trial ${trial}`);
    const db = new Database(path);
    try {
      assert.equal((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n, 3);
    } finally {
      db.close();
    }
  }
});

test("useWal gives up with SQLITE_BUSY when the lock outlasts its timeout, and leaves the file as it was", async () => {
  const path = freshFile("held.sqlite");
  const holder = await holdReadLock(path, 1500);
  const db = new Database(path, { timeout: 100 });
  try {
    const started = Date.now();
    assert.throws(() => useWal(db, 200), { code: "SQLITE_BUSY" });
    assert.ok(Date.now() - started < 1400, "it stopped at its own deadline");
  } finally {
    db.close();
    await exited(holder);
  }
  const after = new Database(path);
  try {
    assert.equal(after.pragma("journal_mode", { simple: true }), "delete");
  } finally {
    after.close();
  }
});

test("a database already in WAL, or in memory, is left as it is", () => {
  const path = freshFile("wal.sqlite");
  const first = new Database(path);
  useWal(first, 1000);
  first.close();
  const again = new Database(path);
  try {
    useWal(again, 0);
    assert.equal(again.pragma("journal_mode", { simple: true }), "wal");
  } finally {
    again.close();
  }
  const memory = new Database(":memory:");
  useWal(memory, 0);
  assert.equal(memory.pragma("journal_mode", { simple: true }), "memory");
  memory.close();
});
