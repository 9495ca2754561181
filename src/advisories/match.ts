// Whether a PyPI version, or a PEP 440 specifier, falls inside an OSV `affected` entry, and which release fixes it.
//
// Semantics (OSV schema, "Evaluation"): a version is affected if it is listed in `versions` or lies in any
// ECOSYSTEM range; a range is walked over its events sorted by version (`introduced` opens, `fixed` closes
// exclusively, `last_affected` closes inclusively) and only counts below a `limit` when one is given.
// Versions are ordered and compared by PEP 440 (@renovatebot/pep440). Choices the schema leaves open:
// - Local version labels: `1.0+cu118` is affected exactly when `1.0` is. PEP 440 ignores the candidate's local
//   label when the specifier's version has none (`==1.0` matches `1.0+cu118`); we apply the same rule to every
//   bound and listed version of a record (plain ordering would put `1.0+cu118` above `last_affected: 1.0`).
// - `introduced: "0"` sorts before every version (even `0.dev0`); `limit: "*"` is no limit.
// - GIT and SEMVER ranges are ignored: a PyPI version cannot be placed in a commit graph, and PyPI versions are
//   not SemVer. So an entry whose only ranges are GIT ranges, with no `versions`, matches nothing.
// - An entry with neither `versions` nor `ranges` affects every version (malicious-package records do this).
// - A record's version that is not valid PEP 440 (`0.7.10p1`, `2.0.0-final`) can only match a listed version by
//   (trimmed, case-insensitive) string equality; an unparseable range event is dropped. Nothing here throws.
// - Matching a PEP 440 version needs only the ranges and the listed versions they do not cover
//   (`uncoveredListedVersions`): the store computes those at import, so the long `versions` lists are not read.
// The interval arithmetic below is written by hand because no PEP 440 library offers range intersection.
import { normalizeName } from "../standards/names.js";
import { explain, compare as pep440Compare } from "../standards/pep440.js";
import type { Advisory, AffectedPackage, OsvEvent, OsvRange } from "./types.js";

/** An end of an interval of PEP 440 versions; `null` in an Interval means unbounded on that side. */
interface Bound {
  version: string;
  inclusive: boolean;
}

/** A contiguous set of versions between two bounds (`lo` null: from the beginning; `hi` null: no end). */
export interface Interval {
  lo: Bound | null;
  hi: Bound | null;
}

type EventKind = "introduced" | "last_affected" | "fixed" | "limit";

interface Event {
  kind: EventKind;
  /** A valid PEP 440 version, or null for the special `introduced: "0"` / `limit: "*"`. */
  version: string | null;
  /** The version's sort key (null with the version), so matching compares keys, not versions. */
  key: string | null;
  /** The version has a local label: candidates are then compared with theirs (see compareToBound). */
  local: boolean;
}

// Ties at one version: `introduced` first (so `introduced: X, fixed: X` is an empty range), then `fixed`, then
// `last_affected`. With this order the OSV walk and the interval form below agree on every version.
const KIND_ORDER: Record<EventKind, number> = { introduced: 0, fixed: 1, last_affected: 2, limit: 3 };

// Memos for the PEP 440 parser: a scan compares the same few versions against the same bounds thousands of
// times (a package like tensorflow has hundreds of records), and the library's `compare` re-parses both strings
// (a long regex) on every call. So each version is parsed once into a sort key: the library's own tuple
// (`calculateKey`, Python packaging's `_cmpkey`, re-stated below: the library does not export it) written as a
// string whose plain string order is the tuple's order, so that comparing two versions is one native string
// comparison and a key is one string, not nested arrays. A property test holds the order to the library's
// `compare`. Bounded.
const MEMO_LIMIT = 100_000;
// null: not PEP 440.
const sortKeyMemo = new Map<string, string | null>();

// The key's parts, each written so that no part's text is a prefix of another's (so concatenation keeps the
// tuple order): a number is its digit count as one character, then its digits; a list ends with "!", which
// sorts below every element's first character; "-infinity" is '"' and "+infinity" is "~" (or U+FFFF for a
// number), below and above every other first character of their part.
const MINUS_INFINITY = '"';
const PLUS_INFINITY = "~";
const LIST_END = "!";

