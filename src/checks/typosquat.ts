// The typosquatting check: flags a dependency whose name is suspiciously close to a popular PyPI project.
import type { Dependency } from "../inventory/types.js";
import { normalizeName } from "../standards/names.js";
import type { Finding, Severity } from "./types.js";

/** How a candidate name was made from the popular one. */
export type TyposquatTechnique =
  | "separator"
  | "homoglyph"
  | "transposition"
  | "edit-distance"
  | "token-swap"
  | "affix"
  | "token-drop";

export interface PopularIndexOptions {
  /** How many of the most popular names are indexed as possible targets (the rest only exempt). Default 5,000. */
  targets?: number;
}

/** One popular project, as the index knows it. */
interface PopularEntry {
  name: string;
  /** 1-based popularity rank in the loaded list. */
  rank: number;
  compact: string;
  tokens: string[];
}

/** Precomputed lookups over the ranked popular list; build once per run, check many names against it. */
export interface PopularIndex {
  /** Every loaded name (any rank): a dependency in here is popular itself and never flagged. */
  readonly names: ReadonlySet<string>;
  /** The indexed targets, most popular first (`entries[i].rank === i + 1`). */
  readonly entries: readonly PopularEntry[];
  /** Separator-free form -> targets (`python-dateutil` and `pythondateutil`). */
  readonly byCompact: ReadonlyMap<string, number[]>;
  /** Homoglyph-folded compact form -> targets (`rnatplotlib` and `matplotlib`). */
  readonly bySkeleton: ReadonlyMap<string, number[]>;
  /** Tokens sorted and joined -> targets (`dateutil-python` and `python-dateutil`). */
  readonly bySortedTokens: ReadonlyMap<string, number[]>;
  /** The name without its first token, when two or more remain -> targets (`debug-toolbar`). */
  readonly byDroppedToken: ReadonlyMap<string, number[]>;
  /**
   * SymSpell deletion neighbourhood (distance 1) of the compact names and of their unversioned forms -> targets:
   * one number when one target has the key (nearly all of its ~80,000 keys), else a list.
   */
  readonly byDeletion: ReadonlyMap<string, number | number[]>;
}

export interface TyposquatOptions {
  /** Size of the reference set of "popular" targets (ranks 1..topN, at most the index's). Default 5,000. */
  topN?: number;
  /** Names (any spelling) never flagged: internal packages, reviewed exceptions. */
  allow?: string[];
  /** Shortest separator-free name (candidate and target alike) for one edit. Default 5. */
  minLengthDistance1?: number;
  /** Shortest separator-free name (candidate and target alike) for two typos. Default 10. */
  minLengthDistance2?: number;
  /** A single weak edit (a substitution, or an edit at either end) only counts against ranks 1..this. Default 200. */
  weakEditTopN?: number;
  /** A substitution by a keyboard neighbour counts as a strong edit against ranks 1..this. Default 1,000. */
  adjacentKeyTopN?: number;
  /** Affix games only count against ranks 1..this. Default 5,000 (the whole reference set). */
  affixTopN?: number;
  /** Techniques to leave out (for measuring what each one costs and buys). */
  disable?: TyposquatTechnique[];
}

const DEFAULT_TARGETS = 5000;
const DEFAULT_TOP_N = 5000;
const DEFAULT_MIN_LENGTH_D1 = 5;
const DEFAULT_MIN_LENGTH_D2 = 10;
const DEFAULT_WEAK_EDIT_TOP_N = 200;
const DEFAULT_ADJACENT_KEY_TOP_N = 1000;

// Characters that read alike in a monospace listing, folded to one spelling.
const HOMOGLYPHS: readonly [RegExp, string][] = [
  [/rn/g, "m"],
  [/vv/g, "w"],
  [/0/g, "o"],
  [/1/g, "l"],
];

// Suffixes that typosquats append to a popular name (`colorama-py`, `cryptographylib`). Prefixes (`py`, `python-`)
// and version digits are left out by measurement: popular projects use them for real bindings and forks.
const SQUAT_SUFFIXES = ["python", "py", "lib"];

// Keys next to each other on a QWERTY keyboard: a substitution by a neighbour is a slip of the finger.
const KEYBOARD_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

