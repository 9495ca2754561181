// Measures the typosquat check on real data: recall on known-malicious PyPI names, false positives on popular ones.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { list } from "tar";
import { parseTopPackages } from "../src/advisories/popular.js";
import {
  buildPopularIndex,
  checkTyposquat,
  findTyposquatTarget,
  type TyposquatMatch,
  type TyposquatOptions,
} from "../src/checks/typosquat.js";
import { makeDependency } from "../src/inventory/dependency.js";
import { normalizeName } from "../src/standards/names.js";
import { sharedData } from "../test/paths.js";

export interface TyposquatMeasurement {
  recall: number;
  flaggedMalicious: number;
  /** Malicious names not themselves in the loaded popular list (the recall denominator). */
  totalMalicious: number;
  /** Malicious names that are in the popular list, hence never flagged and left out of the denominator. */
  excludedPopularMalicious: number;
  falsePositiveRate: number;
  flaggedPopular: number;
  totalPopular: number;
  /** Checking 1,000 names against the full index, per name. */
  msPerName: number;
  msPer1000: number;
  /** The same with all 15,000 names as targets (topN 15,000). */
  msPer1000AllTargets: number;
  msBuildIndex: number;
  /** The lookup maps, built lazily at the first name that is not popular itself. */
  msBuildLookups: number;
  byTechnique: Record<string, { malicious: number; popular: number }>;
  examples: { flaggedMalicious: string[]; falsePositives: string[]; missedMalicious: string[] };
}

export function readTopNames(dataDir: string): string[] {
  const parsed = parseTopPackages(
    readFileSync(join(dataDir, "top-pypi-packages", "top-pypi-packages.min.json"), "utf8"),
  );
  if ("error" in parsed) throw new Error(`top-pypi-packages: ${parsed.error}`);
  return parsed.names.map((p) => p.name);
}

/** The package folder names under `osv/malicious/pypi/`, read from the archive's listing only. */
export function readMaliciousNames(dataDir: string): string[] {
  const names = new Set<string>();
  list({
    file: join(dataDir, "malicious-packages-pypi", "osv-pypi.tar.gz"),
    sync: true,
    onReadEntry: (entry) => {
      const m = /^osv\/malicious\/pypi\/([^/]+)\//.exec(entry.path);
      if (m?.[1]) names.add(normalizeName(m[1]));
    },
  });
  return [...names].sort();
}

const describe = (name: string, m: TyposquatMatch) =>
  `${name} → ${m.target} (#${m.rank}, ${m.technique}${m.distance ? ` d${m.distance}` : ""})`;

