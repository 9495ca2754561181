// Runs the built CLI as a user would: a separate process, its stdout, stderr and exit code.
import { spawnSync } from "node:child_process";
import { cliPath } from "../paths.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Fails when a run leaked a stack trace to the user. */
export function assertNoStackTrace(run: CliRun): void {
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(run.stderr) || /\n\s+at .+\(.+:\d+:\d+\)/.test(run.stdout)) {
    throw new Error(`stack trace leaked:\n${run.stderr}`);
  }
}
