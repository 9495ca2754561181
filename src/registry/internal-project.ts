// An internal project as a ProjectInfo, so the proxy renders internal and upstream pages through the same code.
import type { Database } from "better-sqlite3";
import { normalizeName } from "../standards/names.js";
import { compare, valid } from "../standards/pep440.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import { statusServesFiles } from "./status.js";
import { getProject, listFiles, type StoredFile } from "./store.js";

/** Where the registry plugin serves stored files: `<prefix>/<sha256>/<filename>` and `…/<filename>.metadata`. */
export const REGISTRY_FILES_PREFIX = "/registry/files";

export interface InternalPageOptions {
  /** The server's own base URL (scheme, host, port, mount path; no trailing slash), for absolute file URLs. */
  baseUrl: string;
  /** Overrides the file URL (e.g. to point at the server's own blob route); `.metadata` is appended for PEP 658. */
  fileUrl?: (file: StoredFile) => string;
}

/** The default file URL: content-addressed, so it can be cached forever. */
export function registryFilePath(file: Pick<StoredFile, "sha256" | "filename">): string {
  return `${REGISTRY_FILES_PREFIX}/${file.sha256}/${encodeURIComponent(file.filename)}`;
}

function byVersion(a: string, b: string): number {
  if (valid(a) !== null && valid(b) !== null) return compare(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The internal project's page, or null when the name is not an internal project. A quarantined project keeps its
 * status but lists no files and no versions (PEP 792: "offer no files").
 */
export function internalProject(
  db: Database,
  name: string,
  options: InternalPageOptions,
): ProjectInfo | null {
  const project = getProject(db, normalizeName(name));
  if (project === null) return null;
  const base = options.baseUrl.replace(/\/+$/, "");
  const urlOf = options.fileUrl ?? ((f: StoredFile) => `${base}${registryFilePath(f)}`);
  const stored = statusServesFiles(project.status) ? listFiles(db, project.name) : [];
  const files: ProjectFile[] = stored.map((f) => ({
    filename: f.filename,
    url: urlOf(f),
    // sha256 only, as PyPI publishes: installers ignore (or choke on) algorithm names they do not know.
    hashes: { sha256: f.sha256 },
    version: f.version,
    packagetype: f.packagetype,
    requiresPython: f.requiresPython,
    yanked: false,
    yankedReason: null,
    size: f.size,
    uploadTime: f.uploadedAt,
    coreMetadata: { sha256: f.metadataSha256 },
    provenance: null,
  }));
  const versions = [...new Set(stored.map((f) => f.version))].sort(byVersion);
  return {
    name: project.name,
    index: `${base}/simple/`,
    apiVersion: "1.4",
    lastSerial: null,
    status: { status: project.status, reason: project.statusReason },
    versions,
    files,
    ownership: null,
    capabilities: {
      json: true,
      jsonApi: false,
      uploadTimes: true,
      sizes: true,
      projectStatus: true,
      provenance: false,
    },
  };
}
