// `pycustoms audit`: inventory, pins and advisories in one list of findings, with the exit code CI needs.
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Command, Option } from "commander";
import { resolveDbPath } from "../advisories/store.js";
import type { runAudit } from "../audit/run.js";
import { SEVERITIES, type Severity } from "../checks/types.js";
import { loadConfig } from "../policy/config.js";
import { formatAuditTable } from "../report/audit-table.js";
import { formatError } from "../report/inventory-table.js";
import { storeErrorToUsage } from "./db.js";
import { nothingRead } from "./inventory.js";
import { colorEnabled, EXIT, emit, toolVersion, UsageError, warn } from "./terminal.js";

interface AuditOptions {
  env?: string[];
  format: string;
  output?: string;
  db?: string;
  config?: string;
  ignore?: string[];
  failOn?: string;
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

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description(
      "Audit dependencies: pins and hashes, known vulnerabilities and known-malicious packages, under one policy",
    )
    .argument("[paths...]", "files or directories (searched recursively); default: .")
    .option("--env <dir...>", "also audit an installed environment (a virtualenv or site-packages folder)")
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["table", "json", "sarif", "markdown", "cyclonedx"])
        .default("table"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .option("--db <path>", "advisory database (default: $PYCUSTOMS_DB, else the user cache folder)")
    .option(
      "--config <file>",
      "policy file (default: pycustoms.toml or [tool.pycustoms] in pyproject.toml, searched upwards)",
    )
    .option("--ignore <id...>", "ignore an advisory id or alias, or a check id, for this run")
    .addOption(
      new Option("--fail-on <severity>", "fail on findings at or above this severity").choices([
        ...SEVERITIES,
      ]),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing at or above the threshold, 1 findings that fail the policy, 2 usage or input error.",
    )
    .action(async (paths: string[], opts: AuditOptions) => {
      const loaded = loadConfig(configStart(paths), opts.config);
      if (loaded.errors.length) {
        throw new UsageError(
          `invalid configuration:\n${loaded.errors.map((e) => `  ${formatError(e)}`).join("\n")}`,
        );
      }
      const config = { ...loaded.config };
      if (opts.failOn) config.failOn = opts.failOn as Severity;
      const envDirs = opts.env ?? [];
      // The pipeline (parsers, store, matching) loads after argument parsing, so --help stays instant.
      const { runAudit: runPipeline } = await import("../audit/run.js");
      let run: ReturnType<typeof runAudit>;
      try {
        run = runPipeline({
          paths: paths.length || envDirs.length ? paths : ["."],
          envDirs,
          config,
          dbPath: resolveDbPath(opts.db),
          cliIgnores: opts.ignore ?? [],
          now: new Date(),
          toolVersion: toolVersion(),
        });
      } catch (e) {
        storeErrorToUsage(e);
      }
      const { result, inventory } = run;
      if (inventory.files.length === 0 && inventory.errors.length === 0) {
        throw new UsageError(`no manifests, lock files or SBOMs found in ${paths.join(", ") || "."}`);
      }
      for (const w of run.warnings) warn(w);
      // Each format loads on demand: the CycloneDX and SARIF writers would slow every run's start-up.
      let text: string;
      switch (opts.format) {
        case "json":
          text = (await import("../report/audit-json.js")).formatAuditJson(result);
          break;
        case "sarif":
          text = (await import("../report/sarif.js")).formatSarif(result, { repoRoot: process.cwd() });
          break;
        case "markdown":
          text = (await import("../report/markdown.js")).formatAuditMarkdown(result);
          break;
        case "cyclonedx":
          text = (await import("../report/cyclonedx.js")).formatCycloneDx(result.dependencies, {
            toolVersion: result.tool.version,
            findings: result.findings,
          });
          break;
        default:
          text = formatAuditTable(result, {
            color: !opts.output && colorEnabled(),
            width: process.stdout.columns,
          });
      }
      emit(text, opts.output);
      process.exitCode = nothingRead(inventory) ? EXIT.error : run.exitCode;
    });
}
