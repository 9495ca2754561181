// `pycustoms serve --workers 2` as a user starts it: the built CLI forks two processes sharing one port, prints its
// start-up lines once, restarts a worker that dies, sees another process's upload within a second, stops on SIGTERM.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { resolveWorkers } from "../../src/cli/serve.js";
import { parseConfigText } from "../../src/policy/config.js";
import { createRegistryTables, ensureProject } from "../../src/registry/store.js";
import { cliPath } from "../paths.js";
import { freePort } from "../support/ports.js";
import { type RunningUpstream, startUpstreamServer } from "../support/upstream-server.js";

interface Answer {
  status: number;
  worker: string | undefined;
  body: string;
}

/** One request on a new connection (the cluster hands out connections, not requests, round-robin). */
function get(url: string, accept = "application/vnd.pypi.simple.v1+json"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept, connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => {
        const worker = res.headers["x-pycustoms-worker"];
        resolve({
          status: res.statusCode ?? 0,
          worker: typeof worker === "string" ? worker : undefined,
          body,
        });
      });
    });
    req.once("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.end();
  });
}

/** Asks until every wanted worker has answered (or the time is up); returns the workers seen. */
async function workersAnswering(url: string, wanted: number, withinMs: number): Promise<Set<string>> {
  const seen = new Set<string>();
  const until = Date.now() + withinMs;
  while (seen.size < wanted && Date.now() < until) {
    const answer = await get(url).catch(() => null);
    if (answer?.worker) seen.add(answer.worker);
  }
  return seen;
}

