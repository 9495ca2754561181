// The inventory stage of the pipeline: paths and environments in, one list of dependencies and errors out.
import { closeSync, openSync, readSync } from "node:fs";
import { parseCycloneDx } from "./cyclonedx.js";
import { discover } from "./discovery.js";
import { scanEnvironment } from "./environment.js";
import { parsePdmLock } from "./pdm-lock.js";
import { parsePipfile } from "./pipfile.js";
import { parsePipfileLock } from "./pipfile-lock.js";
import { parsePoetryLock } from "./poetry-lock.js";
import { parsePylock } from "./pylock.js";
import { parsePyproject } from "./pyproject.js";
import { readTextFile } from "./read.js";
import { parseRequirements } from "./requirements.js";
import type { Dependency, FormatId, InputError, Parser } from "./types.js";
import { parseUvLock } from "./uv-lock.js";

const PARSERS: Record<Exclude<FormatId, "environment">, Parser> = {
  requirements: (text, file) => parseRequirements(text, file),
  pyproject: parsePyproject,
  "poetry-lock": parsePoetryLock,
  pipfile: parsePipfile,
  "pipfile-lock": parsePipfileLock,
  "pdm-lock": parsePdmLock,
  "uv-lock": parseUvLock,
  pylock: parsePylock,
  cyclonedx: parseCycloneDx,
};

export interface InventoryRequest {
  /** Files and directories to inventory. */
  paths: string[];
  /** Installed environments (virtualenvs or site-packages folders). */
  envDirs?: string[];
}

export interface InventoryFile {
  path: string;
  format: FormatId;
  dependencies: number;
  /** False when the file could not be read or parsed at all. */
  read: boolean;
}

export interface Inventory {
  files: InventoryFile[];
  dependencies: Dependency[];
  errors: InputError[];
}

/** Reads the first few KiB of a file, for recognising a format by its content. */
function sniffHead(path: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8");
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Runs discovery and every parser; never throws for bad input. */
export function collectInventory(request: InventoryRequest): Inventory {
  const { files: found, errors } = discover(request.paths, sniffHead);
  const files: InventoryFile[] = [];
  const dependencies: Dependency[] = [];
  const seen = new Set<string>();
  const add = (deps: Dependency[]) => {
    for (const d of deps) {
      // A file reached both directly and through a `-r` include is inventoried once.
      const key = `${d.file}\0${d.line}\0${d.name}\0${d.specifier}\0${d.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      dependencies.push(d);
    }
  };

  for (const { path, format } of found) {
    if (format === "environment") continue;
    const read = readTextFile(path);
    if (!read.ok) {
      errors.push(read.error);
      files.push({ path, format, dependencies: 0, read: false });
      continue;
    }
    const result = PARSERS[format](read.text, path);
    add(result.dependencies);
    errors.push(...result.errors);
    files.push({
      path,
      format,
      dependencies: result.dependencies.length,
      read: result.dependencies.length > 0 || result.errors.length === 0,
    });
  }
  for (const dir of request.envDirs ?? []) {
    const result = scanEnvironment(dir);
    add(result.dependencies);
    errors.push(...result.errors);
    files.push({
      path: dir,
      format: "environment",
      dependencies: result.dependencies.length,
      read: result.dependencies.length > 0 || result.errors.length === 0,
    });
  }
  return { files, dependencies, errors };
}
