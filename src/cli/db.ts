// `pycustoms db update|status`: the local advisory database the audit matches against.
import { existsSync, statSync } from "node:fs";
import { DEFAULT_TOP_PACKAGES_URL } from "../advisories/popular.js";
import {
  AdvisoryStoreError,
  DEFAULT_ADVISORY_SOURCE,
  type ImportProgress,
  importSources,
  openAdvisoryStore,
  resolveDbPath,
} from "../advisories/store.js";
import { style } from "../report/style.js";
import { type Command, Option } from "./commander.js";
import { colorEnabled, EXIT, emit, UsageError } from "./terminal.js";

/** Progress on stderr, only when stderr is a terminal: one line rewritten in place. */
function progressPrinter(): { update(p: ImportProgress): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const text =
        p.phase === "download"
          ? `downloading ${p.source}: ${(p.bytes / 1e6).toFixed(1)}${p.totalBytes ? ` / ${(p.totalBytes / 1e6).toFixed(1)}` : ""} MB`
          : `importing ${p.source}: ${p.records} records`;
      process.stderr.write(`\r\u001b[2K${text.slice(0, (process.stderr.columns ?? 100) - 1)}`);
    },
    done() {
      process.stderr.write("\r\u001b[2K");
    },
  };
}

/**
 * The advisory database `--db` names, or the default one. A named one must exist unless `mustExist` is false (`db
 * update` creates it): a mistyped path would otherwise run without advisories (their checks listed as skipped) and
 * pass. A folder is refused either way.
 */
/** `--db` as the commands that read the advisory database take it (resolved by readDbPath). */
export function readDbOption(): Option {
  return new Option(
    "--db <path>",
    "advisory database, which must exist (default: $PYCUSTOMS_DB, else the user cache folder)",
  );
}

export function readDbPath(option: string | undefined, options: { mustExist?: boolean } = {}): string {
  const path = resolveDbPath(option);
  if (option === undefined || option.trim() === "") return path;
  if (!existsSync(path)) {
    if (options.mustExist === false) return path;
    throw new UsageError(
      `--db ${path}: no such file (create it with \`pycustoms db update --db ${option}\`)`,
    );
  }
  // SQLite would say "disk I/O error".
  if (statSync(path).isDirectory()) throw new UsageError(`--db ${path} is a folder: name the database file`);
  return path;
}

export function storeErrorToUsage(e: unknown): never {
  if (e instanceof AdvisoryStoreError) throw new UsageError(e.message);
  throw e;
}

function age(iso: string | null): string {
  if (!iso) return "never";
  const ms = Date.now() - Date.parse(iso);
  const h = ms / 3.6e6;
  return h < 1
    ? "less than an hour ago"
    : h < 48
      ? `${Math.round(h)} hours ago`
      : `${Math.round(h / 24)} days ago`;
}

