#!/usr/bin/env node
// The pycustoms command line: one program, a subcommand per job; usage errors exit 2 without a stack trace.
import { setFlagsFromString } from "node:v8";
import { Command, CommanderError } from "./commander.js";
import { gcFlagsFor } from "./gc-flags.js";
import { EXIT, toolVersion, UsageError } from "./terminal.js";

type Register = (program: Command) => void;

/**
 * Each command module and the top-level commands it registers, in help order. A run loads only the module of
 * the command it names (start-up is part of every CI run: loading all of them cost ~70 ms); help, a missing or
 * an unknown command load them all, so the listing and commander's suggestions stay complete (and a command
 * missing from this list still works, only loading everything).
 */
const COMMAND_MODULES: ReadonlyArray<{ commands: readonly string[]; load: () => Promise<Register> }> = [
  { commands: ["inventory"], load: async () => (await import("./inventory.js")).registerInventory },
  { commands: ["check-pins"], load: async () => (await import("./check-pins.js")).registerCheckPins },
  { commands: ["db"], load: async () => (await import("./db.js")).registerDb },
  { commands: ["audit"], load: async () => (await import("./audit.js")).registerAudit },
  { commands: ["init"], load: async () => (await import("./init.js")).registerInit },
  { commands: ["serve"], load: async () => (await import("./serve.js")).registerServe },
  { commands: ["inspect"], load: async () => (await import("./inspect.js")).registerInspect },
  { commands: ["token", "project"], load: async () => (await import("./registry.js")).registerRegistry },
  {
    commands: ["requests", "approve", "deny", "blocked", "exception", "audit-log", "cache"],
    load: async () => (await import("./admin.js")).registerAdmin,
  },
];

/** The command a run names: its first argument that is not an option. */
function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith("-"));
}

function tuneGcForBatchRun(argv: readonly string[]): void {
  for (const flag of gcFlagsFor(commandName(argv))) setFlagsFromString(flag);
}

/** The command modules a run needs: the one whose command is the first argument, none for `--version`, else all. */
export async function loadCommands(argv: readonly string[]): Promise<Register[]> {
  const first = commandName(argv);
  if (first === undefined && argv.some((a) => a === "-V" || a === "--version")) return [];
  const named = COMMAND_MODULES.find((m) => first !== undefined && m.commands.includes(first));
  return Promise.all((named ? [named] : COMMAND_MODULES).map((m) => m.load()));
}

export function buildProgram(registers: readonly Register[]): Command {
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
  for (const register of registers) register(program);
  for (const cmd of program.commands) cmd.showHelpAfterError("(run with --help for usage)");
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  tuneGcForBatchRun(argv);
  const program = buildProgram(await loadCommands(argv));
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? EXIT.clean : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.clean;
      // Help asked for (`pycustoms help`) is a success; help shown because no (sub)command was named is a usage error.
      if (e.code === "commander.help") return e.exitCode === 0 ? EXIT.clean : EXIT.error;
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

// A reader that stops early (`pycustoms audit | head`) closes the pipe: that ends the run quietly, as it does for
// other command-line tools, instead of an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? EXIT.clean);
    throw e;
  });
}

/** Resolves once everything written to the stream so far has been handed to the system. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

const code = await main(process.argv);
process.exitCode = code;
// The run ends as soon as its output is out, instead of letting the process wind down by itself: that tears down
// a heap of tens of MB after a big lock file (~4 ms of a 5,000-package inventory, measured side by side). Every
// command has finished its work when main returns (servers return only after closing).
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
