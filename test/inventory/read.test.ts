import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeText, readTextFile, splitLines } from "../../src/inventory/read.js";

const dir = mkdtempSync(join(tmpdir(), "pycustoms-read-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = "requests==2.32.3\nflask>=2\n";

test("UTF-8 with and without BOM, UTF-16 LE/BE with BOM and BOM-less UTF-16 LE decode to the same text", () => {
  const utf8 = Buffer.from(text, "utf8");
  const le = Buffer.from(text, "utf16le");
  const be = Buffer.from(le).swap16();
  const variants = [
    utf8,
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]),
    Buffer.concat([Buffer.from([0xff, 0xfe]), le]),
    Buffer.concat([Buffer.from([0xfe, 0xff]), be]),
    le,
  ];
  for (const bytes of variants) assert.deepEqual(decodeText(bytes, "r.txt"), { ok: true, text });
});

test("binary files and invalid UTF-8 are located errors", () => {
  const bin = decodeText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]), "a.out");
  assert.deepEqual(bin, {
    ok: false,
    error: { file: "a.out", message: "binary file (contains NUL bytes), not a text manifest" },
  });
  const bad = decodeText(Buffer.from([0x61, 0xff, 0x62]), "x.txt");
  assert.equal(bad.ok, false);
});

test("files over the size limit are skipped with a message naming the limit", () => {
  const path = join(dir, "big.txt");
  writeFileSync(path, "a".repeat(2048));
  const r = readTextFile(path, "big.txt", 1024);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : "", /2048 bytes is over the 1024-byte limit/);
});

test("a missing file and a directory are errors with plain messages", () => {
  assert.deepEqual(readTextFile(join(dir, "none"), "none"), {
    ok: false,
    error: { file: "none", message: "no such file or directory" },
  });
  const r = readTextFile(dir, "d");
  assert.equal(r.ok, false);
});

test("lines split on LF, CRLF and lone CR", () => {
  assert.deepEqual(splitLines("a\r\nb\nc\rd"), ["a", "b", "c", "d"]);
});
