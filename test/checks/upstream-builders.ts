// Hand-built index data for the upstream-check tests: projects, release files and dependencies in one line each.
import { type DependencyInit, makeDependency } from "../../src/inventory/dependency.js";
import type { Dependency } from "../../src/inventory/types.js";
import type { IndexCapabilities, ProjectFile, ProjectInfo } from "../../src/upstream/types.js";

export const PYPI = "https://pypi.org/simple/";
/** The fixed "now" of every test. */
export const NOW = new Date("2026-08-01T12:00:00Z");

/** An ISO upload time `days` (fractions allowed) before NOW. */
export function daysAgo(days: number): string {
  return new Date(NOW.getTime() - days * 86_400_000).toISOString();
}

type FileInit = Partial<Omit<ProjectFile, "filename" | "version" | "packagetype">>;

function projectFile(
  filename: string,
  version: string,
  packagetype: ProjectFile["packagetype"],
  init: FileInit,
): ProjectFile {
  return {
    filename,
    url: `https://files.example/${filename}`,
    hashes: {},
    version,
    packagetype,
    requiresPython: null,
    yanked: false,
    yankedReason: null,
    size: null,
    uploadTime: null,
    coreMetadata: false,
    provenance: null,
    ...init,
  };
}

export function sdist(name: string, version: string, init: FileInit = {}): ProjectFile {
  return projectFile(`${name}-${version}.tar.gz`, version, "sdist", init);
}

export function wheel(
  name: string,
  version: string,
  tags = "py3-none-any",
  init: FileInit = {},
): ProjectFile {
  return projectFile(`${name}-${version}-${tags}.whl`, version, "wheel", init);
}

const FULL: IndexCapabilities = {
  json: true,
  jsonApi: true,
  uploadTimes: true,
  sizes: true,
  projectStatus: true,
  provenance: true,
};

export function project(
  name: string,
  files: ProjectFile[],
  init: Partial<Omit<ProjectInfo, "capabilities">> & { capabilities?: Partial<IndexCapabilities> } = {},
): ProjectInfo {
  const versions = [...new Set(files.map((f) => f.version).filter((v): v is string => v !== null))];
  return {
    name,
    index: PYPI,
    apiVersion: "1.4",
    lastSerial: 1,
    status: { status: "active", reason: null },
    versions,
    files,
    ownership: null,
    ...init,
    capabilities: { ...FULL, ...init.capabilities },
  };
}

/** A requirements-file dependency (`specifier` decides pinned/version, as the parsers do). */
export function requirement(rawName: string, specifier = "", init: Partial<DependencyInit> = {}): Dependency {
  return makeDependency({
    rawName,
    specifier,
    format: "requirements",
    file: "requirements.txt",
    line: 3,
    ...init,
  });
}

/** A lock-file entry: pinned to `version`, specifier empty. */
export function locked(rawName: string, version: string, init: Partial<DependencyInit> = {}): Dependency {
  return makeDependency({
    rawName,
    lockedVersion: version,
    format: "uv-lock",
    file: "uv.lock",
    line: 10,
    ...init,
  });
}
