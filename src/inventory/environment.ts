// Inventory of an installed Python environment: the *.dist-info and *.egg-info records in its site-packages.
import { type Dirent, existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { metadataName, metadataVersion, parseCoreMetadata } from "../standards/core-metadata.js";
import { type DirectUrl, fileUrlPath, parseDirectUrl } from "../standards/direct-url.js";
import { isValidName, normalizeName } from "../standards/names.js";
import { valid } from "../standards/pep440.js";
import { makeDependency } from "./dependency.js";
import { describeFsError, readTextFile } from "./read.js";
import type { Dependency, InputError, ParseResult, Source } from "./types.js";

export interface InstalledDistribution {
  dependency: Dependency;
  /** The first line of INSTALLER ("pip", "uv", ...), or null when the file is absent (PEP 376). */
  installer: string | null;
  /** A REQUESTED file is present: someone asked for this distribution by name (PEP 376). */
  requested: boolean;
}

export interface EnvironmentScan {
  distributions: InstalledDistribution[];
  errors: InputError[];
}

/** `lib/python3.12`, `lib/python3.13t` (free-threaded), `lib/pypy3.10`. */
const INTERPRETER_DIR = /^(python|pypy)\d+(\.\d+)*t?$/;

/**
 * Scans a virtual environment (or any prefix with `lib/python3.*`/`Lib` site-packages) or a site-packages
 * folder. `reportAs` replaces `dir` in the paths that results and errors carry.
 */
export function scanEnvironmentDetailed(dir: string, reportAs?: string): EnvironmentScan {
  const errors: InputError[] = [];
  const distributions: InstalledDistribution[] = [];
  const shown = (path: string) => join(reportAs ?? dir, relative(dir, path));

  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (e) {
    return { distributions, errors: [{ file: shown(dir), message: describeFsError(e) }] };
  }
  if (!st.isDirectory()) {
    return {
      distributions,
      errors: [
        { file: shown(dir), message: "not a directory: expected a virtual environment or site-packages" },
      ],
    };
  }

  const folders = sitePackagesFolders(dir, errors, shown);
  for (const folder of folders) {
    distributions.push(...scanSitePackages(folder, errors, shown));
  }
  return { distributions, errors };
}

/** The environment's dependencies as an inventory ParseResult (format "environment"). */
export function scanEnvironment(dir: string, reportAs?: string): ParseResult {
  const scan = scanEnvironmentDetailed(dir, reportAs);
  return { dependencies: scan.distributions.map((d) => d.dependency), errors: scan.errors };
}

function listDir(dir: string): Dirent[] | null {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch {
    return null;
  }
}

function isMetadataDirName(name: string): boolean {
  return name.endsWith(".dist-info") || name.endsWith(".egg-info");
}

/** The site-packages folders of an environment, each once even when reached through symlinks (lib64 -> lib). */
function sitePackagesFolders(dir: string, errors: InputError[], shown: (p: string) => string): string[] {
  const candidates: string[] = [];
  for (const lib of ["lib", "lib64"]) {
    for (const entry of listDir(join(dir, lib)) ?? []) {
      if (INTERPRETER_DIR.test(entry.name)) candidates.push(join(dir, lib, entry.name, "site-packages"));
    }
  }
  // Windows layout; on a case-insensitive file system this is `lib` again and the realpath check drops it.
  candidates.push(join(dir, "Lib", "site-packages"));

  const isVenv = existsSync(join(dir, "pyvenv.cfg"));
  const found: string[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      errors.push({ file: shown(candidate), message: `site-packages skipped: ${describeFsError(e)}` });
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    found.push(candidate);
  }
  if (found.length > 0) return found;

  const looksLikeSitePackages =
    /^(site|dist)-packages$/.test(basename(dir)) ||
    (listDir(dir) ?? []).some((e) => isMetadataDirName(e.name));
  if (looksLikeSitePackages && !isVenv) return [dir];
  errors.push({
    file: shown(dir),
    message: isVenv
      ? "virtual environment without a readable lib/python3.*/site-packages or Lib/site-packages folder"
      : "not a virtual environment (no pyvenv.cfg, no lib/python3.*/site-packages) nor a site-packages folder",
  });
  return [];
}

/** Reads every *.dist-info / *.egg-info in one site-packages folder (one level: nothing to loop through). */
function scanSitePackages(
  folder: string,
  errors: InputError[],
  shown: (p: string) => string,
): InstalledDistribution[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (e) {
    errors.push({ file: shown(folder), message: `cannot list site-packages: ${describeFsError(e)}` });
    return [];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const result: InstalledDistribution[] = [];
  for (const entry of entries) {
    if (!isMetadataDirName(entry.name)) continue;
    const path = join(folder, entry.name);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      errors.push({ file: shown(path), message: `skipped: ${describeFsError(e)}` });
      continue;
    }
    const dist = entry.name.endsWith(".dist-info")
      ? readDistInfo(path, isDir, errors, shown)
      : readEggInfo(path, isDir, errors, shown);
    if (dist) result.push(dist);
  }
  reportDuplicates(result, errors);
  return result;
}

/** The name and version a metadata folder's own name carries: `{name}-{version}.dist-info`, `{name}-{version}-py3.11.egg-info`. */
function nameFromFolder(folderName: string): { name: string | null; version: string | null } {
  if (folderName.endsWith(".dist-info")) {
    const stem = folderName.slice(0, -".dist-info".length);
    const dash = stem.lastIndexOf("-");
    return dash <= 0
      ? { name: stem || null, version: null }
      : { name: stem.slice(0, dash), version: stem.slice(dash + 1) || null };
  }
  const parts = folderName.slice(0, -".egg-info".length).split("-");
  return { name: parts[0] || null, version: parts[1] || null };
}

interface MetadataRead {
  rawName: string;
  version: string;
}

/** Name and Version from a METADATA/PKG-INFO file, falling back (with an error) to the folder's name. */
function readMetadataFile(
  metadataPath: string,
  folderName: string,
  errors: InputError[],
  shown: (p: string) => string,
): MetadataRead | null {
  const file = shown(metadataPath);
  const read = readTextFile(metadataPath, file);
  if (!read.ok) {
    errors.push({ file, message: `distribution skipped: cannot read its metadata: ${read.error.message}` });
    return null;
  }
  const meta = parseCoreMetadata(read.text);
  for (const err of meta.errors) errors.push({ file, line: err.line, message: err.message });
  const fromFolder = nameFromFolder(folderName);
  let rawName = metadataName(meta);
  if (rawName === null) {
    if (fromFolder.name === null) {
      errors.push({ file, message: "distribution skipped: no Name in its metadata nor in its folder name" });
      return null;
    }
    errors.push({
      file,
      message: `no Name in the metadata; using "${fromFolder.name}" from the folder name`,
    });
    rawName = fromFolder.name;
  }
  if (!isValidName(rawName)) {
    errors.push({
      file,
      message: `distribution skipped: ${JSON.stringify(rawName)} is not a valid project name`,
    });
    return null;
  }
  let version = metadataVersion(meta);
  if (version === null) {
    if (fromFolder.version === null) {
      errors.push({
        file,
        message: `distribution ${rawName} skipped: no Version in its metadata nor in its folder name`,
      });
      return null;
    }
    errors.push({
      file,
      message: `no Version in the metadata; using "${fromFolder.version}" from the folder name`,
    });
    version = fromFolder.version;
  }
  // Kept (it is installed), but said: no advisory range can be matched against a version that is not PEP 440.
  if (valid(version) === null) {
    errors.push({
      file,
      message: `${rawName}'s Version ${JSON.stringify(version)} is not a PEP 440 version: advisories cannot be matched against it`,
    });
  }
  return { rawName, version };
}

const KNOWN_VCS: ReadonlySet<string> = new Set(["git", "hg", "svn", "bzr"]);

/** The inventory Source a PEP 610 record describes: the VCS commit actually installed, an archive or a path. */
export function directUrlSource(d: DirectUrl): Source {
  if (d.kind === "vcs") {
    if (KNOWN_VCS.has(d.vcs)) {
      const vcs = d.vcs as "git" | "hg" | "svn" | "bzr";
      return { kind: "vcs", vcs, url: d.url, ref: d.commitId ?? d.requestedRevision };
    }
    return { kind: "url", url: d.url };
  }
  const path = fileUrlPath(d.url);
  return path === null ? { kind: "url", url: d.url } : { kind: "path", path };
}

function readDistInfo(
  path: string,
  isDir: boolean,
  errors: InputError[],
  shown: (p: string) => string,
): InstalledDistribution | null {
  if (!isDir) {
    errors.push({ file: shown(path), message: "skipped: a .dist-info must be a directory" });
    return null;
  }
  const meta = readMetadataFile(join(path, "METADATA"), basename(path), errors, shown);
  if (!meta) return null;

  let source: Source | null = null;
  let editable = false;
  let hashes: string[] = [];
  const directUrlPath = join(path, "direct_url.json");
  if (existsSync(directUrlPath)) {
    const file = shown(directUrlPath);
    const read = readTextFile(directUrlPath, file);
    if (!read.ok) errors.push(read.error);
    else {
      const parsed = parseDirectUrl(read.text);
      if (!parsed.ok) errors.push({ file, message: `ignored: ${parsed.message}` });
      else {
        for (const warning of parsed.warnings) errors.push({ file, message: warning });
        source = directUrlSource(parsed.value);
        if (parsed.value.kind === "dir") editable = parsed.value.editable;
        if (parsed.value.kind === "archive") hashes = parsed.value.hashes;
      }
    }
  }

  let installer: string | null = null;
  const installerPath = join(path, "INSTALLER");
  if (existsSync(installerPath)) {
    const read = readTextFile(installerPath, shown(installerPath));
    if (!read.ok) errors.push(read.error);
    else installer = read.text.split(/\r\n|\n|\r/, 1)[0]?.trim() || null;
  }
  const requested = existsSync(join(path, "REQUESTED"));

  const dependency = makeDependency({
    rawName: meta.rawName,
    format: "environment",
    file: shown(path),
    line: null,
    lockedVersion: meta.version,
    hashes,
    direct: requested,
    source,
    editable,
  });
  return { dependency, installer, requested };
}

/** Legacy setuptools metadata: a folder with PKG-INFO, or a single PKG-INFO file named `*.egg-info`. */
function readEggInfo(
  path: string,
  isDir: boolean,
  errors: InputError[],
  shown: (p: string) => string,
): InstalledDistribution | null {
  const meta = readMetadataFile(isDir ? join(path, "PKG-INFO") : path, basename(path), errors, shown);
  if (!meta) return null;
  const dependency = makeDependency({
    rawName: meta.rawName,
    format: "environment",
    file: shown(path),
    line: null,
    lockedVersion: meta.version,
    // egg-info has no REQUESTED marker: whether it was asked for is unknown.
    direct: null,
  });
  return { dependency, installer: null, requested: false };
}

/** Two records of one project in one site-packages: Python imports whichever it happens to find first. */
function reportDuplicates(dists: InstalledDistribution[], errors: InputError[]): void {
  const byName = new Map<string, InstalledDistribution[]>();
  for (const d of dists) {
    const key = normalizeName(d.dependency.name);
    const list = byName.get(key);
    if (list) list.push(d);
    else byName.set(key, [d]);
  }
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    const where = list.map((d) => `${d.dependency.version} (${basename(d.dependency.file)})`).join(", ");
    errors.push({
      file: list[1]!.dependency.file,
      message: `${name} is installed ${list.length} times in one site-packages: ${where}; which one Python imports depends on directory order`,
    });
  }
}
