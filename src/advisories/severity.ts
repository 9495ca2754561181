// How bad an advisory is: a Severity and CVSS base score from the record's vectors or its database's rating.
//
// Order of preference (the first that yields a score wins):
// 1. a CVSS v3.1, then v3.0, base score — most tools (pip-audit, osv-scanner, GitHub) show v3 and most records
//    carry it, so our numbers agree with what users see elsewhere;
// 2. a CVSS v4.0 base score (CVSS-B, threat metrics left out like v3's temporal ones), for v4-only records;
// 3. a CVSS v2 base score, the last resort for old records;
// 4. the database's own rating (GHSA `database_specific.severity`: LOW, MODERATE/MEDIUM, HIGH, CRITICAL);
// 5. otherwise "medium" with a null score: unknown is neither harmless nor proven critical, and a null score
//    tells reports it was not computed.
// Malicious-package records are always "critical": installing one runs an attacker's code.
// Scores are rated with the CVSS v3/v4 qualitative scale: 0.0 info ("None"), 0.1-3.9 low, 4.0-6.9 medium,
// 7.0-8.9 high, 9.0-10.0 critical (also applied to v2 scores, which have no "critical" band of their own).
import { createRequire } from "node:module";
import type { Severity } from "../checks/types.js";
import type { Advisory } from "./types.js";

// The calculator costs ~40 ms to load and most records (PYSEC, MAL) carry no vector: load it on first use.
type CvssModule = typeof import("ae-cvss-calculator");
let cvssModule: CvssModule | null = null;
function cvssLibrary(): CvssModule {
  cvssModule ??= createRequire(import.meta.url)("ae-cvss-calculator") as CvssModule;
  return cvssModule;
}

export interface AdvisorySeverity {
  severity: Severity;
  /** The CVSS base score behind `severity`, or null when it came from a rating or is unknown. */
  score: number | null;
  /** The CVSS vector the score was computed from, or null. */
  vector: string | null;
}

/** The CVSS qualitative rating of a 0.0-10.0 score. */
export function ratingOf(score: number): Severity {
  if (score >= 9.0) return "critical";
  if (score >= 7.0) return "high";
  if (score >= 4.0) return "medium";
  if (score > 0) return "low";
  return "info";
}

type CvssVersion = "3.1" | "3.0" | "4.0" | "2.0";

const PREFERENCE: readonly CvssVersion[] = ["3.1", "3.0", "4.0", "2.0"];

/** Which CVSS version a vector is written in, from its prefix (v2 vectors have none). */
function versionOf(vector: string): CvssVersion | null {
  if (vector.startsWith("CVSS:3.1/")) return "3.1";
  if (vector.startsWith("CVSS:3.0/")) return "3.0";
  if (vector.startsWith("CVSS:4.0/")) return "4.0";
  if (/^AV:[LAN]\//.test(vector)) return "2.0";
  return null;
}

/** The base score of a complete vector, or null for a malformed or partial one (the calculator may throw). */
export function baseScore(vector: string): number | null {
  const version = versionOf(vector);
  if (version === null) return null;
  try {
    const cvss = cvssLibrary();
    let base: number | undefined;
    if (version === "4.0") {
      const v4 = new cvss.Cvss4P0(vector);
      // CVSS-B: base metrics only, as v3's base score leaves out the (time-varying) temporal metrics.
      base = v4.isBaseFullyDefined() ? v4.calculateScores().baseMetricsOnly : undefined;
    } else {
      const parsed =
        version === "3.1"
          ? new cvss.Cvss3P1(vector)
          : version === "3.0"
            ? new cvss.Cvss3P0(vector)
            : new cvss.Cvss2(vector);
      base = parsed.isBaseFullyDefined() ? parsed.calculateScores().base : undefined;
    }
    return typeof base === "number" && Number.isFinite(base) && base >= 0 && base <= 10 ? base : null;
  } catch {
    // The calculator throws on unknown metrics or values (`A:Q`, `ZZ:1`): a bad vector is just no score.
    return null;
  }
}

const DATABASE_RATINGS: Record<string, Severity> = {
  LOW: "low",
  MODERATE: "medium",
  MEDIUM: "medium",
  HIGH: "high",
  CRITICAL: "critical",
};

/**
 * Severities computed when the record was imported (the advisory database stores them): an audit then neither
 * loads the CVSS calculator nor scores thousands of vectors. Keyed by the record object the store built.
 */
const computedAtImport = new WeakMap<Advisory, AdvisorySeverity>();

/** Records the severity the database stored for a record it loaded (see computedAtImport). */
export function rememberSeverity(advisory: Advisory, severity: AdvisorySeverity): void {
  computedAtImport.set(advisory, severity);
}

/** The severity of an advisory; never throws, whatever its vectors hold. */
export function severityOf(advisory: Advisory): AdvisorySeverity {
  return computedAtImport.get(advisory) ?? computeSeverity(advisory);
}

/** Scores the record's own vectors and rating (what `db update` stores, and the fallback for older databases). */
export function computeSeverity(
  advisory: Pick<Advisory, "kind" | "severity" | "databaseSeverity">,
): AdvisorySeverity {
  if (advisory.kind === "malicious") return { severity: "critical", score: null, vector: null };
  const vectors = advisory.severity.map((s) => s.score.trim());
  for (const wanted of PREFERENCE) {
    for (const vector of vectors) {
      if (versionOf(vector) !== wanted) continue;
      const score = baseScore(vector);
      if (score !== null) return { severity: ratingOf(score), score, vector };
    }
  }
  const rated = DATABASE_RATINGS[(advisory.databaseSeverity ?? "").trim().toUpperCase()];
  if (rated !== undefined) return { severity: rated, score: null, vector: null };
  return { severity: "medium", score: null, vector: null };
}
