// What the upstream checks share: their result convention, finding construction, and the release facts of a project.
//
// The convention for every upstream check (project-status, yanked, release-age, unmaintained, hash-integrity,
// size-anomaly, dependency-confusion, ownership): a check returns a `CheckResult`, `{ findings, skipped }`.
// `skipped` is null when the check ran (with or without findings) and otherwise says, in one sentence a user can
// act on, why it could not run: the index lacks the data (no upload times, no sizes, no digests, no ownership),
// the dependency gives nothing to compare (not pinned, no hashes), or it does not come from an index at all.
// The audit lists every non-null `skipped`, so nothing is silently skipped. A check that ran and found nothing
// wrong returns `{ findings: [], skipped: null }`; one result per call, so the reason and the findings cannot
// disagree (which a separate `whyCannotRun` could). Where a check does not apply, it ran and found nothing (a
// package exempted from the cooldown; a range, whose yanked releases installers skip anyway).
// Signatures: per dependency `checkXxx(dep, project[, options][, now])`, taking only what the check uses, with
// `now` always passed in (never read from the clock here); dependency-confusion takes the whole inventory.
//
// Versions: compared by PEP 440 (@renovatebot/pep440), never as strings, except versions that are not valid
// PEP 440 (`===` pins of legacy versions), which only match their own text. Files whose name gave no version are
// not part of any release. A release is "yanked" when it has files and all of them are yanked (PEP 592; PyPI
// yanks whole releases). Functions here never throw on odd input: invalid versions are left out of orderings.
import type { Dependency } from "../inventory/types.js";
import { compare, maxSatisfying, parse, satisfies, valid, validRange } from "../standards/pep440.js";
import { exactVersion } from "../standards/specifiers.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import { type FindingSubject, makeFinding } from "./finding.js";
import type { Finding, FindingKind, Severity } from "./types.js";

export interface CheckResult {
  findings: Finding[];
  /** Why the check could not run, or null when it ran. */
  skipped: string | null;
}

export function ran(findings: Finding[]): CheckResult {
  return { findings, skipped: null };
}

export function cannotRun(reason: string): CheckResult {
  return { findings: [], skipped: reason };
}

export const DAY_MS = 86_400_000;

export type { FindingSubject } from "./finding.js";

/** An upstream check's finding: id = kind, always with evidence. */
export function upstreamFinding(
  kind: FindingKind,
  severity: Severity,
  dep: FindingSubject,
  summary: string,
  evidence: Record<string, unknown>,
  extra: { fixedIn?: string | null; url?: string | null } = {},
): Finding {
  return makeFinding(kind, severity, dep, summary, { ...extra, evidence });
}

/** The project's (or release's) page, for PyPI only: other indexes have no page scheme we could rely on. */
export function projectPageUrl(project: ProjectInfo, version?: string | null): string | null {
  let host: string;
  try {
    host = new URL(project.index).host;
  } catch {
    return null;
  }
  if (host !== "pypi.org" && host !== "test.pypi.org") return null;
  const base = `https://${host}/project/${project.name}/`;
  return version ? `${base}${encodeURIComponent(version)}/` : base;
}

/**
 * Why index data says nothing about this dependency, or null: VCS, URL and path dependencies do not come from the
 * index (a same-named index project may be a different thing).
 */
export function notFromIndex(dep: Dependency): string | null {
  const source = dep.source;
  if (source === null || source.kind === "index") return null;
  const where = source.kind === "path" ? source.path : source.url;
  return `${dep.rawName} comes from ${source.kind === "vcs" ? source.vcs : source.kind} (${where}), not from a package index`;
}

/** Why no release of this project can be inspected, or null: a quarantined project is served without files. */
export function quarantined(project: ProjectInfo): string | null {
  return project.status.status === "quarantined"
    ? `${project.name} is quarantined: the index serves none of its files (see project-status)`
    : null;
}

