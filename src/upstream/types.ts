// What the index says about a project: the simple API (PEP 503/691/700/792/740) and PyPI's JSON API, merged.

export type ProjectStatusMarker = "active" | "archived" | "quarantined" | "deprecated";

export interface ProjectStatus {
  /** The PEP 792 marker; an unknown marker string from the index is kept as written. */
  status: ProjectStatusMarker | string;
  reason: string | null;
}

export interface ProjectFile {
  filename: string;
  /** Absolute URL (resolved against the page URL). */
  url: string;
  /** Lower-case algorithm -> hex digest, as the index published them (may be empty). */
  hashes: Record<string, string>;
  /** The version parsed from the wheel/sdist file name, or null when the name cannot be parsed. */
  version: string | null;
  packagetype: "wheel" | "sdist" | "other";
  requiresPython: string | null;
  yanked: boolean;
  yankedReason: string | null;
  size: number | null;
  /** ISO 8601 UTC upload time, when the index gives one. */
  uploadTime: string | null;
  /** PEP 658 core metadata: false (none), true (present, no hash), or its hashes. */
  coreMetadata: boolean | Record<string, string>;
  /** PEP 740 provenance URL, or null. */
  provenance: string | null;
}

export interface Ownership {
  organization: string | null;
  roles: { role: string; user: string }[];
}

/** Which parts of the picture the index could give (a plain PEP 503 mirror gives little). */
export interface IndexCapabilities {
  /** PEP 691 JSON (else HTML was parsed). */
  json: boolean;
  /** The PyPI JSON API (`/pypi/<name>/json`) was asked and answered (see `ProjectOptions.needs`). */
  jsonApi: boolean;
  uploadTimes: boolean;
  sizes: boolean;
  /** The page carried PEP 792 project status (a missing status on a 1.4 page means active). */
  projectStatus: boolean;
  provenance: boolean;
}

export interface ProjectInfo {
  /** PEP 503-normalised name. */
  name: string;
  /** The simple index base URL the page came from (credentials removed). */
  index: string;
  apiVersion: string | null;
  lastSerial: number | null;
  status: ProjectStatus;
  /** PEP 700 `versions` (falls back to the versions parsed from file names). */
  versions: string[];
  files: ProjectFile[];
  /** From the JSON API, null when not available or not asked for. */
  ownership: Ownership | null;
  capabilities: IndexCapabilities;
}
