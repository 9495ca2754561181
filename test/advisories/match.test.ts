import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { compare as pep440Compare, valid } from "@renovatebot/pep440";
import fc from "fast-check";
import {
  admittedAffected,
  affectedIntervals,
  attachListedSummary,
  comparePep440,
  fixVersions,
  intervalText,
  isAffected,
  lowestFix,
  specifierAllows,
  specifierAllowsByIntervals,
  uncoveredListedVersions,
} from "../../src/advisories/match.js";
import type { Advisory, AffectedPackage, OsvEvent, OsvRange } from "../../src/advisories/types.js";
import { MALICIOUS_ARCHIVE, PYPA_ARCHIVE, readRecords } from "./real-records.js";

function entry(
  ranges: OsvEvent[][],
  versions: string[] = [],
  type: OsvRange["type"] = "ECOSYSTEM",
): AffectedPackage {
  return { name: "pkg", ranges: ranges.map((events) => ({ type, events })), versions };
}

function advisory(id: string, affected: AffectedPackage[], extra: Partial<Advisory> = {}): Advisory {
  return {
    id,
    aliases: [],
    kind: "vulnerability",
    summary: "",
    details: "",
    published: null,
    modified: "2024-01-01T00:00:00Z",
    withdrawn: null,
    severity: [],
    databaseSeverity: null,
    affected,
    references: [],
    ...extra,
  };
}

function affectedSet(e: AffectedPackage, versions: string[]): string[] {
  return versions.filter((v) => isAffected(e, v));
}

describe("isAffected: OSV range events", () => {
  test("introduced 0 + fixed: everything below the fix is affected, the fix and later are not", () => {
    const e = entry([[{ introduced: "0" }, { fixed: "2.3.0" }]]);
    assert.deepEqual(
      affectedSet(e, ["0", "0.0.1", "0.dev0", "2.2.9", "2.3.0", "2.3", "2.3.0.post1", "3.0"]),
      ["0", "0.0.1", "0.dev0", "2.2.9"],
    );
  });

  test("introduced 0 alone affects every version, including pre-releases and epochs", () => {
    const e = entry([[{ introduced: "0" }]]);
    assert.deepEqual(affectedSet(e, ["0.0.0.dev0", "1.0a1", "99.0", "1!0.1"]), [
      "0.0.0.dev0",
      "1.0a1",
      "99.0",
      "1!0.1",
    ]);
  });

  test("introduced is inclusive and fixed is exclusive", () => {
    const e = entry([[{ introduced: "1.2" }, { fixed: "1.4" }]]);
    assert.deepEqual(affectedSet(e, ["1.1.9", "1.2", "1.2.0", "1.3.99", "1.4", "1.4.0"]), [
      "1.2",
      "1.2.0",
      "1.3.99",
    ]);
  });

  test("last_affected is inclusive: the named version is affected, the next is not", () => {
    const e = entry([[{ introduced: "0" }, { last_affected: "1.11.0" }]]);
    assert.deepEqual(affectedSet(e, ["1.10", "1.11", "1.11.0", "1.11.0.post1", "1.11.1", "1.12.0a1"]), [
      "1.10",
      "1.11",
      "1.11.0",
    ]);
  });

  test("last_affected and fixed at the same version differ exactly at that version", () => {
    const last = entry([[{ introduced: "0" }, { last_affected: "2.0" }]]);
    const fixed = entry([[{ introduced: "0" }, { fixed: "2.0" }]]);
    assert.equal(isAffected(last, "2.0"), true);
    assert.equal(isAffected(fixed, "2.0"), false);
    assert.equal(isAffected(last, "1.9"), true);
    assert.equal(isAffected(fixed, "1.9"), true);
  });

  test("limit bounds the range from above (exclusive), and limit * means no limit", () => {
    const limited = entry([[{ introduced: "1.0" }, { limit: "1.5" }]]);
    assert.deepEqual(affectedSet(limited, ["0.9", "1.0", "1.4.9", "1.5", "2.0"]), ["1.0", "1.4.9"]);
    const star = entry([[{ introduced: "1.0" }, { limit: "*" }]]);
    assert.deepEqual(affectedSet(star, ["0.9", "1.0", "9.9"]), ["1.0", "9.9"]);
  });

  test("with several limits a version needs only to be below one of them", () => {
    const e = entry([[{ introduced: "1.0" }, { limit: "1.5" }, { limit: "3.0" }]]);
    assert.deepEqual(affectedSet(e, ["1.6", "2.9", "3.0"]), ["1.6", "2.9"]);
  });

  test("several introduced/fixed pairs in one range describe separate release lines", () => {
    const e = entry([[{ introduced: "1.0" }, { fixed: "1.0.2" }, { introduced: "3.0" }, { fixed: "3.2.5" }]]);
    assert.deepEqual(affectedSet(e, ["0.9", "1.0.1", "1.0.2", "2.0", "3.0", "3.2.4", "3.2.5"]), [
      "1.0.1",
      "3.0",
      "3.2.4",
    ]);
  });

  test("events need not be sorted in the record: they are sorted by PEP 440 before the walk", () => {
    const e = entry([
      [{ fixed: "3.2.5" }, { introduced: "3.0" }, { fixed: "1.0.10" }, { introduced: "1.0.2" }],
    ]);
    // 1.0.10 > 1.0.9 in PEP 440 (string order would put it before 1.0.2)
    assert.deepEqual(affectedSet(e, ["1.0.1", "1.0.9", "1.0.10", "3.1"]), ["1.0.9", "3.1"]);
  });

  test("several ranges: a version is affected if any one range contains it, overlaps included", () => {
    const e = entry([
      [{ introduced: "1.0" }, { fixed: "2.0" }],
      [{ introduced: "1.5" }, { fixed: "2.5" }],
      [{ introduced: "4.0" }],
    ]);
    assert.deepEqual(affectedSet(e, ["0.5", "1.0", "1.7", "2.2", "2.5", "3.0", "4.0", "10"]), [
      "1.0",
      "1.7",
      "2.2",
      "4.0",
      "10",
    ]);
  });

  test("introduced and fixed at the same version describe an empty range", () => {
    const e = entry([[{ introduced: "1.0" }, { fixed: "1.0" }]]);
    assert.deepEqual(affectedSet(e, ["0.9", "1.0", "1.1"]), []);
  });

  test("a range with only a fixed event (no introduced) affects nothing, as in the OSV pseudocode", () => {
    assert.equal(isAffected(entry([[{ fixed: "2.0" }]]), "1.0"), false);
  });
});

