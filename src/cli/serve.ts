// `pycustoms serve`: the vetting proxy and internal registry; arguments, start-up lines for clients, worker
// processes (`--workers`), shutdown.
import cluster, { type Worker } from "node:cluster";
import { availableParallelism, homedir, hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  type Config,
  loadConfig,
  MAX_SERVE_WORKERS,
  parseDuration,
  parseServeWorkers,
  SERVE_MODES,
  type ServeMode,
} from "../policy/config.js";
import { formatError } from "../report/inventory-table.js";
import type { ServeReport } from "../server/serve-setup.js";
import type { Command } from "./commander.js";
import { UsageError } from "./terminal.js";

interface ServeOptions {
  host?: string;
  port?: string;
  upstream?: string[];
  dataDir?: string;
  config?: string;
  pageTtl?: string;
  logLevel?: string;
  xAccelRedirect?: string;
  db?: string;
  mode?: string;
  workers?: string;
}

/** The command line and pycustoms.toml resolved into what one server process runs with. */
interface ServeSettings {
  config: Config;
  host: string;
  port: number;
  upstreams: string[];
  dataDir: string;
  pageTtlMs: number | undefined;
  mode: ServeMode | undefined;
  /** Processes sharing the port; 1 runs the server in this process. */
  workers: number;
  opts: ServeOptions;
}

/** A worker's word to the primary: listening (with what to print), or could not start (with why). */
type WorkerMessage =
  | { type: "pycustoms:ready"; address: string; report: ServeReport }
  | { type: "pycustoms:failed"; message: string };

/** How long the primary waits for its workers to finish after SIGINT/SIGTERM before it kills them. */
const SHUTDOWN_GRACE_MS = 10_000;
/** A worker that dies is started again after 0.5 s, doubled for each death within a minute, up to 30 s. */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
const RESTART_WINDOW_MS = 60_000;

/** `$XDG_DATA_HOME/pycustoms`, else `~/.local/share/pycustoms`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  return join(xdg?.startsWith("/") ? xdg : join(home, ".local", "share"), "pycustoms");
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** The lines that point pip, uv, poetry and pipenv at the proxy, and twine at its upload URL. */
export function clientSetupLines(indexUrl: string): string[] {
  const host = new URL(indexUrl).hostname;
  const uploadUrl = new URL("../legacy/", indexUrl).href;
  const lines = [
    `pip:     pip config set global.index-url ${indexUrl}`,
    `uv:      UV_INDEX_URL=${indexUrl}   (or in pyproject.toml: [[tool.uv.index]] url = "${indexUrl}" default = true)`,
    `poetry:  poetry source add --priority=primary pycustoms ${indexUrl}`,
    `         (poetry < 1.5, in pyproject.toml: [[tool.poetry.source]] name = "pycustoms" url = "${indexUrl}" default = true)`,
    `pipenv:  in the Pipfile: [[source]] name = "pycustoms" url = "${indexUrl}" verify_ssl = ${indexUrl.startsWith("https:")}`,
    `twine:   twine upload --repository-url ${uploadUrl} -u __token__ -p <token from \`pycustoms token create --project NAME\`> dist/*`,
  ];
  if (indexUrl.startsWith("http:") && !isLoopback(host)) {
    lines.push(`pip over plain http to ${host} also needs: pip config set global.trusted-host ${host}`);
  }
  return lines;
}

/** The loud start-up warning for a server bound beyond loopback; null on loopback. */
export function exposureWarning(host: string): string | null {
  if (isLoopback(host)) return null;
  const where = host === "0.0.0.0" || host === "::" ? "every network interface" : host;
  return `WARNING: listening on ${where}: the index, and uploads with a token, are reachable from other machines. Put it behind TLS (nginx) and a firewall, or use --host 127.0.0.1.`;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new UsageError(`--port must be 0-65535 (got '${text}')`);
  return Number(text);
}

function checkUpstream(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === "http:" || u.protocol === "https:") return url.endsWith("/") ? url : `${url}/`;
  } catch {
    // reported below
  }
  throw new UsageError(`--upstream must be an http(s) URL of a simple index (got '${url}')`);
}