/** A non-negative integer as text in value order. */
function numberKey(n: number): string {
  if (n === Infinity) return "\uffff";
  const digits = Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  return String.fromCharCode(0x41 + digits.length) + digits;
}

/** A release without its trailing zeros (`1.0` equals `1`), as a list. */
function releaseKey(release: readonly number[]): string {
  let end = release.length;
  while (end > 0 && release[end - 1] === 0) end--;
  let key = "";
  for (let i = 0; i < end; i++) key += numberKey(release[i] as number);
  return key + LIST_END;
}

const DIGITS_AND_DOTS = /^\d+(?:\.\d+)*$/;
const PRE_LETTER: Readonly<Record<string, string>> = { a: "a", b: "b", rc: "c" };

function sortKeyOf(version: string): string | null {
  if (DIGITS_AND_DOTS.test(version)) {
    // A plain release (most bounds): the key the parser below would give, without its long regex.
    const release = releaseKey(version.split(".").map(Number));
    return `${numberKey(0)}${release}${PLUS_INFINITY}${MINUS_INFINITY}${PLUS_INFINITY}${MINUS_INFINITY}`;
  }
  const v = explain(version);
  if (v === null) return null;
  // What `explain` gives at run time (its declared types are looser): pre ["a" | "b" | "rc", n], post and dev n.
  const vPre = v.pre as unknown as readonly [string, number] | null;
  const vPost = v.post as unknown as number | null;
  const vDev = v.dev as unknown as number | null;
  // 1.0.dev0 sorts before 1.0a0; a release without pre-release sorts after its pre-releases.
  const pre =
    vPre === null && vPost === null && vDev !== null
      ? MINUS_INFINITY
      : vPre === null
        ? PLUS_INFINITY
        : `${PRE_LETTER[vPre[0]] ?? vPre[0]}${numberKey(vPre[1])}`;
  const post = vPost === null ? MINUS_INFINITY : `p${numberKey(vPost)}`;
  const dev = vDev === null ? PLUS_INFINITY : `d${numberKey(vDev)}`;
  let local = MINUS_INFINITY;
  if (v.local !== null) {
    // Numeric parts sort above text parts; text parts end with U+0001, below every character they hold.
    local = "#";
    for (const part of v.local.split(".")) {
      const n = Number(part);
      local += Number.isNaN(n) ? `1${part}\u0001` : `2${numberKey(n)}`;
    }
    local += LIST_END;
  }
  return `${numberKey(v.epoch)}${releaseKey(v.release)}${pre}${post}${dev}${local}`;
}

function sortKey(version: string): string | null {
  let key = sortKeyMemo.get(version);
  if (key === undefined) {
    key = sortKeyOf(version);
    if (sortKeyMemo.size >= MEMO_LIMIT) sortKeyMemo.clear();
    sortKeyMemo.set(version, key);
  }
  return key;
}

