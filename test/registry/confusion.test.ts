import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { isInternalName } from "../../src/registry/confusion.js";
import {
  createRegistryTables,
  ensureProject,
  internalProjectLookup,
  internalProjectNames,
} from "../../src/registry/store.js";

describe("isInternalName (dependency-confusion protection)", () => {
  const internal = { internalProjects: new Set(["acme-billing"]), internalPrefixes: ["corp_"] };

  it("an internal project is internal under any spelling of its name", () => {
    for (const name of ["acme-billing", "Acme_Billing", "ACME.billing", "acme--billing"]) {
      assert.ok(isInternalName(name, internal), name);
    }
  });

  it("a configured prefix claims every name it starts, compared on normalised names", () => {
    for (const name of ["corp-utils", "Corp_Utils", "corp.x"])
      assert.ok(isInternalName(name, internal), name);
    assert.ok(!isInternalName("corpus", internal), "corp_ normalises to corp-, so corpus is not claimed");
  });

  it("other names are public", () => {
    for (const name of ["requests", "acme", "acme-billing2", "xcorp-utils"]) {
      assert.ok(!isInternalName(name, internal), name);
    }
    assert.ok(!isInternalName("anything", { internalProjects: new Set(), internalPrefixes: ["", "  "] }));
  });

  it("reads the registry's projects live, so a project created a moment ago is internal at once", () => {
    const db = new Database(":memory:");
    createRegistryTables(db);
    const lookup = internalProjectLookup(db);
    const names = { internalProjects: lookup, internalPrefixes: [] };
    assert.ok(!isInternalName("Secret.Tool", names));
    ensureProject(db, "secret-tool", "Secret.Tool", new Date());
    assert.ok(isInternalName("Secret.Tool", names));
    assert.deepEqual([...internalProjectNames(db)], ["secret-tool"]);
  });
});
