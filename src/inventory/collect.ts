// The inventory stage of the pipeline: paths and environments in, one list of dependencies and errors out.
import { closeSync, fstatSync, readSync } from "node:fs";
import { discover } from "./discovery.js";
import { openForReading, readTextFile } from "./read.js";
import type { Dependency, FormatId, InputError, ParseResult, Parser } from "./types.js";

/**
 * The parser of each format, loaded on first use: a run reads one or two formats, and loading all nine parsers
 * (with the SBOM parser's purl library) cost more start-up than parsing a typical lock file.
 */
const PARSERS: Record<Exclude<FormatId, "environment">, () => Promise<Parser>> = {
  requirements: async () => {
    const { parseRequirements } = await import("./requirements.js");
    return (text, file) => parseRequirements(text, file);
  },
  pyproject: async () => (await import("./pyproject.js")).parsePyproject,
  "poetry-lock": async () => (await import("./poetry-lock.js")).parsePoetryLock,
  pipfile: async () => (await import("./pipfile.js")).parsePipfile,
  "pipfile-lock": async () => (await import("./pipfile-lock.js")).parsePipfileLock,
  "pdm-lock": async () => (await import("./pdm-lock.js")).parsePdmLock,
  "uv-lock": async () => (await import("./uv-lock.js")).parseUvLock,
  pylock: async () => (await import("./pylock.js")).parsePylock,
  cyclonedx: async () => (await import("./cyclonedx.js")).parseCycloneDx,
};

async function scanEnvironment(dir: string): Promise<ParseResult> {
  return (await import("./environment.js")).scanEnvironment(dir);
}

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
    fd = openForReading(path);
    if (!fstatSync(fd).isFile()) return null;
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
export async function collectInventory(request: InventoryRequest): Promise<Inventory> {
  const { files: found, errors } = discover(request.paths, sniffHead);
  const files: InventoryFile[] = [];
  const dependencies: Dependency[] = [];
  const seen = new Set<string>();
  const add = (deps: Dependency[]) => {
    for (const d of deps) {
      // A requirements file reached both directly and through a `-r` include is inventoried once (other formats
      // have no includes: their records skip the key, which costs more than the rest of a big lock file).
      if (d.format !== "requirements") {
        dependencies.push(d);
        continue;
      }
      const key = `${d.file}\0${d.line}\0${d.name}\0${d.specifier}\0${d.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      dependencies.push(d);
    }
  };

  // Every needed parser is requested at once, before the first file is read: loading them overlaps the reads.
  const parsers = new Map<FormatId, Promise<Parser>>();
  for (const { format } of found) {
    if (format === "environment" || parsers.has(format)) continue;
    const loading = PARSERS[format]();
    loading.catch(() => undefined); // awaited below unless every file of the format is unreadable
    parsers.set(format, loading);
  }
  for (const { path, format } of found) {
    if (format === "environment") continue;
    const read = readTextFile(path);
    if (!read.ok) {
      errors.push(read.error);
      files.push({ path, format, dependencies: 0, read: false });
      continue;
    }
    const parse = await parsers.get(format)!;
    const result = parse(read.text, path);
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
    const result = await scanEnvironment(dir);
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
