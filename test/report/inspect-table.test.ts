import assert from "node:assert/strict";
import { test } from "node:test";
import { formatInspectTable, formatSize } from "../../src/report/inspect-table.js";
import { sampleCard } from "./inspect-sample.js";

const plain = (card = sampleCard()) => formatInspectTable(card, { color: false });

test("the header names the inspected release, the latest, the index, status and owners", () => {
  const text = plain();
  assert.match(text, /^sample-pkg 2\.0\.0 {2}\(latest: 1\.9\.0\)\n/);
  assert.match(text, /^ {2}index {9}https:\/\/mirror\.example\/simple\/$/m);
  assert.match(text, /^ {2}status {8}deprecated \(reason: use other-pkg\)$/m);
  assert.match(text, /^ {2}owners {8}alice$/m);
  assert.match(text, /^ {2}maintainers {3}bob$/m);
  assert.match(text, /^ {2}organisation {2}\(none\)$/m);
});

test("releases are listed newest first with age, size and provenance, and notes under each", () => {
  const text = plain();
  assert.match(text, /Releases \(3 of 7, newest first\)/);
  const lines = text.split("\n");
  const header = lines.findIndex((l) => /^ {2}VERSION/.test(l));
  assert.match(lines[header + 1]!, /^ {2}2\.0\.0 \* +2026-11-27 12:00 +12h +2 +4\.5 MB +invalid$/);
  assert.match(lines[header + 2]!, /^ +yanked: broken wheel$/);
  assert.match(lines[header + 3]!, /: invalid: the statement's subject digest does not match$/);
  assert.match(
    lines[header + 4]!,
    /^ {2}1\.9\.0 +2025-11-28 00:00 +12mo +1 +1\.2 kB +verified \(GitHub acme\/sample \(\.github\/workflows\/release\.yml\)\)$/,
  );
  assert.match(text, /^ {2}1\.9\.0rc1 +unknown +unknown +1 +unknown +not checked$/m);
  assert.match(text, /pre-release/);
  assert.match(text, /\* the inspected release/);
});

test("advisories are shown for the inspected release and, separately, for the latest one", () => {
  const text = plain();
  assert.match(
    text,
    /Advisories affecting 2\.0\.0\n {2}MEDIUM {3}GHSA-aaaa-bbbb-cccc \(CVE-2026-1, PYSEC-2026-1\)\n +a crafted header is logged\n +fixed in 2\.0\.1\n/,
  );
  assert.match(text, /Advisories affecting the latest release, 1\.9\.0\n {2}none known\n/);
});

test("findings, skipped checks and the verdict close the card", () => {
  const text = plain();
  assert.match(text, /Findings\n {2}HIGH {5}yanked\n +sample-pkg 2\.0\.0 was yanked/);
  assert.match(text, /Checks that could not run\n {2}hash-mismatch: sample-pkg has no hashes to compare\n/);
  assert.match(
    text,
    /1 finding \(1 high\); 1 check could not run\nFAIL: 1 finding at or above high or malicious\n$/,
  );
});

test("a typosquat suspicion gets its own section; a clean card has no FAIL line", () => {
  const text = plain(
    sampleCard({
      findings: [],
      failing: [],
      typosquat: {
        target: "requests",
        rank: 4,
        technique: "transposition",
        distance: 1,
        summary:
          '"reqeusts" swaps two adjacent letters of the popular project "requests" (rank 4): a typosquat?',
      },
    }),
  );
  assert.match(text, /Typosquat suspicion\n {2}"reqeusts" swaps two adjacent letters/);
  assert.match(text, /Findings\n {2}none\n/);
  assert.doesNotMatch(text, /FAIL/);
});

test("colour is used only when asked for, and lines are cut to the terminal width", () => {
  assert.doesNotMatch(plain(), /\u001b\[/);
  assert.match(formatInspectTable(sampleCard(), { color: true }), /\u001b\[31m/);
  const narrow = formatInspectTable(sampleCard(), { color: false, width: 40 });
  for (const line of narrow.split("\n")) assert.ok(line.length <= 40, line);
});

test("sizes use decimal units as PyPI shows them", () => {
  assert.equal(formatSize(999), "999 B");
  assert.equal(formatSize(1234), "1.2 kB");
  assert.equal(formatSize(45_600_000), "46 MB");
});