export function measureTyposquat(
  dataDir: string,
  options: TyposquatOptions = {},
  data?: { top: string[]; malicious: string[] },
): TyposquatMeasurement {
  const top = data?.top ?? readTopNames(dataDir);
  const malicious = data?.malicious ?? readMaliciousNames(dataDir);
  const topN = options.topN ?? 5000;
  const opts = { ...options, topN };

  let t0 = performance.now();
  const full = buildPopularIndex(top);
  const msBuildIndex = performance.now() - t0;
  t0 = performance.now();
  findTyposquatTarget("pycustoms-bench-unlisted-name", full, opts);
  const msBuildLookups = performance.now() - t0;
  // False positives: popular names beyond the reference set, checked against an index of the reference set only
  // (in the full index they would be exempt as popular themselves).
  const reference = buildPopularIndex(top.slice(0, topN));

  const byTechnique: TyposquatMeasurement["byTechnique"] = {};
  const count = (m: TyposquatMatch, key: "malicious" | "popular") => {
    byTechnique[m.technique] ??= { malicious: 0, popular: 0 };
    byTechnique[m.technique]![key]++;
  };

  const popularSet = new Set(top);
  const candidates = malicious.filter((n) => !popularSet.has(n));
  const flagged: string[] = [];
  const missed: string[] = [];
  for (const name of candidates) {
    const m = findTyposquatTarget(name, full, opts);
    if (m) {
      flagged.push(describe(name, m));
      count(m, "malicious");
    } else missed.push(name);
  }

  const beyond = top.slice(topN);
  const falsePositives: string[] = [];
  for (const name of beyond) {
    const m = findTyposquatTarget(name, reference, opts);
    if (m) {
      falsePositives.push(describe(name, m));
      count(m, "popular");
    }
  }

  // Speed: 1,000 dependency records (a mix of malicious and popular names) against the 15,000-name index.
  const sample = [...candidates.slice(0, 500), ...beyond.slice(0, 500)].map((rawName, i) =>
    makeDependency({ rawName, format: "requirements", file: "requirements.txt", line: i + 1 }),
  );
  checkTyposquat(sample, full, opts); // warm-up
  const runs = 5;
  t0 = performance.now();
  for (let r = 0; r < runs; r++) checkTyposquat(sample, full, opts);
  const msPer1000 = (performance.now() - t0) / runs;
  // The same 1,000 names with every one of the 15,000 names indexed as a target.
  const all = buildPopularIndex(top, { targets: top.length });
  const allOpts = { ...opts, topN: top.length };
  checkTyposquat(sample, all, allOpts);
  t0 = performance.now();
  for (let r = 0; r < runs; r++) checkTyposquat(sample, all, allOpts);
  const msPer1000AllTargets = (performance.now() - t0) / runs;

  return {
    recall: flagged.length / candidates.length,
    flaggedMalicious: flagged.length,
    totalMalicious: candidates.length,
    excludedPopularMalicious: malicious.length - candidates.length,
    falsePositiveRate: falsePositives.length / beyond.length,
    flaggedPopular: falsePositives.length,
    totalPopular: beyond.length,
    msPerName: msPer1000 / sample.length,
    msPer1000,
    msPer1000AllTargets,
    msBuildIndex,
    msBuildLookups,
    byTechnique,
    examples: { flaggedMalicious: flagged, falsePositives, missedMalicious: missed },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Settings compared in the trade-off table: the default, and what loosening or tightening each guard does. */
export const TRADE_OFF_SETTINGS: { label: string; options: TyposquatOptions }[] = [
  {
    label:
      "default (strong edits any rank; weak edits ≤ #200; keyboard slips ≤ #1,000; min length 5; two typos from 10)",
    options: {},
  },
  { label: "strong edits only (no weak single edits)", options: { weakEditTopN: 0 } },
  { label: "weak edits against the top 100", options: { weakEditTopN: 100 } },
  { label: "weak edits against the top 300", options: { weakEditTopN: 300 } },
  { label: "weak edits against the top 500", options: { weakEditTopN: 500 } },
  { label: "weak edits against the top 1,000", options: { weakEditTopN: 1000 } },
  { label: "min length 4 for one edit", options: { minLengthDistance1: 4 } },
  { label: "min length 6 for one edit", options: { minLengthDistance1: 6 } },
  { label: "keyboard slips against all 5,000", options: { adjacentKeyTopN: 5000 } },
  { label: "two typos from length 8", options: { minLengthDistance2: 8 } },
  {
    label: "edits only (no separator, token or affix games)",
    options: { disable: ["separator", "token-swap", "token-drop", "affix"] },
  },
  { label: "without token-drop", options: { disable: ["token-drop"] } },
];

export function typosquatReport(dataDir: string = sharedData): string {
  const data = { top: readTopNames(dataDir), malicious: readMaliciousNames(dataDir) };
  const base = measureTyposquat(dataDir, {}, data);
  const out = [
    "### typosquat check: known-malicious names vs false positives",
    "",
    `Reference set: the top 5,000 of ${data.top.length.toLocaleString("en")} popular names. Malicious: ${base.totalMalicious.toLocaleString("en")} names (${base.excludedPopularMalicious} more are popular themselves and excluded). False positives: ranks 5,001–${data.top.length.toLocaleString("en")} checked against the top 5,000.`,
    "",
    "| setting | recall (malicious flagged) | false positives (ranks 5,001–15,000) |",
    "|---|---|---|",
  ];
  for (const { label, options } of TRADE_OFF_SETTINGS) {
    const m = label.startsWith("default") ? base : measureTyposquat(dataDir, options, data);
    out.push(
      `| ${label} | ${pct(m.recall)} (${m.flaggedMalicious}/${m.totalMalicious}) | ${pct(m.falsePositiveRate)} (${m.flaggedPopular}/${m.totalPopular}) |`,
    );
  }
  out.push(
    "",
    "| technique | malicious flagged | false positives |",
    "|---|---|---|",
    ...Object.entries(base.byTechnique)
      .sort((a, b) => b[1].malicious - a[1].malicious)
      .map(([t, c]) => `| ${t} | ${c.malicious} | ${c.popular} |`),
    "",
    `Speed: index of ${data.top.length.toLocaleString("en")} names (the top 5,000 as targets) built in ${base.msBuildIndex.toFixed(0)} ms, its lookup maps (built at the first name that is not popular itself) in ${base.msBuildLookups.toFixed(0)} ms more; 1,000 names checked in ${base.msPer1000.toFixed(1)} ms (${(base.msPerName * 1000).toFixed(1)} µs per name; target well under 50 ms), ${base.msPer1000AllTargets.toFixed(1)} ms with all ${data.top.length.toLocaleString("en")} as targets.`,
  );
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.stdout.write(`${typosquatReport()}\n`);
  if (process.argv.includes("--examples")) {
    const m = measureTyposquat(sharedData);
    process.stdout.write(
      `\n## false positives\n${m.examples.falsePositives.join("\n")}\n\n## flagged malicious (sample)\n${m.examples.flaggedMalicious.filter((_, i) => i % 10 === 0).join("\n")}\n`,
    );
  }
}
