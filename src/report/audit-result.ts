// What an audit produced, as plain data: the one input of every audit report format.
import { compareText, type Finding, SEVERITIES, type Severity, severityRank } from "../checks/types.js";
import type { Dependency, InputError } from "../inventory/types.js";

export interface AuditResult {
  /** Active findings (after the policy dropped disabled checks and ignored ones). */
  findings: Finding[];
  ignored: { finding: Finding; reason: string; until: string | null }[];
  staleIgnores: { id: string; reason: string }[];
  skipped: { check: string; reason: string }[];
  errors: InputError[];
  dependencies: Dependency[];
  /** The active findings that fail the policy. */
  failing: Finding[];
  /** The policy threshold the run used (for the verdict line of the reports). */
  failOn: Severity;
  /** Per package: the lowest version fixing all its findings, and whether the declared specifier admits it. */
  fixes: Record<string, { version: string | null; allowedBySpecifier: boolean | null }>;
  database: { path: string | null; lastUpdate: string | null; stale: boolean };
  tool: { name: "pycustoms"; version: string };
}

export type SeverityCounts = Record<Severity, number>;

/** The counts every format's summary shows. */
export interface AuditSummary {
  dependencies: number;
  packagesWithFindings: number;
  findings: number;
  bySeverity: SeverityCounts;
  ignored: number;
  staleIgnores: number;
  failing: number;
  errors: number;
  verdict: "pass" | "fail";
}

export function summarizeAudit(result: AuditResult): AuditSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const f of result.findings) bySeverity[f.severity]++;
  return {
    dependencies: result.dependencies.length,
    // Counted, not grouped: grouping sorts every finding, which the summary does not need.
    packagesWithFindings: new Set(result.findings.map(groupKey)).size,
    findings: result.findings.length,
    bySeverity,
    ignored: result.ignored.length,
    staleIgnores: result.staleIgnores.length,
    failing: result.failing.length,
    errors: result.errors.length,
    verdict: result.failing.length > 0 ? "fail" : "pass",
  };
}

/** Identifies a finding across copies of it: the same issue in the same package, version and place. */
export function findingKey(f: Finding): string {
  // A template, not an array joined: reports compute this for thousands of findings.
  return `${f.kind}\u0000${f.id}\u0000${f.package}\u0000${f.version ?? ""}\u0000${f.file}\u0000${f.line ?? ""}`;
}

/** The order of `compareFindings`, given each finding's severity rank. */
function compareRanked(a: Finding, aRank: number, b: Finding, bRank: number): number {
  return (
    bRank - aRank ||
    compareText(a.package, b.package) ||
    compareText(a.id, b.id) ||
    compareText(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0)
  );
}

/** Most severe first, then by id: the order findings are shown in everywhere. */
export function compareFindings(a: Finding, b: Finding): number {
  return compareRanked(a, severityRank(a.severity), b, severityRank(b.severity));
}

/** Findings in `compareFindings` order, each one's severity rank computed once (reports sort thousands). */
export function sortedFindings(findings: readonly Finding[]): Finding[] {
  const keyed = findings.map((f) => ({ f, rank: severityRank(f.severity) }));
  keyed.sort((a, b) => compareRanked(a.f, a.rank, b.f, b.rank));
  return keyed.map((k) => k.f);
}

export interface PackageGroup {
  /** The package name, or "" for file-level findings (grouped by file then). */
  package: string;
  /** The file, for file-level findings. */
  file: string | null;
  version: string | null;
  findings: Finding[];
  worst: Severity;
}

/** The group a finding is shown in: its package and version, or its file for file-level findings. */
function groupKey(f: Finding): string {
  return f.package !== "" ? `p:${f.package}@${f.version ?? ""}` : `f:${f.file}`;
}

/** Findings grouped by package (file-level ones by file), worst group first, then by name. */
export function groupByPackage(findings: Finding[]): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  for (const f of findings) {
    const key = groupKey(f);
    let g = groups.get(key);
    if (!g) {
      g = {
        package: f.package,
        file: f.package === "" ? f.file : null,
        version: f.version,
        findings: [],
        worst: f.severity,
      };
      groups.set(key, g);
    }
    g.findings.push(f);
    if (severityRank(f.severity) > severityRank(g.worst)) g.worst = f.severity;
  }
  const list = [...groups.values()];
  for (const g of list) g.findings.sort(compareFindings);
  return list.sort(
    (a, b) =>
      severityRank(b.worst) - severityRank(a.worst) ||
      compareText(a.package || (a.file ?? ""), b.package || (b.file ?? "")) ||
      compareText(a.version ?? "", b.version ?? ""),
  );
}

/** "1 critical, 2 high" (most severe first, zero counts left out). */
export function describeCounts(counts: SeverityCounts): string {
  return [...SEVERITIES]
    .reverse()
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(", ");
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Skipped checks that share one reason, merged: "project-status, yanked, … : offline, and …". */
export function skippedByReason(skipped: AuditResult["skipped"]): { checks: string[]; reason: string }[] {
  const byReason = new Map<string, string[]>();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.check]);
  return [...byReason].map(([reason, checks]) => ({ checks, reason }));
}