function keyboardNeighbours(): Map<string, Set<string>> {
  const pos = new Map<string, [number, number]>();
  KEYBOARD_ROWS.forEach((row, r) => {
    [...row].forEach((ch, c) => {
      pos.set(ch, [r, c]);
    });
  });
  const out = new Map<string, Set<string>>();
  for (const [a, [ra, ca]] of pos) {
    const near = new Set<string>();
    for (const [b, [rb, cb]] of pos) {
      // Rows are staggered by about half a key: the row below is shifted right.
      if (
        a !== b &&
        Math.abs(ra - rb) <= 1 &&
        cb - ca + (rb - ra) * 0.5 >= -1 &&
        cb - ca + (rb - ra) * 0.5 <= 1
      )
        near.add(b);
    }
    out.set(a, near);
  }
  return out;
}
const NEIGHBOURS = keyboardNeighbours();

const compactOf = (name: string) => name.replace(/-/g, "");
const isDigit = (ch: string | undefined) => ch !== undefined && ch >= "0" && ch <= "9";

export function homoglyphSkeleton(compact: string): string {
  let out = compact;
  for (const [from, to] of HOMOGLYPHS) out = out.replace(from, to);
  return out;
}

/** Calls `visit` with every string made by deleting up to `depth` (1 or 2) characters, the word included. */
function forEachDeletion(word: string, depth: 1 | 2, visit: (shorter: string) => void): void {
  visit(word);
  for (let i = 0; i < word.length; i++) {
    // A run of equal letters gives the same string for each of them: visit it once.
    if (i > 0 && word[i] === word[i - 1]) continue;
    const once = word.slice(0, i) + word.slice(i + 1);
    visit(once);
    if (depth === 2) {
      for (let j = i; j < once.length; j++) {
        if (j > i && once[j] === once[j - 1]) continue;
        visit(once.slice(0, j) + once.slice(j + 1));
      }
    }
  }
}

/** One step from the popular name to the candidate. */
export interface Edit {
  op: "insert" | "delete" | "substitute" | "transpose";
  /** The candidate's character (insert, substitute) or the popular name's (delete); both for transpose. */
  char: string;
  /** Where in the name: the first character, the last, or inside. */
  at: "start" | "inner" | "end";
  /** The inserted or deleted character doubles (or undoubles) its neighbour: `aiohhttp`, `progresbar`. */
  doubled: boolean;
  /** Only digits are involved: `pyqt5`/`pyqt6`, `jinja`/`jinja2` (versions, not typos). */
  digits: boolean;
  /** The substituted characters are neighbours on a keyboard. */
  adjacentKey: boolean;
}

/**
 * Optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions) and the edits behind it,
 * or null above `max`. Written here because no installed library gives the bounded, transposition-aware
 * variant with its edit script, and the names are short.
 */