/** `--workers` over `[serve] workers` (default 1); `auto` is the number of CPUs this process may use. */
export function resolveWorkers(option: string | undefined, configured: Config["serve"]["workers"]): number {
  let wanted = configured ?? 1;
  if (option !== undefined) {
    const parsed = parseServeWorkers(option);
    if (parsed === null)
      throw new UsageError(
        `--workers must be a number from 1 to ${MAX_SERVE_WORKERS} or auto (got '${option}')`,
      );
    wanted = parsed;
  }
  return wanted === "auto" ? Math.min(MAX_SERVE_WORKERS, availableParallelism()) : wanted;
}

function resolveSettings(opts: ServeOptions): ServeSettings {
  const loaded = loadConfig(process.cwd(), opts.config);
  if (loaded.errors.length) {
    throw new UsageError(
      `invalid configuration:\n${loaded.errors.map((e) => `  ${formatError(e)}`).join("\n")}`,
    );
  }
  const serve = loaded.config.serve;
  const configDir = loaded.file ? dirname(loaded.file) : process.cwd();
  let pageTtlMs: number | undefined;
  if (opts.pageTtl !== undefined) {
    const ms = parseDuration(opts.pageTtl);
    if (ms === null)
      throw new UsageError(`--page-ttl must be a duration like 30s, 10m, 1h (got '${opts.pageTtl}')`);
    pageTtlMs = ms;
  }
  let mode: ServeMode | undefined;
  if (opts.mode !== undefined) {
    if (!(SERVE_MODES as readonly string[]).includes(opts.mode))
      throw new UsageError(`--mode must be open or allowlist (got '${opts.mode}')`);
    mode = opts.mode as ServeMode;
  }
  return {
    config: loaded.config,
    host: opts.host ?? serve.host,
    port: opts.port !== undefined ? parsePort(opts.port) : serve.port,
    upstreams: (opts.upstream ?? serve.upstream).map(checkUpstream),
    dataDir: opts.dataDir
      ? resolve(opts.dataDir)
      : serve.dataDir
        ? resolve(configDir, serve.dataDir)
        : defaultDataDir(),
    pageTtlMs,
    mode,
    workers: resolveWorkers(opts.workers, serve.workers),
    opts,
  };
}

/** The start-up text: where to point clients, what the gate runs with, and the loud warnings. */
async function startupText(
  settings: ServeSettings,
  address: string,
  report: ServeReport,
  workerPids: number[] | null,
): Promise<string> {
  const { host, upstreams, dataDir, config } = settings;
  const shown =
    host === "0.0.0.0" || host === "::"
      ? address.replace(/\/\/[^:/]+|\/\/\[[^\]]+\]/, `//${hostname()}`)
      : address;
  const indexUrl = `${shown}/simple/`;
  const { redactUrl } = await import("../upstream/errors.js");
  const advisories = report.advisories.loaded
    ? `${report.advisories.path} (${report.advisories.vulnerabilities} vulnerabilities, ${report.advisories.malicious} malicious; updated ${report.advisories.lastUpdate ?? "never"})`
    : `none (${report.advisories.path} does not exist)`;
  const internalNames = [
    ...config.upstream.internalNames,
    ...config.upstream.internalPrefixes.map((p) => `${p}*`),
  ];
  const exposed = exposureWarning(host);
  const loud = [...(exposed ? [exposed] : []), ...report.warnings];
  return [
    `pycustoms serve: ${indexUrl}`,
    `  upstream:   ${upstreams.map(redactUrl).join(", ")}`,
    `  data:       ${dataDir}`,
    `  mode:       ${report.mode}${report.mode === "allowlist" ? " (unapproved projects are recorded as access requests: `pycustoms requests`)" : ""}`,
    `  advisories: ${advisories}`,
    `  internal:   uploaded projects${internalNames.length > 0 ? `, ${internalNames.join(", ")}` : ""} (never asked of the upstream)`,
    ...(workerPids === null
      ? []
      : [
          `  workers:    ${workerPids.length} processes (pids ${workerPids.join(", ")}; each keeps its own page cache and single-flight downloads)`,
        ]),
    ...loud.map((l) => `\n  !! ${l}`),
    "",
    "Point clients at it:",
    ...clientSetupLines(indexUrl).map((l) => `  ${l}`),
    "",
  ].join("\n");
}

/** Resolves at the first SIGINT or SIGTERM, with its name. */
function nextStopSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    function done(signal: string) {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolveSignal(signal);
    }
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
  });
}

