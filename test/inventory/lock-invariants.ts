// Invariants every lock parser keeps (located errors, lines on the entry headers) and random mutations to test them on.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ParseResult, Parser } from "../../src/inventory/types.js";

type Mutation =
  | { kind: "delete"; at: number }
  | { kind: "duplicate"; at: number }
  | { kind: "swap"; at: number; other: number }
  | { kind: "edit"; at: number; offset: number; text: string }
  | { kind: "cut"; at: number; offset: number };

// Characters that matter to TOML and JSON syntax, so edits hit structure rather than only string bodies.
const NASTY = [
  "[",
  "]",
  "[[",
  "]]",
  "{",
  "}",
  '"',
  "'",
  '"""',
  "=",
  ",",
  ":",
  "#",
  "\\",
  "\n",
  "\r",
  ".",
  " ",
  "x",
  "0",
  "\u0000",
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), other: fc.nat() }),
  fc.record({
    kind: fc.constant("edit" as const),
    at: fc.nat(),
    offset: fc.nat(),
    text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 })),
  }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), offset: fc.nat() }),
);

function applyMutations(text: string, mutations: Mutation[]): string {
  const lines = text.split("\n");
  for (const m of mutations) {
    if (lines.length === 0) break;
    const at = m.at % lines.length;
    const line = lines[at] ?? "";
    switch (m.kind) {
      case "delete":
        lines.splice(at, 1);
        break;
      case "duplicate":
        lines.splice(at, 0, line);
        break;
      case "swap": {
        const other = m.other % lines.length;
        lines[at] = lines[other] ?? "";
        lines[other] = line;
        break;
      }
      case "edit": {
        const offset = m.offset % (line.length + 1);
        lines[at] = line.slice(0, offset) + m.text + line.slice(offset + 1);
        break;
      }
      case "cut": {
        // Truncates the file inside this line: unterminated strings, tables and arrays.
        const offset = m.offset % (line.length + 1);
        lines.splice(at, lines.length - at, line.slice(0, offset));
        break;
      }
    }
  }
  return lines.join("\n");
}

/** Valid lock text with 1-4 random mutations applied. */
export function mutatedLock(text: string): fc.Arbitrary<string> {
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => applyMutations(text, ms));
}

/** What holds for any input: records are well-formed and errors are located inside the file. */
export function assertWellFormed(result: ParseResult, text: string, file: string): void {
  const lineCount = text.split(/\r\n|\n|\r/).length;
  for (const e of result.errors) {
    assert.equal(e.file, file);
    assert.equal(typeof e.message, "string");
    assert.ok(e.message.length > 0);
    if (e.line !== undefined)
      assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lineCount, `line ${e.line}`);
    if (e.column !== undefined) assert.ok(Number.isInteger(e.column) && e.column >= 1, `column ${e.column}`);
  }
  for (const d of result.dependencies) {
    assert.equal(d.file, file);
    assert.ok(d.name.length > 0);
    assert.ok(d.line === null || (Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount));
    for (const h of d.hashes) assert.match(h, /^[a-z0-9_-]+:[0-9a-f]+$/);
  }
}

/** Runs the parser over random mutations of `text`: it never throws and keeps the invariants above. */
export function checkNeverThrows(parse: Parser, text: string, file: string, numRuns = 300): void {
  fc.assert(
    fc.property(mutatedLock(text), (mutated) => {
      const result = parse(mutated, file);
      assertWellFormed(result, mutated, file);
    }),
    { numRuns },
  );
}

/**
 * Every record's line is its entry's first line: the `[[header]]` line for TOML (with `name = "<rawName>"`
 * before the next header), or for JSON the line of its `"<rawName>": {` key.
 */
export function assertLinesOnEntries(result: ParseResult, text: string, header: string | null): void {
  const lines = text.split(/\r\n|\n|\r/);
  for (const d of result.dependencies) {
    assert.notEqual(d.line, null, `${d.rawName} has a line`);
    const at = (d.line ?? 0) - 1;
    if (header === null) {
      assert.ok(
        lines[at]?.trimStart().startsWith(`${JSON.stringify(d.rawName)}: {`),
        `${d.rawName} at ${d.line}`,
      );
      continue;
    }
    assert.equal(lines[at]?.trim(), header, `${d.rawName} at ${d.line}`);
    let found = false;
    for (let k = at + 1; k < lines.length && !lines[k]!.startsWith("["); k++) {
      if (lines[k] === `name = ${JSON.stringify(d.rawName)}`) found = true;
    }
    assert.ok(found, `name of ${d.rawName} follows its header at line ${d.line}`);
  }
}
