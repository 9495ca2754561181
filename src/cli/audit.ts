// `pycustoms audit`: inventory, pins, advisories and what the index says, in one list of findings, with the exit code CI needs.
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { runAudit } from "../audit/run.js";
import { SEVERITIES, type Severity } from "../checks/types.js";
import { loadConfig } from "../policy/config.js";
import type { AuditResult } from "../report/audit-result.js";
import { formatError } from "../report/inventory-table.js";
import { type Command, Option } from "./commander.js";
import { readDbOption, readDbPath, storeErrorToUsage } from "./db.js";
import { assertFoundManifests, nothingRead } from "./inventory.js";
import {
  checkIndexUrlOption,
  colorEnabled,
  EXIT,
  emit,
  ignoreOption,
  prettyJson,
  repeatable,
  toolVersion,
  UsageError,
  warn,
} from "./terminal.js";

interface AuditOptions {
  env?: string[];
  format: string;
  output?: string;
  db?: string;
  config?: string;
  ignore?: string[];
  failOn?: string;
  indexUrl?: string;
  offline?: boolean;
  upstream: boolean;
}

/** "fetching project data: N/M" on stderr, rewritten in place, only when stderr is a terminal. */
function fetchProgress(): { update(done: number, total: number): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 80 && done < total) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\u001b[2Kasking the index: ${done}/${total} projects`);
    },
    done() {
      if (shown) process.stderr.write("\r\u001b[2K");
    },
  };
}

/** Where to look for pycustoms.toml: the first path's folder, else the current directory. */
function configStart(paths: string[]): string {
  const first = paths[0];
  if (!first) return process.cwd();
  try {
    return statSync(first).isDirectory() ? resolve(first) : dirname(resolve(first));
  } catch {
    return process.cwd();
  }
}

/**
 * The writer of one format, loaded on demand: the CycloneDX and SARIF libraries would slow every run's start-up.
 */
async function reportWriter(format: string, output?: string): Promise<(result: AuditResult) => string> {
  switch (format) {
    case "json": {
      const { formatAuditJson } = await import("../report/audit-json.js");
      return (result) => formatAuditJson(result, { pretty: prettyJson(output) });
    }
    case "sarif": {
      const { formatSarif } = await import("../report/sarif.js");
      return (result) => formatSarif(result, { repoRoot: process.cwd() });
    }
    case "markdown":
      return (await import("../report/markdown.js")).formatAuditMarkdown;
    case "cyclonedx": {
      const { formatCycloneDx } = await import("../report/cyclonedx.js");
      return (result) =>
        formatCycloneDx(result.dependencies, { toolVersion: result.tool.version, findings: result.findings });
    }
    default: {
      const { formatAuditTable } = await import("../report/audit-table.js");
      return (result) =>
        formatAuditTable(result, { color: !output && colorEnabled(), width: process.stdout.columns });
    }
  }
}

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description(
      "Audit dependencies: pins and hashes, known vulnerabilities and known-malicious packages, and what the package index says (status, yanks, release age, typosquats, hashes, provenance, sizes, dependency confusion, owners), under one policy",
    )
    .argument("[paths...]", "files or directories (searched recursively); default: .")
    .option(
      "--env <dir>",
      "also audit an installed environment (a virtualenv or site-packages folder); repeatable",
      repeatable,
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["table", "json", "sarif", "markdown", "cyclonedx"])
        .default("table"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .addOption(readDbOption())
    .option(
      "--config <file>",
      "policy file (default: pycustoms.toml or [tool.pycustoms] in pyproject.toml, searched upwards)",
    )
    .addOption(ignoreOption())
    .option(
      "--index-url <url>",
      "package index the upstream checks ask (default: [index] url, else the requirement file's --index-url, else pip's configuration, else PyPI); credentials are never printed",
    )
    .option(
      "--offline",
      "no network: answer the upstream checks from the HTTP cache only, and list the checks that could not run",
    )
    .option(
      "--no-upstream",
      "skip the upstream checks entirely (as if switched off in [checks]): pins and advisories only",
    )
    .addOption(
      new Option("--fail-on <severity>", "fail on findings at or above this severity").choices([
        ...SEVERITIES,
      ]),
    )
    .addHelpText(
      "after",
      "\nAn index that cannot be reached does not change the exit code: its checks are listed as skipped, with the reason." +
        "\nExit codes: 0 nothing at or above the threshold, 1 findings that fail the policy, 2 usage or input error.",
    )
    .action(async (paths: string[], opts: AuditOptions) => {
      const loaded = loadConfig(configStart(paths), opts.config);
      if (loaded.errors.length) {
        throw new UsageError(
          `invalid configuration:\n${loaded.errors.map((e) => `  ${formatError(e)}`).join("\n")}`,
        );
      }
      await checkIndexUrlOption(opts.indexUrl);
      const config = { ...loaded.config };
      if (opts.failOn) config.failOn = opts.failOn as Severity;
      const envDirs = opts.env ?? [];
      // The pipeline (parsers, store, matching) loads after argument parsing, so --help stays instant; the
      // report writer is requested with it, so that loading it overlaps the run.
      const writer = reportWriter(opts.format, opts.output);
      writer.catch(() => undefined); // awaited below, unless the run fails first
      const { runAudit: runPipeline } = await import("../audit/run.js");
      let run: Awaited<ReturnType<typeof runAudit>>;
      const progress = fetchProgress();
      try {
        run = await runPipeline({
          paths: paths.length || envDirs.length ? paths : ["."],
          envDirs,
          config,
          dbPath: readDbPath(opts.db),
          cliIgnores: opts.ignore ?? [],
          now: new Date(),
          toolVersion: toolVersion(),
          upstream: {
            mode: !opts.upstream ? "off" : opts.offline ? "offline" : "online",
            ...(opts.indexUrl !== undefined ? { indexUrl: opts.indexUrl } : {}),
            onProgress: (done, total) => progress.update(done, total),
          },
        });
      } catch (e) {
        storeErrorToUsage(e);
      } finally {
        progress.done();
      }
      const { result, inventory } = run;
      assertFoundManifests(inventory, paths);
      for (const w of run.warnings) warn(w);
      emit((await writer)(result), opts.output);
      process.exitCode = nothingRead(inventory) ? EXIT.error : run.exitCode;
    });
}
