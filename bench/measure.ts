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

/** Runs `node <args>` `runs` times (after one warm-up), returning the median wall time and the largest peak RSS. */
export function measureNode(
  label: string,
  args: string[],
  runs = 7,
  env: NodeJS.ProcessEnv = process.env,
): Measurement {
  const times: number[] = [];
  let rss = 0;
  let exitCode: number | null = null;
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, ["--import", reporter, ...args], {
      env,
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
    });
    const ms = performance.now() - start;
    exitCode = r.status;
    const m = /@@maxrss_kb (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`${label}: no memory report; stderr: ${r.stderr.slice(0, 500)}`);
    if (i === 0) continue; // warm-up: file cache, lazy compilation caches
    times.push(ms);
    rss = Math.max(rss, Number(m[1]) / 1024);
  }
  times.sort((a, b) => a - b);
  return {
    label,
    medianMs: times[Math.floor(times.length / 2)]!,
    minMs: times[0]!,
    maxRssMb: rss,
    exitCode,
  };
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
