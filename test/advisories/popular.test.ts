import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import fc from "fast-check";
import {
  isTopPackagesDocument,
  loadPopular,
  loadPopularNames,
  parseTopPackages,
  popularTableSql,
  replacePopular,
} from "../../src/advisories/popular.js";
import { sharedData } from "../paths.js";

const realText = () =>
  readFileSync(join(sharedData, "top-pypi-packages", "top-pypi-packages.min.json"), "utf8");

const doc = (rows: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    last_update: "2026-04-01 06:34:06",
    meta: [
      { name: "download_count", type: "Int64" },
      { name: "project", type: "String" },
    ],
    rows,
    ...extra,
  });

test("the real top-pypi-packages dump is recognised and parsed: 15,000 ranked names with downloads", () => {
  const text = realText();
  assert.equal(isTopPackagesDocument(text), true);
  const parsed = parseTopPackages(text);
  assert.ok(!("error" in parsed), JSON.stringify(parsed).slice(0, 200));
  assert.equal(parsed.names.length, 15000);
  assert.deepEqual(parsed.names[0], { name: "boto3", downloads: 1880218825 });
  assert.equal(parsed.names[14999]!.name, "smclarify");
  assert.equal(parsed.names[14999]!.downloads, 57487);
  assert.equal(parsed.lastUpdate, "2026-04-01 06:34:06");
});

test("other documents are not taken for the list: an OSV record, an unrelated JSON object, plain text", () => {
  const osv = JSON.stringify({ id: "MAL-2024-1", affected: [{ package: { name: "x", ecosystem: "PyPI" } }] });
  assert.equal(isTopPackagesDocument(osv), false);
  assert.equal(isTopPackagesDocument(JSON.stringify({ rows: [{ name: "x", count: 1 }] })), false);
  assert.equal(isTopPackagesDocument("requests==2.0\n"), false);
  assert.match((parseTopPackages(osv) as { error: string }).error, /not a top-pypi-packages list/);
});

test("the CSV form (download_count,project) is recognised too, without a last_update", () => {
  const csv = "download_count,project\n100,Requests\n250,urllib3\n";
  assert.equal(isTopPackagesDocument(csv), true);
  assert.deepEqual(parseTopPackages(csv), {
    names: [
      { name: "urllib3", downloads: 250 },
      { name: "requests", downloads: 100 },
    ],
    lastUpdate: null,
  });
});

test("names are normalised, kept once, and ranked by downloads even when the rows are not sorted", () => {
  const parsed = parseTopPackages(
    doc([
      { download_count: 5, project: "Typing_Extensions" },
      { download_count: 9, project: "six" },
      { download_count: 3, project: "typing-extensions" },
    ]),
  );
  assert.deepEqual(parsed, {
    names: [
      { name: "six", downloads: 9 },
      { name: "typing-extensions", downloads: 5 },
    ],
    lastUpdate: "2026-04-01 06:34:06",
  });
});

test("bad content is an error value naming the row, never an exception", () => {
  assert.deepEqual(
    parseTopPackages(
      doc([
        { download_count: 1, project: "ok" },
        { download_count: "x", project: "b" },
      ]),
    ),
    {
      error: 'row 2: "download_count" is not a non-negative number',
    },
  );
  assert.deepEqual(parseTopPackages(doc([{ download_count: 1, project: "not a name!" }])), {
    error: 'row 1: "project" is not a valid project name',
  });
  assert.deepEqual(parseTopPackages(doc([])), { error: "the list has no projects" });
  const truncated = realText().slice(0, 5000);
  assert.match((parseTopPackages(truncated) as { error: string }).error, /^not valid JSON/);
});

test("random mutations of a valid dump never throw: they parse or give an error", () => {
  const valid = doc([
    { download_count: 10, project: "requests" },
    { download_count: 5, project: "six" },
  ]);
  fc.assert(
    fc.property(
      fc.nat(valid.length),
      fc.nat(valid.length),
      fc.string({ maxLength: 8 }),
      (at, cut, insert) => {
        const text = valid.slice(0, at) + insert + valid.slice(Math.max(at, cut));
        const parsed = parseTopPackages(text);
        assert.ok("error" in parsed ? typeof parsed.error === "string" : Array.isArray(parsed.names));
      },
    ),
  );
});

test("the list round-trips through the popular_packages table, and a new import replaces the old one", () => {
  const db = new Database(":memory:");
  assert.deepEqual(loadPopular(db), []);
  assert.deepEqual(loadPopularNames(db), [], "no table yet: no names");
  replacePopular(db, [
    { name: "boto3", downloads: 30 },
    { name: "Requests", downloads: 20 },
  ]);
  assert.deepEqual(loadPopular(db), [
    { name: "boto3", rank: 1, downloads: 30 },
    { name: "requests", rank: 2, downloads: 20 },
  ]);
  replacePopular(db, [{ name: "six", downloads: 7 }]);
  assert.deepEqual(loadPopular(db), [{ name: "six", rank: 1, downloads: 7 }]);
  db.close();
});

test("inside the store's transaction the replacement is rolled back with it", () => {
  const db = new Database(":memory:");
  db.exec(popularTableSql);
  replacePopular(db, [{ name: "six", downloads: 7 }]);
  const importAll = db.transaction(() => {
    replacePopular(db, [{ name: "boto3", downloads: 30 }]);
    throw new Error("advisory import failed");
  });
  assert.throws(importAll, /advisory import failed/);
  assert.deepEqual(loadPopular(db), [{ name: "six", rank: 1, downloads: 7 }]);
  db.close();
});

test("the real list stores and loads 15,000 rows in rank order", () => {
  const parsed = parseTopPackages(realText());
  assert.ok(!("error" in parsed));
  const db = new Database(":memory:");
  replacePopular(db, parsed.names);
  const loaded = loadPopular(db);
  assert.equal(loaded.length, 15000);
  assert.deepEqual(
    loadPopularNames(db),
    loaded.map((p) => p.name),
    "the names alone, in the same rank order",
  );
  assert.deepEqual(loaded[1], {
    name: parsed.names[1]!.name,
    rank: 2,
    downloads: parsed.names[1]!.downloads,
  });
  db.close();
});
