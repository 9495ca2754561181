import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type OsvParseResult,
  osvToAdvisory,
  parseOsvRecord,
  pathHints,
  recordFormatOf,
} from "../../src/advisories/osv.js";
import { fixture } from "../paths.js";

const osvFixture = (name: string): string => fixture("advisories", "fixtures", "osv", name);
const parseFixture = (name: string, path: string = name): OsvParseResult =>
  parseOsvRecord(readFileSync(osvFixture(name)), name, recordFormatOf(name) ?? "json", path);

function advisoryOf(result: OsvParseResult) {
  assert.equal(result.status, "ok", JSON.stringify(result));
  if (result.status !== "ok") throw new Error("unreachable");
  return result.advisory;
}

const validRecord = {
  id: "PYSEC-2099-9",
  modified: "2024-01-01T00:00:00Z",
  affected: [
    {
      package: { ecosystem: "PyPI", name: "Foo.Bar" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.0" }] }],
      versions: ["1.0"],
    },
  ],
};
const noHints = { underMalicious: false, underWithdrawn: false };

describe("OSV records", () => {
  test("a PyPA YAML record keeps only its PyPI entry, with the name normalised and versions as written", () => {
    const advisory = advisoryOf(parseFixture("PYSEC-2099-1.yaml"));
    assert.equal(advisory.id, "PYSEC-2099-1");
    assert.equal(advisory.kind, "vulnerability");
    assert.equal(advisory.modified, "2024-01-02T03:04:05.123456Z");
    assert.equal(advisory.published, "2023-12-31T00:00:00Z");
    assert.equal(advisory.withdrawn, null);
    assert.deepEqual(advisory.aliases, ["CVE-2099-0001", "GHSA-xxxx-yyyy-zzzz"]);
    assert.equal(advisory.affected.length, 1);
    const [entry] = advisory.affected;
    assert.equal(entry?.name, "some-package");
    // The failsafe schema keeps "1.10" and 0.9 as text, not the numbers 1.1 and 0.9.
    assert.deepEqual(entry?.versions, ["1.10", "1.10.1", "0.9"]);
    assert.deepEqual(entry?.ranges, [
      { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.10.2" }] },
      { type: "GIT", events: [{ introduced: "0a1b2c3d" }, { fixed: "4e5f6a7b" }] },
    ]);
    assert.deepEqual(advisory.severity, [
      { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" },
    ]);
    assert.deepEqual(advisory.references, [{ type: "ADVISORY", url: "https://example.invalid/advisory" }]);
    assert.equal(advisory.databaseSeverity, null);
  });

  test("a GHSA-style JSON record carries its database severity upper-cased and last_affected events", () => {
    const advisory = advisoryOf(parseFixture("GHSA-test-0001.json"));
    assert.equal(advisory.databaseSeverity, "MODERATE");
    assert.equal(advisory.summary, "Made-up GHSA-style record with a textual severity");
    assert.deepEqual(advisory.affected, [
      {
        name: "zope-interface",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "5.0" }, { last_affected: "5.4.0" }] }],
        versions: [],
      },
    ]);
  });

  test("MAL- ids and records under malicious/ are malicious; records under withdrawn/ are withdrawn", () => {
    const mal = advisoryOf(osvToAdvisory({ ...validRecord, id: "MAL-2024-1" }, "x.json", noHints));
    assert.equal(mal.kind, "malicious");
    const byFolder = advisoryOf(
      osvToAdvisory(validRecord, "x.json", pathHints("osv/malicious/pypi/foo/X-1.json")),
    );
    assert.equal(byFolder.kind, "malicious");
    const withdrawn = advisoryOf(
      osvToAdvisory(validRecord, "x.json", pathHints("osv/withdrawn/pypi/foo/X.json")),
    );
    assert.equal(
      withdrawn.withdrawn,
      "2024-01-01T00:00:00Z",
      "a withdrawn/ record without the field is withdrawn",
    );
    const field = advisoryOf(
      osvToAdvisory({ ...validRecord, withdrawn: "2024-02-02T00:00:00Z" }, "x.json", noHints),
    );
    assert.equal(field.withdrawn, "2024-02-02T00:00:00Z");
  });

  test("folder hints look at folders only, not the file name", () => {
    assert.deepEqual(pathHints("a/withdrawn"), { underMalicious: false, underWithdrawn: false });
    assert.deepEqual(pathHints("osv\\malicious\\pypi\\x\\MAL-1.json"), {
      underMalicious: true,
      underWithdrawn: false,
    });
  });

  test("a record with no PyPI affected entry is skipped without a warning", () => {
    assert.deepEqual(parseFixture("npm-only.json"), { status: "not-pypi", id: "GHSA-npm-only" });
    assert.deepEqual(osvToAdvisory({ id: "X-1", modified: "2024-01-01T00:00:00Z" }, "x.json", noHints), {
      status: "not-pypi",
      id: "X-1",
    });
  });

  test("a YAML syntax error is a warning with the file, line and the id it could still read", () => {
    const result = parseFixture("bad-syntax.yaml");
    assert.equal(result.status, "invalid");
    if (result.status !== "invalid") return;
    const [warning] = result.warnings;
    assert.equal(warning?.file, "bad-syntax.yaml");
    assert.equal(warning?.record, "PYSEC-2099-2", "the id line still names the record");
    assert.match(warning?.message ?? "", /^not valid YAML: /);
    assert.equal(typeof warning?.line, "number");
  });

  test("a JSON syntax error is a warning with the line it was found on", () => {
    const result = parseOsvRecord(Buffer.from('{\n  "id": "X-1"\n  "modified": "2024"\n}'), "x.json", "json");
    assert.equal(result.status, "invalid");
    if (result.status !== "invalid") return;
    assert.match(result.warnings[0]?.message ?? "", /^not valid JSON: /);
    assert.equal(result.warnings[0]?.line, 3);
    assert.equal(result.warnings[0]?.record, "X-1");
  });

  test("an event with two keys is a schema warning naming the record and the event's place", () => {
    const result = parseFixture("bad-event.json");
    assert.deepEqual(result, {
      status: "invalid",
      warnings: [
        {
          file: "bad-event.json",
          record: "PYSEC-2099-3",
          message:
            "not a valid OSV record: affected[0].ranges[0].events[1]: an event must have exactly one of introduced, fixed, last_affected, limit",
        },
      ],
    });
  });

  test("missing id or modified, a non-array affected and a bad modified date are schema warnings", () => {
    const cases: [unknown, RegExp][] = [
      [{ modified: "2024-01-01T00:00:00Z" }, /missing "id"/],
      [{ id: "X-1" }, /missing "modified"/],
      [{ ...validRecord, affected: { package: {} } }, /affected: must be array/],
      [{ ...validRecord, modified: "yesterday" }, /"modified" is not a date/],
      [
        { ...validRecord, affected: [{ package: { ecosystem: "PyPI" } }] },
        /affected\[0\]\.package: missing "name"/,
      ],
      [
        {
          ...validRecord,
          affected: [{ package: { ecosystem: "PyPI", name: "x" }, ranges: [{ type: "SEMVER" }] }],
        },
        /affected\[0\]\.ranges\[0\]: missing "events"/,
      ],
      [[1, 2], /record: must be object/],
    ];
    for (const [record, pattern] of cases) {
      const result = osvToAdvisory(record, "x.json", noHints);
      assert.equal(result.status, "invalid", JSON.stringify(record));
      if (result.status === "invalid") assert.match(result.warnings[0]?.message ?? "", pattern);
    }
  });

  test("binary bytes are a warning, not a crash", () => {
    const result = parseOsvRecord(Uint8Array.from([0x7b, 0, 0, 0, 1, 2]), "x.json", "json");
    assert.equal(result.status, "invalid");
  });

  test("only .json, .yaml and .yml files are records", () => {
    assert.equal(recordFormatOf("vulns/a/PYSEC-1.yaml"), "yaml");
    assert.equal(recordFormatOf("X.YML"), "yaml");
    assert.equal(recordFormatOf("all/GHSA-1.json"), "json");
    assert.equal(recordFormatOf("vulns/.id-allocator"), null);
    assert.equal(recordFormatOf("README.md"), null);
  });

  test("random mutations of a valid record never throw; they parse or give warnings", () => {
    const anyValue = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.string()),
      fc.dictionary(fc.string(), fc.string()),
    );
    const paths = [
      ["id"],
      ["modified"],
      ["affected"],
      ["affected", 0],
      ["affected", 0, "package"],
      ["affected", 0, "package", "name"],
      ["affected", 0, "package", "ecosystem"],
      ["affected", 0, "ranges"],
      ["affected", 0, "ranges", 0, "type"],
      ["affected", 0, "ranges", 0, "events"],
      ["affected", 0, "ranges", 0, "events", 0],
      ["affected", 0, "versions"],
      ["severity"],
      ["references"],
      ["aliases"],
      ["withdrawn"],
      ["database_specific"],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), anyValue, (path, value) => {
        const record = structuredClone(validRecord) as unknown as Record<string | number, unknown>;
        let node: Record<string | number, unknown> = record;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
        node[path[path.length - 1] as string | number] = value;
        const result = osvToAdvisory(record, "x.json", noHints);
        assert.ok(["ok", "not-pypi", "invalid"].includes(result.status));
        if (result.status === "invalid") assert.ok(result.warnings.length > 0);
      }),
    );
  });

  test("random text never throws as JSON or YAML", () => {
    const yamlText = readFileSync(osvFixture("PYSEC-2099-1.yaml"), "utf8");
    fc.assert(
      fc.property(fc.nat(yamlText.length), fc.nat(40), fc.string(), (start, cut, insert) => {
        const mutated = yamlText.slice(0, start) + insert + yamlText.slice(start + cut);
        for (const format of ["yaml", "json"] as const) {
          const result = parseOsvRecord(Buffer.from(mutated), "x", format);
          assert.ok(["ok", "not-pypi", "invalid"].includes(result.status));
        }
      }),
      { numRuns: 200 },
    );
  });
});
