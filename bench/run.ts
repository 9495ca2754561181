// `npm run bench [-- section ...]`: the benchmarks behind bench/RESULTS.md, each side by side with its baseline.
import { mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { cliPath, repoRoot, sharedData } from "../test/paths.js";
import { auditReport, dbImportReport } from "./audit.js";
import { auditOnlineReport } from "./audit-online.js";
import { topNames, writeInventoryInputs } from "./generate.js";
import { type Measurement, measureSideBySide, table } from "./measure.js";
import { serveReport } from "./serve.js";
import { typosquatReport } from "./typosquat.js";

const work = join(repoRoot, ".bench-tmp");
const parseOnly = join(repoRoot, "dist", "bench", "parse-only.js");

function header(): string {
  return `${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpus()[0]?.model ?? "cpu"} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version}`;
}

function benchInventory(): string {
  const names = topNames(sharedData, 5000);
  const inputs = writeInventoryInputs(join(work, "inventory"), names);
  const out = [`### inventory of 5,000 packages (${header()})`, ""];
  for (const [label, path] of Object.entries(inputs)) {
    const [bare, raw, inv] = measureSideBySide(
      [
        { label: 'node -e ""', args: ["-e", ""] },
        {
          label: label.endsWith(".txt")
            ? `parse only (${label}, pycustoms's own parser: no library reads pip's syntax)`
            : `parse only (${label}, smol-toml)`,
          args: [parseOnly, path],
        },
        {
          label: `pycustoms inventory --format json (${label})`,
          args: [cliPath, "inventory", "--format", "json", path],
        },
      ],
      11,
    ) as [Measurement, Measurement, Measurement];
    if (inv.exitCode !== 0) throw new Error(`inventory of ${label} exited ${inv.exitCode}`);
    const rows: Measurement[] = [bare, raw, inv];
    out.push(table(rows, bare));
    const added = (inv.medianMs - raw.medianMs) / (raw.medianMs - bare.medianMs);
    out.push(
      "",
      `${label}: inventory ${inv.medianMs.toFixed(0)} ms (target < 500 ms); ${(inv.medianMs / raw.medianMs).toFixed(2)}× the parse-only process (target ≤ 1.5×); beyond node start-up, ${(100 * added).toFixed(0)}% more work than the parse alone`,
      "",
    );
  }
  return out.join("\n");
}

const sections: Record<string, () => string | Promise<string>> = {
  inventory: benchInventory,
  db: () => dbImportReport(work),
  audit: () => auditReport(work),
  typosquat: () => typosquatReport(sharedData),
  "audit-online": () => auditOnlineReport(work),
  serve: () => serveReport(),
};
mkdirSync(work, { recursive: true });
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  const run = sections[name];
  if (!run) {
    process.stderr.write(`unknown bench section ${name}; known: ${Object.keys(sections).join(", ")}\n`);
    process.exit(2);
  }
  process.stdout.write(`${await run()}\n\n`);
}