/**
 * One server process: this process alone (`role` "single": it prints the start-up lines) or one of the workers
 * (it tells the primary instead, which prints once for all).
 */
async function runServer(settings: ServeSettings, role: "single" | "worker"): Promise<void> {
  const { opts } = settings;
  const fail = async (message: string): Promise<never> => {
    if (role === "worker") {
      // The primary prints it once, whichever worker failed first; then this worker ends without a stack trace.
      await sendToPrimary({ type: "pycustoms:failed", message });
      process.exit(2);
    }
    throw new UsageError(message);
  };
  // Fastify and the stores load only here: other commands must start fast.
  const { LOG_REDACT } = await import("../server/app.js");
  const { createServeApp } = await import("../server/serve-setup.js");
  const { resolveDbPath } = await import("../advisories/store.js");
  let started: Awaited<ReturnType<typeof createServeApp>> | null = null;
  try {
    started = await createServeApp({
      config: settings.config,
      ...(settings.mode !== undefined ? { mode: settings.mode } : {}),
      advisoryDbPath: resolveDbPath(opts.db),
      upstreams: settings.upstreams,
      dataDir: settings.dataDir,
      ...(settings.pageTtlMs !== undefined ? { pageTtlMs: settings.pageTtlMs } : {}),
      logger: { level: opts.logLevel ?? "info", redact: LOG_REDACT },
      accelRedirectPrefix: opts.xAccelRedirect ?? null,
      ...(role === "worker" ? { cleanTemp: false, workerId: String(process.pid) } : {}),
    });
  } catch (e) {
    started = null;
    await fail(`cannot start: ${(e as Error).message}`);
  }
  if (started === null) return;
  const { app, report } = started;
  let address: string;
  try {
    address = await app.listen({ host: settings.host, port: settings.port });
  } catch (e) {
    await app.close();
    return fail(`cannot listen on ${settings.host}:${settings.port}: ${(e as Error).message}`);
  }
  if (role === "worker") await sendToPrimary({ type: "pycustoms:ready", address, report });
  else process.stderr.write(await startupText(settings, address, report, null));
  const signal = await nextStopSignal();
  app.log.info({ signal }, "shutting down");
  await app.close().catch(() => undefined);
  // The IPC channel would keep a worker alive: leave the cluster so the process can end.
  if (role === "worker") cluster.worker?.disconnect();
}

function sendToPrimary(message: WorkerMessage): Promise<void> {
  return new Promise((resolveSent) => {
    if (!process.send) return resolveSent();
    process.send(message, undefined, {}, () => resolveSent());
  });
}

function isWorkerMessage(value: unknown): value is WorkerMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "pycustoms:ready" || type === "pycustoms:failed";
}

/**
 * The primary of `--workers N`: prepares the data directory once, forks N workers sharing the port, prints the
 * start-up lines once they all listen, restarts a worker that dies (with backoff), and on SIGINT/SIGTERM stops them
 * all (killing any still running after SHUTDOWN_GRACE_MS). A worker that cannot start during start-up stops the
 * whole server with its message (exit 2): restarting a worker that can never listen would only loop.
 */
