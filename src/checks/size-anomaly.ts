// Size anomalies: an artifact several times larger than the same artifact of the previous release can carry
// something that was not there before (a bundled binary, a payload).
//
// The previous release is the greatest lower PEP 440 version with sized files, skipping pre-releases unless the
// pinned version is one, and with the same local label (`2.1+cpu` is compared with `2.0+cpu`, never with a
// `+cu121` build). Like is compared with like: the largest sdist with the largest sdist; each wheel with the
// previous wheel of the same tag triple, or, when no tag triple carries over, the largest wheel with the largest.
// Both limits must be exceeded: more than `maxSizeRatio` times, and at least `minSizeIncreaseBytes` more (default
// 1 MB = 1,000,000 bytes, decimal, as sizes are usually shown), so small packages doubling are not noise.
import type { Dependency } from "../inventory/types.js";
import { compare, valid } from "../standards/pep440.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import {
  type CheckResult,
  cannotRun,
  filesOfRelease,
  isPrerelease,
  localLabel,
  notFromIndex,
  projectPageUrl,
  quarantined,
  type Release,
  ran,
  releasesOf,
  upstreamFinding,
} from "./releases.js";

export interface SizeAnomalyOptions {
  /** Default 3. */
  maxSizeRatio?: number;
  /** Default 1_000_000. */
  minSizeIncreaseBytes?: number;
}

export const DEFAULT_MAX_SIZE_RATIO = 3;
export const DEFAULT_MIN_SIZE_INCREASE_BYTES = 1_000_000;

type SizedFile = ProjectFile & { size: number };

interface Comparison {
  kind: "sdist" | "wheel";
  file: string;
  size: number;
  previousFile: string;
  previousSize: number;
  /** size / previousSize, rounded to 2 decimals; null when the previous file was empty. */
  ratio: number | null;
}

function publicPart(version: string): string {
  const plus = version.indexOf("+");
  return plus === -1 ? version : version.slice(0, plus);
}

/** A wheel's tag triple: its last three `-` parts (tags never contain `-`, so no full file-name parser is needed). */
function wheelTags(filename: string): string {
  return filename
    .replace(/\.whl$/i, "")
    .split("-")
    .slice(-3)
    .join("-")
    .toLowerCase();
}

function sized(files: readonly ProjectFile[]): SizedFile[] {
  return files.filter((f): f is SizedFile => f.size !== null);
}

function largest(files: readonly SizedFile[]): SizedFile | undefined {
  return files.reduce<SizedFile | undefined>(
    (a, f) => (a === undefined || f.size > a.size ? f : a),
    undefined,
  );
}

function previousRelease(releases: readonly Release[], version: string): Release | undefined {
  const pre = isPrerelease(version);
  const local = localLabel(version);
  const candidates = releases.filter(
    (r) =>
      compare(publicPart(r.version), publicPart(version)) < 0 &&
      localLabel(r.version) === local &&
      (pre || !isPrerelease(r.version)) &&
      sized(r.files).length > 0,
  );
  return candidates[candidates.length - 1];
}

function compareArtifacts(current: SizedFile[], previous: SizedFile[]): Comparison[] {
  const pairs: [SizedFile, SizedFile, "sdist" | "wheel"][] = [];
  const sdist = largest(current.filter((f) => f.packagetype === "sdist"));
  const prevSdist = largest(previous.filter((f) => f.packagetype === "sdist"));
  if (sdist && prevSdist) pairs.push([sdist, prevSdist, "sdist"]);

  const wheels = current.filter((f) => f.packagetype === "wheel");
  const prevWheels = previous.filter((f) => f.packagetype === "wheel");
  const prevByTags = new Map<string, SizedFile>();
  for (const w of prevWheels) {
    const tags = wheelTags(w.filename);
    const seen = prevByTags.get(tags);
    if (seen === undefined || w.size > seen.size) prevByTags.set(tags, w);
  }
  const sameTags = wheels.flatMap((w) => {
    const prev = prevByTags.get(wheelTags(w.filename));
    return prev ? [[w, prev, "wheel"] as [SizedFile, SizedFile, "wheel"]] : [];
  });
  if (sameTags.length > 0) pairs.push(...sameTags);
  else {
    const wheel = largest(wheels);
    const prevWheel = largest(prevWheels);
    if (wheel && prevWheel) pairs.push([wheel, prevWheel, "wheel"]);
  }
  return pairs.map(([f, p, kind]) => ({
    kind,
    file: f.filename,
    size: f.size,
    previousFile: p.filename,
    previousSize: p.size,
    ratio: p.size > 0 ? Math.round((f.size / p.size) * 100) / 100 : null,
  }));
}

/** Reports artifacts of the pinned release that grew far beyond the same artifacts of the previous release. */
export function checkSizeAnomaly(
  dep: Dependency,
  project: ProjectInfo,
  options: SizeAnomalyOptions = {},
): CheckResult {
  const skip = notFromIndex(dep) ?? quarantined(project);
  if (skip) return cannotRun(skip);
  if (dep.version === null)
    return cannotRun(`${dep.rawName} is not pinned, so there is no release to size up`);
  const version = dep.version;
  if (!valid(version))
    return cannotRun(`${dep.rawName} ${version} is not a PEP 440 version: no release before it`);
  if (!project.capabilities.sizes) return cannotRun(`${project.index} publishes no file sizes`);
  const files = filesOfRelease(project, version);
  if (files.length === 0) return cannotRun(`${dep.rawName} ${version} is not on ${project.index}`);
  const current = sized(files);
  if (current.length === 0) return cannotRun(`${project.index} gives no sizes for ${dep.rawName} ${version}`);
  const previous = previousRelease(releasesOf(project), version);
  if (previous === undefined)
    return cannotRun(`${dep.rawName} has no earlier release to compare ${version} with`);
  const comparisons = compareArtifacts(current, sized(previous.files));
  if (comparisons.length === 0) {
    return cannotRun(
      `${dep.rawName} ${version} and ${previous.version} share no kind of artifact to compare`,
    );
  }

  const ratioLimit = options.maxSizeRatio ?? DEFAULT_MAX_SIZE_RATIO;
  const minIncrease = options.minSizeIncreaseBytes ?? DEFAULT_MIN_SIZE_INCREASE_BYTES;
  const anomalies = comparisons
    .filter((c) => c.size > ratioLimit * c.previousSize && c.size - c.previousSize >= minIncrease)
    .sort((a, b) => b.size - b.previousSize - (a.size - a.previousSize));
  const worst = anomalies[0];
  if (worst === undefined) return ran([]);
  const times = worst.ratio === null ? "larger than an empty file" : `${worst.ratio}× the size`;
  return ran([
    upstreamFinding(
      "size-anomaly",
      "medium",
      dep,
      `${worst.file} is ${times} of ${worst.previousFile} from ${previous.version} ` +
        `(${worst.size} vs ${worst.previousSize} bytes): inspect what was added`,
      {
        previousVersion: previous.version,
        size: worst.size,
        previousSize: worst.previousSize,
        ratio: worst.ratio,
        maxSizeRatio: ratioLimit,
        minSizeIncreaseBytes: minIncrease,
        anomalies,
      },
      { url: projectPageUrl(project, version) },
    ),
  ]);
}
