// Runs commands as separate processes and reports median wall time and peak memory, side by side.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const reporter = join(fileURLToPath(new URL(".", import.meta.url)), "rss-reporter.js");

export interface Measurement {
  label: string;
  medianMs: number;
  minMs: number;
  maxRssMb: number;
  exitCode: number | null;
}

/** One command of a side-by-side measurement: `node <args>`. */
export interface NodeCase {
  label: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs `node <args>` once; returns its wall time, peak RSS and exit code. */
function runOnce(c: NodeCase): { ms: number; rssMb: number; exitCode: number | null } {
  const start = performance.now();
  const r = spawnSync(process.execPath, ["--import", reporter, ...c.args], {
    env: c.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  const m = /@@maxrss_kb (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`${c.label}: no memory report; stderr: ${r.stderr.slice(0, 500)}`);
  return { ms, rssMb: Number(m[1]) / 1024, exitCode: r.status };
}

/**
 * Runs each command `runs` times (after one warm-up round), interleaved round by round so that load from
 * elsewhere on a shared machine falls on every command alike; returns each one's median and minimum wall time
 * and largest peak RSS, in the order given.
 */
export function measureSideBySide(cases: NodeCase[], runs = 7): Measurement[] {
  const times = cases.map((): number[] => []);
  const rss = cases.map(() => 0);
  const exitCodes = cases.map((): number | null => null);
  for (let round = 0; round <= runs; round++) {
    cases.forEach((c, i) => {
      const r = runOnce(c);
      exitCodes[i] = r.exitCode;
      if (round === 0) return; // warm-up: file cache, lazy compilation caches
      times[i]!.push(r.ms);
      rss[i] = Math.max(rss[i]!, r.rssMb);
    });
  }
  return cases.map((c, i) => {
    const sorted = times[i]!.sort((a, b) => a - b);
    return {
      label: c.label,
      medianMs: sorted[Math.floor(sorted.length / 2)]!,
      minMs: sorted[0]!,
      maxRssMb: rss[i]!,
      exitCode: exitCodes[i]!,
    };
  });
}

export function table(rows: Measurement[], baseline?: Measurement): string {
  const out = [
    "| command | median wall (ms) | min (ms) | peak RSS (MB) | ratio to baseline |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const ratio = baseline ? (r.medianMs / baseline.medianMs).toFixed(2) : "";
    out.push(
      `| ${r.label} | ${r.medianMs.toFixed(0)} | ${r.minMs.toFixed(0)} | ${r.maxRssMb.toFixed(0)} | ${ratio} |`,
    );
  }
  return out.join("\n");
}
