// `pycustoms init`: write a commented starter pycustoms.toml.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { starterConfig } from "../policy/init.js";
import type { Command } from "./commander.js";
import { UsageError } from "./terminal.js";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("Write a commented starter pycustoms.toml (every setting, with its default)")
    .argument("[dir]", "where to write it", ".")
    .option("--force", "overwrite an existing pycustoms.toml")
    .action((dir: string, opts: { force?: boolean }) => {
      const path = join(dir, "pycustoms.toml");
      if (existsSync(path) && !opts.force) {
        throw new UsageError(`${path} already exists (use --force to overwrite it)`);
      }
      try {
        writeFileSync(path, starterConfig(), { flag: opts.force ? "w" : "wx" });
      } catch (e) {
        throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
      }
      process.stdout.write(`wrote ${path}\n`);
    });
}
