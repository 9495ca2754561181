// Which index pip would use: PIP_* variables and pip.conf files, in pip's own order of precedence.
//
// pip reads its files with Python's configparser (RawConfigParser): `key = value` or `key: value`, full-line
// `#`/`;` comments, indented continuation lines, case-insensitive keys. The `ini` package on npm does not do
// continuation lines, which is how multi-line `extra-index-url` lists are written, so this is a small reader.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { InputError } from "../inventory/types.js";

export const DEFAULT_INDEX_URL = "https://pypi.org/simple";

export interface PipIndexConfig {
  indexUrl: string;
  extraIndexUrls: string[];
  /** Where `indexUrl` came from: "env" (PIP_INDEX_URL), a config file path, or "default". */
  source: string;
  /** The config files that were read, lowest precedence first. */
  files: string[];
  /** Unreadable or malformed config files (a missing file is not an error). */
  errors: InputError[];
}

export interface PipConfigOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** The pip command whose section counts besides [global]. Default "install". */
  command?: string;
  /** Reads a file; returns null when it does not exist. Default: the file system. */
  readFile?: (path: string) => string | null;
}

type Sections = Map<string, Map<string, string>>;

/** Parses configparser-style text; problems are reported with their line. */
export function parsePipConf(text: string, file: string): { sections: Sections; errors: InputError[] } {
  const sections: Sections = new Map();
  const errors: InputError[] = [];
  let section: Map<string, string> | null = null;
  let lastKey: string | null = null;
  const lines = text.replace(/^\ufeff/, "").split(/\r\n|\n|\r/);
  for (const [index, line] of lines.entries()) {
    const lineNo = index + 1;
    if (/^\s*$/.test(line)) {
      lastKey = null;
      continue;
    }
    if (/^\s*[#;]/.test(line)) continue;
    if (/^\s/.test(line) && section && lastKey !== null) {
      section.set(lastKey, `${section.get(lastKey) ?? ""}\n${line.trim()}`);
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      lastKey = null;
      continue;
    }
    const option = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!option) {
      errors.push({ file, line: lineNo, message: `not a 'key = value' line: ${line.trim()}` });
      continue;
    }
    if (!section) {
      errors.push({ file, line: lineNo, message: "an option before any [section]" });
      continue;
    }
    // pip treats `index_url` and `index-url` alike.
    lastKey = option[1]!.trim().toLowerCase().replace(/_/g, "-");
    section.set(lastKey, option[2]!.trim());
  }
  return { sections, errors };
}

/** pip's config files, lowest precedence first: global, user (legacy, then XDG), site (the virtualenv), PIP_CONFIG_FILE. */
export function pipConfigFiles(
  env: NodeJS.ProcessEnv,
  home: string,
  exists: (path: string) => boolean = (path) => readOrNull(path) !== null,
): { files: string[]; disabled: boolean } {
  const configFile = env.PIP_CONFIG_FILE;
  // pip reads no file at all when PIP_CONFIG_FILE is the null device.
  if (configFile === "/dev/null" || configFile === "nul") return { files: [], disabled: true };
  const xdgDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").filter((d) => d !== "");
  const files = [...xdgDirs.map((d) => join(d, "pip", "pip.conf")), "/etc/pip.conf"];
  // A PIP_CONFIG_FILE that exists replaces the user's files (it still comes after the site file).
  const configFileExists = configFile !== undefined && configFile !== "" && exists(configFile);
  if (!configFileExists) {
    const xdgHome = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : join(home, ".config");
    files.push(join(home, ".pip", "pip.conf"), join(xdgHome, "pip", "pip.conf"));
  }
  if (env.VIRTUAL_ENV) files.push(join(env.VIRTUAL_ENV, "pip.conf"));
  if (configFile) files.push(configFile);
  return { files, disabled: false };
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
}

/** pip splits list-valued options (extra-index-url) on any whitespace, in files and variables alike. */
function splitList(value: string): string[] {
  return value.split(/\s+/).filter((v) => v !== "");
}

/**
 * The index URLs pip would use for `pip <command>`. Precedence, highest first: PIP_INDEX_URL /
 * PIP_EXTRA_INDEX_URL; the command's section ([install]) of the merged files; [global] of the merged files.
 * Within one section a later file wins (global < user < site < PIP_CONFIG_FILE).
 */
export function readPipIndexConfig(options: PipConfigOptions = {}): PipIndexConfig {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const command = options.command ?? "install";
  const read = options.readFile ?? readOrNull;
  const errors: InputError[] = [];
  const { files } = pipConfigFiles(env, home, (path) => {
    try {
      return read(path) !== null;
    } catch {
      return true;
    }
  });

  // Merged "section.key" -> value and the file it came from, as pip's Configuration does.
  const merged = new Map<string, { value: string; file: string }>();
  const readFiles: string[] = [];
  for (const file of files) {
    let text: string | null;
    try {
      text = read(file);
    } catch (e) {
      errors.push({ file, message: `cannot read pip configuration: ${(e as Error).message}` });
      continue;
    }
    if (text === null) continue;
    readFiles.push(file);
    const parsed = parsePipConf(text, file);
    errors.push(...parsed.errors);
    for (const [section, options] of parsed.sections) {
      for (const [key, value] of options) merged.set(`${section}.${key}`, { value, file });
    }
  }

  const pick = (key: string): { value: string; source: string } | null => {
    const fromEnv = env[`PIP_${key.toUpperCase().replace(/-/g, "_")}`];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: "env" };
    for (const section of [command, "global"]) {
      const hit = merged.get(`${section}.${key}`);
      if (hit) return { value: hit.value, source: hit.file };
    }
    return null;
  };

  const index = pick("index-url");
  const extra = pick("extra-index-url");
  return {
    indexUrl: index ? (splitList(index.value)[0] ?? DEFAULT_INDEX_URL) : DEFAULT_INDEX_URL,
    extraIndexUrls: extra ? splitList(extra.value) : [],
    source: index ? index.source : "default",
    files: readFiles,
    errors,
  };
}
