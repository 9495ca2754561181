// The advisory check: dependencies + known advisories -> one Finding per distinct vulnerability or malicious package.
//
// Rules (why, where not obvious):
// - Records about the same issue (PYSEC-x aliases CVE-y, GHSA-z aliases PYSEC-x, ...) are one finding: ids are
//   grouped transitively over `id` + `aliases` in both directions (union-find), like osv-scanner's grouping.
// - The finding's id is chosen from the group by prefix: MAL- first (the malicious-package verdict is what
//   matters), then GHSA- (the id most tools and GitHub show, with a reviewed severity), then PYSEC-, then CVE-,
//   then anything else; ties go to the smallest id. Every other id of the group goes to `aliases`, sorted.
// - Summary: the first record (in id preference order) with a `summary`, else the first line of `details`,
//   cut to 120 characters. URL: a reference naming the chosen id (github.com/advisories/GHSA-...), else
//   https://osv.dev/vulnerability/<id>, which resolves MAL-, GHSA-, PYSEC- and CVE- ids alike.
// - Withdrawn records are ignored: their database has retracted them.
// - A pinned dependency (version known) is matched with `isAffected`; an unpinned one (version null) is
//   reported when its specifier admits an affected version, with the admitted ranges/versions as evidence.
// - Output is sorted by package, then severity (worst first), then id, then file and line.
import {
  admittedAffected,
  advisoryUrlIn,
  compareVersionText,
  isAffected,
  lowestFix,
  specifierAllows,
} from "../advisories/match.js";
import { severityOf } from "../advisories/severity.js";
import type { Advisory, AffectedPackage } from "../advisories/types.js";
import type { Dependency } from "../inventory/types.js";
import { normalizeName } from "../standards/names.js";
import type { Finding, Severity } from "./types.js";
import { compareText, severityRank } from "./types.js";

export const MALICIOUS_SUMMARY =
  "Known malicious package: remove it and rotate any credentials it could reach";

const SUMMARY_LENGTH = 120;

/**
 * Whitespace that `replace(/\s+/g, " ")` would change: runs of two or more, or one character other than a space.
 * Replacing only these gives the same text without rewriting every single space of a record's prose (that cost
 * ~4 µs per summary, a tenth of an audit's matching).
 */
const EXTRA_WHITESPACE = /\s{2,}|[^\S ]/g;

/** Every run of whitespace as one space. */
export function singleSpaced(text: string): string {
  return text.replace(EXTRA_WHITESPACE, " ");
}

// Case-insensitive prefix tests that allocate nothing: this runs inside every sort of ids, so the first letter
// picks the one prefix worth testing.
const ID_PREFIXES: Readonly<Record<string, readonly [RegExp, number]>> = {
  m: [/^MAL-/i, 0],
  g: [/^GHSA-/i, 1],
  p: [/^PYSEC-/i, 2],
  c: [/^CVE-/i, 3],
};
const OTHER_ID_RANK = 4;

/** Rank of an id's database for choosing a group's id (lower is preferred). */
function idRank(id: string): number {
  const prefix = ID_PREFIXES[id.charAt(0).toLowerCase()];
  return prefix?.[0].test(id) ? prefix[1] : OTHER_ID_RANK;
}

export function compareIds(a: string, b: string): number {
  return idRank(a) - idRank(b) || compareText(a, b);
}

/**
 * Groups advisories whose ids or aliases connect, directly or through a chain: union-find over the records
 * (array indices), joined whenever two share an identifier. Groups come in the order of their first record,
 * records in input order, ids (all ids and aliases of the group) most preferred first.
 */
export function groupByAlias(advisories: readonly Advisory[]): { ids: string[]; records: Advisory[] }[] {
  const only = advisories.length === 1 ? advisories[0] : undefined;
  if (only !== undefined) {
    // One record (the common case per dependency) is one group: its id and aliases.
    return [{ ids: [...new Set([only.id, ...only.aliases])].sort(compareIds), records: [only] }];
  }
  const parent = advisories.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] as number;
    // Path compression keeps later look-ups short.
    for (let node = i; node !== root; ) {
      const next = parent[node] as number;
      parent[node] = root;
      node = next;
    }
    return root;
  };
  // The first record naming each identifier; a later record naming it joins that record's group.
  const owner = new Map<string, number>();
  const claim = (id: string, i: number): void => {
    const other = owner.get(id);
    if (other === undefined) owner.set(id, i);
    else {
      const a = find(other);
      const b = find(i);
      // The smaller index as the root: the group's place is its first record's.
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  };
  advisories.forEach((advisory, i) => {
    claim(advisory.id, i);
    for (const alias of advisory.aliases) claim(alias, i);
  });
  const groups = new Map<number, { ids: Set<string>; records: Advisory[] }>();
  advisories.forEach((advisory, i) => {
    const root = find(i);
    let group = groups.get(root);
    if (!group) {
      group = { ids: new Set(), records: [] };
      groups.set(root, group);
    }
    group.ids.add(advisory.id);
    for (const alias of advisory.aliases) group.ids.add(alias);
    group.records.push(advisory);
  });
  return [...groups.values()].map((g) => ({ ids: [...g.ids].sort(compareIds), records: g.records }));
}

