// `pycustoms inventory`: what the project declares, from manifests, lock files, environments and SBOMs.
import { collectInventory, type Inventory } from "../inventory/collect.js";
import { type Command, Option } from "./commander.js";
import { colorEnabled, EXIT, emit, prettyJson, repeatable, toolVersion, UsageError } from "./terminal.js";

export interface InventoryCliOptions {
  env?: string[];
}

/** Collects the inventory for CLI paths (default: the current directory); refuses when nothing was readable. */
export async function inventoryForCli(paths: string[], opts: InventoryCliOptions): Promise<Inventory> {
  const envDirs = opts.env ?? [];
  return collectInventory({ paths: paths.length || envDirs.length ? paths : ["."], envDirs });
}

/** A usage error when the paths hold nothing to read at all (not even a file that failed to parse). */
export function assertFoundManifests(
  inv: Pick<Inventory, "files" | "errors">,
  paths: readonly string[],
): void {
  if (inv.files.length === 0 && inv.errors.length === 0) {
    throw new UsageError(`no manifests, lock files or SBOMs found in ${paths.join(", ") || "."}`);
  }
}

/** Exit 2 only when nothing at all could be read; otherwise errors are shown beside the results. */
export function nothingRead(inv: Inventory): boolean {
  return inv.dependencies.length === 0 && inv.errors.length > 0 && !inv.files.some((f) => f.read);
}

export function registerInventory(program: Command): void {
  program
    .command("inventory")
    .description(
      "List every declared dependency: name, version, specifier, pins, hashes, groups, source, file:line",
    )
    .argument("[paths...]", "files or directories (searched recursively); default: .")
    .option(
      "--env <dir>",
      "also read an installed environment (a virtualenv or site-packages folder); repeatable",
      repeatable,
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["table", "json", "cyclonedx"])
        .default("table"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .action(async (paths: string[], opts: InventoryCliOptions & { format: string; output?: string }) => {
      // Each report module is loaded only when its format is asked for (start-up counts on every CI run), and
      // the JSON one is requested before the parsing starts, so that reading it overlaps the parse.
      const jsonReport = opts.format === "json" ? import("../report/inventory-json.js") : null;
      jsonReport?.catch(() => undefined); // awaited below, unless the inventory fails first
      const inv = await inventoryForCli(paths, opts);
      assertFoundManifests(inv, paths);
      let text: string;
      if (jsonReport) {
        text = (await jsonReport).formatInventoryJson(inv, { pretty: prettyJson(opts.output) });
      } else if (opts.format === "cyclonedx") {
        const { formatCycloneDx } = await import("../report/cyclonedx.js");
        text = formatCycloneDx(inv.dependencies, { toolVersion: toolVersion() });
      } else {
        const { formatInventoryTable } = await import("../report/inventory-table.js");
        text = formatInventoryTable(inv, { color: !opts.output && colorEnabled() });
      }
      emit(text, opts.output);
      if (opts.format !== "table" && inv.errors.length) {
        for (const e of inv.errors)
          process.stderr.write(`pycustoms: ${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}\n`);
      }
      process.exitCode = nothingRead(inv) ? EXIT.error : EXIT.clean;
    });
}
