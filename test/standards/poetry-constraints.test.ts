import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseSpecifier } from "../../src/standards/pep508.js";
import { poetryConstraintToPep440, poetryPythonToMarker } from "../../src/standards/poetry-constraints.js";

function convert(constraint: string): string[] {
  const r = poetryConstraintToPep440(constraint);
  assert.ok(r.ok, `expected "${constraint}" to convert, got ${r.ok ? "" : r.message}`);
  return r.specifiers;
}

describe("poetryConstraintToPep440", () => {
  const cases: [string, string][] = [
    // Caret: the left-most non-zero component may not change.
    ["^1.2.3", ">=1.2.3,<2.0.0"],
    ["^1.2", ">=1.2,<2.0"],
    ["^1", ">=1,<2"],
    ["^0.2.3", ">=0.2.3,<0.3.0"],
    ["^0.0.3", ">=0.0.3,<0.0.4"],
    ["^0.0", ">=0.0,<0.1"],
    ["^0", ">=0,<1"],
    // Tilde: minor-level changes when a minor is given, else major-level.
    ["~1.2.3", ">=1.2.3,<1.3.0"],
    ["~1.2", ">=1.2,<1.3"],
    ["~1", ">=1,<2"],
    // Wildcards.
    ["*", ""],
    ["1.*", "==1.*"],
    ["1.2.*", "==1.2.*"],
    ["1.2.x", "==1.2.*"],
    ["!=1.2.*", "!=1.2.*"],
    // A bare version is an exact pin in Poetry.
    ["1.2.3", "==1.2.3"],
    ["=1.2.3", "==1.2.3"],
    ["==1.2.3", "==1.2.3"],
    // PEP 440 operators pass through; spaces and both separators are accepted.
    [">=1,<2", ">=1,<2"],
    [">= 1.2, < 1.5", ">=1.2,<1.5"],
    [">=1.2 <1.5", ">=1.2,<1.5"],
    ["~=2.2", "~=2.2"],
    ["!=1.5", "!=1.5"],
    ["<>1.5", "!=1.5"],
    ["===1.0+local", "===1.0+local"],
    ["^2.0.0b1", ">=2.0.0b1,<3.0.0"],
    ["", ""],
  ];
  for (const [poetry, pep440] of cases) {
    test(`"${poetry}" becomes "${pep440}"`, () => {
      assert.deepEqual(convert(poetry), [pep440]);
    });
  }

  test("|| alternatives become one specifier each, since PEP 440 has no union", () => {
    assert.deepEqual(convert("^1.26 || ^2.0"), [">=1.26,<2.0", ">=2.0,<3.0"]);
    assert.deepEqual(convert("1.2.3|2.0.0"), ["==1.2.3", "==2.0.0"]);
  });

  test("an invalid version is an error quoting the whole constraint", () => {
    const r = poetryConstraintToPep440("^banana");
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.message, /"banana" is not a valid version in Poetry constraint "\^banana"/);
  });

  test("an operator without a version and an empty alternative are errors", () => {
    assert.equal(poetryConstraintToPep440(">=").ok, false);
    assert.equal(poetryConstraintToPep440("^1 ||").ok, false);
    assert.equal(poetryConstraintToPep440(">=1.*").ok, false);
    assert.equal(poetryConstraintToPep440("~=1").ok, false);
  });

  test("every converted specifier is a valid PEP 440 specifier (property)", () => {
    const version = fc
      .array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join("."));
    const clause = fc.oneof(
      version.map((v) => `^${v}`),
      version.map((v) => `~${v}`),
      version,
      version.map((v) => `${v}.*`),
      fc
        .tuple(fc.constantFrom(">=", "<=", ">", "<", "!=", "==", "~="), version)
        .map(([op, v]) => `${op} ${v}`),
    );
    const constraint = fc
      .array(fc.array(clause, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
      .map((alts) => alts.map((a) => a.join(", ")).join(" || "));
    fc.assert(
      fc.property(constraint, (c) => {
        const r = poetryConstraintToPep440(c);
        if (!r.ok) return /~= \d+(?![.\d])/.test(c); // `~=1` (one component) is the only clause PEP 440 rejects
        return r.specifiers.every((s) => parseSpecifier(s).ok);
      }),
    );
  });

  test("arbitrary text never throws (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = poetryConstraintToPep440(s);
        return r.ok ? Array.isArray(r.specifiers) : r.message.length > 0;
      }),
    );
  });
});

describe("poetryPythonToMarker", () => {
  test("a caret python restriction becomes a python_version range", () => {
    assert.deepEqual(poetryPythonToMarker("^3.9"), {
      ok: true,
      marker: 'python_version >= "3.9" and python_version < "4.0"',
    });
  });

  test("three-component versions compare against python_full_version", () => {
    assert.deepEqual(poetryPythonToMarker(">=3.8.1"), { ok: true, marker: 'python_full_version >= "3.8.1"' });
  });

  test("alternatives are joined with or; * is no marker at all", () => {
    assert.deepEqual(poetryPythonToMarker("<3.9 || >=3.11"), {
      ok: true,
      marker: '(python_version < "3.9") or (python_version >= "3.11")',
    });
    assert.deepEqual(poetryPythonToMarker("*"), { ok: true, marker: null });
  });
});
