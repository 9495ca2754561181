// Yanked releases (PEP 592): a pin or lock on a release its authors withdrew, or a range that admits only such.
//
// Severity: a pinned release whose files are all yanked is high (installers still install it for `==` pins and
// locks, PEP 592). A release where only some files are yanked is info: PyPI yanks whole releases, so this comes
// from another index or a mirror, and installers merely skip those files (a lock hashing one of them may then
// fail to install). A pinned version the index does not have is medium: it was removed, or the index is the
// wrong one. For a range, installers skip yanked releases; only a range that admits nothing else is reported.
import type { Dependency } from "../inventory/types.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import {
  admits,
  type CheckResult,
  cannotRun,
  filesOfRelease,
  isKnownVersion,
  isYankedRelease,
  newestAdmitted,
  notFromIndex,
  projectPageUrl,
  quarantined,
  ran,
  releasesOf,
  suggestionConstraint,
  upstreamFinding,
} from "./releases.js";

function yankReasons(files: readonly ProjectFile[]): string[] {
  return [...new Set(files.filter((f) => f.yanked && f.yankedReason).map((f) => f.yankedReason as string))];
}

/** The newest release with an installable (non-yanked) file that the dependency's specifier admits. */
function newestNotYanked(dep: Dependency, project: ProjectInfo): string | null {
  const constraint = suggestionConstraint(dep);
  if (constraint === null) return null;
  const candidates = releasesOf(project)
    .filter((r) => !isYankedRelease(r))
    .map((r) => r.version);
  return newestAdmitted(candidates, constraint);
}

function checkPinned(dep: Dependency, version: string, project: ProjectInfo): CheckResult {
  const files = filesOfRelease(project, version);
  const fixedIn = newestNotYanked(dep, project);
  if (files.length === 0) {
    const listed = isKnownVersion(project, version);
    return ran([
      upstreamFinding(
        "yanked",
        "medium",
        dep,
        listed
          ? `${dep.rawName} ${version} is listed on ${project.index} but has no files: removed?`
          : `${dep.rawName} ${version} was not found on ${project.index}: removed?`,
        { index: project.index, listedInVersions: listed, files: [] },
        { fixedIn, url: projectPageUrl(project) },
      ),
    ]);
  }
  const yanked = files.filter((f) => f.yanked);
  if (yanked.length === 0) return ran([]);
  const reasons = yankReasons(files);
  const because = reasons.length > 0 ? ` (reason: ${reasons.join("; ")})` : " (no reason given)";
  const evidence = {
    yankedFiles: yanked.map((f) => f.filename),
    otherFiles: files.filter((f) => !f.yanked).map((f) => f.filename),
    reasons,
  };
  const url = projectPageUrl(project, version);
  if (yanked.length === files.length) {
    return ran([
      upstreamFinding(
        "yanked",
        "high",
        dep,
        `${dep.rawName} ${version} was yanked by its maintainers${because}`,
        evidence,
        { fixedIn, url },
      ),
    ]);
  }
  return ran([
    upstreamFinding(
      "yanked",
      "info",
      dep,
      `${yanked.length} of ${files.length} files of ${dep.rawName} ${version} are yanked${because}`,
      evidence,
      { url },
    ),
  ]);
}

function checkRange(dep: Dependency, project: ProjectInfo): CheckResult {
  const constraint = suggestionConstraint(dep);
  if (constraint === null) {
    return cannotRun(`the specifier "${dep.specifier}" of ${dep.rawName} is not PEP 440`);
  }
  const releases = releasesOf(project);
  const admitted = releases.filter((r) => admits(r.version, constraint));
  if (admitted.length === 0 || admitted.some((r) => !isYankedRelease(r))) return ran([]);
  return ran([
    upstreamFinding(
      "yanked",
      "high",
      dep,
      `every release of ${dep.rawName} that ${dep.specifier} admits is yanked: installers fall back to a yanked one`,
      {
        yankedVersions: admitted.map((r) => r.version),
        reasons: yankReasons(admitted.flatMap((r) => r.files)),
      },
      // Nothing in the range is installable, so the suggestion has to leave the range.
      {
        fixedIn: newestAdmitted(
          releases.filter((r) => !isYankedRelease(r)).map((r) => r.version),
          "",
        ),
      },
    ),
  ]);
}

/** Reports a yanked or missing pinned release, or a range that admits only yanked releases. */
export function checkYanked(dep: Dependency, project: ProjectInfo): CheckResult {
  const skip = notFromIndex(dep) ?? quarantined(project);
  if (skip) return cannotRun(skip);
  return dep.version !== null ? checkPinned(dep, dep.version, project) : checkRange(dep, project);
}
