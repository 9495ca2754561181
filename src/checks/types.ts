// What is wrong: the findings every check produces, in CI, at install time and while watching.

export type Severity = "info" | "low" | "medium" | "high" | "critical";

export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

const RANKS: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Code-unit order of two strings, the order findings are sorted in everywhere (not the locale's: ICU is slow). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 0 (info) to 4 (critical): the index in SEVERITIES, by a lookup (sorting thousands of findings calls this). */
export function severityRank(s: Severity): number {
  return RANKS[s] ?? -1;
}

export type FindingKind =
  | "vulnerability"
  | "malicious"
  | "unpinned"
  | "unhashed"
  | "mixed-hashes"
  | "lock-unhashed"
  | "mutable-reference"
  | "typosquat"
  | "project-status"
  | "yanked"
  | "release-age"
  | "unmaintained"
  | "hash-mismatch"
  | "hash-uncovered"
  | "provenance"
  | "provenance-regression"
  | "size-anomaly"
  | "dependency-confusion"
  | "ownership";

export interface Finding {
  kind: FindingKind;
  /** Advisory id (the preferred one of an alias set), or the check's rule id such as `PC-UNPINNED`. */
  id: string;
  /** Every other id of the same issue (CVE, GHSA, PYSEC). */
  aliases: string[];
  severity: Severity;
  /** CVSS base score where one was computed. */
  score: number | null;
  /** PEP 503-normalised package name ("" for file-level findings). */
  package: string;
  version: string | null;
  specifier: string;
  file: string;
  line: number | null;
  summary: string;
  /** The lowest version that fixes this finding, where known. */
  fixedIn: string | null;
  url: string | null;
  /** Check-specific facts behind the finding (affected versions admitted, digests compared, ...). */
  evidence?: Record<string, unknown>;
}
