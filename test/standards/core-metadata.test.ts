import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  metadataDescription,
  metadataFields,
  metadataName,
  metadataVersion,
  parseCoreMetadata,
} from "../../src/standards/core-metadata.js";

const PIP_METADATA = `Metadata-Version: 2.1
Name: pip
Version: 23.2.1
Summary: The PyPA recommended tool for installing Python packages.
Project-URL: Documentation, https://pip.pypa.io
Project-URL: Source, https://github.com/pypa/pip
Classifier: Development Status :: 5 - Production/Stable
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.7
License-File: LICENSE.txt

pip - The Python Package Installer
==================================

Body text.
`;

test("Name and Version come from the headers; multiple-use headers keep every value in order", () => {
  const meta = parseCoreMetadata(PIP_METADATA);
  assert.deepEqual(meta.errors, []);
  assert.equal(metadataName(meta), "pip");
  assert.equal(metadataVersion(meta), "23.2.1");
  assert.deepEqual(metadataFields(meta, "Classifier"), [
    "Development Status :: 5 - Production/Stable",
    "Programming Language :: Python :: 3",
  ]);
  assert.deepEqual(metadataFields(meta, "project-url"), [
    "Documentation, https://pip.pypa.io",
    "Source, https://github.com/pypa/pip",
  ]);
});

test("the body after the first blank line is the description", () => {
  const meta = parseCoreMetadata(PIP_METADATA);
  assert.equal(
    meta.body,
    "pip - The Python Package Installer\n==================================\n\nBody text.",
  );
  assert.equal(metadataDescription(meta), meta.body);
});

test("header names are matched case-insensitively and the first of a repeated Name wins, with an error", () => {
  const meta = parseCoreMetadata("name: first\nNAME: second\nVersion: 1\n");
  assert.equal(metadataName(meta), "first");
  assert.equal(meta.errors.length, 1);
  assert.equal(meta.errors[0]!.line, 2);
  assert.match(meta.errors[0]!.message, /name appears 2 times; the first \("first"\)/);
});

test("continuation lines are unfolded; Description keeps its indentation beyond the folding", () => {
  const text = [
    "Name: demo",
    "Version: 1.0",
    "License: Line one",
    "    line two",
    "Description: Title",
    "       |=====",
    "       |",
    "       |    indented code",
    "Requires-Dist: requests",
    "",
  ].join("\n");
  const meta = parseCoreMetadata(text);
  assert.deepEqual(meta.errors, []);
  assert.deepEqual(metadataFields(meta, "license"), ["Line one\nline two"]);
  assert.equal(metadataDescription(meta), "Title\n=====\n\n    indented code");
  assert.deepEqual(metadataFields(meta, "requires-dist"), ["requests"]);
  assert.equal(meta.body, "");
});

test("CRLF line endings and a BOM read the same as LF", () => {
  const meta = parseCoreMetadata(
    "\ufeffName: demo\r\nVersion: 2.0\r\nSummary: x\r\n  y\r\n\r\nBody\r\nmore\r\n",
  );
  assert.equal(metadataName(meta), "demo");
  assert.equal(metadataVersion(meta), "2.0");
  assert.deepEqual(metadataFields(meta, "summary"), ["x\ny"]);
  assert.equal(meta.body, "Body\nmore");
});

test("non-ASCII values survive", () => {
  const meta = parseCoreMetadata("Name: naïve-pkg\nVersion: 1.0\nAuthor: Jürgen Müller 日本\n");
  assert.equal(metadataName(meta), "naïve-pkg");
  assert.deepEqual(metadataFields(meta, "author"), ["Jürgen Müller 日本"]);
});

test("a line that is not a header ends the headers, as in Python's email parser, and is reported", () => {
  const meta = parseCoreMetadata("Name: demo\nthis is not a header\nVersion: 1.0\n");
  assert.equal(metadataName(meta), "demo");
  // Python would not see this Version either: it is in the body now.
  assert.equal(metadataVersion(meta), null);
  assert.equal(meta.body, "this is not a header\nVersion: 1.0");
  assert.deepEqual(
    meta.errors.map((e) => e.line),
    [2],
  );
});

test("a space before the colon is not a header (Python reads it as the body)", () => {
  const meta = parseCoreMetadata("Version: 1.0\nName : sneaky\n");
  assert.equal(metadataName(meta), null);
  assert.equal(meta.errors[0]?.line, 2);
});

test("a continuation before any header and a From envelope line are reported and ignored", () => {
  const meta = parseCoreMetadata("  orphan\nFrom someone\nName: demo\nVersion: 1\n");
  assert.equal(metadataName(meta), "demo");
  assert.deepEqual(
    meta.errors.map((e) => e.line),
    [1, 2],
  );
});

test("empty values read as absent; empty text has no fields", () => {
  assert.equal(metadataName(parseCoreMetadata("Name:\nVersion:   \n")), null);
  const empty = parseCoreMetadata("");
  assert.equal(empty.fields.size, 0);
  assert.equal(empty.body, "");
  assert.deepEqual(empty.errors, []);
});

test("random mutations of metadata never throw and errors carry a line inside the text", () => {
  const lineCount = (s: string) => s.split(/\r\n|\n|\r/).length;
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40, unit: "binary" }),
      fc.nat({ max: PIP_METADATA.length }),
      fc.nat({ max: 20 }),
      (insert, at, del) => {
        const text = PIP_METADATA.slice(0, at) + insert + PIP_METADATA.slice(at + del);
        const meta = parseCoreMetadata(text);
        for (const err of meta.errors) {
          assert.ok(err.line >= 1 && err.line <= lineCount(text), `line ${err.line} outside the text`);
          assert.ok(err.message.length > 0);
        }
      },
    ),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: "grapheme" }), (text) => {
      parseCoreMetadata(text);
    }),
    { numRuns: 300 },
  );
});
