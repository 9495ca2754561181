import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { parse, stringify } from "smol-toml";
import {
  arrayTableLinesQuick,
  fileHashes,
  findTomlLine,
  indexTomlArrayTables,
  isTomlTable,
  normalizeHashString,
  parseTomlWithLayout,
  scanTomlLayout,
} from "../../src/inventory/toml-lines.js";
import { sharedData } from "../paths.js";

test("indexTomlArrayTables gives the 1-based line of each [[header]] in order, and only that header", () => {
  const text = [
    "[[package]]", // 1
    'name = "a"',
    "",
    "[[package.wheels]]", // 4
    'url = "x"',
    "",
    "[ [ 'package' ] ]", // 7: not an array-table header (the brackets are apart)
    '[[ "package" ]]', // 8: quoted key, spaces inside the brackets
    'name = "b"',
    "[package.source]", // 10
    'type = "git"',
    "  [[package]]  # trailing comment", // 12
    'name = "c"',
  ].join("\n");
  assert.deepEqual(indexTomlArrayTables(text, "package"), [1, 8, 12]);
  assert.deepEqual(indexTomlArrayTables(text, "package.wheels"), [4]);
  assert.deepEqual(indexTomlArrayTables(text, "packages"), []);
});

test("header-like lines inside multi-line strings, comments and multi-line arrays are not headers", () => {
  const text = [
    'description = """', // 1
    "[[package]]",
    'still a string \\""" not the end',
    '"""', // 4
    "literal = '''",
    "[[package]]",
    "'''", // 7
    "# [[package]]", // 8
    "matrix = [", // 9
    "[1, 2],",
    "[3, 4],",
    "]", // 12
    "[[package]]", // 13
    'name = "real"',
  ].join("\n");
  assert.doesNotThrow(() => parse(text));
  assert.deepEqual(indexTomlArrayTables(text, "package"), [13]);
});

test("CRLF and lone-CR line endings count as one line each", () => {
  assert.deepEqual(
    indexTomlArrayTables("a = 1\r\n\r\n[[package]]\r\nname = 'x'\r\n[[package]]\r\n", "package"),
    [3, 5],
  );
  assert.deepEqual(indexTomlArrayTables("a = 1\r[[package]]\r", "package"), [2]);
});

test("key lines carry their table's path; findTomlLine finds headers and dotted keys", () => {
  const text = [
    'title = "x"', // 1
    "[tool.poetry]", // 2
    'name = "demo"', // 3
    'urls.home = "https://example.org"', // 4
    "[tool.poetry.dependencies]", // 5
    'python = "^3.10"', // 6
    '"weird.name" = "1.0"', // 7
    "inline = { a = 1, b = [", // 8
    "  2 ] }",
  ].join("\n");
  const layout = scanTomlLayout(text);
  assert.equal(findTomlLine(layout, "title"), 1);
  assert.equal(findTomlLine(layout, "tool.poetry"), 2);
  assert.equal(findTomlLine(layout, "tool.poetry.name"), 3);
  assert.equal(findTomlLine(layout, "tool.poetry.urls.home"), 4);
  assert.equal(findTomlLine(layout, "tool.poetry.dependencies.python"), 6);
  assert.equal(findTomlLine(layout, 'tool.poetry.dependencies."weird.name"'), 7);
  assert.equal(findTomlLine(layout, "tool.poetry.dependencies.inline"), 8);
  assert.equal(
    findTomlLine(layout, "tool.poetry.dependencies.inline.a"),
    null,
    "keys inside inline tables are not listed",
  );
  assert.equal(findTomlLine(layout, "missing"), null);
});

test("parseTomlWithLayout turns a syntax error into one located, one-line error", () => {
  const outcome = parseTomlWithLayout('a = 1\nb = "unterminated\n', "x.toml");
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.equal(outcome.error.file, "x.toml");
  assert.equal(outcome.error.line, 2);
  assert.equal(typeof outcome.error.column, "number");
  assert.match(outcome.error.message, /^invalid TOML: /);
  assert.doesNotMatch(outcome.error.message, /\n/);
});

test("parseTomlWithLayout returns the data and its layout for valid TOML", () => {
  const outcome = parseTomlWithLayout('[[package]]\nname = "a"\n', "x.toml");
  assert.ok(outcome.ok);
  if (!outcome.ok) return;
  assert.ok(Array.isArray(outcome.data.package));
  assert.ok(isTomlTable((outcome.data.package as unknown[])[0]));
  assert.deepEqual(outcome.layout, [
    { kind: "array-table", path: ["package"], line: 1 },
    { kind: "key", path: ["package", "name"], line: 2 },
  ]);
});

test("isTomlTable accepts tables only, not arrays, dates or strings", () => {
  const data = parse('t = { a = 1 }\narr = [1]\nd = 2024-01-01\ns = "x"') as Record<string, unknown>;
  assert.equal(isTomlTable(data.t), true);
  assert.equal(isTomlTable(data.arr), false);
  assert.equal(isTomlTable(data.d), false);
  assert.equal(isTomlTable(data.s), false);
  assert.equal(isTomlTable(null), false);
});

