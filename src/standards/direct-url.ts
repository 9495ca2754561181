// PEP 610 direct_url.json: where an installed distribution came from when it was not an index.
import { fileURLToPath } from "node:url";

export type DirectUrl =
  | {
      kind: "vcs";
      url: string;
      vcs: string;
      commitId: string | null;
      requestedRevision: string | null;
      subdirectory: string | null;
    }
  | { kind: "archive"; url: string; hashes: string[]; subdirectory: string | null }
  | { kind: "dir"; url: string; editable: boolean; subdirectory: string | null };

export type DirectUrlResult =
  | { ok: true; value: DirectUrl; warnings: string[] }
  | { ok: false; message: string };

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(obj: JsonObject, key: string): string | null {
  const v = obj[key];
  return typeof v === "string" ? v : null;
}

/** Parses direct_url.json text. Never throws; `warnings` are tolerated oddities (e.g. a malformed hash). */
export function parseDirectUrl(text: string): DirectUrlResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!isObject(data)) return { ok: false, message: "expected a JSON object" };
  const url = data.url;
  if (typeof url !== "string" || url === "") return { ok: false, message: `missing "url"` };
  const subdirectory = optionalString(data, "subdirectory");
  const infos = ["vcs_info", "archive_info", "dir_info"].filter((k) => k in data);
  if (infos.length !== 1) {
    return {
      ok: false,
      message: `expected exactly one of vcs_info, archive_info, dir_info (found ${infos.length === 0 ? "none" : infos.join(", ")})`,
    };
  }
  const warnings: string[] = [];
  const vcsInfo = data.vcs_info;
  if (vcsInfo !== undefined) {
    if (!isObject(vcsInfo)) return { ok: false, message: "vcs_info is not an object" };
    const vcs = optionalString(vcsInfo, "vcs");
    if (vcs === null) return { ok: false, message: `vcs_info has no "vcs"` };
    const commitId = optionalString(vcsInfo, "commit_id");
    if (commitId === null) warnings.push(`vcs_info has no "commit_id"`);
    return {
      ok: true,
      warnings,
      value: {
        kind: "vcs",
        url,
        vcs,
        commitId,
        requestedRevision: optionalString(vcsInfo, "requested_revision"),
        subdirectory,
      },
    };
  }
  const archiveInfo = data.archive_info;
  if (archiveInfo !== undefined) {
    if (!isObject(archiveInfo)) return { ok: false, message: "archive_info is not an object" };
    const hashes = new Set<string>();
    const table = archiveInfo.hashes;
    if (isObject(table)) {
      for (const [alg, hex] of Object.entries(table)) {
        if (typeof hex === "string" && /^[0-9a-f]+$/i.test(hex))
          hashes.add(`${alg.toLowerCase()}:${hex.toLowerCase()}`);
        else warnings.push(`archive_info.hashes.${alg} is not a hex digest`);
      }
    }
    // The deprecated single "hash": "<algorithm>=<hexdigest>".
    const legacy = archiveInfo.hash;
    if (typeof legacy === "string") {
      const m = /^([A-Za-z0-9_]+)=([0-9a-fA-F]+)$/.exec(legacy);
      if (m) hashes.add(`${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}`);
      else warnings.push(`archive_info.hash is not "<algorithm>=<hexdigest>"`);
    }
    return { ok: true, warnings, value: { kind: "archive", url, hashes: [...hashes], subdirectory } };
  }
  const dirInfo = data.dir_info;
  if (!isObject(dirInfo)) return { ok: false, message: "dir_info is not an object" };
  return {
    ok: true,
    warnings,
    value: { kind: "dir", url, editable: dirInfo.editable === true, subdirectory },
  };
}

/** A local path for a file: URL (a UNC-style `//host/share` when it names a host), or null for other schemes. */
export function fileUrlPath(url: string): string | null {
  if (!/^file:/i.test(url)) return null;
  try {
    return fileURLToPath(url);
  } catch {
    // A host (file://server/share) or a Windows drive on POSIX: keep what the URL says, as a path.
    const rest = url.replace(/^file:/i, "");
    try {
      return decodeURIComponent(rest);
    } catch {
      return rest;
    }
  }
}