async function waitFor(what: string, check: () => boolean, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("--workers and [serve] workers: a count, or auto for one per CPU; anything else is a usage error", () => {
  assert.equal(resolveWorkers(undefined, undefined), 1);
  assert.equal(resolveWorkers(undefined, 3), 3);
  assert.equal(resolveWorkers("2", 3), 2);
  assert.ok(resolveWorkers("auto", undefined) >= 1);
  assert.throws(() => resolveWorkers("0", undefined), /--workers must be a number from 1 to 64 or auto/);
  assert.throws(() => resolveWorkers("two", undefined), /got 'two'/);
  assert.equal(parseConfigText("[serve]\nworkers = 4\n", "pycustoms.toml", false).config.serve.workers, 4);
  assert.equal(
    parseConfigText('[serve]\nworkers = "auto"\n', "pycustoms.toml", false).config.serve.workers,
    "auto",
  );
  assert.deepEqual(
    parseConfigText('[serve]\nworkers = "4"\n', "pycustoms.toml", false).errors.map((e) => e.message),
    ['[serve]: `workers` must be an integer from 1 to 64 or "auto" (got "4")'],
  );
});

describe("the built CLI with --workers 2", {
  skip: !existsSync(cliPath) && `the CLI is not built (${cliPath}): npm run build`,
}, () => {
  let upstream: RunningUpstream;
  let work: string;
  let child: ChildProcess;
  let stderr = "";
  let base = "";
  let pids: string[] = [];

  before(async () => {
    upstream = await startUpstreamServer({
      projects: [{ name: "zeta-pkg", releases: [{ version: "1.0", files: [] }] }],
    });
    work = mkdtempSync(join(tmpdir(), "pycustoms-workers-"));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", HOME: join(work, "home") };
    delete env.PYCUSTOMS_DB;
    child = spawn(
      process.execPath,
      [
        cliPath,
        "serve",
        "--workers",
        "2",
        "--port",
        String(port),
        "--data-dir",
        join(work, "data"),
        "--upstream",
        `${upstream.url}/simple/`,
        "--db",
        join(work, "no-such-advisories.sqlite"),
        "--log-level",
        "warn",
      ],
      { cwd: work, env, stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up lines within 20 s:\n${stderr}`)), 20_000);
      const poll = setInterval(() => {
        if (!/twine: /.test(stderr)) return;
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }, 20);
      child.once("exit", (code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`serve exited (${code}):\n${stderr}`));
      });
    });
    base = `http://127.0.0.1:${port}`;
    pids = /workers: +2 processes \(pids (\d+), (\d+);/.exec(stderr)?.slice(1) ?? [];
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      for (const pid of pids) if (alive(Number(pid))) process.kill(Number(pid), "SIGKILL");
    }
    await upstream?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("the start-up lines are printed once, by the primary, naming both workers", () => {
    assert.equal(stderr.match(/pycustoms serve: http:/g)?.length, 1, stderr);
    assert.equal(stderr.match(/Point clients at it:/g)?.length, 1, stderr);
    assert.equal(pids.length, 2, stderr);
    assert.notEqual(pids[0], pids[1]);
    assert.notEqual(pids[0], String(child.pid));
  });

  test("two different worker processes answer on the one port", async () => {
    const seen = await workersAnswering(`${base}/simple/zeta-pkg/`, 2, 5000);
    assert.deepEqual([...seen].sort(), [...pids].sort());
    const page = await get(`${base}/simple/zeta-pkg/`);
    assert.equal(page.status, 200);
    assert.equal((JSON.parse(page.body) as { name: string }).name, "zeta-pkg");
  });

  test("an upload from another process makes the name internal in every worker within a second", async () => {
    // Both workers have asked the upstream about the name (it has no such project): 404 from each.
    const before = new Set<string>();
    for (let i = 0; i < 20 && before.size < 2; i++) {
      const answer = await get(`${base}/simple/late-pkg/`);
      assert.equal(answer.status, 404, answer.body);
      if (answer.worker) before.add(answer.worker);
    }
    assert.equal(before.size, 2);
    // This test process is the other process: it creates the internal project in the shared state database.
    const db = new Database(join(work, "data", "state.sqlite"));
    db.pragma("busy_timeout = 5000");
    createRegistryTables(db);
    ensureProject(db, "late-pkg", "late-pkg", new Date());
    db.close();
    const created = Date.now();
    const upstreamAsked = upstream.requests.get("/simple/late-pkg/") ?? 0;
    await new Promise((r) => setTimeout(r, 1000));
    const answered = new Map<string, number>();
    for (let i = 0; i < 20 && answered.size < 2; i++) {
      const answer = await get(`${base}/simple/late-pkg/`);
      if (answer.worker) answered.set(answer.worker, answer.status);
    }
    assert.ok(Date.now() - created < 5000);
    assert.deepEqual([...answered.values()], [200, 200], JSON.stringify([...answered]));
    assert.equal(upstream.requests.get("/simple/late-pkg/") ?? 0, upstreamAsked);
  });

  test("a worker that dies is replaced, and the new one answers", async () => {
    const victim = Number(pids[0]);
    process.kill(victim, "SIGKILL");
    await waitFor("the restart", () => /worker \d+ started/.test(stderr), 10_000);
    assert.match(
      stderr,
      new RegExp(`worker ${victim} stopped \\(signal SIGKILL\\); starting another in \\d+ ms`),
    );
    const replacement = /worker (\d+) started/.exec(stderr)?.[1] ?? "";
    const seen = await workersAnswering(`${base}/simple/zeta-pkg/`, 2, 5000);
    assert.ok(seen.has(replacement), `${[...seen]} should include ${replacement}`);
    assert.ok(!seen.has(String(victim)));
    pids = [String(pids[1]), replacement];
  });

  test("SIGTERM stops the primary and every worker, with exit code 0, within 10 s", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const started = Date.now();
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => {
      timer = setTimeout(() => r("timeout"), 10_000);
    });
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    assert.equal(code, 0, stderr);
    await waitFor("the workers' exit", () => pids.every((pid) => !alive(Number(pid))), 2000);
    assert.ok(Date.now() - started < 10_000);
  });
});

test("--workers 2 on a port already in use: one error line from the primary, exit code 2", {
  skip: !existsSync(cliPath) && `the CLI is not built (${cliPath}): npm run build`,
}, async () => {
  const work = mkdtempSync(join(tmpdir(), "pycustoms-workers-busy-"));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const address = taken.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  try {
    const child = spawn(
      process.execPath,
      [
        cliPath,
        "serve",
        "--workers",
        "2",
        "--port",
        String(port),
        "--data-dir",
        join(work, "data"),
        "--upstream",
        "http://127.0.0.1:9/simple/",
        "--db",
        join(work, "no-such-advisories.sqlite"),
      ],
      { cwd: work, env: { ...process.env, HOME: join(work, "home") }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`still running after 20 s:\n${stderr}`));
      }, 20_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 2, stderr);
    assert.equal(
      stderr.match(/pycustoms: error: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/g)?.length,
      1,
      stderr,
    );
    assert.doesNotMatch(stderr, /Point clients at it/);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
    rmSync(work, { recursive: true, force: true });
  }
});