export function editScript(candidate: string, target: string, max = 2): Edit[] | null {
  const a = candidate;
  const b = target;
  if (Math.abs(a.length - b.length) > max) return null;
  const cols = b.length + 1;
  const d = new Array<number>((a.length + 1) * cols);
  for (let i = 0; i <= a.length; i++) {
    let rowMin = Number.POSITIVE_INFINITY;
    for (let j = 0; j <= b.length; j++) {
      let v: number;
      if (i === 0) v = j;
      else if (j === 0) v = i;
      else {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
        }
      }
      d[i * cols + j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return null;
  }
  if (d[a.length * cols + b.length]! > max) return null;

  const edits: Edit[] = [];
  const place = (k: number, len: number): Edit["at"] => (k === 0 ? "start" : k === len - 1 ? "end" : "inner");
  let i = a.length;
  let j = b.length;
  while (i > 0 || j > 0) {
    const here = d[i * cols + j]!;
    if (i > 0 && j > 0 && a[i - 1] === b[j - 1] && d[(i - 1) * cols + j - 1] === here) {
      i--;
      j--;
    } else if (
      i > 1 &&
      j > 1 &&
      a[i - 1] === b[j - 2] &&
      a[i - 2] === b[j - 1] &&
      d[(i - 2) * cols + j - 2] === here - 1
    ) {
      edits.push({
        op: "transpose",
        char: a.slice(i - 2, i),
        at: place(i - 2, a.length - 1),
        doubled: false,
        digits: isDigit(a[i - 1]) && isDigit(a[i - 2]),
        adjacentKey: false,
      });
      i -= 2;
      j -= 2;
    } else if (i > 0 && j > 0 && d[(i - 1) * cols + j - 1] === here - 1) {
      const x = a[i - 1]!;
      const y = b[j - 1]!;
      edits.push({
        op: "substitute",
        char: x,
        at: place(i - 1, a.length),
        doubled: false,
        digits: isDigit(x) && isDigit(y),
        adjacentKey: NEIGHBOURS.get(y)?.has(x) ?? false,
      });
      i--;
      j--;
    } else if (i > 0 && d[(i - 1) * cols + j] === here - 1) {
      const x = a[i - 1]!;
      edits.push({
        op: "insert",
        char: x,
        at: place(i - 1, a.length),
        doubled: a[i - 2] === x || a[i] === x,
        digits: isDigit(x),
        adjacentKey: false,
      });
      i--;
    } else {
      const y = b[j - 1]!;
      edits.push({
        op: "delete",
        char: y,
        at: place(j - 1, b.length),
        doubled: b[j - 2] === y || b[j] === y,
        digits: isDigit(y),
        adjacentKey: false,
      });
      j--;
    }
  }
  return edits.reverse();
}

/** Edits a typosquatter makes and a real project rarely does: a doubled or dropped letter, two letters swapped. */
function isStrongEdit(e: Edit): boolean {
  if (e.op === "transpose") return !e.digits;
  if (e.op === "insert" || e.op === "delete")
    return e.doubled || (e.op === "delete" && e.at === "inner" && !e.digits);
  return false;
}

/** A letter inside the name replaced by its keyboard neighbour (`colprama`, `pill9w`). */
function isSlipOfTheFinger(e: Edit): boolean {
  return e.op === "substitute" && e.adjacentKey && e.at === "inner" && !e.digits;
}

/** A changed, added or dropped digit: a version (`pyqt5`/`pyqt6`, `boto`/`boto3`), not a typo. */
function isVersionEdit(e: Edit): boolean {
  return e.digits && !e.doubled;
}

/** `push` for a map that keeps a lone value as a number: one array fewer per key, for the largest map. */
function pushLean(map: Map<string, number | number[]>, key: string, value: number): void {
  const had = map.get(key);
  if (had === undefined) map.set(key, value);
  else if (typeof had === "number") {
    if (had !== value) map.set(key, [had, value]);
  } else if (had[had.length - 1] !== value) had.push(value);
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/**
 * Indexes the ranked popular list (most popular first; names in any spelling). The lookup maps are built on
 * first use, each once: an audit whose dependencies are all popular themselves (the common case) never needs
 * them, and the deletion neighbourhoods of 5,000 names are most of the ~100 ms a full build takes.
 */
export function buildPopularIndex(names: string[], options: PopularIndexOptions = {}): PopularIndex {
  const targets = options.targets ?? DEFAULT_TARGETS;
  const entries: PopularEntry[] = [];
  const seen = new Set<string>();
  for (const raw of names) {
    const name = normalizeName(raw);
    if (name === "" || seen.has(name)) continue;
    seen.add(name);
    if (entries.length < targets) {
      entries.push({ name, rank: entries.length + 1, compact: compactOf(name), tokens: name.split("-") });
    }
  }
  const lazily = <V>(fill: (map: Map<string, V>, e: PopularEntry, i: number) => void) => {
    let map: Map<string, V> | null = null;
    return (): ReadonlyMap<string, V> => {
      if (map === null) {
        const built = new Map<string, V>();
        entries.forEach((e, i) => {
          fill(built, e, i);
        });
        map = built;
      }
      return map;
    };
  };
  const byCompact = lazily<number[]>((map, e, i) => push(map, e.compact, i));
  const bySkeleton = lazily<number[]>((map, e, i) => push(map, homoglyphSkeleton(e.compact), i));
  const bySortedTokens = lazily<number[]>((map, e, i) => {
    if (e.tokens.length > 1) push(map, [...e.tokens].sort().join("-"), i);
  });
  const byDroppedToken = lazily<number[]>((map, e, i) => {
    if (e.tokens.length > 2) push(map, e.tokens.slice(1).join("-"), i);
  });
  const byDeletion = lazily<number | number[]>((map, e, i) => {
    // Distance 1 around the name, and around its name without a version suffix (`beautifulsoup` for
    // `beautifulsoup4`), so that a typo plus a dropped version digit is still one typo away.
    forEachDeletion(e.compact, 1, (d) => pushLean(map, d, i));
    const unversioned = e.compact.replace(/\d+$/, "");
    if (unversioned !== e.compact && unversioned.length > 0)
      forEachDeletion(unversioned, 1, (d) => pushLean(map, d, i));
  });
  return {
    names: seen,
    entries,
    get byCompact() {
      return byCompact();
    },
    get bySkeleton() {
      return bySkeleton();
    },
    get bySortedTokens() {
      return bySortedTokens();
    },
    get byDroppedToken() {
      return byDroppedToken();
    },
    get byDeletion() {
      return byDeletion();
    },
  };
}

/** The popular project a name imitates, and how. */
export interface TyposquatMatch {
  target: string;
  rank: number;
  technique: TyposquatTechnique;
  /** Edits from the target's separator-free name (0 for separator, token and affix games). */
  distance: number;
  /** The edits, for edit-distance and transposition matches. */
  edits?: Edit[];
}

// Which match to report when several apply: the most specific evidence first.
const STRENGTH: Record<TyposquatTechnique, number> = {
  separator: 0,
  homoglyph: 1,
  transposition: 2,
  "edit-distance": 3,
  "token-swap": 4,
  affix: 5,
  "token-drop": 6,
};

interface ResolvedOptions {
  topN: number;
  weakEditTopN: number;
  adjacentKeyTopN: number;
  affixTopN: number;
  minLengthDistance1: number;
  minLengthDistance2: number;
  disabled: ReadonlySet<TyposquatTechnique>;
}

function resolveOptions(index: PopularIndex, options: TyposquatOptions): ResolvedOptions {
  const topN = Math.min(options.topN ?? DEFAULT_TOP_N, index.entries.length);
  return {
    topN,
    weakEditTopN: Math.min(topN, options.weakEditTopN ?? DEFAULT_WEAK_EDIT_TOP_N),
    adjacentKeyTopN: Math.min(topN, options.adjacentKeyTopN ?? DEFAULT_ADJACENT_KEY_TOP_N),
    affixTopN: Math.min(topN, options.affixTopN ?? topN),
    minLengthDistance1: options.minLengthDistance1 ?? DEFAULT_MIN_LENGTH_D1,
    minLengthDistance2: options.minLengthDistance2 ?? DEFAULT_MIN_LENGTH_D2,
    disabled: new Set(options.disable ?? []),
  };
}

/** Does this edit script make a candidate of this length a typosquat of a target of this length and rank? */
function editsQualify(edits: Edit[], shorter: number, rank: number, o: ResolvedOptions): boolean {
  const real = edits.filter((e) => !isVersionEdit(e));
  // Version games alone are how real projects name generations (`pyqt5`, `jinja2`); they only ride along.
  if (real.length === 0 || edits.length - real.length > 1) return false;
  if (real.length === 1) {
    if (shorter < o.minLengthDistance1) return false;
    const e = real[0]!;
    return isStrongEdit(e) || rank <= o.weakEditTopN || (isSlipOfTheFinger(e) && rank <= o.adjacentKeyTopN);
  }
  return shorter >= o.minLengthDistance2 && real.every(isStrongEdit);
}

function bestMatch(name: string, index: PopularIndex, o: ResolvedOptions): TyposquatMatch | null {
  const compact = compactOf(name);
  let best: TyposquatMatch | null = null;
  const offer = (i: number, m: Omit<TyposquatMatch, "target" | "rank">, limit: number) => {
    const e = index.entries[i]!;
    if (o.disabled.has(m.technique) || e.rank > limit || e.name === name) return;
    const order = best
      ? STRENGTH[m.technique] - STRENGTH[best.technique] || m.distance - best.distance || e.rank - best.rank
      : -1;
    if (order < 0) best = { target: e.name, rank: e.rank, ...m };
  };

  for (const i of index.byCompact.get(compact) ?? [])
    offer(i, { technique: "separator", distance: 0 }, o.topN);
  for (const i of index.bySkeleton.get(homoglyphSkeleton(compact)) ?? []) {
    if (index.entries[i]!.compact !== compact) offer(i, { technique: "homoglyph", distance: 0 }, o.topN);
  }

  // Edits are counted on the separator-free form, so separator games never count as typos. The index holds
  // the targets' one-deletion neighbourhoods; two deletions on this side also find two insertions, or one
  // insertion plus any other edit, for long names.
  if (compact.length >= o.minLengthDistance1 - 1) {
    const checked = new Set<number>();
    forEachDeletion(compact, compact.length >= o.minLengthDistance2 ? 2 : 1, (d) => {
      const hits = index.byDeletion.get(d);
      if (hits === undefined) return;
      for (const i of typeof hits === "number" ? [hits] : hits) {
        if (i >= o.topN || checked.has(i)) continue;
        checked.add(i);
        const e = index.entries[i]!;
        if (e.compact === compact) continue;
        const edits = editScript(compact, e.compact, 2);
        if (!edits || !editsQualify(edits, Math.min(compact.length, e.compact.length), e.rank, o)) continue;
        const technique =
          edits.length === 1 && edits[0]!.op === "transpose" ? "transposition" : "edit-distance";
        offer(i, { technique, distance: edits.length, edits }, o.topN);
      }
    });
  }

  const tokens = name.split("-");
  if (tokens.length > 1) {
    for (const i of index.bySortedTokens.get([...tokens].sort().join("-")) ?? []) {
      offer(i, { technique: "token-swap", distance: 0 }, o.topN);
    }
  }
  for (const i of index.byDroppedToken.get(name) ?? [])
    offer(i, { technique: "token-drop", distance: 0 }, o.topN);
  for (const suffix of SQUAT_SUFFIXES) {
    if (!compact.endsWith(suffix) || compact.length - suffix.length < o.minLengthDistance1) continue;
    for (const i of index.byCompact.get(compact.slice(0, -suffix.length)) ?? []) {
      offer(i, { technique: "affix", distance: 0 }, o.affixTopN);
    }
  }
  return best;
}

/** The popular project `name` imitates, or null; a popular or allowed name imitates nothing. */
export function findTyposquatTarget(
  name: string,
  index: PopularIndex,
  options: TyposquatOptions = {},
): TyposquatMatch | null {
  const normal = normalizeName(name);
  if (index.names.has(normal)) return null;
  if (options.allow?.some((a) => normalizeName(a) === normal)) return null;
  return bestMatch(normal, index, resolveOptions(index, options));
}

// Findings on these are likely but less certain: real projects also reorder words, drop prefixes, add suffixes.
const MEDIUM: ReadonlySet<TyposquatTechnique> = new Set(["affix", "token-drop", "token-swap"]);

function severityOf(m: TyposquatMatch): Severity {
  return MEDIUM.has(m.technique) || m.distance > 1 ? "medium" : "high";
}

function describeMatch(raw: string, m: TyposquatMatch): string {
  const how: Record<TyposquatTechnique, string> = {
    separator: "differs only in separators from",
    homoglyph: "uses look-alike characters for",
    transposition: "swaps two adjacent letters of",
    "edit-distance": m.distance === 1 ? "is one edit from" : `is ${m.distance} edits from`,
    "token-swap": "reorders the words of",
    affix: "adds a suffix to",
    "token-drop": "drops the first word of",
  };
  return `"${raw}" ${how[m.technique]} the popular project "${m.target}" (rank ${m.rank}): a typosquat?`;
}

/**
 * Flags dependencies whose names imitate a popular project. Only names installed from an index can be
 * typosquats: path, VCS and URL dependencies name their source explicitly and are skipped.
 */
export function checkTyposquat(
  deps: Dependency[],
  index: PopularIndex,
  options: TyposquatOptions = {},
): Finding[] {
  const o = resolveOptions(index, options);
  const allowed = new Set((options.allow ?? []).map(normalizeName));
  const cache = new Map<string, TyposquatMatch | null>();
  const findings: Finding[] = [];
  for (const dep of deps) {
    if (dep.source && dep.source.kind !== "index") continue;
    const name = normalizeName(dep.name);
    if (index.names.has(name) || allowed.has(name)) continue;
    let match = cache.get(name);
    if (match === undefined) {
      match = bestMatch(name, index, o);
      cache.set(name, match);
    }
    if (!match) continue;
    const evidence: Record<string, unknown> = {
      target: match.target,
      rank: match.rank,
      technique: match.technique,
      distance: match.distance,
    };
    if (match.edits) evidence.edits = match.edits.map((e) => `${e.op} "${e.char}" (${e.at})`);
    findings.push({
      kind: "typosquat",
      id: "typosquat",
      aliases: [],
      severity: severityOf(match),
      score: null,
      package: name,
      version: dep.version,
      specifier: dep.specifier,
      file: dep.file,
      line: dep.line,
      summary: describeMatch(dep.rawName, match),
      fixedIn: null,
      url: null,
      evidence,
    });
  }
  return findings;
}
