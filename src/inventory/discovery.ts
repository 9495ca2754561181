// Which files are manifests, and which folders to walk: the one place that knows file-name conventions.
import { type Dirent, existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import { describeFsError } from "./read.js";
import type { FormatId, InputError } from "./types.js";

/** The format a file name implies when found while walking a directory, or null. */
export function formatForName(path: string): FormatId | null {
  const name = basename(path);
  const lower = name.toLowerCase();
  const parent = basename(dirname(path)).toLowerCase();
  if (name === "pyproject.toml") return "pyproject";
  if (name === "poetry.lock") return "poetry-lock";
  if (name === "Pipfile") return "pipfile";
  if (name === "Pipfile.lock") return "pipfile-lock";
  if (name === "pdm.lock") return "pdm-lock";
  if (name === "uv.lock") return "uv-lock";
  if (name === "pylock.toml" || /^pylock\.[^.]+\.toml$/.test(name)) return "pylock";
  if (/(^|[.-])(bom|sbom|cdx|cyclonedx)\.json$/.test(lower)) return "cyclonedx";
  if (lower === "manifest.in") return null;
  if (/^(requirements|constraints)[^/]*\.(txt|in)$/.test(lower)) return "requirements";
  if (/[-_.](requirements|constraints)\.(txt|in)$/.test(lower)) return "requirements";
  if (parent === "requirements" && /\.(txt|in)$/.test(lower)) return "requirements";
  return null;
}

/** The format of a file the user named explicitly: the name first, then the extension, then the content. */
export function formatForExplicitFile(path: string, sniff: () => string | null): FormatId | null {
  const byName = formatForName(path);
  if (byName) return byName;
  const lower = basename(path).toLowerCase();
  if (lower.endsWith(".txt") || lower.endsWith(".in")) return "requirements";
  if (lower.endsWith(".json")) {
    const head = sniff();
    if (head && /"bomFormat"\s*:\s*"CycloneDX"/.test(head)) return "cyclonedx";
    if (head && /"_meta"\s*:/.test(head) && /"default"\s*:/.test(head)) return "pipfile-lock";
  }
  if (lower.endsWith(".toml")) {
    const head = sniff();
    if (head && /^\s*lock-version\s*=/m.test(head)) return "pylock";
    if (head && /^\s*\[project\]|^\s*\[tool\./m.test(head)) return "pyproject";
  }
  if (lower.endsWith(".lock")) {
    const head = sniff();
    if (head && /^\s*\[\[package\]\]/m.test(head)) {
      if (/^\s*requires-python\s*=|^\s*revision\s*=/m.test(head)) return "uv-lock";
      return "poetry-lock";
    }
  }
  return null;
}

/** Folders never walked into unless the user names them: VCS data, dependencies, environments, builds. */
const SKIPPED_DIRS = new Set([
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  "__pycache__",
  ".venv",
  "venv",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  ".eggs",
  "site-packages",
  "build",
  "dist",
  ".idea",
  ".vscode",
]);

function isSkippedDir(dir: string, name: string): boolean {
  if (SKIPPED_DIRS.has(name) || name.endsWith(".egg-info") || name.endsWith(".dist-info")) return true;
  // Any virtual environment, whatever it is called.
  return existsSync(join(dir, name, "pyvenv.cfg"));
}

export interface DiscoveredFile {
  /** The path to read. */
  path: string;
  format: FormatId;
}

export interface Discovery {
  files: DiscoveredFile[];
  errors: InputError[];
}

/**
 * Expands the user's paths into manifest files: named files are taken as they are (format by name, extension
 * or content), directories are walked recursively. Symlinks are followed once (a loop is cut, not followed), and
 * only within the directory named: a link out of it (`up -> ..`) would inventory a tree nobody asked for. A
 * manifest name whose link leads nowhere is reported.
 */
export function discover(paths: string[], sniff: (path: string) => string | null): Discovery {
  const files: DiscoveredFile[] = [];
  const errors: InputError[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();

  const addFile = (path: string, format: FormatId) => {
    let key = path;
    try {
      key = realpathSync(path);
    } catch {
      // unreadable: keep the path as its own key; the reader reports the error
    }
    if (seenFiles.has(key)) return;
    seenFiles.add(key);
    files.push({ path, format });
  };

  const walk = (dir: string, root: string | null) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (e) {
      errors.push({ file: dir, message: describeFsError(e) });
      return;
    }
    const top = root ?? real;
    if (real !== top && !real.startsWith(top.endsWith(sep) ? top : `${top}${sep}`)) return; // a link out of the tree
    if (seenDirs.has(real)) return; // symlink loop or a folder reached twice
    seenDirs.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      errors.push({ file: dir, message: `cannot list directory: ${describeFsError(e)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          // A dangling or looping link: nothing to read, which matters only where a manifest was expected.
          if (formatForName(full))
            errors.push({ file: full, message: "a symbolic link that leads to no file" });
          continue;
        }
      }
      if (isDir) {
        if (!isSkippedDir(dir, entry.name)) walk(full, top);
      } else if (isFile) {
        const format = formatForName(full);
        if (format) addFile(full, format);
      }
    }
  };

  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (e) {
      errors.push({ file: p, message: describeFsError(e) });
      continue;
    }
    if (st.isDirectory()) {
      walk(p, null);
    } else {
      const format = formatForExplicitFile(p, () => sniff(p));
      if (format) addFile(p, format);
      else errors.push({ file: p, message: "not a recognised manifest, lock file or SBOM" });
    }
  }
  return { files, errors };
}
