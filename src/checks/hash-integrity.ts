// Lock hashes against the index: a locked digest that no file of the release has means a replaced artifact or a
// tampered lock.
//
// Each `algorithm:hex` of the dependency is compared only with files publishing that algorithm; a hash in an
// algorithm no file of the release publishes cannot be compared and is left out (if that leaves nothing, the
// check cannot run). Files that publish a comparable digest but match no locked hash are "uncovered" (info):
// installing them with hash checking would fail, e.g. on another platform.
import type { Dependency } from "../inventory/types.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import {
  type CheckResult,
  cannotRun,
  filesOfRelease,
  notFromIndex,
  projectPageUrl,
  quarantined,
  ran,
  upstreamFinding,
} from "./releases.js";

interface LockedHash {
  text: string;
  algorithm: string;
  hex: string;
}

function parseHash(text: string): LockedHash | null {
  const colon = text.indexOf(":");
  if (colon <= 0) return null;
  return {
    text,
    algorithm: text.slice(0, colon).trim().toLowerCase(),
    hex: text
      .slice(colon + 1)
      .trim()
      .toLowerCase(),
  };
}

/** Compares the dependency's hashes with the digests the index publishes for the pinned release's files. */
export function checkHashIntegrity(dep: Dependency, project: ProjectInfo): CheckResult {
  const skip = notFromIndex(dep) ?? quarantined(project);
  if (skip) return cannotRun(skip);
  if (dep.hashes.length === 0) return cannotRun(`${dep.rawName} has no hashes to compare`);
  if (dep.version === null) {
    return cannotRun(`${dep.rawName} is not pinned, so there is no release to compare its hashes with`);
  }
  const version = dep.version;
  const files = filesOfRelease(project, version);
  if (files.length === 0) return cannotRun(`${dep.rawName} ${version} is not on ${project.index}`);
  const published = new Set(files.flatMap((f) => Object.keys(f.hashes).map((a) => a.toLowerCase())));
  if (published.size === 0) {
    return cannotRun(`${project.index} publishes no digests for the files of ${dep.rawName} ${version}`);
  }
  const locked = dep.hashes.map(parseHash).filter((h): h is LockedHash => h !== null);
  const comparable = locked.filter((h) => published.has(h.algorithm));
  if (comparable.length === 0) {
    return cannotRun(
      `the hashes of ${dep.rawName} use ${[...new Set(locked.map((h) => h.algorithm))].join(", ") || "no known algorithm"}, ` +
        `but ${project.index} publishes ${[...published].sort().join(", ")}`,
    );
  }

  const digest = (hashes: Record<string, string>, algorithm: string): string | undefined =>
    Object.entries(hashes)
      .find(([a]) => a.toLowerCase() === algorithm)?.[1]
      ?.toLowerCase();
  const matches = (h: LockedHash) => files.some((f) => digest(f.hashes, h.algorithm) === h.hex);
  const releaseFiles = files.map((f) => ({ filename: f.filename, hashes: f.hashes }));
  const url = projectPageUrl(project, version);

  const findings = comparable
    .filter((h) => !matches(h))
    .map((h) =>
      upstreamFinding(
        "hash-mismatch",
        "critical",
        dep,
        `${dep.rawName} ${version}: the locked hash ${h.text} matches no file the index serves for this release: ` +
          "artifact replaced or lock tampered",
        { hash: h.text, index: project.index, releaseFiles },
        { url },
      ),
    );

  // A file that publishes none of the compared algorithms cannot be judged either way.
  const judgeable = (f: ProjectFile) => comparable.some((h) => digest(f.hashes, h.algorithm) !== undefined);
  const covered = (f: ProjectFile) => comparable.some((h) => digest(f.hashes, h.algorithm) === h.hex);
  const uncovered = files.filter((f) => judgeable(f) && !covered(f));
  if (uncovered.length > 0) {
    findings.push(
      upstreamFinding(
        "hash-uncovered",
        "info",
        dep,
        `${uncovered.length} of ${files.length} files of ${dep.rawName} ${version} are not covered by its hashes`,
        { files: uncovered.map((f) => f.filename), lockedHashes: dep.hashes },
        { url },
      ),
    );
  }
  return ran(findings);
}
