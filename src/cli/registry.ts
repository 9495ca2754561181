// `pycustoms token create|list|revoke` and `pycustoms project status|list`: the internal registry's administration.
import { type Command, Option } from "./commander.js";
import { DATA_DIR_HELP, type DataDirOptions as StateOptions, withStateDatabase } from "./state-database.js";
import { emit, repeatable, UsageError } from "./terminal.js";

interface DataDirOptions extends StateOptions {
  format?: string;
}

const formatOption = () =>
  new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table");

export function registerRegistry(program: Command): void {
  const token = program
    .command("token")
    .description(
      "API tokens for uploading to the internal registry (twine: user __token__, the token as password)",
    );

  token
    .command("create")
    .description("Create a token scoped to projects; it is printed once and stored only as a hash")
    .requiredOption(
      "--project <name>",
      "a project the token may upload to (and create); repeat for more; '*' for every project",
      repeatable,
    )
    .option("--description <text>", "what the token is for (shown by `token list`)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: DataDirOptions & { project: string[]; description?: string }) => {
      const { createToken } = await import("../registry/tokens.js");
      const created = await withStateDatabase(opts, (db) =>
        createToken(db, { projects: opts.project, description: opts.description ?? null }),
      );
      if ("error" in created) throw new UsageError(created.error);
      const { record } = created;
      if (opts.format === "json") {
        emit(JSON.stringify({ schema: "pycustoms.token/1", token: created.token, ...record }, null, 2));
        return;
      }
      // The token alone on stdout (`TOKEN=$(pycustoms token create …)`), the advice on stderr.
      emit(created.token);
      process.stderr.write(
        `pycustoms: token ${record.id} for ${record.projects.join(", ")}: shown only this once, store it now.\n` +
          "  twine upload --repository-url http://<server>/legacy/ -u __token__ -p <token> dist/*\n",
      );
    });

  token
    .command("list")
    .description("List tokens (ids, scopes, use and revocation; never the secrets)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: DataDirOptions) => {
      const { listTokens } = await import("../registry/tokens.js");
      const tokens = await withStateDatabase(opts, (db) => listTokens(db), { existing: true });
      if (opts.format === "json") {
        emit(JSON.stringify({ schema: "pycustoms.tokens/1", tokens }, null, 2));
        return;
      }
      if (tokens.length === 0) {
        emit("no tokens: create one with `pycustoms token create --project NAME`");
        return;
      }
      emit(
        tokens
          .map((t) =>
            [
              t.id,
              t.revokedAt ? `revoked ${t.revokedAt}` : "active",
              `projects: ${t.projects.join(", ")}`,
              `created ${t.createdAt}`,
              `last used ${t.lastUsedAt ?? "never"}`,
              ...(t.description ? [t.description] : []),
            ].join("  "),
          )
          .join("\n"),
      );
    });

  token
    .command("revoke")
    .description("Revoke a token: it stops working at once")
    .argument("<id>", "the token id (as `token list` shows it, or the part after pycustoms_)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .action(async (id: string, opts: DataDirOptions) => {
      const { getToken, revokeToken } = await import("../registry/tokens.js");
      // Accept a whole token too: people paste what they have.
      const tokenId = /^pycustoms_([0-9a-f]+)_/.exec(id)?.[1] ?? id.trim();
      const outcome = await withStateDatabase(opts, (db) => {
        if (revokeToken(db, tokenId)) return "revoked";
        return getToken(db, tokenId) === null ? "unknown" : "already";
      });
      if (outcome === "unknown") throw new UsageError(`no token with id '${tokenId}'`);
      emit(outcome === "revoked" ? `revoked token ${tokenId}` : `token ${tokenId} was already revoked`);
    });

  const project = program
    .command("project")
    .description("Internal registry projects and their PEP 792 status");

  project
    .command("status")
    .description(
      "Show or set an internal project's status: archived and quarantined refuse uploads, quarantined serves no files",
    )
    .argument("<name>", "the internal project")
    .argument("[status]", "active | archived | deprecated | quarantined (omit to show the current status)")
    .option("--reason <text>", "why (published as the PEP 792 project-status reason)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (name: string, status: string | undefined, opts: DataDirOptions & { reason?: string }) => {
      const { setProjectStatus } = await import("../registry/status.js");
      const { getProject } = await import("../registry/store.js");
      const { normalizeName } = await import("../standards/names.js");
      const result = await withStateDatabase(opts, (db) => {
        if (status === undefined) {
          const found = getProject(db, normalizeName(name));
          return found === null
            ? { ok: false as const, reason: `no internal project '${normalizeName(name)}'` }
            : { ok: true as const, project: found, previous: found.status };
        }
        return setProjectStatus(db, name, status, opts.reason ?? null);
      });
      if (!result.ok) throw new UsageError(result.reason);
      const p = result.project;
      if (opts.format === "json") {
        emit(JSON.stringify({ schema: "pycustoms.project-status/1", ...p }, null, 2));
        return;
      }
      const reason = p.statusReason ? ` (${p.statusReason})` : "";
      emit(
        status === undefined || result.previous === p.status
          ? `${p.name}: ${p.status}${reason}`
          : `${p.name}: ${result.previous} -> ${p.status}${reason}`,
      );
    });

  project
    .command("list")
    .description("List the internal projects, their status and file counts")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .addOption(formatOption())
    .action(async (opts: DataDirOptions) => {
      const { listFiles, listProjects } = await import("../registry/store.js");
      const projects = await withStateDatabase(
        opts,
        (db) => listProjects(db).map((p) => ({ ...p, files: listFiles(db, p.name).length })),
        { existing: true },
      );
      if (opts.format === "json") {
        emit(JSON.stringify({ schema: "pycustoms.projects/1", projects }, null, 2));
        return;
      }
      if (projects.length === 0) {
        emit("no internal projects yet: the first upload with a token scoped to a name creates it");
        return;
      }
      emit(
        projects
          .map(
            (p) => `${p.name}  ${p.status}${p.statusReason ? ` (${p.statusReason})` : ""}  ${p.files} files`,
          )
          .join("\n"),
      );
    });
}