async function runPrimary(settings: ServeSettings): Promise<void> {
  try {
    // Created (WAL mode set, tables made) and interrupted downloads removed here, before the workers race to it.
    const { SqliteStateStore } = await import("../server/storage/state-store.js");
    const { FsBlobStore } = await import("../server/storage/blob-store.js");
    await new SqliteStateStore(join(settings.dataDir, "state.sqlite")).close();
    await new FsBlobStore(join(settings.dataDir, "blobs")).cleanTemp();
  } catch (e) {
    throw new UsageError(`cannot start: ${(e as Error).message}`);
  }

  const live = new Map<number, Worker>();
  const ready = new Set<number>();
  const failures = new Map<number, string>();
  const deaths: number[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  let starting = true;
  let stopping = false;
  let failure: string | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  let firstReady: { address: string; report: ServeReport } | null = null;
  let finished: () => void = () => undefined;
  const allExited = new Promise<void>((resolveExited) => {
    finished = resolveExited;
  });

  const fork = () => {
    const worker = cluster.fork();
    live.set(worker.id, worker);
  };
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    for (const worker of live.values()) worker.process.kill("SIGTERM");
    killTimer = setTimeout(() => {
      for (const worker of live.values()) worker.process.kill("SIGKILL");
    }, SHUTDOWN_GRACE_MS);
    if (live.size === 0) finished();
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isWorkerMessage(message)) return;
    if (message.type === "pycustoms:failed") {
      failures.set(worker.id, message.message);
      return;
    }
    ready.add(worker.id);
    if (!starting) {
      process.stderr.write(`pycustoms serve: worker ${worker.process.pid} started\n`);
      return;
    }
    firstReady ??= { address: message.address, report: message.report };
    if (ready.size < settings.workers || stopping) return;
    starting = false;
    const pids = [...live.values()].map((w) => w.process.pid ?? 0);
    void startupText(settings, firstReady.address, firstReady.report, pids).then((text) =>
      process.stderr.write(text),
    );
  };
  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    live.delete(worker.id);
    ready.delete(worker.id);
    const reported = failures.get(worker.id);
    failures.delete(worker.id);
    const why = reported ?? (signal !== null ? `signal ${signal}` : `exit code ${code}`);
    if (stopping) {
      if (live.size === 0) finished();
      return;
    }
    if (starting) {
      failure = reported ?? `cannot start: a worker stopped during start-up (${why})`;
      stopAll();
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && (deaths[0] ?? now) < now - RESTART_WINDOW_MS) deaths.shift();
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (deaths.length - 1));
    process.stderr.write(
      `pycustoms serve: worker ${worker.process.pid} stopped (${why}); starting another in ${delay} ms\n`,
    );
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  };

  cluster.on("message", onMessage);
  cluster.on("exit", onExit);
  const signalled = nextStopSignal().then((signal) => {
    if (!stopping) process.stderr.write(`pycustoms serve: ${signal}: stopping ${live.size} workers\n`);
    stopAll();
  });
  for (let i = 0; i < settings.workers; i++) fork();
  await allExited;
  if (killTimer !== null) clearTimeout(killTimer);
  cluster.off("message", onMessage);
  cluster.off("exit", onExit);
  void signalled;
  if (failure !== null) throw new UsageError(failure);
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "run the caching, verifying package index proxy (PEP 503/691 simple API) for pip, uv and poetry",
    )
    .option("--host <host>", "address to bind (default 127.0.0.1: loopback only)")
    .option("--port <port>", "port (default 3141)")
    .option(
      "--upstream <url...>",
      "upstream simple index, in order of preference (default https://pypi.org/simple/)",
    )
    .option("--data-dir <dir>", "state and cached files (default $XDG_DATA_HOME/pycustoms)")
    .option("--config <file>", "pycustoms.toml to read [serve] from (default: searched upwards from here)")
    .option(
      "--page-ttl <duration>",
      "how long a project page is served before upstream is asked again (default 10m)",
    )
    .option(
      "--x-accel-redirect <prefix>",
      "behind nginx: let nginx send cached files from an internal location with this prefix (see examples/serve)",
    )
    .option(
      "--mode <mode>",
      'open (serve what the policy clears) or allowlist (only approved projects); default [serve] mode or "open"',
    )
    .option(
      "--db <path>",
      "advisory database (default $PYCUSTOMS_DB, else the cache path `pycustoms db update` writes)",
    )
    .option(
      "--workers <n>",
      'server processes sharing the port: a number, or "auto" for one per CPU (default [serve] workers or 1)',
    )
    .option("--log-level <level>", "fatal, error, warn, info, debug or trace (default info)")
    .addHelpText(
      "after",
      "\nA project comes from the first upstream that has it; if an earlier upstream is down, later ones are not\ntried for it (a cached page is served stale instead). Files are verified against the published sha256.\nEvery release goes through the same checks and policy as `audit`: refused releases are left off the pages.\nInternal names (internal-names, internal-prefixes, and every uploaded project) are served from the internal\nregistry alone (twine uploads to /legacy/); the upstream is never asked about them.\nWith --workers N, N processes share the port and the data directory; a worker that dies is restarted.",
    )
    .action(async (opts: ServeOptions) => {
      const settings = resolveSettings(opts);
      if (settings.workers > 1 && cluster.isPrimary) return runPrimary(settings);
      return runServer(settings, cluster.isWorker ? "worker" : "single");
    });
}