/** One line of text: the record's summary, else the first non-empty line of its details, shortened. */
function summaryOf(records: readonly Advisory[]): string {
  // Line by line, without splitting the whole text: details run to many kilobytes.
  const firstLine = (details: string): string => {
    for (let start = 0; start <= details.length; ) {
      const newline = details.indexOf("\n", start);
      const end = newline === -1 ? details.length : newline;
      const line = details.slice(start, end).trim();
      if (line !== "") return line;
      start = end + 1;
    }
    return "";
  };
  let text = records.find((r) => r.summary.trim() !== "")?.summary.trim() ?? "";
  for (const record of records) {
    if (text !== "") break;
    text = firstLine(record.details);
  }
  const oneLine = singleSpaced(text.slice(0, SUMMARY_LENGTH * 4));
  return oneLine.length > SUMMARY_LENGTH ? `${oneLine.slice(0, SUMMARY_LENGTH - 1).trimEnd()}…` : oneLine;
}

/** A reference that names the chosen id (e.g. github.com/advisories/GHSA-...), else the osv.dev page. */
function urlOf(id: string, records: readonly Advisory[]): string {
  for (const record of records) {
    const named = record.advisoryUrlNaming
      ? record.advisoryUrlNaming(id)
      : advisoryUrlIn(record.references, id);
    if (named !== null) return named;
  }
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

function entriesFor(advisory: Advisory, name: string): AffectedPackage[] {
  return advisory.affected.filter((e) => normalizeName(e.name) === name);
}

interface GroupFacts {
  id: string;
  aliases: string[];
  kind: "vulnerability" | "malicious";
  severity: Severity;
  score: number | null;
  summary: string;
  url: string;
}

function factsOf(ids: string[], records: Advisory[]): GroupFacts {
  const id = ids[0] as string;
  const malicious = records.some((r) => r.kind === "malicious") || ids.some((i) => idRank(i) === 0);
  // Records in the order their ids are preferred, so the summary comes from the best one that has text.
  const ordered = [...records].sort((a, b) => compareIds(a.id, b.id));
  let severity: Severity = "info";
  let score: number | null = null;
  for (const record of ordered) {
    const s = severityOf(record);
    const rank = severityRank(s.severity) - severityRank(severity);
    if (rank > 0 || (rank === 0 && s.score !== null && (score === null || s.score > score))) {
      severity = s.severity;
      score = s.score;
    }
  }
  const summary = summaryOf(ordered);
  return {
    id,
    aliases: ids.slice(1).sort(),
    kind: malicious ? "malicious" : "vulnerability",
    severity: malicious ? "critical" : severity,
    score: malicious ? null : score,
    summary: malicious ? `${MALICIOUS_SUMMARY}${summary ? ` (${summary})` : ""}` : summary,
    url: urlOf(id, ordered),
  };
}

function findingsFor(dep: Dependency, advisories: readonly Advisory[]): Finding[] {
  const name = normalizeName(dep.name);
  const live = advisories.filter((a) => a.withdrawn === null);
  const base = {
    package: name,
    version: dep.version,
    specifier: dep.specifier,
    file: dep.file,
    line: dep.line,
  };
  if (dep.version !== null) {
    const version = dep.version;
    // Stored names are normalised already: the comparison mostly needs no normalising.
    const matched = live.filter((a) =>
      a.affected.some((e) => (e.name === name || normalizeName(e.name) === name) && isAffected(e, version)),
    );
    return groupByAlias(matched).map(({ ids, records }) => {
      const facts = factsOf(ids, records);
      const fix = facts.kind === "malicious" ? null : lowestFix(name, records, version, dep.specifier);
      // Written out rather than spread: an audit builds thousands, and spreading two objects costs more.
      return {
        kind: facts.kind,
        id: facts.id,
        aliases: facts.aliases,
        severity: facts.severity,
        score: facts.score,
        package: base.package,
        version: base.version,
        specifier: base.specifier,
        file: base.file,
        line: base.line,
        summary: facts.summary,
        fixedIn: fix?.version ?? null,
        url: facts.url,
      };
    });
  }
  const admitted = new Map<Advisory, { ranges: string[]; versions: string[] }>();
  for (const advisory of live) {
    const results = entriesFor(advisory, name).map((e) => admittedAffected(e, dep.specifier));
    if (results.some((r) => r.admits)) {
      admitted.set(advisory, {
        ranges: [...new Set(results.flatMap((r) => r.ranges))],
        versions: [...new Set(results.flatMap((r) => r.versions))],
      });
    }
  }
  return groupByAlias([...admitted.keys()]).map(({ ids, records }) => {
    const facts = factsOf(ids, records);
    const ranges = [...new Set(records.flatMap((r) => admitted.get(r)?.ranges ?? []))];
    const versions = [...new Set(records.flatMap((r) => admitted.get(r)?.versions ?? []))].sort(
      compareVersionText,
    );
    const fix = facts.kind === "malicious" ? null : lowestFix(name, records, null, dep.specifier);
    const constraint =
      dep.specifier.trim() === "" ? "No version constraint" : `Specifier "${dep.specifier.trim()}"`;
    const shown = ranges.concat(versions.map((v) => `==${v}`));
    const list = shown.length > 3 ? `${shown.slice(0, 3).join(" | ")} | …` : shown.join(" | ");
    const summary =
      facts.kind === "malicious"
        ? facts.summary
        : `${constraint} admits affected versions (${list}): ${facts.summary}`;
    return {
      ...facts,
      ...base,
      summary,
      fixedIn: fix?.version ?? null,
      evidence: {
        admitted: { ranges, versions },
        fixAllowedBySpecifier: fix?.allowedBySpecifier ?? null,
      },
    };
  });
}

/**
 * By package, then severity (worst first), then id (as `compareIds`), then file and line. Each finding's ranks
 * are computed once: an audit sorts thousands of findings, each compared a dozen times.
 */
function sortFindings(findings: Finding[]): Finding[] {
  const keyed = findings.map((f) => ({ f, severity: severityRank(f.severity), idRank: idRank(f.id) }));
  keyed.sort(
    (a, b) =>
      compareText(a.f.package, b.f.package) ||
      b.severity - a.severity ||
      a.idRank - b.idRank ||
      compareText(a.f.id, b.f.id) ||
      compareText(a.f.file, b.f.file) ||
      (a.f.line ?? 0) - (b.f.line ?? 0),
  );
  return keyed.map((k) => k.f);
}

/**
 * Findings for every dependency that a (non-withdrawn) advisory affects. `advisoriesByName` is keyed by
 * PEP 503-normalised name and holds the records naming that package (other entries in a record are ignored).
 */
export function checkAdvisories(
  deps: readonly Dependency[],
  advisoriesByName: ReadonlyMap<string, Advisory[]>,
): Finding[] {
  const findings: Finding[] = [];
  for (const dep of deps) {
    const advisories = advisoriesByName.get(normalizeName(dep.name)) ?? [];
    if (advisories.length > 0) findings.push(...findingsFor(dep, advisories));
  }
  return sortFindings(findings);
}

export interface PackageFix {
  /** The lowest version fixing every vulnerability finding of the package; null when one has no known fix. */
  version: string | null;
  /** Whether every declaration of the package allows that version; null when unknown. */
  allowedBySpecifier: boolean | null;
}

/**
 * Per package, the lowest version that fixes all its advisory findings — the highest of their `fixedIn`
 * (each finding's own lowest fix), which is exact when the fixes lie on one release line — and whether the
 * project's own specifiers allow it. Malicious packages have no fix (remove them): their version is null.
 */
export function fixSuggestions(
  findings: readonly Finding[],
  deps: readonly Dependency[],
): Map<string, PackageFix> {
  const byPackage = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.kind !== "vulnerability" && f.kind !== "malicious") continue;
    const list = byPackage.get(f.package);
    if (list === undefined) byPackage.set(f.package, [f]);
    else list.push(f);
  }
  const specifiersByName = new Map<string, string[]>();
  for (const d of deps) {
    const name = normalizeName(d.name);
    const list = specifiersByName.get(name);
    if (list === undefined) specifiersByName.set(name, [d.specifier]);
    else list.push(d.specifier);
  }
  const out = new Map<string, PackageFix>();
  for (const [name, list] of [...byPackage].sort(([a], [b]) => compareText(a, b))) {
    const fixes = list.map((f) => f.fixedIn);
    if (fixes.some((v) => v === null)) {
      out.set(name, { version: null, allowedBySpecifier: null });
      continue;
    }
    const version = (fixes as string[]).sort(compareVersionText)[fixes.length - 1] as string;
    const specifiers = specifiersByName.get(name) ?? [];
    const allowed = specifiers.map((s) => specifierAllows(s, version));
    const allowedBySpecifier = allowed.includes(false)
      ? false
      : allowed.includes(null) || allowed.length === 0
        ? null
        : true;
    out.set(name, { version, allowedBySpecifier });
  }
  return out;
}