describe("isAffected: PEP 440 details", () => {
  test("pre-releases order before their release: fixed 2.0.0rc1 affects 2.0.0b1 but not 2.0.0 or 2.0.0rc2", () => {
    const e = entry([[{ introduced: "0" }, { fixed: "2.0.0rc1" }]]);
    assert.deepEqual(
      affectedSet(e, ["1.9", "2.0.0a1", "2.0.0b1", "2.0.0.dev5", "2.0.0rc1", "2.0.0rc2", "2.0.0"]),
      ["1.9", "2.0.0a1", "2.0.0b1", "2.0.0.dev5"],
    );
  });

  test("a pre-release of the fixed version is still affected when the fix is the final release", () => {
    const e = entry([[{ introduced: "0" }, { fixed: "2.0" }]]);
    assert.equal(isAffected(e, "2.0rc1"), true);
    assert.equal(isAffected(e, "2.0.dev0"), true);
    assert.equal(isAffected(e, "2.0"), false);
  });

  test("post-releases sort after their release: a post-release of the last affected version is not affected", () => {
    const e = entry([[{ introduced: "1.0" }, { last_affected: "1.4" }]]);
    assert.equal(isAffected(e, "1.4.post1"), false);
    assert.equal(isAffected(e, "1.3.post2"), true);
    const fixedAtPost = entry([[{ introduced: "0" }, { fixed: "1.4.post1" }]]);
    assert.equal(isAffected(fixedAtPost, "1.4"), true);
    assert.equal(isAffected(fixedAtPost, "1.4.post1"), false);
  });

  test("a local version is affected exactly when its public version is (1.0+cu118 is 1.0)", () => {
    const last = entry([[{ introduced: "0" }, { last_affected: "1.0" }]]);
    // Plain PEP 440 ordering puts 1.0+cu118 above 1.0; we ignore the local label as `==1.0` would.
    assert.equal(isAffected(last, "1.0+cu118"), true);
    const fixed = entry([[{ introduced: "0" }, { fixed: "1.0" }]]);
    assert.equal(isAffected(fixed, "1.0+cu118"), false);
    assert.equal(isAffected(fixed, "0.9+local.7"), true);
    const listed = entry([], ["2.1.0"]);
    assert.equal(isAffected(listed, "2.1+ubuntu1"), true);
  });

  test("listed versions compare by PEP 440 equality (1.0 == 1.0.0, case and spelling normalised)", () => {
    const e = entry([], ["1.0", "2.0.0-alpha2", "3.0RC1"]);
    assert.deepEqual(affectedSet(e, ["1.0.0", "1", "1.0.1", "2.0a2", "3.0rc1", "3.0"]), [
      "1.0.0",
      "1",
      "2.0a2",
      "3.0rc1",
    ]);
  });

  test("epochs order above every version without one", () => {
    const e = entry([[{ introduced: "0" }, { fixed: "1!1.0" }]]);
    assert.equal(isAffected(e, "2024.1"), true);
    assert.equal(isAffected(e, "1!1.0"), false);
  });
});

