#!/usr/bin/env node
// The pycustoms command line: one program, a subcommand per job; usage errors exit 2 without a stack trace.
import { Command, CommanderError } from "commander";
import { registerAdmin } from "./admin.js";
import { registerAudit } from "./audit.js";
import { registerCheckPins } from "./check-pins.js";
import { registerDb } from "./db.js";
import { registerInit } from "./init.js";
import { registerInspect } from "./inspect.js";
import { registerInventory } from "./inventory.js";
import { registerRegistry } from "./registry.js";
import { registerServe } from "./serve.js";
import { EXIT, toolVersion, UsageError } from "./terminal.js";

export function buildProgram(): Command {
  const program = new Command("pycustoms")
    .description(
      "Customs for Python imports: declare (inventory), inspect (vulnerabilities, malicious packages, pins) and clear or hold every dependency.",
    )
    .version(toolVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 clean, 1 findings at or above the policy threshold, 2 usage or input error.\nColour only on a terminal, never with NO_COLOR set.",
    );
  registerInventory(program);
  registerCheckPins(program);
  registerDb(program);
  registerAudit(program);
  registerInit(program);
  registerServe(program);
  registerInspect(program);
  registerRegistry(program);
  registerAdmin(program);
  for (const cmd of program.commands) cmd.showHelpAfterError("(run with --help for usage)");
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? EXIT.clean : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      ) {
        return EXIT.clean;
      }
      return EXIT.error; // commander already printed the message
    }
    if (e instanceof UsageError) {
      process.stderr.write(`pycustoms: error: ${e.message}\n`);
      return EXIT.error;
    }
    const detail = process.env.PYCUSTOMS_DEBUG
      ? `\n${(e as Error).stack}`
      : " (set PYCUSTOMS_DEBUG=1 for details)";
    process.stderr.write(`pycustoms: internal error: ${(e as Error).message ?? e}${detail}\n`);
    return EXIT.error;
  }
}

const code = await main(process.argv);
process.exitCode = code;
