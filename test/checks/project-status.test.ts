import assert from "node:assert/strict";
import { test } from "node:test";
import { checkProjectStatus } from "../../src/checks/project-status.js";
import { project, requirement } from "./upstream-builders.js";

const dep = requirement("Evil-Pkg", "==1.0");

test("a quarantined project is critical and says to remove it", () => {
  const r = checkProjectStatus(
    dep,
    project("evil-pkg", [], { status: { status: "quarantined", reason: null } }),
  );
  assert.equal(r.skipped, null);
  assert.equal(r.findings.length, 1);
  const f = r.findings[0]!;
  assert.equal(f.kind, "project-status");
  assert.equal(f.id, "project-status");
  assert.equal(f.severity, "critical");
  assert.match(f.summary, /serves no files.*malware.*remove it/);
  assert.deepEqual(f.evidence, { status: "quarantined", reason: null, index: "https://pypi.org/simple/" });
  assert.equal(f.package, "evil-pkg");
  assert.equal(f.version, "1.0");
  assert.equal(f.specifier, "==1.0");
  assert.equal(f.file, "requirements.txt");
  assert.equal(f.line, 3);
  assert.equal(f.url, "https://pypi.org/project/evil-pkg/");
});

test("archived is high and deprecated medium, each with the reason when the index gives one", () => {
  const archived = checkProjectStatus(
    dep,
    project("evil-pkg", [], { status: { status: "archived", reason: "moved to new-pkg" } }),
  ).findings[0]!;
  assert.equal(archived.severity, "high");
  assert.match(archived.summary, /no fixes will come.*reason: moved to new-pkg/);
  const deprecated = checkProjectStatus(
    dep,
    project("evil-pkg", [], { status: { status: "deprecated", reason: null } }),
  ).findings[0]!;
  assert.equal(deprecated.severity, "medium");
  assert.doesNotMatch(deprecated.summary, /reason/);
});

test("an active project has no finding", () => {
  assert.deepEqual(checkProjectStatus(dep, project("evil-pkg", [])), { findings: [], skipped: null });
});

test("an unknown marker is an info finding naming it, even one that looks like an object property", () => {
  for (const marker of ["sunset", "constructor"]) {
    const r = checkProjectStatus(dep, project("evil-pkg", [], { status: { status: marker, reason: null } }));
    assert.equal(r.findings[0]!.severity, "info");
    assert.match(r.findings[0]!.summary, new RegExp(`"${marker}"`));
  }
});

test("an index without PEP 792 status cannot run the check, and says so", () => {
  const r = checkProjectStatus(
    dep,
    project("evil-pkg", [], {
      index: "https://mirror.example/simple/",
      apiVersion: "1.0",
      capabilities: { projectStatus: false },
    }),
  );
  assert.deepEqual(r.findings, []);
  assert.match(r.skipped ?? "", /does not publish PEP 792 project status/);
});

test("a dependency from git is not judged by the index project of the same name", () => {
  const git = requirement("evil-pkg", "", {
    source: { kind: "vcs", vcs: "git", url: "https://example.com/evil.git", ref: "0".repeat(40) },
  });
  const r = checkProjectStatus(
    git,
    project("evil-pkg", [], { status: { status: "quarantined", reason: null } }),
  );
  assert.deepEqual(r.findings, []);
  assert.match(r.skipped ?? "", /comes from git/);
});

test("no link is made for a project on an index other than PyPI", () => {
  const r = checkProjectStatus(
    dep,
    project("evil-pkg", [], {
      index: "https://mirror.example/simple/",
      status: { status: "archived", reason: null },
    }),
  );
  assert.equal(r.findings[0]!.url, null);
});