/** PEP 440 order of two valid versions (the library's `compare`, on cached parses). */
function compare(a: string, b: string): number {
  if (a === b) return 0;
  const x = sortKey(a);
  const y = sortKey(b);
  // Only valid versions reach here; the library's own answer for anything else.
  if (x === null || y === null) return pep440Compare(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Exposed for the property test that holds `compare` to the library's: PEP 440 order of two valid versions. */
export const comparePep440 = compare;

/** The record's version text, trimmed (some records carry stray spaces) and null when not PEP 440. */
function pep440(text: string): string | null {
  const trimmed = text.trim();
  // The parser behind the sort key accepts exactly what `valid` accepts (the same pattern).
  return sortKey(trimmed) === null ? null : trimmed;
}

function hasLocal(version: string): boolean {
  return version.includes("+");
}

function publicPart(version: string): string {
  const plus = version.indexOf("+");
  return plus === -1 ? version : version.slice(0, plus);
}

/** Orders a candidate against a record's bound; the candidate's local label counts only if the bound has one. */
function compareToBound(candidate: string, bound: string): number {
  return compare(hasLocal(bound) ? candidate : publicPart(candidate), bound);
}

/** An event at a version (null: the open end), keyed for matching; null when the version is not PEP 440. */
function keyedEvent(kind: EventKind, text: string | null): Event | null {
  if (text === null) return { kind, version: null, key: null, local: false };
  const version = text.trim();
  const key = sortKey(version);
  return key === null ? null : { kind, version, key, local: hasLocal(version) };
}

function eventOf(event: OsvEvent): Event | null {
  if ("introduced" in event) {
    return keyedEvent("introduced", event.introduced.trim() === "0" ? null : event.introduced);
  }
  if ("limit" in event) return keyedEvent("limit", event.limit.includes("*") ? null : event.limit);
  return "fixed" in event
    ? keyedEvent("fixed", event.fixed)
    : keyedEvent("last_affected", event.last_affected);
}

/** The range's usable events, sorted by version as the OSV evaluation requires (records need not be sorted). */
function sortedEvents(range: OsvRange): Event[] {
  const events: Event[] = [];
  for (const raw of range.events) {
    const event = eventOf(raw);
    if (event !== null) events.push(event);
  }
  return events.sort((a, b) => {
    if (a.version === null || b.version === null) {
      // Only `introduced: "0"` (the minimum) and `limit: "*"` (the maximum) have no version.
      const rank = (e: Event): number => (e.version !== null ? 0 : e.kind === "introduced" ? -1 : 1);
      const byRank = rank(a) - rank(b);
      if (byRank !== 0) return byRank;
    } else {
      // The events' own sort keys: PEP 440 order without looking each version up again.
      const x = a.key as string;
      const y = b.key as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  });
}

function ecosystemRanges(affected: AffectedPackage): OsvRange[] {
  return affected.ranges.filter((r) => r.type === "ECOSYSTEM");
}

function affectsEverything(affected: AffectedPackage): boolean {
  if (affected.ranges.length > 0) return false;
  const listed = prepared.get(affected)?.listed;
  return listed !== undefined ? listed.empty : affected.versions.length === 0;
}

/**
 * A PEP 440 version's identity for equality (`1.0` == `1.0.0` == `v1.0`, `2.0-alpha2` == `2.0a2`): epoch,
 * release without trailing zeros, pre, post, dev and (when asked) the local label.
 */
const PLAIN_RELEASE = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*$/;

function equalityKey(version: string, withLocal: boolean): string | null {
  // Fast path for plain releases (most listed versions): the key explain() would give, without its parser.
  let text = version.trim();
  if (PLAIN_RELEASE.test(text)) {
    while (text.endsWith(".0")) text = text.slice(0, -2);
    return `0!${text}|null|null|null`;
  }
  const v = explain(version.trim());
  if (v === null) return null;
  const release = [...v.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const local = withLocal && v.local !== null ? `+${v.local.toLowerCase().replace(/[-_]/g, ".")}` : "";
  return `${v.epoch}!${release.join(".")}|${String(v.pre)}|${String(v.post)}|${String(v.dev)}${local}`;
}

/**
 * An entry's ranges made ready for repeated matching, cached per entry object: records are treated as
 * immutable (an entry changed after it was first matched would keep its old preparation).
 */
interface PreparedEntry {
  /** Each ECOSYSTEM range's usable events, sorted (computed when first needed). */
  ranges?: Event[][];
  /** `fixVersions` of the entry, computed when first asked. */
  fixes?: readonly string[];
  /** What the store precomputed about `versions`, so that matching a PEP 440 version never reads them. */
  listed?: ListedSummary;
}

/**
 * An entry's listed versions reduced to what matching a PEP 440 version needs: whether there are any, and
 * those its own ranges do not already account for (`uncoveredListedVersions`; few or none in real records,
 * whose `versions` are mostly the ranges spelled out, 140,000 of them in the PyPA data).
 */
export interface ListedSummary {
  /** The entry lists no versions at all. */
  readonly empty: boolean;
  readonly uncovered: readonly string[];
}

const prepared = new WeakMap<AffectedPackage, PreparedEntry>();

function preparedOf(affected: AffectedPackage): PreparedEntry {
  let entry = prepared.get(affected);
  if (entry === undefined) {
    entry = {};
    prepared.set(affected, entry);
  }
  return entry;
}

function rangesOf(affected: AffectedPackage): Event[][] {
  const entry = preparedOf(affected);
  entry.ranges ??= ecosystemRanges(affected).map(sortedEvents);
  return entry.ranges;
}

/**
 * Lets `isAffected` match PEP 440 versions from `summary` instead of `affected.versions` (which the store then
 * parses only if something else reads them). `summary` must be `{ empty: versions.length === 0, uncovered:
 * uncoveredListedVersions(affected) }` for the entry as it is.
 */
export function attachListedSummary(affected: AffectedPackage, summary: ListedSummary): void {
  preparedOf(affected).listed = summary;
}

/**
 * The leading release number of a version text (`v2.1` → 2), or null when it has none or has an epoch
 * (`0!2.0` equals `2.0`, so a leading epoch number says nothing).
 */
function leadingNumber(text: string): number | null {
  if (text.includes("!")) return null;
  const m = /^v?(\d+)/i.exec(text);
  return m ? Number.parseInt(m[1]!, 10) : null;
}

/**
 * OSV `IncludedInVersions`, with PEP 440 equality (`1.0` == `1.0.0`) and string equality for non-PEP 440 text.
 * Scans the list instead of indexing it: a package's records list thousands of versions and each is usually
 * asked about one pinned version, so a cheap leading-number test skips almost every full comparison.
 */
function isListed(versions: readonly string[], version: string): boolean {
  // Most entries' uncovered lists are empty: no need to key the candidate for them.
  if (versions.length === 0) return false;
  const text = version.trim();
  const lower = text.toLowerCase();
  const publicKey = equalityKey(publicPart(text), false);
  const fullKey = hasLocal(text) ? equalityKey(text, true) : null;
  const lead = publicKey === null ? null : leadingNumber(text);
  for (const raw of versions) {
    const listed = raw.trim();
    if (listed.toLowerCase() === lower) return true;
    if (publicKey === null) continue;
    const listedLead = leadingNumber(listed);
    if (lead !== null && listedLead !== null && listedLead !== lead) continue;
    const key = equalityKey(listed, true);
    if (key === null) continue;
    // A listed version without a local label matches any local build of it, as `==1.0` does in PEP 440.
    if (hasLocal(listed) ? key === fullKey : key === publicKey) return true;
  }
  return false;
}

/** A range that holds every version (`introduced: "0"` and nothing that ever closes it). */
function isUnbounded(events: Event[]): boolean {
  return (
    events.some((e) => e.kind === "introduced" && e.version === null) &&
    events.every((e) => e.kind === "introduced" || (e.kind === "limit" && e.version === null))
  );
}

/**
 * A candidate version keyed for comparing with events: `full` with its local label (for bounds that have one),
 * `public` without (for the rest), as compareToBound does.
 */
interface Candidate {
  full: string;
  public: string;
}

function candidateOf(version: string): Candidate | null {
  const full = sortKey(version);
  if (full === null) return null;
  return { full, public: hasLocal(version) ? (sortKey(publicPart(version)) ?? full) : full };
}

/** compareToBound on keys: the candidate against a keyed event's version. */
function compareKeyed(c: Candidate, e: Event): number {
  const a = e.local ? c.full : c.public;
  const b = e.key as string;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** OSV `IncludedInRanges` for one range: BeforeLimits, then the walk over sorted events. */
function inRange(events: Event[], c: Candidate): boolean {
  let limited = false;
  let belowALimit = false;
  for (const e of events) {
    if (e.kind !== "limit") continue;
    limited = true;
    if (e.key === null || compareKeyed(c, e) < 0) belowALimit = true;
  }
  if (limited && !belowALimit) return false;
  let vulnerable = false;
  for (const e of events) {
    if (e.kind === "introduced") {
      if (e.key === null || compareKeyed(c, e) >= 0) vulnerable = true;
    } else if (e.kind === "fixed") {
      if (e.key !== null && compareKeyed(c, e) >= 0) vulnerable = false;
    } else if (e.kind === "last_affected") {
      if (e.key !== null && compareKeyed(c, e) > 0) vulnerable = false;
    }
  }
  return vulnerable;
}

/** Is this PyPI version affected by this OSV `affected` entry? Never throws, whatever the record holds. */
export function isAffected(affected: AffectedPackage, version: string): boolean {
  if (affectsEverything(affected)) return true;
  const candidate = pep440(version);
  if (inRanges(rangesOf(affected), candidate)) return true;
  // A listed version that the ranges cover cannot add a PEP 440 version the ranges do not already hold.
  const listed = prepared.get(affected)?.listed;
  if (listed !== undefined && candidate !== null) return isListed(listed.uncovered, version);
  return isListed(affected.versions, version);
}

function inRanges(ranges: Event[][], candidate: string | null): boolean {
  if (ranges.length === 0) return false;
  // A version that is not PEP 440 cannot be ordered, so only a range holding every version can contain it.
  const keyed = candidate === null ? null : candidateOf(candidate);
  for (const events of ranges) {
    if (keyed === null ? isUnbounded(events) : inRange(events, keyed)) return true;
  }
  return false;
}

/**
 * The entry's listed versions that its ranges do not account for: a listed version is left out when it is
 * PEP 440, inside the ECOSYSTEM ranges, and every version equal to it (`isListed`) is inside them too. The
 * last holds unless it has no local label while a range bound has one (bounds with a local label compare the
 * candidate's own local label, so `1.0+x` can fall outside where `1.0` is inside). So for every PEP 440
 * version V: `isListed(versions, V) || inRanges(V)` equals `isListed(uncovered, V) || inRanges(V)`.
 * Computed at import (store.ts keeps it beside the record), as it reads every listed version.
 */
export function uncoveredListedVersions(affected: AffectedPackage): string[] {
  const ranges = rangesOf(affected);
  const localBound = ranges.some((events) => events.some((e) => e.version !== null && hasLocal(e.version)));
  return affected.versions.filter((listed) => {
    const v = pep440(listed);
    if (v === null || (localBound && !hasLocal(v))) return true;
    return !inRanges(ranges, v);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Intervals: the affected ranges and a specifier as sets of versions, so they can be intersected.

function compareLo(a: Bound | null, b: Bound | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const c = compare(a.version, b.version);
  if (c !== 0) return c;
  return a.inclusive === b.inclusive ? 0 : a.inclusive ? -1 : 1;
}

function compareHi(a: Bound | null, b: Bound | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const c = compare(a.version, b.version);
  if (c !== 0) return c;
  return a.inclusive === b.inclusive ? 0 : a.inclusive ? 1 : -1;
}

function isEmpty(i: Interval): boolean {
  if (i.lo === null || i.hi === null) return false;
  const c = compare(i.lo.version, i.hi.version);
  return c > 0 || (c === 0 && !(i.lo.inclusive && i.hi.inclusive));
}

function intersect(a: Interval, b: Interval): Interval | null {
  const lo = compareLo(a.lo, b.lo) >= 0 ? a.lo : b.lo;
  const hi = compareHi(a.hi, b.hi) <= 0 ? a.hi : b.hi;
  const i = { lo, hi };
  return isEmpty(i) ? null : i;
}

function intersectSets(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const i = intersect(x, y);
      if (i !== null) out.push(i);
    }
  }
  return out;
}

function contains(i: Interval, version: string): boolean {
  if (i.lo !== null) {
    const c = compareToBound(version, i.lo.version);
    if (c < 0 || (c === 0 && !i.lo.inclusive)) return false;
  }
  if (i.hi !== null) {
    const c = compareToBound(version, i.hi.version);
    if (c > 0 || (c === 0 && !i.hi.inclusive)) return false;
  }
  return true;
}

const EVERYTHING: Interval = { lo: null, hi: null };

/** The affected intervals of one ECOSYSTEM range (the same walk as `inRange`, producing sets instead). */
function rangeIntervals(events: Event[]): Interval[] {
  const out: Interval[] = [];
  let open: Bound | null | undefined; // undefined: closed; null: open from the beginning
  for (const e of events) {
    if (e.kind === "introduced" && open === undefined) {
      open = e.version === null ? null : { version: e.version, inclusive: true };
    } else if (
      (e.kind === "fixed" || e.kind === "last_affected") &&
      open !== undefined &&
      e.version !== null
    ) {
      out.push({ lo: open, hi: { version: e.version, inclusive: e.kind === "last_affected" } });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ lo: open, hi: null });
  const limits = events.filter((e) => e.kind === "limit");
  if (limits.length === 0 || limits.some((e) => e.version === null)) return out.filter((i) => !isEmpty(i));
  // BeforeLimits: below any limit, i.e. below the highest one.
  const top = limits.map((e) => e.version as string).sort(compare)[limits.length - 1] as string;
  return intersectSets(out, [{ lo: null, hi: { version: top, inclusive: false } }]);
}

/** The affected ranges of an entry as intervals (listed `versions` are points, handled separately). */
export function affectedIntervals(affected: AffectedPackage): Interval[] {
  if (affectsEverything(affected)) return [EVERYTHING];
  return rangesOf(affected).flatMap(rangeIntervals);
}

/** `1!2.1` -> `1!2.2.dev0`: the lowest version above every `1!2.1.*` (used for `==X.*` and `~=`). */
function nextPrefixStart(epoch: number, release: number[]): string {
  const bumped = [...release.slice(0, -1), (release[release.length - 1] ?? 0) + 1];
  return `${epoch > 0 ? `${epoch}!` : ""}${bumped.join(".")}.dev0`;
}

function prefixStart(epoch: number, release: number[]): string {
  return `${epoch > 0 ? `${epoch}!` : ""}${release.join(".")}.dev0`;
}

/** One specifier clause as a set of intervals, or null when it is not valid PEP 440. */
function clauseIntervals(clause: string): Interval[] | null {
  const m = /^(~=|===|==|!=|<=|>=|<|>)\s*(\S+)$/.exec(clause);
  if (!m) return null;
  const op = m[1] as string;
  let text = m[2] as string;
  const wildcard = text.endsWith(".*");
  if (wildcard) {
    if (op !== "==" && op !== "!=") return null;
    text = text.slice(0, -2);
  }
  const v = explain(text);
  if (v === null) return null;
  const at = (inclusive: boolean): Bound => ({ version: text, inclusive });
  if (wildcard) {
    const inside: Interval = {
      lo: { version: prefixStart(v.epoch, v.release), inclusive: true },
      hi: { version: nextPrefixStart(v.epoch, v.release), inclusive: false },
    };
    if (op === "==") return [inside];
    return [
      { lo: null, hi: { version: prefixStart(v.epoch, v.release), inclusive: false } },
      { lo: { version: nextPrefixStart(v.epoch, v.release), inclusive: true }, hi: null },
    ];
  }
  switch (op) {
    case "==":
    case "===":
      return [{ lo: at(true), hi: at(true) }];
    case "!=":
      return [
        { lo: null, hi: at(false) },
        { lo: at(false), hi: null },
      ];
    case ">=":
      return [{ lo: at(true), hi: null }];
    // PEP 440 also keeps post-releases of V out of `>V`; ignoring that only over-approximates (safe here).
    case ">":
      return [{ lo: at(false), hi: null }];
    case "<=":
      return [{ lo: null, hi: at(true) }];
    case "<": {
      // PEP 440: `<V` excludes V's own pre-releases unless V is one, so `<2.0` ends below `2.0.dev0`.
      const plain = !v.is_prerelease && !v.is_postrelease && v.local === null;
      return [
        { lo: null, hi: plain ? { version: prefixStart(v.epoch, v.release), inclusive: false } : at(false) },
      ];
    }
    case "~=": {
      if (v.release.length < 2) return null;
      return [
        { lo: at(true), hi: { version: nextPrefixStart(v.epoch, v.release.slice(0, -1)), inclusive: false } },
      ];
    }
    default:
      return null;
  }
}

/**
 * A PEP 440 specifier (`>=2.0,<3`, `~=1.4`, `==2.*`, or "" for any version) as a set of intervals, or null
 * when it cannot be read (callers then assume it admits anything). PEP 508 parentheses are tolerated.
 */
export function specifierIntervals(specifier: string): Interval[] | null {
  const text = specifier
    .trim()
    .replace(/^\((.*)\)$/, "$1")
    .trim();
  if (text === "") return [EVERYTHING];
  let set: Interval[] = [EVERYTHING];
  for (const clause of text.split(",")) {
    const intervals = clauseIntervals(clause.trim());
    if (intervals === null) return null;
    set = intersectSets(set, intervals);
  }
  return set;
}

// A project pins the same way throughout, and a fix suggestion asks once per finding: parse each text once.
const specifierMemo = new Map<string, readonly Interval[] | null>();

/** `specifierIntervals`, cached; the result is shared, so it must not be changed. */
function cachedSpecifierIntervals(specifier: string): readonly Interval[] | null {
  let set = specifierMemo.get(specifier);
  if (set === undefined) {
    set = specifierIntervals(specifier);
    if (specifierMemo.size >= MEMO_LIMIT) specifierMemo.clear();
    specifierMemo.set(specifier, set);
  }
  return set;
}

/** `==X` and nothing else (no wildcard, no `===`): the specifier of every pinned requirement. */
const PLAIN_PIN = /^\s*==\s*([^\s,;*=!<>~]+)\s*$/;

/** Does the specifier admit this exact version? null when the specifier cannot be read. */
export function specifierAllows(specifier: string, version: string): boolean | null {
  // A pin admits the versions equal to it (PEP 440 equality, the candidate's local label ignored unless the pin
  // has one), as its one-point interval does; without parsing the specifier into intervals (a 1,000-pin audit
  // asks once per finding and fix).
  const pin = PLAIN_PIN.exec(specifier);
  if (pin !== null && sortKey(pin[1] as string) !== null) {
    const candidate = pep440(version);
    return candidate !== null && compareToBound(candidate, pin[1] as string) === 0;
  }
  return specifierAllowsByIntervals(specifier, version);
}

/** `specifierAllows` without the pin shortcut (exported for the test that holds the two to each other). */
export function specifierAllowsByIntervals(specifier: string, version: string): boolean | null {
  const set = cachedSpecifierIntervals(specifier);
  if (set === null) return null;
  if (set.some((i) => i.lo === null && i.hi === null)) return true;
  const v = pep440(version);
  return v !== null && set.some((i) => contains(i, v));
}

/** An interval as specifier-like text: `>=2.0,<2.31.0`, `<=1.11.0`, `==1.0`, or `*` for every version. */
export function intervalText(i: Interval): string {
  if (
    i.lo !== null &&
    i.hi !== null &&
    i.lo.inclusive &&
    i.hi.inclusive &&
    compare(i.lo.version, i.hi.version) === 0
  ) {
    return `==${i.lo.version}`;
  }
  const parts: string[] = [];
  if (i.lo !== null) parts.push(`${i.lo.inclusive ? ">=" : ">"}${i.lo.version}`);
  if (i.hi !== null) parts.push(`${i.hi.inclusive ? "<=" : "<"}${i.hi.version}`);
  return parts.length === 0 ? "*" : parts.join(",");
}

export interface Admitted {
  /** The specifier admits at least one affected version. */
  admits: boolean;
  /** The affected ranges the specifier admits, as text (`>=2.0,<2.31.0`). */
  ranges: string[];
  /** The entry's listed affected versions that the specifier admits. */
  versions: string[];
}

/**
 * For an unpinned dependency: which affected versions its specifier admits. An unreadable specifier is
 * treated as admitting every version (we cannot rule anything out). Pre-releases count as admitted even
 * though pip skips them by default, since `--pre` or a pre-release-only index would install them.
 */
export function admittedAffected(affected: AffectedPackage, specifier: string): Admitted {
  const spec = specifierIntervals(specifier) ?? [EVERYTHING];
  const universal = spec.some((i) => i.lo === null && i.hi === null);
  const ranges = [...new Set(intersectSets(affectedIntervals(affected), spec).map(intervalText))];
  const versions = affected.versions.filter((listed) => {
    if (universal) return true;
    const v = pep440(listed);
    return v !== null && spec.some((i) => contains(i, v));
  });
  return { admits: ranges.length > 0 || versions.length > 0, ranges, versions: [...new Set(versions)] };
}

/** Ascending PEP 440 order, with text that is not PEP 440 last (in string order). */
export function compareVersionText(a: string, b: string): number {
  const va = pep440(a);
  const vb = pep440(b);
  if (va !== null && vb !== null) return compare(va, vb);
  if (va !== null) return -1;
  if (vb !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The URL of the first ADVISORY or WEB reference whose URL contains `text` (an id), or null when none does. */
export function advisoryUrlIn(references: Advisory["references"], text: string): string | null {
  for (const ref of references) {
    if ((ref.type === "ADVISORY" || ref.type === "WEB") && ref.url.includes(text)) return ref.url;
  }
  return null;
}

/** The `fixed` versions of an entry's ECOSYSTEM ranges, distinct, in ascending order. */
export function fixVersions(affected: AffectedPackage): string[] {
  return [...fixesOf(affected)];
}

function fixesOf(affected: AffectedPackage): readonly string[] {
  const entry = preparedOf(affected);
  if (entry.fixes === undefined) {
    const out = new Set<string>();
    for (const range of ecosystemRanges(affected)) {
      for (const event of range.events) if ("fixed" in event) out.add(event.fixed.trim());
    }
    entry.fixes = [...out].sort(compareVersionText);
  }
  return entry.fixes;
}

export interface FixSuggestion {
  /** The lowest version that fixes every given advisory, or null when none is known. */
  version: string | null;
  /** Whether the dependency's own specifier allows that version; null when there is no fix or it is unreadable. */
  allowedBySpecifier: boolean | null;
}

/**
 * The lowest release that fixes all the given advisories of one package: the smallest `fixed` version, not
 * below the current version, that none of the advisories' entries for that package affects. Null when there
 * is none, e.g. when an advisory is unfixed (`introduced` only) and so affects every candidate.
 */
export function lowestFix(
  packageName: string,
  advisories: readonly Advisory[],
  currentVersion: string | null,
  specifier: string,
): FixSuggestion {
  const name = normalizeName(packageName);
  const entries: AffectedPackage[] = [];
  for (const advisory of advisories) {
    // Stored names are normalised already: the comparison mostly needs no normalising.
    for (const e of advisory.affected) if (e.name === name || normalizeName(e.name) === name) entries.push(e);
  }
  const current = currentVersion === null ? null : pep440(currentVersion);
  const suggestion = (version: string | null): FixSuggestion => ({
    version,
    allowedBySpecifier: version === null ? null : specifierAllows(specifier, version),
  });
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only !== undefined) {
    // One entry (most findings): its fixes are distinct and already in order, so the walk below reduces to
    // the first of them, from the current version up, that the entry itself does not affect.
    for (const v of fixesOf(only)) {
      if (pep440(v) === null || (current !== null && compare(v, current) < 0)) continue;
      if (!isAffected(only, v)) return suggestion(v);
    }
    return suggestion(null);
  }
  const seen = new Set<string>();
  const candidates: string[] = [];
  for (const e of entries) {
    for (const v of fixesOf(e)) {
      if (seen.has(v)) continue;
      seen.add(v);
      if (pep440(v) !== null && (current === null || compare(v, current) >= 0)) candidates.push(v);
    }
  }
  candidates.sort(compareVersionText);
  // The first candidate no entry affects. Consecutive candidates are mostly held back by the same entry (the one
  // whose range spans them), so that entry is asked first: a package with hundreds of records (tensorflow) has
  // hundreds of candidates, and asking every entry about each of them made this a tenth of a large audit.
  let blocker = 0;
  const affectedBySome = (v: string): boolean => {
    const first = entries[blocker];
    if (first !== undefined && isAffected(first, v)) return true;
    for (let i = 0; i < entries.length; i++) {
      if (i !== blocker && isAffected(entries[i] as AffectedPackage, v)) {
        blocker = i;
        return true;
      }
    }
    return false;
  };
  return suggestion(candidates.find((v) => !affectedBySome(v)) ?? null);
}
