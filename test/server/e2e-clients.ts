// Shared set-up of the end-to-end tests: `pycustoms serve` wired as the CLI wires it, over a test upstream, and
// the real Python clients (pip, twine, poetry, pipenv) in their own processes, seeing nothing but a temp HOME.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import { importSources } from "../../src/advisories/store.js";
import { parseConfigText } from "../../src/policy/config.js";
import { createServeApp, type ServeReport } from "../../src/server/serve-setup.js";
import { fixture } from "../paths.js";
import {
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";

export const PYTHON = process.env.PYCUSTOMS_TEST_PYTHON ?? "python3";
export const TWINE = "/usr/bin/twine";
export const POETRY = "/usr/bin/poetry";
export const PIPENV = "/usr/bin/pipenv";

export const pipMissing =
  spawnSync(PYTHON, ["-m", "pip", "--version"], { encoding: "utf8" }).status !== 0
    ? `no pip for ${PYTHON} on this machine`
    : false;

/** The hand-written OSV records the tests load into a fresh advisory database. */
export const OSV_FIXTURES = fixture("server", "fixtures", "osv");

export interface E2eServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `${url}/simple/` */
  index: string;
  app: FastifyInstance;
  upstream: RunningUpstream;
  /** The server's state database (gate, registry), as the admin CLI would open it. */
  db: Database;
  report: ServeReport;
  work: string;
  /** Requests the upstream saw whose path names this project (simple page, JSON API, files). */
  upstreamRequestsFor(project: string): number;
  close(): Promise<void>;
}

export interface StartOptions {
  fixture: UpstreamFixture;
  /** pycustoms.toml text (policy, [serve] mode, internal-prefixes ...). */
  toml?: string;
  /** Load OSV_FIXTURES into a temp advisory database (default true); false serves with none. */
  advisories?: boolean;
  gateRecheckAfterMs?: number;
}

export async function startServe(options: StartOptions): Promise<E2eServer> {
  const work = mkdtempSync(join(tmpdir(), "pycustoms-e2e-"));
  const advisoryDbPath = join(work, "advisories.sqlite");
  if (options.advisories ?? true) await importSources(advisoryDbPath, [OSV_FIXTURES]);
  const loaded = parseConfigText(options.toml ?? "", join(work, "pycustoms.toml"), false);
  if (loaded.errors.length > 0) throw new Error(JSON.stringify(loaded.errors));
  const upstream = await startUpstreamServer(options.fixture);
  const { app, report } = await createServeApp({
    config: loaded.config,
    advisoryDbPath,
    upstreams: [`${upstream.url}/simple/`],
    dataDir: join(work, "data"),
    http: { retries: 0, timeoutMs: 5000, env: {} },
    ...(options.gateRecheckAfterMs !== undefined ? { gateRecheckAfterMs: options.gateRecheckAfterMs } : {}),
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const db = app.pycustoms.db;
  if (db === null) throw new Error("the server has no SQLite state database");
  return {
    url,
    index: `${url}/simple/`,
    app,
    upstream,
    db,
    report,
    work,
    upstreamRequestsFor(project) {
      let n = 0;
      for (const [path, count] of upstream.requests) {
        const decoded = decodeURIComponent(path).toLowerCase();
        const underscored = project.replace(/-/g, "_");
        if (
          decoded.includes(`/${project}/`) ||
          decoded.includes(`/${project}`) ||
          decoded.includes(underscored)
        )
          n += count;
      }
      return n;
    },
    async close() {
      await app.close();
      await upstream.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of every client: a temp HOME (no user configuration, caches or keyrings), no pip configuration
 * or index variables, no proxies for loopback, plain wide output.
 */
export function clientEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    PIP_CONFIG_FILE: "/dev/null",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    PIP_NO_CACHE_DIR: "1",
    PIP_DEFAULT_TIMEOUT: "10",
    PIP_NO_INPUT: "1",
    PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    COLUMNS: "400",
    NO_COLOR: "1",
    TERM: "dumb",
    ...extra,
  };
  // pyenv shims need to know where they are; nothing else of the machine's environment is passed on.
  if (process.env.PYENV_ROOT) env.PYENV_ROOT = process.env.PYENV_ROOT;
  return env;
}

export interface ClientRun {
  code: number | null;
  /** stdout and stderr together, ANSI colours removed. */
  output: string;
  ms: number;
}

/** Runs a client in its own process (asynchronously: the server answering it lives in this one), killed at the limit. */
export function runClient(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<ClientRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ""), ms: Date.now() - started });
    });
  });
}

/** pip against the server's index only (`index` replaces the index URL, e.g. to carry a user name). */
export function pip(
  server: E2eServer,
  home: string,
  args: string[],
  index = server.index,
): Promise<ClientRun> {
  return runClient(
    PYTHON,
    ["-m", "pip", ...args, "--index-url", index, "--timeout", "10", "--retries", "0"],
    { env: clientEnv(home), timeoutMs: 60_000 },
  );
}

/** `pip install --target <dir>`: nothing touches the machine's site-packages. */
export function pipInstall(server: E2eServer, home: string, target: string, requirements: string[]) {
  return pip(server, home, ["install", "--no-compile", "--target", target, ...requirements]);
}

export function twineUpload(server: E2eServer, home: string, token: string, files: string[]) {
  return runClient(
    TWINE,
    [
      "upload",
      "--disable-progress-bar",
      "--non-interactive",
      "--repository-url",
      `${server.url}/legacy/`,
      "-u",
      "__token__",
      "-p",
      token,
      ...files,
    ],
    { env: clientEnv(home), timeoutMs: 30_000 },
  );
}

/** The text with runs of white space as one space (rich and pip wrap long lines). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ");
}

export function clientMissing(path: string, what: string): string | false {
  return existsSync(path) ? false : `${what} (${path}) is not installed on this machine`;
}

export function tempWork(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
