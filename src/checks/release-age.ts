// Release cooldown: a release younger than a few days has had no time to be noticed if it is malicious.
//
// A release's age runs from its earliest file upload (later wheels do not make it younger). A release exactly
// `minReleaseAgeDays` old has cooled down. A release whose upload time is unknown never counts as cooled down.
// For a range, the release the range would install now (the newest non-yanked one it admits, as pip picks) is
// what is checked, and the newest cooled-down release the range admits is named as the alternative.
import type { Dependency } from "../inventory/types.js";
import { normalizeName } from "../standards/names.js";
import type { ProjectInfo } from "../upstream/types.js";
import {
  type CheckResult,
  cannotRun,
  DAY_MS,
  filesOfRelease,
  isYankedRelease,
  newestAdmitted,
  notFromIndex,
  projectPageUrl,
  quarantined,
  ran,
  releasesOf,
  releaseTimeMs,
  suggestionConstraint,
  upstreamFinding,
} from "./releases.js";

export interface ReleaseAgeOptions {
  /** Default 7. */
  minReleaseAgeDays?: number;
  /** Per-package cooldown in days by name (normalised here); 0 exempts a package. */
  exceptions?: Record<string, number>;
  /** Name the newest release that satisfies both the specifier and the cooldown (`evidence.newestAllowed`). */
  reportCooldownVersion?: boolean;
}

export const DEFAULT_MIN_RELEASE_AGE_DAYS = 7;

function cooldownDays(dep: Dependency, options: ReleaseAgeOptions): number {
  for (const [name, days] of Object.entries(options.exceptions ?? {})) {
    if (normalizeName(name) === dep.name) return days;
  }
  return options.minReleaseAgeDays ?? DEFAULT_MIN_RELEASE_AGE_DAYS;
}

/** The newest non-yanked release the dependency's specifier admits that is at least `days` old. */
function newestCooledDown(dep: Dependency, project: ProjectInfo, days: number, now: Date): string | null {
  const constraint = suggestionConstraint(dep);
  if (constraint === null) return null;
  const cutoff = now.getTime() - days * DAY_MS;
  const cooled = releasesOf(project).filter((r) => {
    const time = releaseTimeMs(r.files);
    return !isYankedRelease(r) && time !== null && time <= cutoff;
  });
  return newestAdmitted(
    cooled.map((r) => r.version),
    constraint,
  );
}

function hoursBetween(fromMs: number, to: Date): number {
  return Math.floor((to.getTime() - fromMs) / 3_600_000);
}

function checkPinned(
  dep: Dependency,
  version: string,
  project: ProjectInfo,
  days: number,
  options: ReleaseAgeOptions,
  now: Date,
): CheckResult {
  const files = filesOfRelease(project, version);
  if (files.length === 0) return cannotRun(`${dep.rawName} ${version} is not on ${project.index}`);
  const released = releaseTimeMs(files);
  if (released === null) {
    return cannotRun(`${project.index} gives no upload time for the files of ${dep.rawName} ${version}`);
  }
  if (now.getTime() - released >= days * DAY_MS) return ran([]);
  const ageHours = hoursBetween(released, now);
  const evidence: Record<string, unknown> = {
    uploadTime: new Date(released).toISOString(),
    ageHours,
    minReleaseAgeDays: days,
  };
  let fixedIn: string | null = null;
  if (options.reportCooldownVersion) {
    fixedIn = newestCooledDown(dep, project, days, now);
    evidence.newestAllowed = fixedIn;
  }
  return ran([
    upstreamFinding(
      "release-age",
      "medium",
      dep,
      `${dep.rawName} ${version} was released ${ageHours} hours ago, within the ${days}-day cooldown`,
      evidence,
      { fixedIn, url: projectPageUrl(project, version) },
    ),
  ]);
}

function checkRange(dep: Dependency, project: ProjectInfo, days: number, now: Date): CheckResult {
  const constraint = suggestionConstraint(dep);
  if (constraint === null) {
    return cannotRun(`the specifier "${dep.specifier}" of ${dep.rawName} is not PEP 440`);
  }
  const installable = releasesOf(project).filter((r) => !isYankedRelease(r));
  const newest = newestAdmitted(
    installable.map((r) => r.version),
    constraint,
  );
  if (newest === null) return ran([]);
  const released = releaseTimeMs(filesOfRelease(project, newest));
  if (released === null) {
    return cannotRun(`${project.index} gives no upload time for the files of ${dep.rawName} ${newest}`);
  }
  if (now.getTime() - released >= days * DAY_MS) return ran([]);
  const ageHours = hoursBetween(released, now);
  const newestAllowed = newestCooledDown(dep, project, days, now);
  const what = dep.specifier ? `${dep.rawName}${dep.specifier}` : dep.rawName;
  const instead = newestAllowed ? `; the newest release past the cooldown is ${newestAllowed}` : "";
  return ran([
    upstreamFinding(
      "release-age",
      "medium",
      dep,
      `${what} would install ${newest}, released ${ageHours} hours ago, within the ${days}-day cooldown${instead}`,
      {
        newest,
        uploadTime: new Date(released).toISOString(),
        ageHours,
        minReleaseAgeDays: days,
        newestAllowed,
      },
      { fixedIn: newestAllowed, url: projectPageUrl(project, newest) },
    ),
  ]);
}

/** Reports a pinned release, or the release a range would install now, that is younger than the cooldown. */
export function checkReleaseAge(
  dep: Dependency,
  project: ProjectInfo,
  options: ReleaseAgeOptions,
  now: Date,
): CheckResult {
  const skip = notFromIndex(dep) ?? quarantined(project);
  if (skip) return cannotRun(skip);
  const days = cooldownDays(dep, options);
  if (days <= 0) return ran([]);
  if (!project.capabilities.uploadTimes) {
    return cannotRun(`${project.index} publishes no upload times (PEP 700), so release ages are unknown`);
  }
  return dep.version !== null
    ? checkPinned(dep, dep.version, project, days, options, now)
    : checkRange(dep, project, days, now);
}
