// What is known: OSV records for the PyPI ecosystem, reduced to what matching and reporting need.

export type OsvEvent =
  | { introduced: string }
  | { fixed: string }
  | { last_affected: string }
  | { limit: string };

export interface OsvRange {
  type: "ECOSYSTEM" | "SEMVER" | "GIT";
  events: OsvEvent[];
}

export interface AffectedPackage {
  /** PEP 503-normalised PyPI name. */
  name: string;
  ranges: OsvRange[];
  /** Explicitly listed affected versions (as written in the record). */
  versions: string[];
}

export type AdvisoryKind = "vulnerability" | "malicious";

export interface SeverityVector {
  /** OSV severity type: CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, ... */
  type: string;
  score: string;
}

export interface Advisory {
  id: string;
  aliases: string[];
  /** `MAL-` records (and records under a malicious/ tree) are "malicious". */
  kind: AdvisoryKind;
  summary: string;
  details: string;
  published: string | null;
  modified: string;
  withdrawn: string | null;
  severity: SeverityVector[];
  /** A textual severity some databases carry (GHSA `database_specific.severity`), upper-case, or null. */
  databaseSeverity: string | null;
  affected: AffectedPackage[];
  references: { type: string; url: string }[];
  /**
   * `advisoryUrlIn(references, text)` (match.ts), for records that can answer without parsing every reference
   * (the store's: parsing them was a tenth of an audit's matching). Absent: read the references.
   */
  advisoryUrlNaming?(text: string): string | null;
}
