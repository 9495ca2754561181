// Compares a statement subject with a distribution file name as parsed wheel/sdist names, not raw strings.
import { type DistFilename, parseDistFilename } from "../standards/filenames.js";
import { eq } from "../standards/pep440.js";

/** Every `python-abi-platform` triple a wheel's compressed tag sets stand for. */
function tagSet(name: DistFilename): Set<string> {
  const tags = new Set<string>();
  if (name.kind !== "wheel") return tags;
  for (const p of name.pythonTags)
    for (const a of name.abiTags) for (const pl of name.platformTags) tags.add(`${p}-${a}-${pl}`);
  return tags;
}

function buildTag(name: DistFilename): string {
  return name.kind === "wheel" && name.buildTag ? `${name.buildTag.number}${name.buildTag.rest}` : "";
}

/** The archive format: a `.zip` sdist is not the same file as a `.tar.gz` of the same release. */
function format(name: DistFilename): string {
  return name.kind === "wheel" ? "wheel" : name.extension;
}

/**
 * True when two file names name the same distribution: same normalised project name, equal PEP 440 version,
 * same archive format, and for wheels the same build tag and the same set of tags (compressed tag sets may be
 * written in any order: `manylinux_2_17_x86_64.manylinux2014_x86_64` is `manylinux2014_x86_64.manylinux_2_17_x86_64`).
 * Names that parse as neither wheel nor sdist are compared as exact strings.
 */
export function sameDistribution(a: string, b: string): boolean {
  const pa = parseDistFilename(a);
  const pb = parseDistFilename(b);
  if (!pa.ok || !pb.ok) return a === b;
  const x = pa.value;
  const y = pb.value;
  if (format(x) !== format(y) || x.normalizedName !== y.normalizedName || buildTag(x) !== buildTag(y))
    return false;
  if (!eq(x.version, y.version)) return false;
  const tx = tagSet(x);
  const ty = tagSet(y);
  return tx.size === ty.size && [...tx].every((tag) => ty.has(tag));
}
