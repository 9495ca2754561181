// Sets an internal project's PEP 792 status (active, archived, deprecated, quarantined) and the reason shown with it.
import type { Database } from "better-sqlite3";
import { isValidName, normalizeName } from "../standards/names.js";
import type { ProjectStatusMarker } from "../upstream/types.js";
import { getProject, type InternalProject, PROJECT_STATUSES } from "./store.js";

export type StatusChange =
  | { ok: true; project: InternalProject; previous: ProjectStatusMarker }
  | { ok: false; reason: string };

export function isProjectStatus(value: string): value is ProjectStatusMarker {
  return (PROJECT_STATUSES as readonly string[]).includes(value);
}

/**
 * Marks an existing internal project. `active` clears the status (and its reason). Projects are created only by
 * their first upload: marking an unknown name would silently claim it from the public index.
 */
export function setProjectStatus(
  db: Database,
  name: string,
  status: string,
  reason: string | null = null,
  now: Date = new Date(),
): StatusChange {
  if (!isValidName(name)) return { ok: false, reason: `'${name}' is not a valid project name` };
  if (!isProjectStatus(status)) {
    return { ok: false, reason: `unknown status '${status}': use one of ${PROJECT_STATUSES.join(", ")}` };
  }
  const project = normalizeName(name);
  const before = getProject(db, project);
  if (before === null) {
    return {
      ok: false,
      reason: `no internal project '${project}' (projects are created by their first upload)`,
    };
  }
  const text = reason?.replace(/\s+/g, " ").trim() || null;
  db.prepare(
    "UPDATE registry_projects SET status = ?, status_reason = ?, status_changed_at = ? WHERE name = ?",
  ).run(status, status === "active" ? null : text, now.toISOString(), project);
  return { ok: true, project: getProject(db, project)!, previous: before.status };
}

/** Uploads are refused to archived and quarantined projects (PEP 792: "MUST reject uploads"). */
export function statusRefusesUploads(status: ProjectStatusMarker): boolean {
  return status === "archived" || status === "quarantined";
}

/** Quarantined projects offer no files at all (PEP 792); the others keep serving what they have. */
export function statusServesFiles(status: ProjectStatusMarker): boolean {
  return status !== "quarantined";
}
