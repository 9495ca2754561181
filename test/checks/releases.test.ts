import assert from "node:assert/strict";
import { test } from "node:test";
import { compare, valid } from "@renovatebot/pep440";
import fc from "fast-check";
import { checkDependencyConfusion } from "../../src/checks/dependency-confusion.js";
import { checkHashIntegrity } from "../../src/checks/hash-integrity.js";
import { checkOwnership } from "../../src/checks/ownership.js";
import { checkProjectStatus } from "../../src/checks/project-status.js";
import { checkReleaseAge } from "../../src/checks/release-age.js";
import {
  isKnownVersion,
  projectPageUrl,
  releasesOf,
  sameVersion,
  suggestionConstraint,
  uploadTimeMs,
} from "../../src/checks/releases.js";
import { checkSizeAnomaly } from "../../src/checks/size-anomaly.js";
import { checkUnmaintained } from "../../src/checks/unmaintained.js";
import { checkYanked } from "../../src/checks/yanked.js";
import type { ProjectFile } from "../../src/upstream/types.js";
import { daysAgo, locked, NOW, project, requirement, sdist, wheel } from "./upstream-builders.js";

test("versions are equal by PEP 440, local labels included; versions that are not PEP 440 by their text", () => {
  assert.equal(sameVersion("1.0", "1.0.0"), true);
  assert.equal(sameVersion("1.0", "1.0+cpu"), false);
  assert.equal(sameVersion("1.0-final-x", "1.0-FINAL-x"), true);
  assert.equal(sameVersion("1.0-final-x", "1.0"), false);
});

test("releases group files of equal versions, oldest first, and leave out files without a PEP 440 version", () => {
  const odd: ProjectFile = { ...sdist("p", "x"), version: null, filename: "p-latest.zip" };
  const p = project("p", [
    sdist("p", "1.0.0"),
    sdist("p", "2.0rc1"),
    wheel("p", "1.0"),
    sdist("p", "0.9"),
    odd,
  ]);
  assert.deepEqual(
    releasesOf(p).map((r) => [r.version, r.files.length]),
    [
      ["0.9", 1],
      ["1.0.0", 2],
      ["2.0rc1", 1],
    ],
  );
  assert.equal(isKnownVersion(p, "1.0"), true);
  assert.equal(isKnownVersion(p, "3.0"), false);
});

test("releases are the stable sort of the files by version, grouped: same versions, files and order", () => {
  // The definition releasesOf used to compute directly: sort every file (stable), group equal neighbours.
  const bySortingFiles = (files: ProjectFile[]) => {
    const sorted = files
      .filter((f): f is ProjectFile & { version: string } => f.version !== null && valid(f.version) !== null)
      .sort((a, b) => compare(a.version, b.version));
    const out: { version: string; files: string[] }[] = [];
    for (const f of sorted) {
      const last = out.at(-1);
      if (last && compare(last.version, f.version) === 0) last.files.push(f.filename);
      else out.push({ version: f.version, files: [f.filename] });
    }
    return out;
  };
  const version = fc.constantFrom(
    "1.0",
    "1.0.0",
    "1.0.0.0",
    "2.0",
    "1.0rc1",
    "1.0.post1",
    "1.0+cpu",
    "01.0",
    "x",
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(version, fc.boolean()), { maxLength: 12 }), (specs) => {
      const files = specs.map(([v, isWheel], i) => ({
        ...(isWheel ? wheel("p", v) : sdist("p", v)),
        filename: `f${i}`,
        version: v === "x" ? null : v,
      }));
      const got = releasesOf(project("p", files)).map((r) => ({
        version: r.version,
        files: r.files.map((f) => f.filename),
      }));
      assert.deepEqual(got, bySortingFiles(files));
    }),
    { numRuns: 300 },
  );
});

test("a suggestion is free of the pin itself, bound by a range, and impossible under a non-PEP 440 range", () => {
  assert.equal(suggestionConstraint(requirement("p", "==1.0")), "");
  assert.equal(suggestionConstraint(requirement("p", "===1.0-odd")), "");
  assert.equal(suggestionConstraint(locked("p", "1.0")), "");
  assert.equal(suggestionConstraint(requirement("p", ">=1,<2")), ">=1,<2");
  assert.equal(suggestionConstraint(requirement("p", "^1.0")), null);
});