/** PEP 440 equality (`1.0` = `1.0.0`, local labels count); text equality for versions that are not PEP 440. */
export function sameVersion(a: string, b: string): boolean {
  // The same text is the same version either way, without parsing (most files of a pinned release).
  if (a === b) return true;
  if (valid(a) && valid(b)) return compare(a, b) === 0;
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export function isPrerelease(version: string): boolean {
  const v = parse(version);
  return v !== null && (v.pre !== null || v.dev !== null);
}

/** The part of a version after `+`, or "" (PEP 440 local version label). */
export function localLabel(version: string): string {
  const plus = version.indexOf("+");
  return plus === -1 ? "" : version.slice(plus + 1).toLowerCase();
}

export function filesOfRelease(project: ProjectInfo, version: string): ProjectFile[] {
  // Compared once per distinct version string, not once per file (a release has dozens of files).
  const verdicts = new Map<string, boolean>();
  return project.files.filter((f) => {
    if (f.version === null) return false;
    let same = verdicts.get(f.version);
    if (same === undefined) {
      same = sameVersion(f.version, version);
      verdicts.set(f.version, same);
    }
    return same;
  });
}

/** Listed in PEP 700 `versions` or carried by a file (a version can be listed with all its files deleted). */
export function isKnownVersion(project: ProjectInfo, version: string): boolean {
  return project.versions.some((v) => sameVersion(v, version)) || filesOfRelease(project, version).length > 0;
}

export interface Release {
  version: string;
  files: ProjectFile[];
}

/**
 * Every PEP 440-valid release that has files, oldest first (`1.0` and `1.0.0` files form one release, in the
 * index's file order, named by the first of them). The distinct version strings are sorted rather than the
 * files: a project's dozens of files per release would otherwise each be parsed in every comparison.
 */
export function releasesOf(project: ProjectInfo): Release[] {
  const distinct: string[] = [];
  const seen = new Set<string>();
  for (const file of project.files) {
    const v = file.version;
    if (v === null || seen.has(v)) continue;
    seen.add(v);
    if (valid(v) !== null) distinct.push(v);
  }
  distinct.sort(compare);
  // Equal versions spelled differently (`1.0`, `1.0.0`) share one group.
  const groupOf = new Map<string, number>();
  let group = -1;
  distinct.forEach((v, i) => {
    if (i === 0 || compare(distinct[i - 1]!, v) !== 0) group++;
    groupOf.set(v, group);
  });
  const releases: (Release | undefined)[] = new Array(group + 1);
  for (const file of project.files) {
    const g = file.version === null ? undefined : groupOf.get(file.version);
    if (g === undefined || file.version === null) continue;
    const release = releases[g];
    if (release) release.files.push(file);
    else releases[g] = { version: file.version, files: [file] };
  }
  return releases.filter((r): r is Release => r !== undefined);
}

export function isYankedRelease(release: Release): boolean {
  return release.files.length > 0 && release.files.every((f) => f.yanked);
}

/**
 * The specifier a suggested version must satisfy: none when the specifier is the pin itself (the pin is what
 * should change) or absent; null when it is not PEP 440 (e.g. Poetry's `^1.2`), so no suggestion can be checked.
 */
export function suggestionConstraint(dep: Dependency): string | null {
  const spec = dep.specifier.trim();
  if (spec === "" || exactVersion(spec) !== null || /^===/.test(spec)) return "";
  return validRange(spec) ? spec : null;
}

/** The newest of `versions` that `constraint` admits, by PEP 440 (pre-releases only when nothing else fits). */
export function newestAdmitted(versions: readonly string[], constraint: string): string | null {
  return maxSatisfying(versions.filter((v) => valid(v) !== null) as string[], constraint);
}

/** Whether `constraint` admits `version` (false for versions that are not PEP 440). */
export function admits(version: string, constraint: string): boolean {
  return valid(version) !== null && satisfies(version, constraint);
}

/** An upload time in epoch ms, or null; a time without zone is UTC (PyPI's JSON API `upload_time` has none). */
export function uploadTimeMs(time: string | null): number | null {
  if (time === null) return null;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(time.trim()) ? time.trim() : `${time.trim()}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

/** When a release appeared: its earliest file upload, or null when no file has a (readable) upload time. */
export function releaseTimeMs(files: readonly ProjectFile[]): number | null {
  let earliest: number | null = null;
  for (const file of files) {
    const ms = uploadTimeMs(file.uploadTime);
    if (ms !== null && (earliest === null || ms < earliest)) earliest = ms;
  }
  return earliest;
}
