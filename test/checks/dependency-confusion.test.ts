import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkDependencyConfusion,
  type RequirementsIndexOptions,
} from "../../src/checks/dependency-confusion.js";
import { locked, requirement } from "./upstream-builders.js";

const none = { internalNames: [], internalPrefixes: [] };
const nothingPublic = () => false;

test("a requirements file with --extra-index-url is high, once per file, at the option's line", () => {
  const deps = [
    requirement("requests", "==2.32.3", { line: 4 }),
    requirement("acme-billing", "==1.0", { line: 5 }),
  ];
  const options = new Map<string, RequirementsIndexOptions>([
    [
      "requirements.txt",
      {
        extraIndexUrls: ["https://pkgs.acme.example/simple/", "https://other.example/simple/"],
        extraIndexUrlLine: 1,
      },
    ],
  ]);
  const r = checkDependencyConfusion(deps, options, none, nothingPublic);
  assert.equal(r.skipped, null);
  assert.equal(r.findings.length, 1);
  const f = r.findings[0]!;
  assert.equal(f.kind, "dependency-confusion");
  assert.equal(f.severity, "high");
  assert.equal(f.package, "");
  assert.equal(f.file, "requirements.txt");
  assert.equal(f.line, 1);
  assert.match(f.summary, /pip merges all indexes .* public package can shadow a private one/);
  assert.deepEqual(f.evidence?.extraIndexUrls, [
    "https://pkgs.acme.example/simple/",
    "https://other.example/simple/",
  ]);
});

test("without the option's line, the finding sits at the file's first dependency", () => {
  const deps = [requirement("b", "==1", { line: 9 }), requirement("a", "==1", { line: 7 })];
  const options = new Map([["requirements.txt", { extraIndexUrls: ["https://x.example/simple/"] }]]);
  assert.equal(checkDependencyConfusion(deps, options, none, nothingPublic).findings[0]!.line, 7);
});

test("files without extra indexes, or with --no-index, have no finding", () => {
  const options = new Map<string, RequirementsIndexOptions>([
    ["a.txt", { extraIndexUrls: [] }],
    ["b.txt", { extraIndexUrls: ["https://x.example/simple/"], noIndex: true }],
  ]);
  assert.deepEqual(checkDependencyConfusion([], options, none, nothingPublic), {
    findings: [],
    skipped: null,
  });
});

test("an internal package whose name exists on the public index is critical", () => {
  const deps = [
    requirement("Acme_Billing", "==1.0"),
    requirement("requests", "==2.0"),
    locked("acme-auth", "2.0"),
  ];
  const asked: string[] = [];
  const r = checkDependencyConfusion(
    deps,
    new Map(),
    { internalNames: ["acme.billing"], internalPrefixes: ["ACME_"] },
    (name) => {
      asked.push(name);
      return name === "acme-billing";
    },
  );
  // Only internal names are looked up publicly.
  assert.deepEqual(asked, ["acme-billing", "acme-auth"]);
  assert.deepEqual(
    r.findings.map((f) => [f.severity, f.package, f.file, f.line]),
    [["critical", "acme-billing", "requirements.txt", 3]],
  );
  assert.match(r.findings[0]!.summary, /Acme_Billing is an internal package/);
  assert.equal(r.skipped, null);
});

test("each internal name is looked up once, and every declaration of it is reported", () => {
  let calls = 0;
  const deps = [requirement("acme-x", "==1"), locked("acme-x", "1")];
  const r = checkDependencyConfusion(
    deps,
    new Map(),
    { internalNames: ["acme-x"], internalPrefixes: [] },
    () => {
      calls++;
      return true;
    },
  );
  assert.equal(calls, 1);
  assert.deepEqual(
    r.findings.map((f) => f.file),
    ["requirements.txt", "uv.lock"],
  );
});

test("a public look-up that fails is reported as skipped for those names", () => {
  const r = checkDependencyConfusion(
    [requirement("acme-b", "==1"), requirement("acme-a", "==1")],
    new Map(),
    { internalNames: [], internalPrefixes: ["acme-"] },
    () => null,
  );
  assert.deepEqual(r.findings, []);
  assert.equal(r.skipped, "the public index could not be asked about internal packages acme-a, acme-b");
});

test("an empty prefix does not make every package internal", () => {
  const r = checkDependencyConfusion(
    [requirement("requests")],
    new Map(),
    { internalNames: [], internalPrefixes: [" "] },
    () => true,
  );
  assert.deepEqual(r.findings, []);
});