test("upload times parse with microseconds, and without a zone as UTC", () => {
  assert.equal(uploadTimeMs("2024-03-20T13:00:33.355932Z"), Date.UTC(2024, 2, 20, 13, 0, 33, 355));
  assert.equal(uploadTimeMs("2024-03-20T13:00:33"), Date.UTC(2024, 2, 20, 13, 0, 33));
  assert.equal(uploadTimeMs("yesterday"), null);
  assert.equal(uploadTimeMs(null), null);
});

test("project pages are linked for PyPI only", () => {
  assert.equal(projectPageUrl(project("p", [])), "https://pypi.org/project/p/");
  assert.equal(projectPageUrl(project("p", []), "1.0+cpu"), "https://pypi.org/project/p/1.0%2Bcpu/");
  assert.equal(projectPageUrl(project("p", [], { index: "https://mirror.example/simple/" })), null);
  assert.equal(projectPageUrl(project("p", [], { index: "not a url" })), null);
});

// Random index data and dependencies, odd versions, specifiers and times included: every check answers.
const versionText = fc.oneof(
  fc.constantFrom(
    "1.0",
    "1.0.0",
    "2.0rc1",
    "2.0",
    "1!0.5",
    "1.0+cpu",
    "1.0.post1",
    "0.1.dev3",
    "junk",
    "1.0-x",
  ),
  fc.string({ maxLength: 6 }),
);
const fileArb = fc.record({
  version: fc.option(versionText),
  kind: fc.constantFrom("sdist", "wheel", "other") as fc.Arbitrary<ProjectFile["packagetype"]>,
  yanked: fc.boolean(),
  size: fc.option(fc.nat()),
  days: fc.option(fc.double({ min: -10, max: 5000, noNaN: true })),
  sha: fc.option(fc.constantFrom("aa", "bb", "AA")),
  tags: fc.constantFrom("py3-none-any", "cp311-cp311-win_amd64", "odd"),
});
const specArb = fc.constantFrom(
  "",
  "==1.0",
  "===junk",
  ">=1",
  "^1.0",
  "<2,>=1.0",
  "==1.*",
  ">=2.0rc1",
  "~=",
  "@@",
);

test("no check throws on random index data and dependencies", () => {
  fc.assert(
    fc.property(
      fc.array(fileArb, { maxLength: 8 }),
      specArb,
      fc.option(versionText),
      fc.array(fc.constantFrom("sha256:aa", "sha256:cc", "md5:aa", "nocolon", ":"), { maxLength: 3 }),
      fc.constantFrom("active", "archived", "quarantined", "deprecated", "__proto__"),
      (files, specifier, lockVersion, hashes, status) => {
        const built = files.map((f, i) => {
          const v = f.version ?? "0";
          const init = {
            yanked: f.yanked,
            size: f.size,
            uploadTime: f.days === null ? null : daysAgo(f.days),
            hashes: f.sha === null ? ({} as Record<string, string>) : { sha256: f.sha },
          };
          const file =
            f.kind === "wheel"
              ? wheel("p", v, f.tags, init)
              : { ...sdist("p", `${v}.${i}`, init), packagetype: f.kind };
          return { ...file, version: f.version };
        });
        const p = project("p", built, {
          status: { status, reason: null },
          ownership: { roles: [], organization: null },
        });
        const dep =
          lockVersion === null
            ? requirement("p", specifier, { hashes })
            : locked("p", lockVersion, { specifier, hashes });
        const results = [
          checkProjectStatus(dep, p),
          checkYanked(dep, p),
          checkReleaseAge(dep, p, { reportCooldownVersion: true }, NOW),
          checkUnmaintained(dep, p, {}, NOW),
          checkHashIntegrity(dep, p),
          checkSizeAnomaly(dep, p),
          checkOwnership(dep, p),
          checkDependencyConfusion(
            [dep],
            new Map(),
            { internalNames: ["p"], internalPrefixes: [] },
            () => null,
          ),
        ];
        for (const r of results) {
          assert.ok(Array.isArray(r.findings));
          assert.ok(r.skipped === null || r.skipped.length > 0);
        }
      },
    ),
    { numRuns: 500 },
  );
});
