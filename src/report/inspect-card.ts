// The report card `pycustoms inspect` prints for one project: plain data shared by the table and JSON formats.
import type { Finding, Severity } from "../checks/types.js";
import type { IndexCapabilities } from "../upstream/types.js";

/** What a release's provenance (PEP 740) amounts to; `null` on a row when it was not looked at. */
export type ReleaseProvenanceStatus = "verified" | "none" | "invalid" | "unverifiable";

export interface ProvenanceFileFacts {
  filename: string;
  status: ReleaseProvenanceStatus;
  /** The publisher the provenance names, described (`GitHub example/demo (release.yml)`); proved only when verified. */
  publisher: string | null;
  /** Why it did not verify; null when verified or absent. */
  message: string | null;
}

export interface ReleaseProvenance {
  /** The worst status over `files`: invalid, then verified, then unverifiable, then none. */
  status: ReleaseProvenanceStatus;
  /** Distinct publishers whose attestations verified. */
  verifiedPublishers: string[];
  /** The files examined: every file of the inspected release, the newest (attested) file of the others. */
  files: ProvenanceFileFacts[];
}

export interface ReleaseRow {
  version: string;
  /** The release's earliest file upload (ISO 8601 UTC), or null when the index gives none. */
  uploadTime: string | null;
  files: number;
  /** Total bytes of the release's files, or null when a size is unknown. */
  size: number | null;
  yanked: boolean;
  yankedReason: string | null;
  prerelease: boolean;
  inspected: boolean;
  latest: boolean;
  /** Null when provenance was not examined (the index publishes none, or the project is quarantined). */
  provenance: ReleaseProvenance | null;
}

/** One advisory (merged over its aliases) as it applies to one version. */
export interface AdvisoryRow {
  id: string;
  aliases: string[];
  kind: "vulnerability" | "malicious";
  severity: Severity;
  score: number | null;
  summary: string;
  fixedIn: string | null;
  url: string | null;
}

export interface TyposquatSuspicion {
  target: string;
  rank: number;
  technique: string;
  distance: number;
  summary: string;
}

export interface SkippedCheck {
  check: string;
  reason: string;
}

export interface InspectCard {
  /** PEP 503-normalised name. */
  name: string;
  /** The simple index base URL, credentials removed. */
  index: string;
  capabilities: IndexCapabilities;
  status: {
    /** The PEP 792 marker; "active" when the index publishes none. */
    status: string;
    reason: string | null;
    /** Whether the index publishes PEP 792 status at all (else `status` is only assumed). */
    published: boolean;
  };
  /** Null when the index gave no ownership (no PyPI JSON API). */
  ownership: { owners: string[]; maintainers: string[]; organization: string | null } | null;
  /** The project's rank in the popular-projects list, or null (not in it, or no list). */
  popularRank: number | null;
  /** The version asked for with `NAME==VERSION`, or null. */
  requestedVersion: string | null;
  /** The version the checks ran against: the requested one, else the latest; null when there is none. */
  inspectedVersion: string | null;
  /** The newest non-yanked final release (else the newest non-yanked one), or null. */
  latestVersion: string | null;
  /** Releases with files on the index. */
  releaseCount: number;
  /** Newest first: the latest N, plus the inspected release when it is older than those. */
  releases: ReleaseRow[];
  advisories: {
    /** Null when no advisory database was available. */
    inspected: AdvisoryRow[] | null;
    latest: AdvisoryRow[] | null;
  };
  typosquat: TyposquatSuspicion | null;
  /** Findings that count after the policy's ignores, most severe first. */
  findings: Finding[];
  /** The findings that fail the policy: at or above `failOn`, and every malicious one. */
  failing: Finding[];
  ignored: { finding: Finding; reason: string }[];
  skipped: SkippedCheck[];
  failOn: Severity;
  /** When the card was made (ISO 8601), which release ages are measured from. */
  generatedAt: string;
  tool: { name: string; version: string };
}
