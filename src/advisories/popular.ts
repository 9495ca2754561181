// The popular-projects list (hugovk/top-pypi-packages): recognising, parsing and storing it for the typosquat check.
import type { Database } from "better-sqlite3";
import { isValidName, normalizeName } from "../standards/names.js";

export interface PopularProject {
  /** PEP 503-normalised name. */
  name: string;
  /** Downloads over the data set's window (30 days for the current dumps). */
  downloads: number;
}

export interface TopPackages {
  /** Most downloaded first; normalised names, each once. */
  names: PopularProject[];
  /** The dump's `last_update` ("YYYY-MM-DD HH:MM:SS"), or null when the file does not say (CSV). */
  lastUpdate: string | null;
}

/** Where the data set is downloaded from by `db update` (the 30-day dump, minified). */
export const DEFAULT_TOP_PACKAGES_URL =
  "https://hugovk.github.io/top-pypi-packages/top-pypi-packages-30-days.min.json";

// Only the start is looked at: the JSON dumps name `rows` (after `meta`) within the first few hundred bytes.
const SNIFF_LENGTH = 4096;
const CSV_HEADER = /^\uFEFF?"?download_count"?,"?project"?\r?\n/;

/**
 * Is this text a top-pypi-packages dump (the JSON `{ rows: [{ project, download_count }] }` or the CSV
 * `download_count,project`)? Decided from the first few KiB, so an OSV archive or bundle is never parsed whole.
 */
export function isTopPackagesDocument(text: string): boolean {
  const head = text.slice(0, SNIFF_LENGTH);
  if (CSV_HEADER.test(head)) return true;
  if (!/^\uFEFF?\s*\{/.test(head)) return false;
  // The column names appear as row keys or in `meta` (which names the columns even when `rows` is empty).
  return /"rows"\s*:\s*\[/.test(head) && head.includes('"project"') && head.includes('"download_count"');
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function collect(rows: { project: unknown; downloads: unknown }[], what: string): PopularProject[] | string {
  const names: PopularProject[] = [];
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const { project, downloads } = row;
    if (typeof project !== "string" || !isValidName(project)) {
      return `${what} ${i + 1}: "project" is not a valid project name`;
    }
    if (typeof downloads !== "number" || !Number.isFinite(downloads) || downloads < 0) {
      return `${what} ${i + 1}: "download_count" is not a non-negative number`;
    }
    const name = normalizeName(project);
    if (seen.has(name)) continue;
    seen.add(name);
    names.push({ name, downloads });
  }
  if (names.length === 0) return "the list has no projects";
  // The dumps are sorted already; sorting again (stable) keeps a hand-edited copy ranked correctly.
  return names.sort((a, b) => b.downloads - a.downloads);
}

function parseCsv(text: string): TopPackages | { error: string } {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .slice(1);
  const rows = lines
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [count, project] = line.split(",").map((cell) => cell.replace(/^"|"$/g, ""));
      return {
        project: project ?? null,
        downloads: count === undefined || count === "" ? null : Number(count),
      };
    });
  const names = collect(rows, "line");
  return typeof names === "string" ? { error: names } : { names, lastUpdate: null };
}

/** Parses a top-pypi-packages dump (JSON or CSV); anything else is an error value naming the problem. */
export function parseTopPackages(text: string): TopPackages | { error: string } {
  if (!isTopPackagesDocument(text)) {
    return {
      error: "not a top-pypi-packages list (expected a JSON object with rows of project and download_count)",
    };
  }
  if (CSV_HEADER.test(text.slice(0, SNIFF_LENGTH))) return parseCsv(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
  if (!isRecord(doc) || !Array.isArray(doc.rows))
    return { error: 'expected a JSON object with a "rows" array' };
  const rows: { project: unknown; downloads: unknown }[] = [];
  for (const [i, row] of doc.rows.entries()) {
    if (!isRecord(row)) return { error: `row ${i + 1} is not an object` };
    rows.push({ project: row.project, downloads: row.download_count });
  }
  const names = collect(rows, "row");
  if (typeof names === "string") return { error: names };
  return { names, lastUpdate: typeof doc.last_update === "string" ? doc.last_update : null };
}

/** The table the advisory store keeps the list in; rank 1 is the most downloaded. */
export const popularTableSql = `CREATE TABLE IF NOT EXISTS popular_packages (
  name TEXT PRIMARY KEY,
  rank INTEGER NOT NULL,
  downloads INTEGER NOT NULL
)`;

export interface StoredPopularProject extends PopularProject {
  rank: number;
}

/**
 * Replaces the stored list with `names` (ranked in the given order). Runs in a transaction of its own, or as a
 * savepoint inside the caller's, so the store can swap advisories and the list atomically.
 */
export function replacePopular(db: Database, names: readonly PopularProject[]): void {
  db.exec(popularTableSql);
  const insert = db.prepare(
    "INSERT OR IGNORE INTO popular_packages (name, rank, downloads) VALUES (?, ?, ?)",
  );
  db.transaction(() => {
    db.prepare("DELETE FROM popular_packages").run();
    names.forEach((p, i) => {
      insert.run(normalizeName(p.name), i + 1, Math.round(p.downloads));
    });
  })();
}

function hasPopularTable(db: Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'popular_packages'").get() !==
    undefined
  );
}

/** The stored list, most popular first; empty when none was ever imported. */
export function loadPopular(db: Database): StoredPopularProject[] {
  if (!hasPopularTable(db)) return [];
  return db
    .prepare("SELECT name, rank, downloads FROM popular_packages ORDER BY rank")
    .all() as StoredPopularProject[];
}

/**
 * The stored names alone, most popular first: what every audit's typosquat check reads. Plucked as strings, not
 * built into 15,000 row objects (~5 ms against ~20).
 */
export function loadPopularNames(db: Database): string[] {
  if (!hasPopularTable(db)) return [];
  return db.prepare("SELECT name FROM popular_packages ORDER BY rank").pluck().all() as string[];
}
