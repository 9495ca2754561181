// How the CLI talks to a person: colour only on a TTY without NO_COLOR, one-line errors, the exit codes.
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isHttpUrl } from "../standards/urls.js";
import { Option } from "./commander.js";

/** Documented exit codes: 0 clean, 1 findings, 2 usage or input error. */
export const EXIT = { clean: 0, findings: 1, error: 2 } as const;

/** An error the user caused (bad flag, unreadable input): printed as one line, exit 2, no stack trace. */
export class UsageError extends Error {}

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export { toolVersion } from "../version.js";

/** JSON reports are indented only for a person: written to a terminal, not to a pipe or an `--output` file. */
export function prettyJson(output?: string): boolean {
  return !output && process.stdout.isTTY === true;
}

/** Writes a document to stdout, or to `--output FILE`. */
export function emit(text: string, output?: string): void {
  const body = text.endsWith("\n") ? text : `${text}\n`;
  if (output) {
    try {
      writeOutputFile(output, body);
    } catch (e) {
      throw new UsageError(`cannot write ${output}: ${(e as Error).message}`);
    }
  } else {
    process.stdout.write(body);
  }
}

function writeOutputFile(path: string, body: string): void {
  // Written beside and renamed into place, so that a reader never sees half a report; but only over a regular file
  // (through any symlink to it): a rename would replace a symlink, or a device such as /dev/null, with a plain file.
  let target = path;
  try {
    target = realpathSync(path);
    const stat = statSync(target);
    if (stat.isDirectory()) throw new Error("it is a directory");
    if (!stat.isFile()) {
      writeFileSync(target, body);
      return;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, body);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Commander's parser for an option given once per value (`--env a --env b`). A variadic option (`<dir...>`) would
 * also take the paths after it: `audit --ignore GHSA-x project/` audited the current folder, not `project/`.
 */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--ignore`, as the commands that apply the policy take it. */
export function ignoreOption(): Option {
  return new Option(
    "--ignore <id>",
    "ignore an advisory id or alias, or a check id, for this run; repeatable",
  ).argParser(repeatable);
}

/** `--index-url` must be an absolute http(s) URL: anything else would only fail at the first request. */
export async function checkIndexUrlOption(url: string | undefined): Promise<void> {
  if (url === undefined || isHttpUrl(url)) return;
  const { redactUrl } = await import("../upstream/errors.js");
  throw new UsageError(`--index-url must be an http(s) URL (got ${redactUrl(url)})`);
}

export function warn(message: string): void {
  process.stderr.write(`pycustoms: warning: ${message}\n`);
}
