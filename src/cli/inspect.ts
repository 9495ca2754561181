// `pycustoms inspect NAME[==VERSION]`: a report card for one project, from the index and the local database.
import { SEVERITIES, type Severity } from "../checks/types.js";
import { loadConfig } from "../policy/config.js";
import { formatError } from "../report/inventory-table.js";
import { isValidName } from "../standards/names.js";
import { type Command, Option } from "./commander.js";
import { readDbOption, readDbPath } from "./db.js";
import {
  checkIndexUrlOption,
  colorEnabled,
  EXIT,
  emit,
  ignoreOption,
  prettyJson,
  toolVersion,
  UsageError,
  warn,
} from "./terminal.js";

interface InspectOptions {
  indexUrl?: string;
  offline?: boolean;
  db?: string;
  format: string;
  releases: string;
  config?: string;
  failOn?: string;
  ignore?: string[];
}

export const DEFAULT_RELEASES_SHOWN = 10;

/** Splits `NAME` or `NAME==VERSION`; anything else (ranges, extras, markers) is a usage error. */
export function parseProjectArgument(text: string): { name: string; version: string | null } {
  const m = /^\s*([^\s=<>!~;[\]]+)\s*(?:==\s*([^\s=<>!~;,*]+))?\s*$/.exec(text);
  if (!m || !isValidName(m[1]!)) {
    throw new UsageError(`expected a project as NAME or NAME==VERSION, got '${text}'`);
  }
  return { name: m[1]!, version: m[2] ?? null };
}

function parseReleaseCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--releases expects a whole number of releases (1 or more), got '${text}'`);
  }
  return n;
}

export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description(
      "A report card for one project: status, owners, recent releases, yanks, provenance, advisories and findings",
    )
    .argument("<project>", "NAME, or NAME==VERSION to inspect one release (default: the latest)")
    .option(
      "--index-url <url>",
      "simple index to ask (default: [index] url in the policy, else pip's configured index, else PyPI)",
    )
    .option("--offline", "answer only from the HTTP cache and the local advisory database")
    .addOption(readDbOption())
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .option("--releases <n>", "how many of the newest releases to list", String(DEFAULT_RELEASES_SHOWN))
    .option("--config <file>", "policy file (default: pycustoms.toml or [tool.pycustoms], searched upwards)")
    .addOption(ignoreOption())
    .addOption(
      new Option("--fail-on <severity>", "fail on findings at or above this severity").choices([
        ...SEVERITIES,
      ]),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing at or above the threshold, 1 findings that fail the policy, 2 usage error, project not found or index unreachable.",
    )
    .action(async (projectArg: string, opts: InspectOptions) => {
      const { name, version } = parseProjectArgument(projectArg);
      const releases = parseReleaseCount(opts.releases);
      await checkIndexUrlOption(opts.indexUrl);
      const loaded = loadConfig(process.cwd(), opts.config);
      if (loaded.errors.length) {
        throw new UsageError(
          `invalid configuration:\n${loaded.errors.map((e) => `  ${formatError(e)}`).join("\n")}`,
        );
      }
      const config = { ...loaded.config };
      if (opts.failOn) config.failOn = opts.failOn as Severity;
      // The client, SQLite and the Sigstore verifier load only now, so --help stays instant.
      const { inspectProject } = await import("./inspect-project.js");
      const outcome = await inspectProject({
        name,
        version,
        ...(opts.indexUrl !== undefined ? { indexUrl: opts.indexUrl } : {}),
        offline: opts.offline === true,
        dbPath: readDbPath(opts.db),
        config,
        releases,
        cliIgnores: opts.ignore ?? [],
        now: new Date(),
        toolVersion: toolVersion(),
      });
      if (!outcome.ok) throw new UsageError(outcome.message);
      for (const w of outcome.warnings) warn(w);
      const text =
        opts.format === "json"
          ? (await import("../report/inspect-json.js")).formatInspectJson(outcome.card, {
              pretty: prettyJson(),
            })
          : (await import("../report/inspect-table.js")).formatInspectTable(outcome.card, {
              color: colorEnabled(),
              width: process.stdout.columns,
            });
      emit(text);
      process.exitCode = outcome.exitCode === 0 ? EXIT.clean : EXIT.findings;
    });
}
