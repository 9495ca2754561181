import assert from "node:assert/strict";
import { test } from "node:test";
import { checkOwnership, ownershipFacts } from "../../src/checks/ownership.js";
import { locked, project } from "./upstream-builders.js";

const owned = (roles: { role: string; user: string }[], organization: string | null = null) =>
  project("tool", [], { ownership: { roles, organization } });

test("ownership facts split owners from maintainers, sorted and each once", () => {
  const p = owned(
    [
      { role: "Owner", user: "zoe" },
      { role: "Maintainer", user: "bot" },
      { role: "Owner", user: "al" },
      { role: "Maintainer", user: "al" },
    ],
    "pypa",
  );
  assert.deepEqual(ownershipFacts(p), { owners: ["al", "zoe"], maintainers: ["bot"], organization: "pypa" });
  assert.equal(ownershipFacts(project("tool", [])), null);
});

test("a single owner without an organisation is info, with the roles as evidence", () => {
  const roles = [
    { role: "Owner", user: "solo" },
    { role: "Maintainer", user: "helper" },
  ];
  const r = checkOwnership(locked("tool", "1.0"), owned(roles));
  assert.equal(r.skipped, null);
  const f = r.findings[0]!;
  assert.equal(f.kind, "ownership");
  assert.equal(f.severity, "info");
  assert.match(f.summary, /single owner \(solo\) and no organisation: one account compromise away/);
  assert.deepEqual(f.evidence, { owners: ["solo"], maintainers: ["helper"], organization: null, roles });
});

test("two owners, or one owner within an organisation, have no finding", () => {
  const two = owned([
    { role: "Owner", user: "a" },
    { role: "Owner", user: "b" },
  ]);
  assert.deepEqual(checkOwnership(locked("tool", "1.0"), two), { findings: [], skipped: null });
  const org = owned([{ role: "Owner", user: "a" }], "acme");
  assert.deepEqual(checkOwnership(locked("tool", "1.0"), org).findings, []);
});

test("without ownership data the check cannot run, and says why", () => {
  const noApi = project("tool", [], { capabilities: { jsonApi: false } });
  assert.match(checkOwnership(locked("tool", "1.0"), noApi).skipped ?? "", /has no PyPI JSON API/);
  assert.match(
    checkOwnership(locked("tool", "1.0"), project("tool", [])).skipped ?? "",
    /gave no ownership data/,
  );
});
