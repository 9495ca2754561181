// Reads PyPI's (non-standard) JSON API — `/pypi/<name>/json` and `/pypi/<name>/<version>/json` — into plain data.
import { normalizeName } from "../standards/names.js";
import { type UpstreamError, upstreamError } from "./errors.js";
import type { Ownership } from "./types.js";

export interface JsonApiFile {
  filename: string;
  url: string;
  /** sdist | bdist_wheel | a legacy type, as PyPI wrote it. */
  packagetype: string;
  /** md5 / sha256 / blake2b_256, lower-case hex. */
  digests: Record<string, string>;
  size: number | null;
  /** ISO 8601 UTC (`upload_time_iso_8601`, else `upload_time` read as UTC). */
  uploadTime: string | null;
  requiresPython: string | null;
  yanked: boolean;
  yankedReason: string | null;
}

export interface JsonApiVulnerability {
  id: string;
  source: string | null;
  link: string | null;
  aliases: string[];
  summary: string | null;
  details: string | null;
  fixedIn: string[];
  withdrawn: string | null;
}

export interface JsonApiRelease {
  /** PEP 503-normalised name. */
  name: string;
  /** The release this document describes (for the project route: the one PyPI calls latest). */
  version: string;
  summary: string | null;
  requiresPython: string | null;
  requiresDist: string[];
  yanked: boolean;
  yankedReason: string | null;
  lastSerial: number | null;
  /** Files of this release (`urls`). */
  files: JsonApiFile[];
  /** Every release's files (`releases`; project route only, else null). */
  releases: Record<string, JsonApiFile[]> | null;
  vulnerabilities: JsonApiVulnerability[];
  /** null when the index does not publish ownership. */
  ownership: Ownership | null;
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** PyPI's `upload_time` has no zone but is UTC. */
function isoUploadTime(file: JsonObject): string | null {
  const iso = str(file.upload_time_iso_8601);
  if (iso) return iso;
  const plain = str(file.upload_time);
  if (!plain) return null;
  return /[zZ]|[+-]\d\d:?\d\d$/.test(plain) ? plain : `${plain}Z`;
}

function fileOf(raw: unknown, where: string): JsonApiFile | string {
  if (!isObject(raw)) return `${where} is not an object`;
  if (typeof raw.filename !== "string" || typeof raw.url !== "string")
    return `${where} has no filename or url`;
  const digests: Record<string, string> = {};
  if (isObject(raw.digests)) {
    for (const [algo, digest] of Object.entries(raw.digests)) {
      if (typeof digest === "string" && digest !== "") digests[algo.toLowerCase()] = digest.toLowerCase();
    }
  }
  if (!digests.md5 && typeof raw.md5_digest === "string" && raw.md5_digest !== "")
    digests.md5 = raw.md5_digest;
  return {
    filename: raw.filename,
    url: raw.url,
    packagetype: typeof raw.packagetype === "string" ? raw.packagetype : "",
    digests,
    size: typeof raw.size === "number" && Number.isSafeInteger(raw.size) ? raw.size : null,
    uploadTime: isoUploadTime(raw),
    requiresPython: str(raw.requires_python),
    yanked: raw.yanked === true,
    yankedReason: raw.yanked === true ? str(raw.yanked_reason) : null,
  };
}

function ownershipOf(v: unknown): Ownership | null {
  if (!isObject(v)) return null;
  const roles: Ownership["roles"] = [];
  if (Array.isArray(v.roles)) {
    for (const r of v.roles) {
      if (isObject(r) && typeof r.role === "string" && typeof r.user === "string") {
        roles.push({ role: r.role, user: r.user });
      }
    }
  }
  return { organization: str(v.organization), roles };
}

function vulnerabilityOf(v: unknown): JsonApiVulnerability | null {
  if (!isObject(v) || typeof v.id !== "string") return null;
  return {
    id: v.id,
    source: str(v.source),
    link: str(v.link),
    aliases: strings(v.aliases),
    summary: str(v.summary),
    details: str(v.details),
    fixedIn: strings(v.fixed_in),
    withdrawn: str(v.withdrawn),
  };
}

/** Parses one JSON API document; a malformed one is an `invalid-response` naming the URL. */
export function parseJsonApi(text: string, url: string): JsonApiRelease | UpstreamError {
  const bad = (what: string) => upstreamError("invalid-response", url, `${url}: ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return bad(`malformed JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) return bad("the JSON API answer is not an object");
  const info = doc.info;
  if (!isObject(info)) return bad("the JSON API answer has no 'info'");
  if (typeof info.name !== "string" || typeof info.version !== "string") {
    return bad("the JSON API 'info' has no name or version");
  }
  const files: JsonApiFile[] = [];
  if (Array.isArray(doc.urls)) {
    for (const [i, raw] of doc.urls.entries()) {
      const file = fileOf(raw, `urls[${i}]`);
      if (typeof file === "string") return bad(file);
      files.push(file);
    }
  }
  let releases: Record<string, JsonApiFile[]> | null = null;
  if (isObject(doc.releases)) {
    releases = {};
    for (const [version, list] of Object.entries(doc.releases)) {
      if (!Array.isArray(list)) return bad(`releases['${version}'] is not a list`);
      const parsed: JsonApiFile[] = [];
      for (const [i, raw] of list.entries()) {
        const file = fileOf(raw, `releases['${version}'][${i}]`);
        if (typeof file === "string") return bad(file);
        parsed.push(file);
      }
      releases[version] = parsed;
    }
  }
  const lastSerial =
    typeof doc.last_serial === "number" && Number.isSafeInteger(doc.last_serial) ? doc.last_serial : null;
  return {
    name: normalizeName(info.name),
    version: info.version,
    summary: str(info.summary),
    requiresPython: str(info.requires_python),
    requiresDist: strings(info.requires_dist),
    yanked: info.yanked === true,
    yankedReason: info.yanked === true ? str(info.yanked_reason) : null,
    lastSerial,
    files,
    releases,
    vulnerabilities: Array.isArray(doc.vulnerabilities)
      ? doc.vulnerabilities.map(vulnerabilityOf).filter((v): v is JsonApiVulnerability => v !== null)
      : [],
    ownership: ownershipOf(doc.ownership),
  };
}
