// Wheel and sdist file names (binary distribution format, PEP 427; source distribution format, PEP 625).
import { normalizeName } from "./names.js";
import { valid } from "./pep440.js";

export interface BuildTag {
  /** The leading digits, which sort numerically. */
  number: number;
  /** The rest of the tag, which sorts as a string. */
  rest: string;
}

export interface WheelFilename {
  kind: "wheel";
  filename: string;
  /** The name as written in the file name (`-` never appears; `_` stands for any separator run). */
  name: string;
  /** PEP 503-normalised project name. */
  normalizedName: string;
  version: string;
  buildTag: BuildTag | null;
  /** Compressed tag sets expanded: `py2.py3` -> ["py2", "py3"]. */
  pythonTags: string[];
  abiTags: string[];
  platformTags: string[];
}

export type SdistExtension = ".tar.gz" | ".zip" | ".tar.bz2" | ".tar.xz" | ".tgz" | ".tar";

export interface SdistFilename {
  kind: "sdist";
  filename: string;
  name: string;
  normalizedName: string;
  version: string;
  extension: SdistExtension;
  /** True for the PEP 625 form: `.tar.gz` with a normalised name (`_` for separators). */
  standard: boolean;
}

export type DistFilename = WheelFilename | SdistFilename;

export type FilenameResult<T> = { ok: true; value: T } | { ok: false; message: string };

// Longest first, so `.tar.gz` wins over `.gz`-less `.tar`.
const SDIST_EXTENSIONS: readonly SdistExtension[] = [
  ".tar.gz",
  ".tar.bz2",
  ".tar.xz",
  ".tgz",
  ".zip",
  ".tar",
];

/** A file name must be one path component: no separators, no NUL, not `.`/`..` (a hostile index could send them). */
export function unsafeFilenameReason(filename: string): string | null {
  if (filename === "") return "empty file name";
  if (/[/\\\0]/.test(filename)) return `file name '${filename}' contains a path separator or NUL`;
  if (filename === "." || filename === "..") return `file name '${filename}' is not a file name`;
  return null;
}

/** The form of a project name used inside wheel and sdist file names: normalised, with `-` as `_`. */
export function filenameProjectName(name: string): string {
  return normalizeName(name).replace(/-/g, "_");
}

/** Two project names are the same project (PEP 503 comparison). */
export function sameProject(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}

const NAME_COMPONENT = /^[A-Za-z0-9]([A-Za-z0-9._]*[A-Za-z0-9])?$/;
const TAG_COMPONENT = /^[A-Za-z0-9_.+]+$/;

/** Parses `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`. */
export function parseWheelFilename(filename: string): FilenameResult<WheelFilename> {
  const unsafe = unsafeFilenameReason(filename);
  if (unsafe) return { ok: false, message: unsafe };
  if (!filename.toLowerCase().endsWith(".whl"))
    return { ok: false, message: `'${filename}' is not a .whl file` };
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) {
    return { ok: false, message: `wheel file name '${filename}' must have 5 or 6 dash-separated parts` };
  }
  const name = parts[0]!;
  const version = parts[1]!;
  if (!NAME_COMPONENT.test(name)) {
    return { ok: false, message: `wheel file name '${filename}' has an invalid project name '${name}'` };
  }
  if (!valid(version)) {
    return { ok: false, message: `wheel file name '${filename}' has an invalid version '${version}'` };
  }
  let buildTag: BuildTag | null = null;
  if (parts.length === 6) {
    const m = /^(\d+)(.*)$/.exec(parts[2]!);
    if (!m) {
      return {
        ok: false,
        message: `wheel file name '${filename}' has a build tag that does not start with a digit`,
      };
    }
    buildTag = { number: Number(m[1]), rest: m[2]! };
  }
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  for (const tag of [python, abi, platform]) {
    if (!TAG_COMPONENT.test(tag)) {
      return { ok: false, message: `wheel file name '${filename}' has an invalid tag '${tag}'` };
    }
  }
  return {
    ok: true,
    value: {
      kind: "wheel",
      filename,
      name,
      normalizedName: normalizeName(name),
      version,
      buildTag,
      pythonTags: python.split("."),
      abiTags: abi.split("."),
      platformTags: platform.split("."),
    },
  };
}

/**
 * Parses `{name}-{version}.tar.gz` (and the legacy `.zip`, `.tar.bz2`, ... forms PyPI still lists).
 * Old sdists may have dashes in the name (`python-dateutil-2.8.2.tar.gz`): with `project` given, the split is
 * where the prefix is that project; without it, at the last dash (as `packaging` does).
 */
export function parseSdistFilename(filename: string, project?: string): FilenameResult<SdistFilename> {
  const unsafe = unsafeFilenameReason(filename);
  if (unsafe) return { ok: false, message: unsafe };
  const lower = filename.toLowerCase();
  const extension = SDIST_EXTENSIONS.find((e) => lower.endsWith(e));
  if (!extension) return { ok: false, message: `'${filename}' is not an sdist archive` };
  const stem = filename.slice(0, -extension.length);
  let split = -1;
  if (project !== undefined) {
    const wanted = normalizeName(project);
    for (let i = stem.indexOf("-"); i !== -1; i = stem.indexOf("-", i + 1)) {
      if (normalizeName(stem.slice(0, i)) === wanted) {
        split = i;
        break;
      }
    }
  }
  if (split === -1) split = stem.lastIndexOf("-");
  if (split <= 0 || split === stem.length - 1) {
    return { ok: false, message: `sdist file name '${filename}' is not '<name>-<version>${extension}'` };
  }
  const name = stem.slice(0, split);
  const version = stem.slice(split + 1);
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    return { ok: false, message: `sdist file name '${filename}' has an invalid project name '${name}'` };
  }
  if (!valid(version)) {
    return { ok: false, message: `sdist file name '${filename}' has an invalid version '${version}'` };
  }
  return {
    ok: true,
    value: {
      kind: "sdist",
      filename,
      name,
      normalizedName: normalizeName(name),
      version,
      extension,
      standard: extension === ".tar.gz" && name === filenameProjectName(name),
    },
  };
}

/** Parses a wheel or sdist file name; anything else (eggs, exe installers) is an error naming the file. */
export function parseDistFilename(filename: string, project?: string): FilenameResult<DistFilename> {
  if (filename.toLowerCase().endsWith(".whl")) return parseWheelFilename(filename);
  return parseSdistFilename(filename, project);
}