describe("isAffected: record shapes", () => {
  test("an entry with neither versions nor ranges affects every version (malicious records)", () => {
    const e = entry([]);
    assert.deepEqual(affectedSet(e, ["0.0.1", "1.0", "not a version"]), ["0.0.1", "1.0", "not a version"]);
  });

  test("a versions-only entry affects exactly the listed versions", () => {
    const e = entry([], ["0.0.58", "0.0.59"]);
    assert.deepEqual(affectedSet(e, ["0.0.57", "0.0.58", "0.0.59", "0.0.60"]), ["0.0.58", "0.0.59"]);
  });

  test("GIT and SEMVER ranges are ignored: an entry with only GIT ranges and no versions matches nothing", () => {
    const git = entry([[{ introduced: "0" }, { fixed: "a1b2c3d4e5f6" }]], [], "GIT");
    assert.equal(isAffected(git, "1.0"), false);
    const semver = entry([[{ introduced: "0" }]], [], "SEMVER");
    assert.equal(isAffected(semver, "1.0"), false);
  });

  test("listed versions that are not PEP 440 match by string equality only (trimmed, any case)", () => {
    const e = entry([], ["0.7.10p1", "0.0.9 ", "2.0.0-final"]);
    assert.deepEqual(affectedSet(e, ["0.7.10p1", "0.7.10P1", "0.7.10", "0.0.9", "2.0.0-final", "2.0.0"]), [
      "0.7.10p1",
      "0.7.10P1",
      "0.0.9",
      "2.0.0-final",
    ]);
  });

  test("an unparseable fixed event is dropped (the range stays open) and nothing throws", () => {
    const e = entry([[{ introduced: "0" }, { fixed: "0.2.0-n653" }]]);
    assert.equal(isAffected(e, "0.1"), true);
    assert.equal(isAffected(e, "5.0"), true);
  });

  test("a dependency version that is not PEP 440 is only matched by listed strings or an open-ended range", () => {
    assert.equal(isAffected(entry([[{ introduced: "0" }, { fixed: "2.0" }]]), "dev-build"), false);
    assert.equal(isAffected(entry([[{ introduced: "0" }]]), "dev-build"), true);
    assert.equal(isAffected(entry([], ["dev-build"]), "dev-build"), true);
  });

  test("random event lists and version strings never throw, and the walk agrees with the interval form", () => {
    const version = fc.oneof(
      fc.constantFrom(
        "0",
        "1.0",
        "1.0.0",
        "1.0rc1",
        "1.0.post1",
        "1.0.dev0",
        "2.0",
        "2.0+local",
        "1!0.5",
        "*",
        "junk",
        " 3.1 ",
      ),
      fc
        .tuple(fc.nat(4), fc.nat(4), fc.constantFrom("", "a1", "rc2", ".post1", ".dev3"))
        .map(([a, b, s]) => `${a}.${b}${s}`),
    );
    const event = fc.oneof(
      version.map((v): OsvEvent => ({ introduced: v })),
      version.map((v): OsvEvent => ({ fixed: v })),
      version.map((v): OsvEvent => ({ last_affected: v })),
      version.map((v): OsvEvent => ({ limit: v })),
    );
    const anEntry = fc
      .tuple(
        fc.array(fc.array(event, { maxLength: 6 }), { maxLength: 3 }),
        fc.array(version, { maxLength: 3 }),
      )
      .map(([ranges, versions]) => entry(ranges, versions));
    fc.assert(
      fc.property(
        anEntry,
        fc.constantFrom("0.5", "1.0", "1.0rc1", "1.0.post1", "1.5", "2.0", "3.1"),
        (e, v) => {
          const walked = isAffected(e, v);
          const everything = e.ranges.length === 0 && e.versions.length === 0;
          const listed = e.versions.some((l) => isAffected({ name: "pkg", ranges: [], versions: [l] }, v));
          const ranged = e.ranges.length > 0 && admittedAffected({ ...e, versions: [] }, `==${v}`).admits;
          // The interval form (used for specifiers) and the OSV walk (used for pinned versions) must agree.
          assert.equal(walked, everything || listed || ranged);
          assert.equal(affectedIntervals(e).length > 0 || !ranged, true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("admittedAffected: unpinned specifiers", () => {
  const requests = entry([[{ introduced: "2.0" }, { fixed: "2.31.0" }]]);

  test("a specifier entirely above the fix admits nothing (>=2.32 vs fixed 2.31.0)", () => {
    assert.deepEqual(admittedAffected(requests, ">=2.32"), { admits: false, ranges: [], versions: [] });
    assert.equal(admittedAffected(requests, ">=2.31.0").admits, false);
  });

  test("no specifier admits everything affected", () => {
    assert.deepEqual(admittedAffected(requests, ""), {
      admits: true,
      ranges: [">=2.0,<2.31.0"],
      versions: [],
    });
  });

  test("an overlapping specifier admits the intersection, described as text", () => {
    assert.deepEqual(admittedAffected(requests, ">=2.25,<3").ranges, [">=2.25,<2.31.0"]);
    assert.deepEqual(admittedAffected(requests, "<2.5").ranges, [">=2.0,<2.5.dev0"]);
    // `~=2.30.0` is `>=2.30.0,==2.30.*`, which ends below 2.31.dev0 (the lowest 2.31 version)
    assert.deepEqual(admittedAffected(requests, "~=2.30.0").ranges, [">=2.30.0,<2.31.dev0"]);
    assert.deepEqual(admittedAffected(requests, "==2.30.*").ranges, [">=2.30.dev0,<2.31.dev0"]);
    assert.deepEqual(admittedAffected(requests, "==2.30.0").ranges, ["==2.30.0"]);
  });

  test("a specifier below the affected range, or excluding it with !=, admits nothing", () => {
    assert.equal(admittedAffected(requests, "<2.0").admits, false);
    assert.equal(admittedAffected(requests, "<=1.9").admits, false);
    assert.equal(admittedAffected(requests, "~=1.2").admits, false);
    assert.equal(admittedAffected(entry([], ["1.0"]), "!=1.0").admits, false);
    assert.equal(admittedAffected(entry([], ["1.0"]), "!=1.*").admits, false);
  });

  test("`<V` excludes V's pre-releases (PEP 440) but `<=` and `>=` of a pre-release include them", () => {
    const preOnly = entry([[{ introduced: "2.0a1" }, { fixed: "2.0rc1" }]]);
    assert.equal(admittedAffected(preOnly, "<2.0").admits, false);
    assert.equal(admittedAffected(preOnly, ">=2.0b1").admits, true);
    assert.equal(admittedAffected(preOnly, ">=2.0").admits, false);
  });

  test("fixed exactly at the specifier's lower bound admits nothing; last_affected there admits that version", () => {
    assert.equal(admittedAffected(entry([[{ introduced: "0" }, { fixed: "1.5" }]]), ">=1.5").admits, false);
    const last = admittedAffected(entry([[{ introduced: "0" }, { last_affected: "1.5" }]]), ">=1.5");
    assert.deepEqual(last, { admits: true, ranges: ["==1.5"], versions: [] });
    assert.equal(
      admittedAffected(entry([[{ introduced: "0" }, { last_affected: "1.5" }]]), ">1.5").admits,
      false,
    );
  });

  test("listed versions are reported when the specifier admits them", () => {
    const e = entry([], ["1.0", "1.5", "2.0", "v_05"]);
    assert.deepEqual(admittedAffected(e, ">=1.2,<2"), { admits: true, ranges: [], versions: ["1.5"] });
    assert.deepEqual(admittedAffected(e, "").versions, ["1.0", "1.5", "2.0", "v_05"]);
  });

  test("limit clips the admitted range", () => {
    assert.deepEqual(admittedAffected(entry([[{ introduced: "1.0" }, { limit: "1.5" }]]), "").ranges, [
      ">=1.0,<1.5",
    ]);
  });

  test("an entry affecting every version is admitted by any specifier", () => {
    assert.deepEqual(admittedAffected(entry([]), ">=3"), { admits: true, ranges: [">=3"], versions: [] });
    assert.deepEqual(admittedAffected(entry([[{ introduced: "0" }]]), "").ranges, ["*"]);
  });

  test("an unreadable specifier is assumed to admit everything affected", () => {
    assert.equal(admittedAffected(requests, ">=>2").admits, true);
  });

  test("a specifier is satisfied only by versions inside every clause", () => {
    assert.equal(specifierAllows(">=2.0,!=2.1.*,<3", "2.1.5"), false);
    assert.equal(specifierAllows(">=2.0,!=2.1.*,<3", "2.2"), true);
    assert.equal(specifierAllows("~=1.4.2", "1.5.0"), false);
    assert.equal(specifierAllows("~=1.4.2", "1.4.9"), true);
    assert.equal(specifierAllows("(>=1.0)", "1.0"), true);
    assert.equal(specifierAllows("==1.0", "1.0+local"), true);
    assert.equal(specifierAllows("bogus", "1.0"), null);
  });

  test("intervals render as specifier-like text", () => {
    assert.equal(intervalText({ lo: null, hi: null }), "*");
    assert.equal(
      intervalText({ lo: { version: "1.0", inclusive: false }, hi: { version: "2", inclusive: true } }),
      ">1.0,<=2",
    );
  });
});

describe("fixVersions and lowestFix", () => {
  test("fixVersions lists the fixed events of ECOSYSTEM ranges in PEP 440 order, once each", () => {
    const e = entry([
      [{ introduced: "3.0" }, { fixed: "3.10.1" }, { introduced: "1.0" }, { fixed: "1.9" }],
      [{ introduced: "3.0" }, { fixed: "3.2" }],
      [{ introduced: "0" }, { fixed: "3.2" }],
    ]);
    e.ranges.push({ type: "GIT", events: [{ introduced: "0" }, { fixed: "deadbeef" }] });
    assert.deepEqual(fixVersions(e), ["1.9", "3.2", "3.10.1"]);
  });

  test("the lowest fix is the smallest fixed version at or above the current one that no advisory affects", () => {
    const a = advisory("A", [{ ...entry([[{ introduced: "0" }, { fixed: "2.5" }]]) }]);
    const b = advisory("B", [{ ...entry([[{ introduced: "2.0" }, { fixed: "2.8" }]]) }]);
    assert.deepEqual(lowestFix("pkg", [a, b], "2.1", ">=2"), { version: "2.8", allowedBySpecifier: true });
    assert.deepEqual(lowestFix("pkg", [a], "2.1", "==2.1"), { version: "2.5", allowedBySpecifier: false });
    assert.deepEqual(lowestFix("pkg", [a, b], "1.0", "<2.6"), { version: "2.8", allowedBySpecifier: false });
  });

  test("a fix on an older release line is not offered to a newer version", () => {
    const a = advisory("A", [
      entry([[{ introduced: "1.0" }, { fixed: "1.4.7" }, { introduced: "2.0" }, { fixed: "2.1.3" }]]),
    ]);
    assert.equal(lowestFix("pkg", [a], "2.0.5", "").version, "2.1.3");
    assert.equal(lowestFix("pkg", [a], "1.2", "").version, "1.4.7");
    // Unpinned: the lowest fix overall.
    assert.equal(lowestFix("pkg", [a], null, "").version, "1.4.7");
  });

  test("no fix when an advisory is unfixed, and none for entries of other packages", () => {
    const unfixed = advisory("U", [entry([[{ introduced: "1.0" }]])]);
    const fixed = advisory("F", [entry([[{ introduced: "0" }, { fixed: "3.0" }]])]);
    assert.deepEqual(lowestFix("pkg", [unfixed, fixed], "1.5", ""), {
      version: null,
      allowedBySpecifier: null,
    });
    assert.deepEqual(lowestFix("other", [fixed], "1.5", ""), { version: null, allowedBySpecifier: null });
    assert.equal(lowestFix("PKG", [fixed], "1.5", "").version, "3.0");
  });

  test("a pre-release fix counts as the fix", () => {
    const a = advisory("A", [entry([[{ introduced: "0" }, { fixed: "2.0.0rc1" }]])]);
    assert.equal(lowestFix("pkg", [a], "2.0.0b1", "").version, "2.0.0rc1");
  });
});

// ---------------------------------------------------------------------------------------------------------
// Real data: every record's own listed versions must be affected and its fixed versions not.

interface Quirk {
  id: string;
  version: string;
  why: string;
}

/** Checks one record against itself; returns the data quirks found (fixed versions that are also listed, ...). */
function selfCheck(adv: Advisory, failures: string[]): Quirk[] {
  const quirks: Quirk[] = [];
  for (const e of adv.affected) {
    for (const v of e.versions) {
      if (!isAffected(e, v)) failures.push(`${adv.id}: listed version ${JSON.stringify(v)} not affected`);
    }
    for (const fixed of fixVersions(e)) {
      if (!isAffected(e, fixed)) continue;
      // A fixed version can still be affected when the record also lists it, or another range covers it.
      const listed = e.versions.length > 0 && isAffected({ ...e, ranges: [] }, fixed);
      const why = !valid(fixed) ? "not PEP 440, so dropped" : listed ? "also listed" : "inside another range";
      quirks.push({ id: adv.id, version: fixed, why });
    }
  }
  return quirks;
}

describe("real data", () => {
  let pypa = new Map<string, Advisory>();
  let malicious = new Map<string, Advisory>();
  before(() => {
    pypa = readRecords(PYPA_ARCHIVE);
    malicious = readRecords(MALICIOUS_ARCHIVE);
  });

  test("PyPA advisory database: every listed version is affected, fixed versions are not (bar few quirks)", (t) => {
    const files = [...pypa.keys()].sort();
    assert.equal(files.length, 2661);
    const failures: string[] = [];
    const quirks: Quirk[] = [];
    let listedChecked = 0;
    let fixedChecked = 0;
    for (const file of files) {
      const adv = pypa.get(file) as Advisory;
      quirks.push(...selfCheck(adv, failures));
      for (const e of adv.affected) {
        listedChecked += e.versions.length;
        fixedChecked += fixVersions(e).length;
      }
    }
    t.diagnostic(
      `${listedChecked} listed and ${fixedChecked} fixed versions checked; quirks: ${JSON.stringify(quirks)}`,
    );
    assert.deepEqual(failures, []);
    assert.ok(listedChecked > 100_000, `checked ${listedChecked} listed versions`);
    assert.ok(fixedChecked > 3000, `checked ${fixedChecked} fixed versions`);
    // Data quirks, each checked by hand: fixes that are not PEP 440 (binderhub `0.2.0-n653`, a date) leave
    // their range open; four records list their own fixed version as affected.
    assert.deepEqual(quirks.map((q) => `${q.id} ${q.version}: ${q.why}`).sort(), [
      "PYSEC-2019-125 2019-09-12: not PEP 440, so dropped",
      "PYSEC-2021-114 2.11.6: also listed",
      "PYSEC-2021-371 0.2.0-n653: not PEP 440, so dropped",
      "PYSEC-2022-236 3.1.1: also listed",
      "PYSEC-2023-177 23.9.0: also listed",
      "PYSEC-2023-72 3.1.1: also listed",
    ]);
  });

  test("a real requests advisory (PYSEC-2014-13) matches 2.2.1 and not 2.3.0, and suggests 2.3.0", () => {
    const adv = pypa.get("vulns/requests/PYSEC-2014-13.yaml") as Advisory;
    const e = adv.affected[0] as AffectedPackage;
    assert.equal(isAffected(e, "2.2.1"), true);
    assert.equal(isAffected(e, "2.3.0"), false);
    assert.equal(isAffected(e, "0.12.01"), true);
    assert.deepEqual(lowestFix("requests", [adv], "2.0.1", ">=2.0"), {
      version: "2.3.0",
      allowedBySpecifier: true,
    });
    assert.equal(admittedAffected(e, ">=2.3").admits, false);
    assert.deepEqual(admittedAffected(e, ">=2.2").ranges, [">=2.2,<2.3.0"]);
  });

  test("malicious packages: listed versions are affected; records without versions affect every version", () => {
    const files = [...malicious.keys()].filter((f) => f.startsWith("osv/malicious/pypi/")).sort();
    assert.equal(files.length, 9207);
    const failures: string[] = [];
    let allVersions = 0;
    // Every 7th record: a sample spread over the whole alphabet, still over 1,300 records.
    for (const file of files.filter((_, i) => i % 7 === 0)) {
      const adv = malicious.get(file) as Advisory;
      assert.deepEqual(selfCheck(adv, failures), []);
      for (const e of adv.affected) {
        // introduced "0" ranges (and no fixed) mean every version; check a few that no record lists.
        if (e.ranges.length > 0) {
          allVersions++;
          for (const v of ["0.0.1", "1.0.0", "999.0"]) {
            if (!isAffected(e, v)) failures.push(`${adv.id}: ${v} not affected`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(allVersions > 500, `${allVersions} all-version records sampled`);
  });

  test("the withdrawn malicious record is recognisable as withdrawn", () => {
    const adv = malicious.get("osv/withdrawn/pypi/lodestone/MAL-2023-8651.json") as Advisory;
    assert.notEqual(adv.withdrawn, null);
    assert.equal(isAffected(adv.affected[0] as AffectedPackage, "0.0.58"), true);
  });
});

describe("matching from a listed-versions summary (what the store attaches)", () => {
  /** A copy of `e` that matches PEP 440 versions from its uncovered listed versions only, as the store's do. */
  function summarised(e: AffectedPackage): AffectedPackage {
    const copy: AffectedPackage = { name: e.name, ranges: e.ranges, versions: e.versions };
    const uncovered = uncoveredListedVersions({ ...e });
    attachListedSummary(copy, { empty: e.versions.length === 0, uncovered });
    return copy;
  }

  test("listed versions inside the entry's own ranges are covered; others, and text that is not PEP 440, are not", () => {
    const e = entry(
      [[{ introduced: "1.0" }, { fixed: "2.0" }]],
      ["1.0", "1.5.post1", "1.9rc1", "2.0", "0.9", "1.2-final"],
    );
    assert.deepEqual(uncoveredListedVersions(e), ["2.0", "0.9", "1.2-final"]);
  });

  test("with a bound that has a local label, listed versions without one are never covered", () => {
    const e = entry([[{ introduced: "1.0" }, { fixed: "1.5+cpu" }]], ["1.2", "1.2+cpu"]);
    assert.deepEqual(uncoveredListedVersions(e), ["1.2"]);
    // 1.5 is listed, so `1.5+zzz` is affected (a local build of a listed version), though it equals the
    // bound `fixed: 1.5+zzz` and so lies outside the range: 1.5 must stay in the uncovered list.
    const f = entry([[{ introduced: "1.0" }, { fixed: "1.5+zzz" }]], ["1.5"]);
    assert.deepEqual(uncoveredListedVersions(f), ["1.5"]);
    assert.equal(isAffected(summarised(f), "1.5+zzz"), true);
  });

  test("an epoch of 0 written out is the same version: 0!2.0 is listed when 2.0 is", () => {
    const e = entry([], ["2.0", "3.1"]);
    assert.equal(isAffected(e, "0!2.0"), true);
    assert.equal(isAffected(e, "0!3.1.0"), true);
    assert.equal(isAffected(e, "1!2.0"), false);
  });

  test("the summary gives the same answer as scanning `versions`, for random entries and versions", () => {
    const version = fc.oneof(
      fc.constantFrom(
        "0",
        "1.0",
        "1.0.0",
        "V1.0",
        "1.0RC1",
        "1.0rc1",
        "1.0.post1",
        "1.0.dev0",
        "1.0+local",
        "1.0+LOCAL",
        "1.0+cpu.1",
        "0!1.0",
        "1!1.0",
        "2.0",
        "2.0+local",
        "junk",
        " 1.5 ",
        "1.0+bad+",
      ),
      fc
        .tuple(
          fc.nat(3),
          fc.nat(3),
          fc.constantFrom("", "a1", "rc2", ".post1", ".dev3"),
          fc.constantFrom("", "+x", "+1"),
        )
        .map(([a, b, s, l]) => `${a}.${b}${s}${l}`),
    );
    const event = fc.oneof(
      version.map((v): OsvEvent => ({ introduced: v })),
      version.map((v): OsvEvent => ({ fixed: v })),
      version.map((v): OsvEvent => ({ last_affected: v })),
      version.map((v): OsvEvent => ({ limit: v })),
    );
    const anEntry = fc
      .tuple(
        fc.array(fc.array(event, { maxLength: 5 }), { maxLength: 3 }),
        fc.array(version, { maxLength: 6 }),
      )
      .map(([ranges, versions]) => entry(ranges, versions));
    fc.assert(
      fc.property(anEntry, fc.array(version, { minLength: 1, maxLength: 8 }), (e, candidates) => {
        const fast = summarised(e);
        for (const v of candidates) assert.equal(isAffected(fast, v), isAffected(e, v), v);
        // A fix suggestion tries fixed versions: the same from both.
        const adv = advisory("X", [e]);
        assert.deepEqual(
          lowestFix("pkg", [advisory("X", [fast])], null, ""),
          lowestFix("pkg", [adv], null, ""),
        );
        // One entry takes a shortcut; beside an entry that affects and fixes nothing, the general walk runs.
        const inert = entry([[{ introduced: "0" }]], [], "GIT");
        for (const current of [null, ...candidates]) {
          assert.deepEqual(
            lowestFix("pkg", [adv], current, ""),
            lowestFix("pkg", [adv, advisory("Y", [inert])], current, ""),
            `from ${current}`,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("a pin admits exactly what its one-point interval admits (the shortcut for == pins)", () => {
    const version = fc
      .tuple(
        fc.constantFrom("", "1!"),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
        fc.constantFrom("", "a1", "rc2"),
        fc.constantFrom("", ".post1"),
        fc.constantFrom("", ".dev0"),
        fc.constantFrom("", "+abc", "+1.x"),
      )
      .map(
        ([epoch, release, pre, post, dev, local]) =>
          `${epoch}${release.join(".")}${pre}${post}${dev}${local}`,
      )
      .filter((v) => valid(v) !== null);
    const spacing = fc.constantFrom(["", ""], [" ", ""], ["", " "], [" ", " "]);
    fc.assert(
      fc.property(version, version, spacing, (pin, candidate, [before, after]) => {
        const specifier = `${before}==${before}${pin}${after}`;
        assert.equal(
          specifierAllows(specifier, candidate),
          specifierAllowsByIntervals(specifier, candidate),
          `${specifier} / ${candidate}`,
        );
      }),
      { numRuns: 5000 },
    );
    assert.equal(specifierAllows("==1.0", "1.0+cu118"), true);
    assert.equal(specifierAllows("==1.0+cu118", "1.0"), false);
    assert.equal(specifierAllows("==1.0", "1.0.0"), true);
    assert.equal(specifierAllows("==1.0", "not a version"), false);
  });

  test("versions are ordered as @renovatebot/pep440 orders them, from cached parses", () => {
    const version = fc
      .tuple(
        fc.constantFrom("", "1!", "0!"),
        fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("", "a", "b1", "rc2", "alpha3", "c"),
        fc.constantFrom("", ".post1", "-2", ".post0", "post3"),
        fc.constantFrom("", ".dev0", ".dev4", "dev"),
        fc.constantFrom("", "+abc", "+1.x", "+Local-2", "+01"),
      )
      .map(
        ([epoch, release, pre, post, dev, local]) =>
          `${epoch}${release.join(".")}${pre}${post}${dev}${local}`,
      )
      .filter((v) => valid(v) !== null);
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.equal(Math.sign(comparePep440(a, b)), Math.sign(pep440Compare(a, b)), `${a} vs ${b}`);
      }),
      { numRuns: 5000 },
    );
  });

  test("the order holds for numbers of any width, every pre-release spelling and mixed local labels", () => {
    // The sort keys write numbers by digit count: 9 < 10 < 100, 0-padded text, wide dates and huge integers.
    const num = fc.oneof(
      fc.nat(12),
      fc.nat(),
      fc.constantFrom(9, 10, 99, 100, 20240101, 2 ** 53 + 2),
      fc.constantFrom("007", "010", "00"),
    );
    const version = fc
      .tuple(
        fc.constantFrom("", "1!", "0!", "12!"),
        fc.array(num, { minLength: 1, maxLength: 5 }),
        fc.constantFrom("", "a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "-a", ".rc"),
        num,
        fc.constantFrom("", ".post", "-", "post", ".r", "rev"),
        num,
        fc.constantFrom("", ".dev", "dev"),
        num,
        fc.array(fc.oneof(num.map(String), fc.constantFrom("abc", "x", "ab", "z9", "0a")), { maxLength: 3 }),
      )
      .map(
        ([epoch, release, preTag, preN, postTag, postN, devTag, devN, local]) =>
          `${epoch}${release.join(".")}${preTag ? `${preTag}${preN}` : ""}${postTag === "-" ? `-${postN}` : postTag ? `${postTag}${postN}` : ""}${devTag ? `${devTag}${devN}` : ""}${local.length ? `+${local.join(".")}` : ""}`,
      )
      .filter((v) => valid(v) !== null);
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.equal(Math.sign(comparePep440(a, b)), Math.sign(pep440Compare(a, b)), `${a} vs ${b}`);
      }),
      { numRuns: 10000 },
    );
  });
});
