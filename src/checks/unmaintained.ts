// Unmaintained projects: no upload for years means fixes are unlikely, which matters most with open advisories.
//
// The last activity is the newest upload over all files (yanked ones too: an upload is activity). A project
// exactly `maxInactivityDays` quiet is not yet reported.
import type { Dependency } from "../inventory/types.js";
import type { ProjectInfo } from "../upstream/types.js";
import {
  type CheckResult,
  cannotRun,
  DAY_MS,
  notFromIndex,
  projectPageUrl,
  quarantined,
  ran,
  uploadTimeMs,
  upstreamFinding,
} from "./releases.js";

export interface UnmaintainedOptions {
  /** Default 1095 (three years). */
  maxInactivityDays?: number;
  /** Advisories against this package with no fixed release (from the advisory check); raises the severity. */
  openAdvisories?: number;
}

export const DEFAULT_MAX_INACTIVITY_DAYS = 1095;

/** Reports a project with no upload for longer than `maxInactivityDays`. */
export function checkUnmaintained(
  dep: Dependency,
  project: ProjectInfo,
  options: UnmaintainedOptions,
  now: Date,
): CheckResult {
  const skip = notFromIndex(dep) ?? quarantined(project);
  if (skip) return cannotRun(skip);
  if (!project.capabilities.uploadTimes) {
    return cannotRun(
      `${project.index} publishes no upload times (PEP 700), so the last release date is unknown`,
    );
  }
  let last: { ms: number; filename: string; version: string | null } | null = null;
  for (const file of project.files) {
    const ms = uploadTimeMs(file.uploadTime);
    if (ms !== null && (last === null || ms > last.ms)) {
      last = { ms, filename: file.filename, version: file.version };
    }
  }
  if (last === null)
    return cannotRun(`${project.index} gives no upload time for any file of ${project.name}`);
  const maxDays = options.maxInactivityDays ?? DEFAULT_MAX_INACTIVITY_DAYS;
  const quietMs = now.getTime() - last.ms;
  if (quietMs <= maxDays * DAY_MS) return ran([]);
  const days = Math.floor(quietMs / DAY_MS);
  const open = options.openAdvisories ?? 0;
  const withAdvisories =
    open > 0 ? ` while ${open} advisor${open === 1 ? "y is" : "ies are"} open against it` : "";
  return ran([
    upstreamFinding(
      "unmaintained",
      open > 0 ? "medium" : "low",
      dep,
      `${dep.rawName} has had no release for ${days} days${withAdvisories}: fixes are unlikely to come`,
      {
        lastUpload: new Date(last.ms).toISOString(),
        lastFile: last.filename,
        lastVersion: last.version,
        daysSinceLastUpload: days,
        maxInactivityDays: maxDays,
        openAdvisories: open,
      },
      { url: projectPageUrl(project) },
    ),
  ]);
}
