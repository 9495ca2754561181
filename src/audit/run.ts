// The audit pipeline: inventory → checks → policy → one AuditResult, shared by every report format.
import { AdvisoryStoreError, openAdvisoryStore } from "../advisories/store.js";
import { checkAdvisories, fixSuggestions } from "../checks/advisories.js";
import { checkPins } from "../checks/pins.js";
import type { Finding } from "../checks/types.js";
import { collectInventory, type Inventory } from "../inventory/collect.js";
import type { Config } from "../policy/config.js";
import { applyPolicy } from "../policy/decide.js";
import type { AuditResult } from "../report/audit-result.js";

export interface AuditRequest {
  paths: string[];
  envDirs: string[];
  config: Config;
  /** The advisory database file (it may not exist yet). */
  dbPath: string;
  cliIgnores: string[];
  now: Date;
  toolVersion: string;
}

export interface AuditRun {
  result: AuditResult;
  inventory: Inventory;
  /** Messages for stderr that are not findings (a stale database, say). */
  warnings: string[];
  exitCode: 0 | 1;
}

/** Runs the whole audit. Throws AdvisoryStoreError only for a database that exists but cannot be used. */
export function runAudit(req: AuditRequest): AuditRun {
  const inventory = collectInventory({ paths: req.paths, envDirs: req.envDirs });
  const deps = inventory.dependencies;
  const findings: Finding[] = [...checkPins(deps)];
  const skipped: AuditResult["skipped"] = [];
  const warnings: string[] = [];
  let database: AuditResult["database"] = { path: null, lastUpdate: null, stale: false };

  const store = openAdvisoryStore(req.dbPath);
  if (!store) {
    const reason = `no advisory database at ${req.dbPath}: run \`pycustoms db update\``;
    skipped.push({ check: "vulnerability", reason }, { check: "malicious", reason });
  } else {
    try {
      const status = store.status();
      const lastUpdate = status.lastUpdate;
      const stale = lastUpdate === null || req.now.getTime() - Date.parse(lastUpdate) > req.config.maxDbAgeMs;
      database = { path: store.path, lastUpdate, stale };
      if (stale) {
        warnings.push(
          `the advisory database was last updated ${lastUpdate ?? "never"}, more than ${req.config.maxDbAge} ago: run \`pycustoms db update\``,
        );
      }
      const names = [...new Set(deps.map((d) => d.name))];
      findings.push(...checkAdvisories(deps, store.advisoriesFor(names)));
    } finally {
      store.close();
    }
  }

  const outcome = applyPolicy(findings, req.config, { now: req.now, cliIgnores: req.cliIgnores });
  const fixes = Object.fromEntries(fixSuggestions(outcome.active, deps));
  const result: AuditResult = {
    findings: outcome.active,
    ignored: outcome.ignored.map(({ finding, ignore }) => ({
      finding,
      reason: ignore.reason,
      until: ignore.until,
    })),
    staleIgnores: outcome.staleIgnores.map((r) => ({ id: r.id, reason: r.reason })),
    skipped,
    errors: inventory.errors,
    dependencies: deps,
    failing: outcome.failing,
    failOn: req.config.failOn,
    fixes,
    database,
    tool: { name: "pycustoms", version: req.toolVersion },
  };
  return { result, inventory, warnings, exitCode: outcome.exitCode };
}

export { AdvisoryStoreError };
