// commander, loaded with require(): it is a CommonJS package, and importing one from an ES module makes Node
// scan its source for export names first (~3 ms of every run's start-up); require() skips that scan.
import { createRequire } from "node:module";

type CommanderModule = typeof import("commander");

const commander = createRequire(import.meta.url)("commander") as CommanderModule;

export const { Command, CommanderError, Option } = commander;
export type Command = import("commander").Command;
export type CommanderError = import("commander").CommanderError;
export type Option = import("commander").Option;
