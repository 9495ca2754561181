// `pycustoms serve`: the vetting proxy and internal registry; arguments, start-up lines for clients, shutdown.
import { homedir, hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig, parseDuration, SERVE_MODES, type ServeMode } from "../policy/config.js";
import { formatError } from "../report/inventory-table.js";
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
}

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
    .option("--log-level <level>", "fatal, error, warn, info, debug or trace (default info)")
    .addHelpText(
      "after",
      "\nA project comes from the first upstream that has it; if an earlier upstream is down, later ones are not\ntried for it (a cached page is served stale instead). Files are verified against the published sha256.\nEvery release goes through the same checks and policy as `audit`: refused releases are left off the pages.\nInternal names (internal-names, internal-prefixes, and every uploaded project) are served from the internal\nregistry alone (twine uploads to /legacy/); the upstream is never asked about them.",
    )
    .action(async (opts: ServeOptions) => {
      const loaded = loadConfig(process.cwd(), opts.config);
      if (loaded.errors.length) {
        throw new UsageError(
          `invalid configuration:\n${loaded.errors.map((e) => `  ${formatError(e)}`).join("\n")}`,
        );
      }
      const serve = loaded.config.serve;
      const host = opts.host ?? serve.host;
      const port = opts.port !== undefined ? parsePort(opts.port) : serve.port;
      const upstreams = (opts.upstream ?? serve.upstream).map(checkUpstream);
      const configDir = loaded.file ? dirname(loaded.file) : process.cwd();
      const dataDir = opts.dataDir
        ? resolve(opts.dataDir)
        : serve.dataDir
          ? resolve(configDir, serve.dataDir)
          : defaultDataDir();
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
      // Fastify and the stores load only here: other commands must start fast.
      const { LOG_REDACT } = await import("../server/app.js");
      const { createServeApp } = await import("../server/serve-setup.js");
      const { resolveDbPath } = await import("../advisories/store.js");
      let started: Awaited<ReturnType<typeof createServeApp>>;
      try {
        started = await createServeApp({
          config: loaded.config,
          ...(mode !== undefined ? { mode } : {}),
          advisoryDbPath: resolveDbPath(opts.db),
          upstreams,
          dataDir,
          ...(pageTtlMs !== undefined ? { pageTtlMs } : {}),
          logger: { level: opts.logLevel ?? "info", redact: LOG_REDACT },
          accelRedirectPrefix: opts.xAccelRedirect ?? null,
        });
      } catch (e) {
        throw new UsageError(`cannot start: ${(e as Error).message}`);
      }
      const { app, report } = started;
      let address: string;
      try {
        address = await app.listen({ host, port });
      } catch (e) {
        await app.close();
        throw new UsageError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
      }
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
        ...loaded.config.upstream.internalNames,
        ...loaded.config.upstream.internalPrefixes.map((p) => `${p}*`),
      ];
      const exposed = exposureWarning(host);
      const loud = [...(exposed ? [exposed] : []), ...report.warnings];
      process.stderr.write(
        [
          `pycustoms serve: ${indexUrl}`,
          `  upstream:   ${upstreams.map(redactUrl).join(", ")}`,
          `  data:       ${dataDir}`,
          `  mode:       ${report.mode}${report.mode === "allowlist" ? " (unapproved projects are recorded as access requests: `pycustoms requests`)" : ""}`,
          `  advisories: ${advisories}`,
          `  internal:   uploaded projects${internalNames.length > 0 ? `, ${internalNames.join(", ")}` : ""} (never asked of the upstream)`,
          ...loud.map((l) => `\n  !! ${l}`),
          "",
          "Point clients at it:",
          ...clientSetupLines(indexUrl).map((l) => `  ${l}`),
          "",
        ].join("\n"),
      );
      await new Promise<void>((resolveDone) => {
        let closing = false;
        const stop = (signal: string) => {
          if (closing) return;
          closing = true;
          app.log.info({ signal }, "shutting down");
          app.close().then(resolveDone, resolveDone);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });
}