test("normalizeHashString gives what its regular-expression definition gives, for any string", () => {
  const loose = /^\s*([A-Za-z0-9_-]+)[:=]([0-9A-Fa-f]+)\s*$/;
  const expected = (v: string) => {
    const m = loose.exec(v);
    return m ? `${m[1]!.toLowerCase()}:${m[2]!.toLowerCase()}` : null;
  };
  const unit = fc.constantFrom("a", "Z", "0", "f", "F", "g", ":", "=", "-", "_", " ", "\t", "é", "sha256");
  fc.assert(
    fc.property(fc.string({ unit }), (v) => assert.equal(normalizeHashString(v), expected(v))),
    { numRuns: 2000 },
  );
});

test("fileHashes gives each valid hash of the file tables once, the first table's first, in an array of its own", () => {
  const hash = fc.constantFrom("sha256:aa", "SHA256:AA", "sha256:bb", "md5:zz", "", 7);
  const fileTable = fc.oneof(
    fc.record({ hash }),
    fc.record({ url: fc.string() }),
    fc.constant(null),
    fc.string(),
  );
  fc.assert(
    fc.property(
      fc.option(fileTable, { nil: undefined }),
      fc.array(fileTable, { maxLength: 6 }),
      (first, files) => {
        const expected: string[] = [];
        for (const f of first === undefined ? files : [first, ...files]) {
          const h = typeof f === "object" && f !== null && "hash" in f ? normalizeHashString(f.hash) : null;
          if (h !== null && !expected.includes(h)) expected.push(h);
        }
        const got = fileHashes(files, first);
        assert.deepEqual(got, expected);
        // Each call returns a new array: records must not share (or see later calls overwrite) their hashes.
        assert.notEqual(fileHashes(files, first), got);
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 1000 },
  );
  assert.deepEqual(fileHashes("not an array", { hash: "sha256:aa" }), ["sha256:aa"]);
});

test("normalizeHashString lower-cases algorithm:hex and rejects anything else", () => {
  assert.equal(normalizeHashString("SHA256:ABCdef01"), "sha256:abcdef01");
  assert.equal(normalizeHashString("sha256=abcdef01"), "sha256:abcdef01");
  assert.equal(normalizeHashString("md5:xyz"), null);
  assert.equal(normalizeHashString("abcdef"), null);
  assert.equal(normalizeHashString(42), null);
});

test("for any array of tables smol-toml writes, the scan finds one header per element, in order", () => {
  const nasty = fc.string({
    unit: fc.constantFrom("[[package]]", "\n", "\r", '"', "'", "[", "]", "#", "=", "\\", "x", "é"),
  });
  const pkg = fc.record({ name: nasty, note: nasty, n: fc.integer() });
  fc.assert(
    fc.property(fc.array(pkg, { maxLength: 8 }), nasty, (packages, title) => {
      const text = stringify({ title, package: packages });
      const lines = indexTomlArrayTables(text, "package");
      assert.equal(lines.length, packages.length);
      const all = text.split(/\r\n|\n|\r/);
      for (const l of lines) assert.equal(all[l - 1], "[[package]]");
    }),
    { numRuns: 300 },
  );
});

test("for text a TOML parser accepts, header lines inside multi-line literal strings are never counted", () => {
  const body = fc
    .string({ unit: fc.constantFrom("[[package]]", "\n", "'", '"', "x", "[", "]") })
    .filter((s) => !s.includes("'''"));
  fc.assert(
    fc.property(fc.array(body, { minLength: 1, maxLength: 5 }), (bodies) => {
      const text = bodies.map((b, i) => `[[package]]\nname = "p${i}"\nnote = '''${b}x'''\n`).join("");
      let parsed: Record<string, unknown>;
      try {
        parsed = parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      assert.equal(indexTomlArrayTables(text, "package").length, (parsed.package as unknown[]).length);
    }),
    { numRuns: 300 },
  );
});

test("the quick [[header]] search agrees with the full scan on every real lock file", () => {
  const dir = join(sharedData, "real-manifests");
  const locks = [
    ["Chia-Network__chia-blockchain__poetry.lock", "package"],
    ["Textualize__textual__poetry.lock", "package"],
    ["python-poetry__poetry__poetry.lock", "package"],
    ["pdm-project__pdm__pdm.lock", "package"],
    ["getredash__redash__uv.lock", "package"],
    ["pydantic__pydantic-ai__uv.lock", "package"],
    ["saleor__saleor__uv.lock", "package"],
    ["pypa__pipenv__pylock.toml", "packages"],
  ] as const;
  for (const [name, key] of locks) {
    const text = readFileSync(join(dir, name, name.split("__").at(-1) ?? ""), "utf8");
    const full = indexTomlArrayTables(text, key);
    assert.ok(full.length > 10, name);
    assert.deepEqual(arrayTableLinesQuick(text, key), full, name);
  }
});

test("for any array of tables smol-toml writes, the quick search finds the lines the full scan finds", () => {
  const nasty = fc.string({ unit: fc.constantFrom("[[package]]", "\n", '"', "[", "]", "#", "=", "x", "é") });
  const pkg = fc.record({ name: nasty, deps: fc.array(fc.array(nasty, { maxLength: 2 }), { maxLength: 2 }) });
  fc.assert(
    fc.property(fc.array(pkg, { maxLength: 6 }), fc.boolean(), (packages, crlf) => {
      let text = stringify({ package: packages });
      if (crlf) text = text.replace(/\n/g, "\r\n");
      assert.deepEqual(arrayTableLinesQuick(text, "package"), indexTomlArrayTables(text, "package"));
    }),
    { numRuns: 300 },
  );
});
