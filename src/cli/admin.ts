// `pycustoms requests|approve|deny|blocked|exception|audit-log|cache stats`: the gate's administration, on the data
// directory's state database, so they work with or without a running server (which sees a change within seconds).
import { userInfo } from "node:os";
import { type Command, Option } from "./commander.js";
import { DATA_DIR_HELP, type DataDirOptions, withStateDatabase } from "./state-database.js";
import { EXIT, emit, UsageError } from "./terminal.js";

const WHEN_HELP = "an ISO date or date-time, or a duration like 30d, 12h, 2w";

interface CommonOptions extends DataDirOptions {
  format?: string;
}

const formatOption = () =>
  new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table");

/** Who decides, for the audit log: `--by`, else the login name. */
function deciderOf(by: string | undefined): string {
  if (by !== undefined && by.trim() !== "") return by.trim();
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

function parseId(text: string, what: string): number {
  const id = /^#?(\d{1,15})$/.exec(text.trim())?.[1];
  if (id === undefined) throw new UsageError(`'${text}' is not ${what} id (a number, as listed)`);
  return Number(id);
}

/** Aligned columns, the header first; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function json(value: unknown): void {
  emit(JSON.stringify(value, null, 2));
}

const shortTime = (iso: string | null) => (iso === null ? "-" : iso.slice(0, 16).replace("T", " "));

export function registerAdmin(program: Command): void {
  program
    .command("requests")
    .description("List access requests (allowlist mode): who asked for which project, when, and the findings")
    .addOption(
      new Option("--status <status>", "which requests")
        .choices(["pending", "approved", "denied", "all"])
        .default("pending"),
    )
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: CommonOptions & { status: string }) => {
      const { listRequests } = await import("../gate/admin.js");
      const status = opts.status === "all" ? undefined : (opts.status as "pending" | "approved" | "denied");
      const requests = await withStateDatabase(opts, (db) => listRequests(db, status), { existing: true });
      if (opts.format === "json") return json({ schema: "pycustoms.access-requests/1", requests });
      if (requests.length === 0)
        return emit(`no ${opts.status === "all" ? "" : `${opts.status} `}access requests`);
      emit(
        columns([
          ["ID", "STATUS", "PROJECT", "VERSION", "ASKED BY", "LAST ASKED", "TIMES", "FINDINGS / DECISION"],
          ...requests.map((r) => [
            String(r.id),
            r.status,
            `${r.project}${r.specifier}`,
            r.version ?? "-",
            r.requestedBy,
            shortTime(r.lastRequestedAt),
            String(r.requestCount),
            r.status === "pending"
              ? r.findings.map((f) => f.id).join(", ") || "-"
              : `${r.decidedBy ?? "?"}: ${r.reason || "-"}`,
          ]),
        ]),
      );
    });

  const decision = (name: "approve" | "deny") =>
    program
      .command(name)
      .description(
        name === "approve"
          ? "Approve an access request: the releases it covers are served (when the checks clear them)"
          : "Deny an access request, with the reason: the releases it covers stay blocked",
      )
      .argument("<id>", "the request id, as `pycustoms requests` lists it")
      [name === "deny" ? "requiredOption" : "option"]("--reason <text>", "why (kept in the audit log)")
      .option(
        "--specifier <spec>",
        "what the decision covers instead of what was asked: '' the whole project, '>=2,<3' a range",
      )
      .option("--by <name>", "who decides, for the audit log (default: cli:<login name>)")
      .option("--data-dir <dir>", DATA_DIR_HELP)
      .addOption(formatOption())
      .action(
        async (
          idText: string,
          opts: CommonOptions & { reason?: string; specifier?: string; by?: string },
        ) => {
          const id = parseId(idText, "an access request");
          if (name === "deny" && (opts.reason ?? "").trim() === "")
            throw new UsageError("a denial needs a --reason");
          const admin = await import("../gate/admin.js");
          const decide = name === "approve" ? admin.approve : admin.deny;
          const result = await withStateDatabase(opts, (db) =>
            decide(db, id, deciderOf(opts.by), (opts.reason ?? "").trim(), {
              ...(opts.specifier !== undefined ? { specifier: opts.specifier } : {}),
            }),
          );
          if (!result.ok) throw new UsageError(result.error);
          const r = result.value;
          if (opts.format === "json") return json({ schema: "pycustoms.access-request/1", request: r });
          emit(`${r.status} request #${r.id}: ${r.project}${r.specifier || " (every release)"}`);
        },
      );
  decision("approve");
  decision("deny");

  program
    .command("blocked")
    .description("List the releases the gate refuses or holds back, and why")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: CommonOptions) => {
      const { listBlocked } = await import("../gate/admin.js");
      const blocked = await withStateDatabase(opts, (db) => listBlocked(db), { existing: true });
      if (opts.format === "json") return json({ schema: "pycustoms.blocked/1", blocked });
      if (blocked.length === 0) return emit("nothing blocked in the current verdicts");
      emit(
        columns([
          ["PROJECT", "VERSION", "DECISION", "EVALUATED", "WHY"],
          ...blocked.map((b) => [
            b.project,
            b.version,
            b.decision,
            shortTime(b.evaluatedAt),
            b.reasons.join("; "),
          ]),
        ]),
      );
    });

  const exception = program
    .command("exception")
    .description("Exceptions to the gate: a reason and an expiry for every one");

  exception
    .command("add")
    .description(
      "Let a project's releases through a hold (cooldown), a finding (its id), or everything (any)",
    )
    .argument("<project>", "the project")
    .option("--specifier <spec>", "which releases, as a PEP 440 specifier (default: every release)", "")
    .requiredOption("--kind <kind>", "cooldown, any, or a finding id or alias (GHSA-…, CVE-…, typosquat)")
    .requiredOption("--reason <text>", "why (kept in the audit log)")
    .requiredOption("--expires <when>", `until when: ${WHEN_HELP}`)
    .option("--by <name>", "who adds it, for the audit log (default: cli:<login name>)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(
      async (
        project: string,
        opts: CommonOptions & {
          specifier: string;
          kind: string;
          reason: string;
          expires: string;
          by?: string;
        },
      ) => {
        const { addException } = await import("../gate/admin.js");
        const { parseWhen } = await import("../server/admin-routes.js");
        const now = new Date();
        const expiresAt = parseWhen(opts.expires, now, 1);
        if (expiresAt === null)
          throw new UsageError(`--expires must be ${WHEN_HELP} (got '${opts.expires}')`);
        const result = await withStateDatabase(opts, (db) =>
          addException(db, {
            project,
            specifier: opts.specifier,
            kind: opts.kind,
            reason: opts.reason,
            expiresAt,
            createdBy: deciderOf(opts.by),
            now,
          }),
        );
        if (!result.ok) throw new UsageError(result.error);
        const e = result.value;
        if (opts.format === "json") return json({ schema: "pycustoms.exception/1", exception: e });
        emit(`exception #${e.id}: ${e.project}${e.specifier} ${e.kind} until ${e.expiresAt}`);
      },
    );

  exception
    .command("list")
    .description("List exceptions (ended and expired ones too, marked)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: CommonOptions) => {
      const { createGateTables, listExceptions } = await import("../gate/stores.js");
      const exceptions = await withStateDatabase(
        opts,
        (db) => {
          createGateTables(db);
          return listExceptions(db);
        },
        { existing: true },
      );
      if (opts.format === "json") return json({ schema: "pycustoms.exceptions/1", exceptions });
      if (exceptions.length === 0) return emit("no exceptions");
      const now = new Date().toISOString();
      emit(
        columns([
          ["ID", "STATE", "PROJECT", "KIND", "EXPIRES", "BY", "REASON"],
          ...exceptions.map((e) => [
            String(e.id),
            e.expiresAt !== null && e.expiresAt <= now ? "ended" : "active",
            `${e.project}${e.specifier}`,
            e.kind,
            shortTime(e.expiresAt),
            e.createdBy,
            e.reason,
          ]),
        ]),
      );
    });

  exception
    .command("remove")
    .description("End an exception now (it stays listed, ended, and the audit log says who ended it)")
    .argument("<id>", "the exception id, as `exception list` shows it")
    .option("--by <name>", "who ends it, for the audit log (default: cli:<login name>)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .action(async (idText: string, opts: CommonOptions & { by?: string }) => {
      const id = parseId(idText, "an exception");
      const { endException } = await import("../gate/admin.js");
      const result = await withStateDatabase(opts, (db) => endException(db, id, deciderOf(opts.by)));
      if (!result.ok) throw new UsageError(result.error);
      emit(`ended exception #${id} (${result.value.project} ${result.value.kind})`);
    });

  program
    .command("audit-log")
    .description(
      "Read the gate's append-only audit log, or verify its hash chain (--verify: exit 1 when broken)",
    )
    .option("--since <when>", `entries at or after: ${WHEN_HELP} ago`)
    .option("--project <name>", "only this project")
    .option("--limit <n>", "the newest N entries (default 1000)")
    .option("--verify", "check that no row was changed, removed or inserted")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(
      async (
        opts: CommonOptions & { since?: string; project?: string; limit?: string; verify?: boolean },
      ) => {
        const admin = await import("../gate/admin.js");
        if (opts.verify) {
          const { createGateTables } = await import("../gate/stores.js");
          const result = await withStateDatabase(
            opts,
            (db) => {
              createGateTables(db);
              return admin.verifyAuditChain(db);
            },
            { existing: true },
          );
          if (opts.format === "json") json({ schema: "pycustoms.audit-verify/1", ...result });
          else if (result.ok) emit(`audit log intact: ${result.rows} rows, head ${result.head}`);
          else emit(`audit log BROKEN after ${result.rows} good rows: ${result.message}`);
          if (!result.ok) process.exitCode = EXIT.findings;
          return;
        }
        const { parseWhen } = await import("../server/admin-routes.js");
        let since: string | undefined;
        if (opts.since !== undefined) {
          const parsed = parseWhen(opts.since, new Date(), -1);
          if (parsed === null) throw new UsageError(`--since must be ${WHEN_HELP} (got '${opts.since}')`);
          since = parsed;
        }
        let limit: number | undefined;
        if (opts.limit !== undefined) {
          if (!/^\d{1,7}$/.test(opts.limit) || Number(opts.limit) < 1)
            throw new UsageError(`--limit must be a whole number from 1 (got '${opts.limit}')`);
          limit = Number(opts.limit);
        }
        const entries = await withStateDatabase(
          opts,
          (db) =>
            admin.readAuditLog(db, {
              ...(since !== undefined ? { since } : {}),
              ...(opts.project !== undefined ? { project: opts.project } : {}),
              ...(limit !== undefined ? { limit } : {}),
            }),
          { existing: true },
        );
        if (opts.format === "json") return json({ schema: "pycustoms.audit-log/1", entries });
        if (entries.length === 0) return emit("no audit-log entries");
        emit(
          columns([
            ["ID", "TIME", "ACTOR", "ACTION", "WHAT", "REASON"],
            ...entries.map((e) => [
              String(e.id),
              e.time.slice(0, 19).replace("T", " "),
              e.actor,
              e.action,
              [e.project, e.version, e.filename].filter((x) => x !== null).join(" ") || "-",
              e.reason ?? "-",
            ]),
          ]),
        );
      },
    );

  const cache = program.command("cache").description("The proxy's cache");
  cache
    .command("stats")
    .description("Cached files (count, bytes), cached project pages, recorded events and audit actions")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: CommonOptions) => {
      const { cacheStats } = await import("../server/cache-stats.js");
      const { join } = await import("node:path");
      const stats = await withStateDatabase(opts, (db, dataDir) => cacheStats(db, join(dataDir, "blobs")), {
        existing: true,
      });
      if (opts.format === "json") return json(stats);
      const counts = (r: Record<string, number>) =>
        Object.entries(r)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ") || "none";
      emit(
        [
          `files:             ${stats.blobs?.count ?? 0} (${((stats.blobs?.bytes ?? 0) / 1e6).toFixed(1)} MB)`,
          `partial downloads: ${stats.partialDownloads ?? 0}`,
          `project pages:     ${stats.pages.count}${stats.pages.newestFetchedAt ? ` (newest ${stats.pages.newestFetchedAt}, oldest ${stats.pages.oldestFetchedAt})` : ""}`,
          `events:            ${counts(stats.events)}`,
          `audit log:         ${counts(stats.audit)}`,
        ].join("\n"),
      );
    });

  // main.ts turns commander's errors into exit 2 for top-level commands; nested ones need the same.
  for (const group of [exception, cache]) {
    for (const cmd of group.commands) cmd.exitOverride().showHelpAfterError("(run with --help for usage)");
  }
}