export function registerDb(program: Command): void {
  const db = program.command("db").description("Manage the local advisory database (OSV records for PyPI)");
  db.command("update")
    .description(
      `Import OSV advisories for PyPI and the popular-projects list the typosquat check compares names with (default sources: ${DEFAULT_ADVISORY_SOURCE} and ${DEFAULT_TOP_PACKAGES_URL}). Incremental, atomic, safe to run concurrently.`,
    )
    .option(
      "--from <source...>",
      "URLs, zips, tarballs, folders or files of OSV JSON/YAML (PyPA advisory-database and OSSF malicious-packages layouts included); a top-pypi-packages JSON or CSV file is recognised by its content and replaces the popular-projects list",
    )
    .option("--db <path>", "database file (default: $PYCUSTOMS_DB, else the user cache folder)")
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .action(async (opts: { from?: string[]; db?: string; format: string }) => {
      const dbPath = readDbPath(opts.db, { mustExist: false });
      const sources = opts.from?.length ? opts.from : [DEFAULT_ADVISORY_SOURCE, DEFAULT_TOP_PACKAGES_URL];
      const controller = new AbortController();
      const onSigint = () => controller.abort(new UsageError("interrupted: the database was left as it was"));
      process.once("SIGINT", onSigint);
      const progress = progressPrinter();
      let report: Awaited<ReturnType<typeof importSources>>;
      try {
        report = await importSources(dbPath, sources, {
          onProgress: (p) => progress.update(p),
          signal: controller.signal,
        });
      } catch (e) {
        storeErrorToUsage(e);
      } finally {
        progress.done();
        process.off("SIGINT", onSigint);
      }
      const failed = report.sources.filter((s) => s.status === "failed");
      if (opts.format === "json") {
        emit(JSON.stringify({ schema: "pycustoms.db-update/1", ...report }, null, 2));
      } else {
        const st = style(colorEnabled());
        const lines = report.sources.map((s) =>
          s.status === "failed"
            ? st.red(`${s.source}: failed: ${s.error ?? "unknown error"}`)
            : s.status === "not-modified"
              ? `${s.source}: not modified since the last update`
              : s.popular
                ? `${s.source}: popular-projects list of ${s.popular.count} projects${s.popular.lastUpdate ? ` (as of ${s.popular.lastUpdate})` : ""}`
                : `${s.source}: ${s.records} records: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.withdrawn} withdrawn, ${s.skipped} skipped${s.invalid ? st.yellow(` (${s.invalid} invalid)`) : ""}`,
        );
        // A source that failed is also a warning of the report: said once, on its own line above.
        const failures = new Set(failed.map((s) => s.error));
        const warnings = report.warnings.filter(
          (w) => !failures.has(w.message) && !failures.has(`${w.file}: ${w.message}`),
        );
        for (const w of warnings.slice(0, 20)) {
          lines.push(st.yellow(`warning: ${w.file}${w.record ? ` (${w.record})` : ""}: ${w.message}`));
        }
        if (warnings.length > 20) lines.push(st.yellow(`… and ${warnings.length - 20} more warnings`));
        lines.push(`database: ${report.dbPath}`);
        emit(lines.join("\n"));
      }
      process.exitCode = failed.length ? EXIT.error : EXIT.clean;
    });

  db.command("status")
    .description("Show the database's sources, record counts, last update and age")
    .option("--db <path>", "database file (default: $PYCUSTOMS_DB, else the user cache folder)")
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .action((opts: { db?: string; format: string }) => {
      const dbPath = readDbPath(opts.db, { mustExist: false });
      let store: ReturnType<typeof openAdvisoryStore>;
      try {
        store = openAdvisoryStore(dbPath);
      } catch (e) {
        storeErrorToUsage(e);
      }
      if (!store) {
        throw new UsageError(`no advisory database at ${dbPath}: run \`pycustoms db update\` first`);
      }
      try {
        const s = store.status();
        if (opts.format === "json") {
          emit(JSON.stringify({ schema: "pycustoms.db-status/1", ...s }, null, 2));
          return;
        }
        const lines = [
          `database: ${s.path} (${(s.sizeBytes / 1e6).toFixed(1)} MB, schema ${s.schemaVersion})`,
          `last update: ${s.lastUpdate ?? "never"} (${age(s.lastUpdate)})`,
          `advisories: ${s.counts.vulnerability} vulnerabilities, ${s.counts.malicious} malicious packages, ${s.counts.withdrawn} withdrawn; ${s.counts.packages} packages`,
          s.popular
            ? `popular projects: ${s.popular.count}${s.popular.listDate ? ` (list of ${s.popular.listDate})` : ""}, imported ${s.popular.imported} (${age(s.popular.imported)})`
            : "popular projects: none (the typosquat check needs them: run `pycustoms db update`)",
          "sources:",
          ...s.sources.map(
            (src) =>
              `  ${src.source}: ${src.records} records, imported ${src.lastImport ?? "never"}${src.lastError ? ` (last error: ${src.lastError})` : ""}`,
          ),
        ];
        emit(lines.join("\n"));
      } catch (e) {
        storeErrorToUsage(e);
      } finally {
        store.close();
      }
    });
}
