// `pycustoms check-pins`: the pinning and hash controls on their own, for CI.
import { checkPins } from "../checks/pins.js";
import type { Finding } from "../checks/types.js";
import { errorJson } from "../report/inventory-json.js";
import { formatError } from "../report/inventory-table.js";
import { jsonText } from "../report/json-text.js";
import { style } from "../report/style.js";
import { type Command, Option } from "./commander.js";
import { assertFoundManifests, inventoryForCli, nothingRead } from "./inventory.js";
import { colorEnabled, EXIT, emit, prettyJson } from "./terminal.js";

function findingJson(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    kind: f.kind,
    severity: f.severity,
    package: f.package,
    version: f.version,
    specifier: f.specifier,
    file: f.file,
    line: f.line,
    summary: f.summary,
    evidence: f.evidence ?? null,
  };
}

export function registerCheckPins(program: Command): void {
  program
    .command("check-pins")
    .description(
      "Report dependencies not pinned exactly, pins without --hash, files mixing hashed and unhashed lines, lock entries without hashes, and VCS/URL dependencies without an immutable reference",
    )
    .argument("[paths...]", "files or directories (searched recursively); default: .")
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .action(async (paths: string[], opts: { format: string; output?: string }) => {
      const inv = await inventoryForCli(paths, {});
      assertFoundManifests(inv, paths);
      const findings = checkPins(inv.dependencies);
      if (opts.format === "json") {
        const doc = {
          schema: "pycustoms.check-pins/1",
          findings: findings.map(findingJson),
          errors: inv.errors.map(errorJson),
          summary: { dependencies: inv.dependencies.length, findings: findings.length },
        };
        emit(jsonText(doc, { pretty: prettyJson(opts.output) }), opts.output);
      } else {
        const st = style(!opts.output && colorEnabled());
        const lines = findings.map(
          (f) => `${f.file}${f.line !== null ? `:${f.line}` : ""}: ${st.yellow(f.kind)} ${f.summary}`,
        );
        for (const e of inv.errors) lines.push(st.red(`error: ${formatError(e)}`));
        lines.push(
          findings.length
            ? `${findings.length} finding${findings.length > 1 ? "s" : ""} in ${inv.dependencies.length} dependencies`
            : st.green(`all ${inv.dependencies.length} dependencies pinned and hash-checked`),
        );
        emit(lines.join("\n"), opts.output);
      }
      process.exitCode = nothingRead(inv) ? EXIT.error : findings.length ? EXIT.findings : EXIT.clean;
    });
}
