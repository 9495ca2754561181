// Release cooldown: a release younger than a few days has had no time to be noticed if it is malicious.
//
// A release's age runs from its earliest file upload (later wheels do not make it younger). A release exactly
// `minReleaseAgeDays` old has cooled down. An audit reports a release whose upload time is unknown as a check that
// could not run; the gate (`unknownCountsAsYoung`) holds it. The gate also judges each file of a cooled-down
// release (`reportYoungFiles`): a new file added to an old release is how a hijacked account reaches pinned users.
// For a range, the release the range would install now (the newest non-yanked one it admits, as pip picks) is
// what is checked, and the newest cooled-down release the range admits is named as the alternative.
import type { Dependency } from "../inventory/types.js";
import { normalizeName } from "../standards/names.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
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
  uploadTimeMs,
  upstreamFinding,
} from "./releases.js";
import type { Finding } from "./types.js";

export interface ReleaseAgeOptions {
  /** Default 7. */
  minReleaseAgeDays?: number;
  /** Per-package cooldown in days by name (normalised here); 0 exempts a package. */
  exceptions?: Record<string, number>;
  /** Name the newest release that satisfies both the specifier and the cooldown (`evidence.newestAllowed`). */
  reportCooldownVersion?: boolean;
  /** A release or file whose upload time is unknown is reported as within the cooldown (`evidence.uploadTime` null). */
  unknownCountsAsYoung?: boolean;
  /** Of a pinned release past the cooldown, report each file still within it (`evidence.file`). */
  reportYoungFiles?: boolean;
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
    const reason = `${project.index} gives no upload time for the files of ${dep.rawName} ${version}`;
    return options.unknownCountsAsYoung ? ran([unknownAge(dep, version, days, reason)]) : cannotRun(reason);
  }
  if (now.getTime() - released >= days * DAY_MS) {
    return ran(options.reportYoungFiles ? youngFiles(dep, version, files, days, options, now) : []);
  }
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

/** A release (or, given `file`, one of its files) whose upload time is unknown, reported as within the cooldown. */
function unknownAge(dep: Dependency, version: string, days: number, reason: string, file?: string): Finding {
  return upstreamFinding(
    "release-age",
    "medium",
    dep,
    `${reason}: ${file ?? `${dep.rawName} ${version}`} cannot be shown to be past the ${days}-day cooldown`,
    { uploadTime: null, minReleaseAgeDays: days, ...(file === undefined ? {} : { file }) },
  );
}

/** The files of a release past the cooldown that were uploaded within it (or, strictly, at an unknown time). */
function youngFiles(
  dep: Dependency,
  version: string,
  files: readonly ProjectFile[],
  days: number,
  options: ReleaseAgeOptions,
  now: Date,
): Finding[] {
  const findings: Finding[] = [];
  for (const f of files) {
    const uploaded = uploadTimeMs(f.uploadTime);
    if (uploaded === null) {
      if (options.unknownCountsAsYoung) {
        findings.push(unknownAge(dep, version, days, `no upload time for ${f.filename}`, f.filename));
      }
      continue;
    }
    if (now.getTime() - uploaded >= days * DAY_MS) continue;
    const ageHours = hoursBetween(uploaded, now);
    findings.push(
      upstreamFinding(
        "release-age",
        "medium",
        dep,
        `${f.filename} was added to ${dep.rawName} ${version} ${ageHours} hours ago, within the ${days}-day cooldown (the release itself is older)`,
        { file: f.filename, uploadTime: new Date(uploaded).toISOString(), ageHours, minReleaseAgeDays: days },
      ),
    );
  }
  return findings;
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
    const reason = `${project.index} publishes no upload times (PEP 700), so release ages are unknown`;
    if (options.unknownCountsAsYoung && dep.version !== null) {
      return ran([unknownAge(dep, dep.version, days, reason)]);
    }
    return cannotRun(reason);
  }
  return dep.version !== null
    ? checkPinned(dep, dep.version, project, days, options, now)
    : checkRange(dep, project, days, now);
}
