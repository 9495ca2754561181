// Bench sections for the advisory database: importing both real snapshots, and a 1,000-package audit.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { list } from "tar";
import { importSources, openAdvisoryStore } from "../src/advisories/store.js";
import { cliPath, sharedData } from "../test/paths.js";
import { type Measurement, measureSideBySide, table } from "./measure.js";

const PYSEC = join(sharedData, "pypa-advisory-database", "vulns.tar.gz");
const MALICIOUS = join(sharedData, "malicious-packages-pypi", "osv-pypi.tar.gz");

/** Imports both snapshots into an empty database, `runs` times; reports the median and records per second. */
export function dbImportReport(work: string, runs = 3): string {
  const times: number[] = [];
  let size = 0;
  let records = 0;
  for (let i = 0; i < runs; i++) {
    const db = join(work, `import-${i}.sqlite`);
    rmSync(db, { force: true });
    const start = performance.now();
    const r = spawnSync(
      process.execPath,
      [cliPath, "db", "update", "--db", db, "--format", "json", "--from", PYSEC, MALICIOUS],
      {
        encoding: "utf8",
      },
    );
    times.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`db update failed: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { sources: { records: number }[] };
    records = report.sources.reduce((n, s) => n + s.records, 0);
    size = statSync(db).size;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  return [
    "### db update --from both snapshots into an empty database",
    "",
    `${records} records (PyPA advisory-database + OSSF malicious-packages): median ${(median / 1000).toFixed(2)} s of ${runs} runs (target < 10 s), ${Math.round(records / (median / 1000))} records/s, database ${(size / 1e6).toFixed(1)} MB.`,
    "",
  ].join("\n");
}

/** Package names from the PyPA snapshot, each with a version its own advisories list as affected. */
async function affectedPins(db: string, count: number): Promise<string[]> {
  const names = new Set<string>();
  await list({
    file: PYSEC,
    onReadEntry: (e) => {
      const m = /^vulns\/([^/]+)\//.exec(e.path);
      if (m) names.add(m[1]!);
    },
  });
  const store = openAdvisoryStore(db);
  if (!store) throw new Error("no database");
  const pins: string[] = [];
  try {
    const byName = store.advisoriesFor([...names]);
    for (const [name, advisories] of byName) {
      const version = advisories
        .flatMap((a) => a.affected.filter((x) => x.name === name).flatMap((x) => x.versions))
        .find((v) => /^\d+(\.\d+)*$/.test(v));
      if (version) pins.push(`${name}==${version}`);
    }
  } finally {
    store.close();
  }
  // Fill up with well-known names pinned to versions that may or may not match.
  for (let i = 0; pins.length < count; i++) pins.push(`filler-package-${i}==1.0.${i}`);
  return pins.slice(0, count);
}

/** A warm-database audit of a 1,000-line requirements file, beside a bare node start. */
export async function auditReport(work: string): Promise<string> {
  const db = join(work, "audit.sqlite");
  rmSync(db, { force: true });
  const up = spawnSync(process.execPath, [cliPath, "db", "update", "--db", db, "--from", PYSEC, MALICIOUS]);
  if (up.status !== 0) throw new Error("db update failed");
  const dir = join(work, "audit-1000");
  mkdirSync(dir, { recursive: true });
  const pins = await affectedPins(db, 1000);
  writeFileSync(join(dir, "requirements.txt"), `${pins.join("\n")}\n`);
  const args = (upstream: string) => [cliPath, "audit", "--db", db, "--format", "json", upstream, dir];
  // The advisory audit itself (inventory, pins, advisories), then with the upstream checks answered from
  // the (here empty) HTTP cache, which adds their modules and the typosquat index.
  const [bare, local, offline] = measureSideBySide(
    [
      { label: 'node -e ""', args: ["-e", ""] },
      { label: "pycustoms audit --format json --no-upstream (1,000 pins)", args: args("--no-upstream") },
      { label: "pycustoms audit --format json --offline (1,000 pins)", args: args("--offline") },
    ],
    11,
  ) as [Measurement, Measurement, Measurement];
  const probe = spawnSync(process.execPath, args("--no-upstream"), {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const findings = (JSON.parse(probe.stdout) as { findings: { kind: string }[] }).findings.filter(
    (f) => f.kind === "vulnerability",
  ).length;
  const migration = await migrationMs(db, join(work, "audit-schema-1.sqlite"));
  return [
    "### audit of 1,000 pinned requirements with a warm database",
    "",
    table([bare, local, offline], bare),
    "",
    `${pins.filter((p) => !p.startsWith("filler")).length} of the 1,000 names come from the advisory data, pinned to an affected version: ${findings} vulnerability findings. Target: < 300 ms wall and < 150 MB peak; measured ${local.medianMs.toFixed(0)} ms, ${local.maxRssMb.toFixed(0)} MB without the upstream checks, ${offline.medianMs.toFixed(0)} ms, ${offline.maxRssMb.toFixed(0)} MB with them offline.`,
    "",
    `Upgrading a copy of this database from schema 1 in place (the \`uncovered\` versions and the severities computed from the stored records, in the update's transaction): ${migration.toFixed(0)} ms.`,
    "",
  ].join("\n");
}

/** Copies the database back to schema 1 (no derived columns) and times the in-place upgrade of an update. */
async function migrationMs(db: string, copy: string): Promise<number> {
  rmSync(copy, { force: true });
  const source = new Database(db, { readonly: true });
  source.exec(`VACUUM INTO '${copy.replaceAll("'", "''")}'`);
  source.close();
  const old = new Database(copy);
  old.exec(`ALTER TABLE affected DROP COLUMN uncovered;
            ALTER TABLE advisories DROP COLUMN rating;
            ALTER TABLE advisories DROP COLUMN cvss_score;
            ALTER TABLE advisories DROP COLUMN cvss_vector;`);
  old.pragma("user_version = 1");
  old.close();
  const start = performance.now();
  await importSources(copy, []);
  const ms = performance.now() - start;
  for (const file of [copy, `${copy}-wal`, `${copy}-shm`]) rmSync(file, { force: true });
  return ms;
}
