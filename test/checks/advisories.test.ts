import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import type { Advisory, AffectedPackage, OsvEvent } from "../../src/advisories/types.js";
import {
  checkAdvisories,
  fixSuggestions,
  groupByAlias,
  MALICIOUS_SUMMARY,
  singleSpaced,
} from "../../src/checks/advisories.js";
import type { Finding } from "../../src/checks/types.js";
import { makeDependency } from "../../src/inventory/dependency.js";
import type { Dependency } from "../../src/inventory/types.js";
import { normalizeName } from "../../src/standards/names.js";
import { PYPA_ARCHIVE, readRecords } from "../advisories/real-records.js";

const V31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
const V31_HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"; // 7.5
const V31_MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"; // 6.1

function range(...events: OsvEvent[]): AffectedPackage["ranges"][number] {
  return { type: "ECOSYSTEM", events };
}

function advisory(id: string, affected: AffectedPackage[], extra: Partial<Advisory> = {}): Advisory {
  return {
    id,
    aliases: [],
    kind: id.startsWith("MAL-") ? "malicious" : "vulnerability",
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

function upTo(name: string, fixed: string, introduced = "0"): AffectedPackage {
  return { name, versions: [], ranges: [range({ introduced }, { fixed })] };
}

function pinned(rawName: string, version: string, line = 1, file = "requirements.txt"): Dependency {
  return makeDependency({ rawName, format: "requirements", file, line, specifier: `==${version}` });
}

function unpinned(rawName: string, specifier: string, line = 1): Dependency {
  return makeDependency({ rawName, format: "requirements", file: "requirements.txt", line, specifier });
}

function index(...advisories: Advisory[]): Map<string, Advisory[]> {
  const map = new Map<string, Advisory[]>();
  for (const a of advisories) {
    for (const name of new Set(a.affected.map((e) => normalizeName(e.name)))) {
      map.set(name, [...(map.get(name) ?? []), a]);
    }
  }
  return map;
}

function ids(findings: Finding[]): string[] {
  return findings.map((f) => `${f.package} ${f.id}`);
}

describe("checkAdvisories: pinned dependencies", () => {
  const pysec = advisory("PYSEC-2023-74", [upTo("requests", "2.31.0", "2.3.0")], {
    aliases: ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
    details:
      "Requests is a HTTP library.\nSince v2.3.0, Requests has been leaking Proxy-Authorization headers.",
    references: [
      { type: "ADVISORY", url: "https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q" },
    ],
  });
  const ghsa = advisory("GHSA-j8r2-6x86-q33q", [upTo("requests", "2.31.0", "2.3.0")], {
    aliases: ["CVE-2023-32681"],
    summary: "Unintended leak of Proxy-Authorization header in requests",
    severity: [{ type: "CVSS_V3", score: V31_MEDIUM }],
    databaseSeverity: "MODERATE",
    references: [
      { type: "WEB", url: "https://example.org/unrelated" },
      { type: "ADVISORY", url: "https://github.com/advisories/GHSA-j8r2-6x86-q33q" },
    ],
  });

  test("records that alias each other become one finding with the GHSA id and every other id as aliases", () => {
    const dep = pinned("Requests", "2.30.0", 7);
    const findings = checkAdvisories([dep], index(pysec, ghsa));
    assert.deepEqual(findings, [
      {
        kind: "vulnerability",
        id: "GHSA-j8r2-6x86-q33q",
        aliases: ["CVE-2023-32681", "PYSEC-2023-74"],
        severity: "medium",
        score: 6.1,
        package: "requests",
        version: "2.30.0",
        specifier: "==2.30.0",
        file: "requirements.txt",
        line: 7,
        summary: "Unintended leak of Proxy-Authorization header in requests",
        fixedIn: "2.31.0",
        url: "https://github.com/advisories/GHSA-j8r2-6x86-q33q",
      },
    ]);
  });

  test("merging works in the other direction too: only the GHSA record names the PYSEC id", () => {
    const p = advisory("PYSEC-2023-74", [upTo("requests", "2.31.0")]);
    const g = advisory("GHSA-j8r2-6x86-q33q", [upTo("requests", "2.31.0")], { aliases: ["PYSEC-2023-74"] });
    const findings = checkAdvisories([pinned("requests", "2.0")], index(p, g));
    assert.deepEqual(ids(findings), ["requests GHSA-j8r2-6x86-q33q"]);
    assert.deepEqual(findings[0]?.aliases, ["PYSEC-2023-74"]);
  });

  test("a three-record alias chain merges transitively; an unrelated record stays separate", () => {
    // PYSEC-1 -> GHSA-x -> CVE-1 <- OSV-1: no record names all of them.
    const a = advisory("PYSEC-2022-1", [upTo("pkg", "2.0")], { aliases: ["GHSA-xxxx-xxxx-xxxx"] });
    const b = advisory("GHSA-xxxx-xxxx-xxxx", [upTo("pkg", "2.0")], { aliases: ["CVE-2022-1"] });
    const c = advisory("OSV-2022-1", [upTo("pkg", "2.1")], { aliases: ["CVE-2022-1"] });
    const other = advisory("PYSEC-2022-2", [upTo("pkg", "3.0")], { aliases: ["CVE-2022-2"] });
    const findings = checkAdvisories([pinned("pkg", "1.0")], index(a, b, c, other));
    assert.deepEqual(
      findings.map((f) => [f.id, f.aliases]),
      [
        ["GHSA-xxxx-xxxx-xxxx", ["CVE-2022-1", "OSV-2022-1", "PYSEC-2022-1"]],
        ["PYSEC-2022-2", ["CVE-2022-2"]],
      ],
    );
    // The lowest version fixing the whole group is 2.1 (2.0 still has OSV-2022-1).
    assert.equal(findings[0]?.fixedIn, "2.1");
  });

  test("groupByAlias keeps records apart when nothing links them", () => {
    const groups = groupByAlias([advisory("A-1", []), advisory("B-1", [], { aliases: ["C-1"] })]);
    assert.deepEqual(
      groups.map((g) => g.ids),
      [["A-1"], ["B-1", "C-1"]],
    );
  });

  test("the group's severity is the worst of its records, and its score the one behind that severity", () => {
    const low = advisory("PYSEC-1", [upTo("pkg", "2.0")], { aliases: ["CVE-1"], databaseSeverity: "LOW" });
    const critical = advisory("OSV-1", [upTo("pkg", "2.0")], {
      aliases: ["CVE-1"],
      severity: [{ type: "CVSS_V3", score: V31_CRITICAL }],
    });
    const [finding] = checkAdvisories([pinned("pkg", "1.0")], index(low, critical));
    assert.equal(finding?.severity, "critical");
    assert.equal(finding?.score, 9.8);
    assert.equal(finding?.id, "PYSEC-1");
  });

  test("versions outside the affected ranges, and entries for other packages in the same record, give nothing", () => {
    const multi = advisory("GHSA-multi", [upTo("alpha", "1.5"), upTo("beta", "9.0")]);
    assert.deepEqual(checkAdvisories([pinned("alpha", "1.5")], index(multi)), []);
    assert.deepEqual(ids(checkAdvisories([pinned("beta", "1.5")], index(multi))), ["beta GHSA-multi"]);
  });

  test("withdrawn advisories are ignored", () => {
    const withdrawn = advisory("GHSA-gone", [upTo("pkg", "2.0")], { withdrawn: "2024-02-01T00:00:00Z" });
    assert.deepEqual(checkAdvisories([pinned("pkg", "1.0")], index(withdrawn)), []);
  });

  test("without a summary the first line of details is used, shortened to 120 characters", () => {
    const long = `${"x".repeat(200)}\nsecond line`;
    const [finding] = checkAdvisories(
      [pinned("pkg", "1.0")],
      index(advisory("PYSEC-9", [upTo("pkg", "2.0")], { details: `\n${long}` })),
    );
    assert.equal(finding?.summary.length, 120);
    assert.ok(finding?.summary.startsWith("xxxx"));
    assert.ok(finding?.summary.endsWith("…"));
  });

  test("without a reference naming the id the url is the osv.dev page", () => {
    const [finding] = checkAdvisories(
      [pinned("pkg", "1.0")],
      index(
        advisory("PYSEC-9", [upTo("pkg", "2.0")], {
          references: [{ type: "ADVISORY", url: "https://example.org/x" }],
        }),
      ),
    );
    assert.equal(finding?.url, "https://osv.dev/vulnerability/PYSEC-9");
  });

  test("an unfixed advisory has no fixedIn", () => {
    const open = advisory("PYSEC-9", [{ name: "pkg", versions: [], ranges: [range({ introduced: "1.0" })] }]);
    assert.equal(checkAdvisories([pinned("pkg", "1.2")], index(open))[0]?.fixedIn, null);
  });

  test("a local build of an affected version is affected", () => {
    const findings = checkAdvisories(
      [
        makeDependency({
          rawName: "torch",
          format: "environment",
          file: "env",
          line: null,
          lockedVersion: "2.0.0+cu118",
        }),
      ],
      index(advisory("PYSEC-T", [upTo("torch", "2.0.1")])),
    );
    assert.deepEqual(ids(findings), ["torch PYSEC-T"]);
    assert.equal(findings[0]?.line, null);
  });
});

describe("checkAdvisories: malicious packages", () => {
  const mal = advisory("MAL-2024-4720", [{ name: "1337test", versions: [], ranges: [] }], {
    summary: "Malicious code in 1337test (PyPI)",
    aliases: ["GHSA-mal0-0000-0000"],
  });

  test("a record without versions or ranges matches every version, as critical, with remove-and-rotate advice", () => {
    const findings = checkAdvisories([pinned("1337TEST", "0.0.1")], index(mal));
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.equal(f?.kind, "malicious");
    assert.equal(f?.id, "MAL-2024-4720");
    assert.deepEqual(f?.aliases, ["GHSA-mal0-0000-0000"]);
    assert.equal(f?.severity, "critical");
    assert.equal(f?.score, null);
    assert.equal(f?.fixedIn, null);
    assert.equal(f?.summary, `${MALICIOUS_SUMMARY} (Malicious code in 1337test (PyPI))`);
    assert.equal(f?.url, "https://osv.dev/vulnerability/MAL-2024-4720");
  });

  test("an unpinned dependency on a malicious package is reported too", () => {
    const [f] = checkAdvisories([unpinned("1337test", "")], index(mal));
    assert.equal(f?.kind, "malicious");
    assert.ok(f?.summary.startsWith(MALICIOUS_SUMMARY));
    assert.deepEqual(f?.evidence, { admitted: { ranges: ["*"], versions: [] }, fixAllowedBySpecifier: null });
  });

  test("a versions-only malicious record matches only the listed versions", () => {
    const listed = advisory("MAL-2023-1", [
      { name: "lodestone", versions: ["0.0.58", "0.0.59"], ranges: [] },
    ]);
    assert.equal(checkAdvisories([pinned("lodestone", "0.0.58")], index(listed)).length, 1);
    assert.equal(checkAdvisories([pinned("lodestone", "0.0.60")], index(listed)).length, 0);
  });
});

describe("checkAdvisories: unpinned dependencies", () => {
  const adv = advisory("GHSA-j8r2-6x86-q33q", [upTo("requests", "2.31.0", "2.3.0")], {
    summary: "Unintended leak of Proxy-Authorization header",
    severity: [{ type: "CVSS_V3", score: V31_MEDIUM }],
  });

  test("a specifier that admits affected versions is reported, with the admitted ranges and the fix", () => {
    const [f] = checkAdvisories([unpinned("requests", ">=2.20")], index(adv));
    assert.equal(f?.version, null);
    assert.equal(f?.specifier, ">=2.20");
    assert.equal(f?.severity, "medium");
    assert.equal(f?.fixedIn, "2.31.0");
    assert.equal(
      f?.summary,
      'Specifier ">=2.20" admits affected versions (>=2.20,<2.31.0): Unintended leak of Proxy-Authorization header',
    );
    assert.deepEqual(f?.evidence, {
      admitted: { ranges: [">=2.20,<2.31.0"], versions: [] },
      fixAllowedBySpecifier: true,
    });
  });

  test("a specifier that excludes the fix says so in the evidence", () => {
    const [f] = checkAdvisories([unpinned("requests", "~=2.28.0")], index(adv));
    assert.deepEqual(f?.evidence, {
      admitted: { ranges: [">=2.28.0,<2.29.dev0"], versions: [] },
      fixAllowedBySpecifier: false,
    });
  });

  test("a specifier entirely above the fix is not reported (>=2.32 vs fixed 2.31.0)", () => {
    assert.deepEqual(checkAdvisories([unpinned("requests", ">=2.32")], index(adv)), []);
  });

  test("no specifier at all admits every affected version", () => {
    const [f] = checkAdvisories([unpinned("requests", "")], index(adv));
    assert.ok(f?.summary.startsWith("No version constraint admits affected versions (>=2.3.0,<2.31.0)"));
  });
});

describe("ordering and fix suggestions", () => {
  const advisories = index(
    advisory("PYSEC-B1", [upTo("bravo", "2.5")], { severity: [{ type: "CVSS_V3", score: V31_MEDIUM }] }),
    advisory("PYSEC-B2", [upTo("bravo", "2.8")], { severity: [{ type: "CVSS_V3", score: V31_CRITICAL }] }),
    advisory("GHSA-b3", [upTo("bravo", "2.2")], { severity: [{ type: "CVSS_V3", score: V31_MEDIUM }] }),
    advisory("PYSEC-A1", [upTo("alpha", "1.1")], { severity: [{ type: "CVSS_V3", score: V31_HIGH }] }),
    advisory("MAL-2024-1", [{ name: "evil", versions: [], ranges: [] }]),
  );
  const deps = [
    pinned("bravo", "2.0", 1),
    unpinned("evil", "", 2),
    pinned("alpha", "1.0", 3),
    pinned("charlie", "1.0", 4),
  ];

  test("findings are ordered by package, then severity (worst first), then id", () => {
    assert.deepEqual(ids(checkAdvisories(deps, advisories)), [
      "alpha PYSEC-A1",
      "bravo PYSEC-B2",
      "bravo GHSA-b3",
      "bravo PYSEC-B1",
      "evil MAL-2024-1",
    ]);
  });

  test("the same package declared in two files gives a finding for each declaration, ordered by file", () => {
    const twice = [pinned("alpha", "1.0", 3, "b.txt"), pinned("alpha", "1.0", 9, "a.txt")];
    assert.deepEqual(
      checkAdvisories(twice, advisories).map((f) => `${f.file}:${f.line}`),
      ["a.txt:9", "b.txt:3"],
    );
  });

  test("per package, the fix is the lowest version fixing every finding, checked against the specifier", () => {
    const findings = checkAdvisories(deps, advisories);
    const constrained = [...deps, unpinned("bravo", "<2.6", 5)];
    assert.deepEqual(
      [...fixSuggestions(findings, constrained)],
      [
        ["alpha", { version: "1.1", allowedBySpecifier: false }],
        ["bravo", { version: "2.8", allowedBySpecifier: false }],
        ["evil", { version: null, allowedBySpecifier: null }],
      ],
    );
    const loose = [unpinned("bravo", ">=2")];
    assert.deepEqual(fixSuggestions(findings, loose).get("bravo"), {
      version: "2.8",
      allowedBySpecifier: true,
    });
  });

  test("findings of other checks are not part of fix suggestions", () => {
    const other: Finding = {
      ...(checkAdvisories(deps, advisories)[0] as Finding),
      kind: "unpinned",
      id: "PC-UNPINNED",
      fixedIn: null,
    };
    assert.deepEqual([...fixSuggestions([other], deps)], []);
  });
});

describe("real data: the PyPA advisory database", () => {
  const byName = new Map<string, Advisory[]>();
  before(() => {
    for (const adv of readRecords(PYPA_ARCHIVE).values()) {
      for (const name of new Set(adv.affected.map((e) => e.name)))
        byName.set(name, [...(byName.get(name) ?? []), adv]);
    }
  });

  test("requests 2.2.1 is reported for CVE-2014-1829 under its GHSA id, with the PYSEC id as alias", () => {
    const findings = checkAdvisories([pinned("requests", "2.2.1")], byName);
    const f = findings.find((x) => x.aliases.includes("PYSEC-2014-13"));
    assert.equal(f?.id, "GHSA-cfj3-7x9c-4p3h");
    assert.deepEqual(f?.aliases, ["CVE-2014-1829", "PYSEC-2014-13"]);
    assert.equal(f?.url, "https://github.com/advisories/GHSA-cfj3-7x9c-4p3h");
    assert.ok(f?.summary.startsWith("Requests (aka python-requests) before 2.3.0 allows remote servers"));
    // Three other requests advisories also affect 2.2.1; fixing all four needs 2.20.0, which `==2.2.1` excludes.
    assert.deepEqual(
      findings.map((x) => [x.id, x.fixedIn]),
      [
        ["GHSA-652x-xj99-gmcc", "2.3.0"],
        ["GHSA-cfj3-7x9c-4p3h", "2.3.0"],
        ["GHSA-x84v-xcm2-53pg", "2.20.0"],
        ["PYSEC-2015-17", "2.6.0"],
      ],
    );
    assert.deepEqual(fixSuggestions(findings, [pinned("requests", "2.2.1")]).get("requests"), {
      version: "2.20.0",
      allowedBySpecifier: false,
    });
  });

  test("every record is found again for the first version it lists, in one check over all those dependencies", () => {
    const expected = new Map<string, { dep: Dependency; ids: string[] }>();
    for (const [name, advisories] of byName) {
      for (const adv of advisories) {
        const entry = adv.affected.find((e) => e.name === name && e.versions.length > 0);
        if (adv.withdrawn !== null || entry === undefined) continue;
        const version = entry.versions[0] as string;
        const key = `${name}==${version}`;
        // Lock-style entries: a non-PEP 440 version (`0.7.10p1`) stays the dependency's version.
        const dep = makeDependency({
          rawName: name,
          format: "pylock",
          file: "pylock.toml",
          line: null,
          lockedVersion: version,
        });
        const slot = expected.get(key) ?? { dep, ids: [] };
        slot.ids.push(adv.id);
        expected.set(key, slot);
      }
    }
    const findings = checkAdvisories(
      [...expected.values()].map((e) => e.dep),
      byName,
    );
    const reported = new Set(
      findings.flatMap((f) => [f.id, ...f.aliases].map((id) => `${f.package}==${f.version} ${id}`)),
    );
    const missing = [...expected].flatMap(([key, { ids }]) =>
      ids.filter((id) => !reported.has(`${key} ${id}`)),
    );
    assert.deepEqual(missing, []);
    const records = [...expected.values()].reduce((n, e) => n + e.ids.length, 0);
    assert.ok(records > 2000, `${records} records checked`);
    // Stable order: sorting the output again changes nothing.
    assert.deepEqual(
      findings.map((f) => f.package),
      findings.map((f) => f.package).sort(),
    );
  });
});

test('summaries collapse whitespace exactly as replace(/\\s+/g, " ") does, touching fewer characters', () => {
  const text = fc.string({
    unit: fc.constantFrom("a", "b", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "\u3000", "x y", "\f"),
    maxLength: 40,
  });
  fc.assert(
    fc.property(text, (t) => {
      assert.equal(singleSpaced(t), t.replace(/\s+/g, " "));
    }),
    { numRuns: 5000 },
  );
});

test("one record is grouped as the general union-find groups it among others", () => {
  const id = fc.constantFrom(
    "PYSEC-2021-1",
    "GHSA-aaaa-bbbb-cccc",
    "CVE-2021-9",
    "MAL-2024-3",
    "OSV-1",
    "pysec-2020-2",
  );
  fc.assert(
    fc.property(id, fc.array(id, { maxLength: 5 }), (own, aliases) => {
      const alone = advisory(own, [], { aliases });
      const unrelated = advisory("UNRELATED-1", [], { aliases: [] });
      const general = groupByAlias([alone, unrelated]).filter((g) => g.records.includes(alone));
      assert.deepEqual(groupByAlias([alone]), general);
    }),
    { numRuns: 1000 },
  );
});

/** The grouping as first written: union-find over the ids themselves (the reference for the record-index form). */
function groupByAliasOverIds(advisories: readonly Advisory[]): { ids: string[]; records: Advisory[] }[] {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    return root;
  };
  const add = (id: string) => {
    if (!parent.has(id)) parent.set(id, id);
  };
  for (const a of advisories) {
    add(a.id);
    for (const alias of a.aliases) {
      add(alias);
      const x = find(a.id);
      const y = find(alias);
      if (x !== y) parent.set(y, x);
    }
  }
  const groups = new Map<string, { ids: Set<string>; records: Advisory[] }>();
  for (const id of parent.keys()) {
    const root = find(id);
    const group = groups.get(root) ?? { ids: new Set<string>(), records: [] };
    group.ids.add(id);
    groups.set(root, group);
  }
  for (const a of advisories) groups.get(find(a.id))?.records.push(a);
  const rank = (id: string) =>
    ["MAL-", "GHSA-", "PYSEC-", "CVE-"].findIndex((p) => id.toUpperCase().startsWith(p));
  const order = (a: string, b: string) =>
    (rank(a) === -1 ? 4 : rank(a)) - (rank(b) === -1 ? 4 : rank(b)) || (a < b ? -1 : a > b ? 1 : 0);
  return [...groups.values()]
    .filter((g) => g.records.length > 0)
    .map((g) => ({ ids: [...g.ids].sort(order), records: g.records }));
}

test("groupByAlias groups, orders and names groups as union-find over the ids does", () => {
  const id = fc.constantFrom(
    "PYSEC-1",
    "PYSEC-2",
    "GHSA-a",
    "GHSA-b",
    "CVE-1",
    "CVE-2",
    "CVE-3",
    "MAL-1",
    "OSV-1",
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(id, fc.array(id, { maxLength: 4 })), { maxLength: 8 }), (specs) => {
      const records = specs.map(([own, aliases]) => advisory(own, [], { aliases }));
      assert.deepEqual(groupByAlias(records), groupByAliasOverIds(records));
    }),
    { numRuns: 2000 },
  );
});
