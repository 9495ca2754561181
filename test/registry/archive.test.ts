import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { readDistMetadata } from "../../src/registry/archive.js";
import {
  buildSdist,
  buildTarGz,
  buildWheel,
  buildZip,
  centralRecordOf,
  metadataText,
  renameInZip,
  sdistEntries,
  sdistWithZeros,
  tarStream,
  wheelEntries,
  wheelWithZeros,
} from "./dist-builders.js";

const WHEEL = "demo_pkg-1.0-py3-none-any.whl";
const SDIST = "demo_pkg-1.0.tar.gz";

async function refusal(bytes: Buffer, filename: string, limits = {}): Promise<string> {
  const result = await readDistMetadata(bytes, filename, limits);
  assert.equal(result.ok, false, `expected a refusal, got ${JSON.stringify(result)}`);
  return result.ok ? "" : result.reason;
}

describe("readDistMetadata: wheels", () => {
  it("reads METADATA from the .dist-info folder named in the file name", async () => {
    const result = await readDistMetadata(await buildWheel(), WHEEL);
    assert.ok(result.ok);
    assert.equal(result.metadataPath, "demo_pkg-1.0.dist-info/METADATA");
    assert.equal(result.metadataText, metadataText("demo_pkg", "1.0"));
    assert.equal(result.entries, 4);
    assert.ok(result.uncompressedBytes > result.metadataText.length);
  });

  it("accepts a .dist-info folder spelled differently but naming the same project and version", async () => {
    const wheel = await buildWheel({ distInfo: "Demo.Pkg-1.0.0.dist-info" });
    const result = await readDistMetadata(wheel, WHEEL);
    assert.ok(result.ok);
    assert.equal(result.metadataPath, "Demo.Pkg-1.0.0.dist-info/METADATA");
  });

  it("refuses a wheel without METADATA", async () => {
    const reason = await refusal(await buildWheel({ withoutMetadata: true }), WHEEL);
    assert.equal(reason, "the archive has no demo_pkg-1.0.dist-info/METADATA");
  });

  it("refuses a wheel whose METADATA appears twice", async () => {
    const entries = wheelEntries();
    entries.push({ path: "demo_pkg-1.0.dist-info/METADATA", data: metadataText("evil", "1.0") });
    const reason = await refusal(await buildZip(entries), WHEEL);
    assert.match(reason, /archive entry demo_pkg-1\.0\.dist-info\/METADATA appears more than once/);
  });

  it("refuses entries that differ only in case (one overwrites the other on macOS and Windows)", async () => {
    const wheel = await buildWheel({ extra: [{ path: "demo_pkg-1.0.dist-info/metadata", data: "x" }] });
    const reason = await refusal(wheel, WHEEL);
    assert.match(reason, /differ only in case/);
  });

  it("refuses two .dist-info folders", async () => {
    const wheel = await buildWheel({ extra: [{ path: "other-2.0.dist-info/RECORD", data: "" }] });
    assert.equal(
      await refusal(wheel, WHEEL),
      "the wheel has 2 .dist-info folders (demo_pkg-1.0.dist-info, other-2.0.dist-info)",
    );
    const twoMetadata = await buildWheel({
      extra: [{ path: "other-2.0.dist-info/METADATA", data: metadataText("other", "2.0") }],
    });
    assert.equal(
      await refusal(twoMetadata, WHEEL),
      "the archive has more than one METADATA (demo_pkg-1.0.dist-info/METADATA, other-2.0.dist-info/METADATA)",
    );
  });

  it("refuses a .dist-info folder for another project or version", async () => {
    assert.match(
      await refusal(await buildWheel({ distInfo: "evil-1.0.dist-info" }), WHEEL),
      /folder does not match the file name \(demo_pkg-1\.0\)/,
    );
    assert.match(
      await refusal(await buildWheel({ distInfo: "demo_pkg-2.0.dist-info" }), WHEEL),
      /demo_pkg-2\.0\.dist-info folder does not match/,
    );
  });

  it("refuses a wheel without WHEEL", async () => {
    const entries = wheelEntries().filter((e) => !e.path.endsWith("/WHEEL"));
    assert.equal(
      await refusal(await buildZip(entries), WHEEL),
      "the wheel has no demo_pkg-1.0.dist-info/WHEEL",
    );
  });

  for (const [placeholder, hostile, expected] of [
    ["demo_pkg/aaaa.py", "../../../x.py", /escapes the archive/],
    ["demo_pkg/bbbb.py", "/etc/passwd", /is an absolute path/],
    ["demo_pkg/cccc.py", "a/../../x.py", /escapes the archive/],
    ["demo_pkg/dddd.py", "C:/Windows/x", /is an absolute path/],
    ["demo_pkg/eeee.py", "a\\..\\..\\x.py", /has a backslash/],
    ["demo_pkg/ffff.py", "demo\0pkg/x.py", /has a NUL/],
  ] as const) {
    it(`refuses the entry name ${JSON.stringify(hostile)}`, async () => {
      const padded = hostile.padEnd(placeholder.length, "_");
      const zip = await buildWheel({ extra: [{ path: placeholder, data: "x" }] });
      const reason = await refusal(renameInZip(zip, placeholder, padded), WHEEL);
      assert.match(reason, expected);
      assert.doesNotMatch(reason, /\n|\0/);
    });
  }

  it("refuses an entry whose local header names another file than the central directory", async () => {
    const zip = await buildWheel({ extra: [{ path: "demo_pkg/zzzz.py", data: "x" }] });
    const patched = Buffer.from(zip);
    // Rename only the first occurrence: the local header.
    const at = patched.indexOf("demo_pkg/zzzz.py");
    Buffer.from("demo_pkg/yyyy.py").copy(patched, at);
    assert.match(await refusal(patched, WHEEL), /has another name in its local header/);
  });

  it("refuses an encrypted entry", async () => {
    const zip = await buildWheel();
    const record = centralRecordOf(zip, "demo_pkg/__init__.py");
    zip.writeUInt16LE(zip.readUInt16LE(record + 8) | 0x1, record + 8);
    assert.equal(await refusal(zip, WHEEL), "archive entry demo_pkg/__init__.py is encrypted");
  });

  it("refuses a symbolic link entry", async () => {
    const wheel = await buildWheel({
      extra: [{ path: "demo_pkg/link", data: "/etc/passwd", mode: 0o120777 }],
    });
    assert.equal(await refusal(wheel, WHEEL), "archive entry demo_pkg/link is a symbolic link");
  });

  it("refuses more entries than the limit", async () => {
    const extra = Array.from({ length: 20 }, (_, i) => ({ path: `demo_pkg/m${i}.py`, data: "" }));
    const reason = await refusal(await buildWheel({ extra }), WHEEL, { maxEntries: 10 });
    assert.equal(reason, "the archive has 24 entries; the limit is 10");
  });

  it("refuses a METADATA larger than the limit", async () => {
    const big = metadataText("demo_pkg", "1.0", `Summary2: ${"x".repeat(5000)}\n`);
    const reason = await refusal(await buildWheel({ metadata: big }), WHEEL, { maxMetadataBytes: 1000 });
    assert.match(reason, /METADATA is larger than 1000 bytes/);
  });

  it("refuses METADATA that is not UTF-8", async () => {
    const latin1 = Buffer.from(
      "Metadata-Version: 2.1\nName: demo_pkg\nVersion: 1.0\nAuthor: J\xe9r\xf4me\n",
      "latin1",
    );
    const entries = wheelEntries({ withoutMetadata: true });
    entries.push({ path: "demo_pkg-1.0.dist-info/METADATA", data: latin1 });
    assert.equal(
      await refusal(await buildZip(entries), WHEEL),
      "demo_pkg-1.0.dist-info/METADATA is not valid UTF-8",
    );
  });

  it("refuses a zip bomb: a 200 MB entry of zeros, refused from its header before inflating", async () => {
    const bomb = await wheelWithZeros(200 * 1024 * 1024);
    assert.ok(bomb.length < 1024 * 1024, `the bomb itself is small (${bomb.length} bytes)`);
    const started = Date.now();
    const reason = await refusal(bomb, WHEEL);
    assert.match(
      reason,
      /^zip bomb: entry demo_pkg\/payload\.bin expands 10\d\d\.\d× \(209715200 bytes from \d+; the limit is 200×\)$/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  it("counts real bytes: an entry whose header claims a small size is stopped while inflating", async () => {
    const bomb = await wheelWithZeros(50 * 1024 * 1024);
    const record = centralRecordOf(bomb, "demo_pkg/payload.bin");
    bomb.writeUInt32LE(4096, record + 24); // uncompressed size in the central directory
    const reason = await refusal(bomb, WHEEL);
    assert.equal(
      reason,
      "archive entry demo_pkg/payload.bin does not expand to the 4096 bytes its header declares",
    );
  });

  it("refuses an archive expanding past the total limit, counted while inflating", async () => {
    const wheel = await buildWheel({ extra: [{ path: "demo_pkg/data.txt", data: "y".repeat(100_000) }] });
    const reason = await refusal(wheel, WHEEL, { maxUncompressedBytes: 50_000 });
    assert.equal(reason, "the archive expands to more than 50000 bytes");
  });

  it("refuses entries that share their compressed data (non-recursive zip bomb)", async () => {
    const zip = await buildWheel({ extra: [{ path: "demo_pkg/a.py", data: "A" }] });
    // Point demo_pkg/__init__.py's central record at the local header of the RECORD entry.
    const init = centralRecordOf(zip, "demo_pkg/__init__.py");
    const a = centralRecordOf(zip, "demo_pkg/a.py");
    zip.writeUInt32LE(zip.readUInt32LE(a + 42), init + 42);
    const reason = await refusal(zip, WHEEL);
    assert.match(reason, /has another name in its local header|share their data/);
  });

  it("refuses a corrupted entry through its CRC-32", async () => {
    const zip = await buildWheel({
      extra: [{ path: "demo_pkg/plain.txt", data: "plain text stored", compress: false }],
    });
    const at = zip.indexOf("plain text stored");
    zip.write("PLAIN", at, "latin1");
    assert.equal(await refusal(zip, WHEEL), "archive entry demo_pkg/plain.txt fails its CRC-32 check");
  });

  it("refuses bytes that are not a zip", async () => {
    assert.match(await refusal(Buffer.from("hello, not a zip"), WHEEL), /^not a valid zip archive: /);
  });

  it("random byte mutations of a valid wheel never throw", async () => {
    const wheel = await buildWheel();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: wheel.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (mutations) => {
          const mutated = Buffer.from(wheel);
          for (const [at, value] of mutations) mutated[at] = value;
          const result = await readDistMetadata(mutated, WHEEL);
          if (!result.ok) {
            assert.equal(typeof result.reason, "string");
            assert.doesNotMatch(result.reason, /\n/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("truncated wheels never throw", async () => {
    const wheel = await buildWheel();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: wheel.length - 1 }), async (cut) => {
        const result = await readDistMetadata(wheel.subarray(0, cut), WHEEL);
        assert.equal(result.ok, false);
      }),
      { numRuns: 100 },
    );
  });
});

describe("readDistMetadata: sdists", () => {
  it("reads PKG-INFO from the top-level folder", async () => {
    const result = await readDistMetadata(buildSdist(), SDIST);
    assert.ok(result.ok);
    assert.equal(result.metadataPath, "demo_pkg-1.0/PKG-INFO");
    assert.equal(result.metadataText, metadataText("demo_pkg", "1.0"));
    assert.equal(result.entries, 4);
  });

  it("reads a legacy .zip sdist", async () => {
    const zip = await buildZip(sdistEntries().map((e) => ({ path: e.path, data: e.data ?? "" })));
    const result = await readDistMetadata(zip, "demo_pkg-1.0.zip");
    assert.ok(result.ok);
    assert.equal(result.metadataPath, "demo_pkg-1.0/PKG-INFO");
  });

  it("reads a legacy sdist whose name keeps its dashes", async () => {
    const sdist = buildSdist({ name: "demo-pkg", root: "demo-pkg-1.0" });
    const result = await readDistMetadata(sdist, "demo-pkg-1.0.tar.gz");
    assert.ok(result.ok);
    assert.equal(result.metadataPath, "demo-pkg-1.0/PKG-INFO");
  });

  it("allows a symbolic link that stays inside the sdist", async () => {
    const sdist = buildSdist({
      extra: [{ path: "demo_pkg-1.0/README", type: "SymbolicLink", linkpath: "demo_pkg/__init__.py" }],
    });
    assert.ok((await readDistMetadata(sdist, SDIST)).ok);
  });

  for (const [linkpath, expected] of [
    [
      "../../etc/passwd",
      "archive entry demo_pkg-1.0/evil is a symbolic link to ../../etc/passwd, outside the sdist",
    ],
    ["/etc/passwd", "archive entry demo_pkg-1.0/evil is a symbolic link to the absolute path /etc/passwd"],
    [
      "../other-1.0/x",
      "archive entry demo_pkg-1.0/evil is a symbolic link to ../other-1.0/x, outside the sdist",
    ],
  ] as const) {
    it(`refuses a symbolic link to ${linkpath}`, async () => {
      const sdist = buildSdist({ extra: [{ path: "demo_pkg-1.0/evil", type: "SymbolicLink", linkpath }] });
      assert.equal(await refusal(sdist, SDIST), expected);
    });
  }

  it("refuses chained links: an entry inside an earlier link, and a link resolved through one", async () => {
    // Each link on its own stays inside the sdist as written; extracted, the chain escapes it.
    const inside = buildSdist({
      extra: [
        { path: "demo_pkg-1.0/a/b/c/l1", type: "SymbolicLink", linkpath: "../../.." },
        {
          path: "demo_pkg-1.0/a/b/c/l1/a/b/c/l2",
          type: "SymbolicLink",
          linkpath: "../../../../../../../../../..",
        },
      ],
    });
    assert.equal(
      await refusal(inside, SDIST),
      "archive entry demo_pkg-1.0/a/b/c/l1/a/b/c/l2 lies inside the symbolic link demo_pkg-1.0/a/b/c/l1: extracting it writes through the link",
    );
    const through = buildSdist({
      extra: [
        { path: "demo_pkg-1.0/a/l1", type: "SymbolicLink", linkpath: "../demo_pkg" },
        { path: "demo_pkg-1.0/l2", type: "SymbolicLink", linkpath: "a/l1/../../x" },
      ],
    });
    assert.equal(
      await refusal(through, SDIST),
      "archive entry demo_pkg-1.0/l2 is a symbolic link to a/l1/../../x, through the symbolic link demo_pkg-1.0/a/l1",
    );
  });

  it("refuses a hard link out of the sdist", async () => {
    const sdist = buildSdist({
      extra: [{ path: "demo_pkg-1.0/evil", type: "Link", linkpath: "../etc/shadow" }],
    });
    assert.equal(
      await refusal(sdist, SDIST),
      "archive entry demo_pkg-1.0/evil is a hard link to ../etc/shadow, outside the sdist",
    );
  });

  it("refuses PKG-INFO as a link (its content would come from elsewhere)", async () => {
    const sdist = buildSdist({
      withoutPkgInfo: true,
      extra: [{ path: "demo_pkg-1.0/PKG-INFO", type: "SymbolicLink", linkpath: "pyproject.toml" }],
    });
    assert.equal(await refusal(sdist, SDIST), "demo_pkg-1.0/PKG-INFO is a link, not a file");
  });

  it("refuses device entries", async () => {
    const sdist = buildSdist({ extra: [{ path: "demo_pkg-1.0/fifo", type: "FIFO" }] });
    assert.match(await refusal(sdist, SDIST), /is a FIFO entry/);
  });

  for (const [path, expected] of [
    ["../x", /escapes the archive/],
    ["/abs", /is an absolute path/],
    ["demo_pkg-1.0/a/../../../x", /escapes the archive/],
  ] as const) {
    it(`refuses the tar entry name ${path}`, async () => {
      assert.match(await refusal(buildSdist({ extra: [{ path, data: "x" }] }), SDIST), expected);
    });
  }

  it("refuses an sdist without PKG-INFO", async () => {
    assert.equal(
      await refusal(buildSdist({ withoutPkgInfo: true }), SDIST),
      "the archive has no demo_pkg-1.0/PKG-INFO",
    );
  });

  it("refuses a duplicated PKG-INFO", async () => {
    const sdist = buildSdist({
      extra: [{ path: "demo_pkg-1.0/PKG-INFO", data: metadataText("evil", "1.0") }],
    });
    assert.match(await refusal(sdist, SDIST), /demo_pkg-1\.0\/PKG-INFO appears more than once/);
  });

  it("refuses a second top-level folder", async () => {
    const sdist = buildSdist({ extra: [{ path: "other/x.py", data: "x" }] });
    assert.match(await refusal(sdist, SDIST), /one top-level folder; this one has 2 top-level entries/);
  });

  it("refuses a top-level folder for another version", async () => {
    const sdist = buildSdist({ root: "demo_pkg-2.0" });
    assert.match(await refusal(sdist, SDIST), /top-level folder demo_pkg-2\.0 does not match the file name/);
  });

  it("refuses more entries than the limit", async () => {
    const extra = Array.from({ length: 20 }, (_, i) => ({ path: `demo_pkg-1.0/m${i}.py`, data: "" }));
    assert.equal(
      await refusal(buildSdist({ extra }), SDIST, { maxEntries: 10 }),
      "the archive has more than 10 entries",
    );
  });

  it("refuses a gzip bomb: 200 MB of zeros, stopped after a few MB", async () => {
    const bomb = await sdistWithZeros(200 * 1024 * 1024);
    assert.ok(bomb.length < 1024 * 1024);
    const reason = await refusal(bomb, SDIST);
    assert.match(
      reason,
      /^gzip bomb: the sdist expands \d+\.\d× \(more than \d+ bytes from \d+; the limit is 200×\)$/,
    );
  });

  it("refuses a tar.gz that is compressed twice (tar would inflate the inner layer without limits)", async () => {
    const twice = (await import("node:zlib")).gzipSync(buildSdist());
    assert.equal(await refusal(twice, SDIST), "the sdist is compressed twice");
  });

  it("refuses a truncated tar", async () => {
    const tar = tarStream(sdistEntries());
    const reason = await refusal((await import("node:zlib")).gzipSync(tar.subarray(0, 700)), SDIST);
    assert.match(reason, /^(not a valid tar archive|the archive has no)/);
  });

  it("refuses bytes that are not gzip", async () => {
    assert.match(await refusal(Buffer.from("plain text"), SDIST), /^not a valid gzip stream: /);
  });

  it("refuses other archive kinds by name", async () => {
    assert.match(
      await refusal(buildTarGz([]), "demo_pkg-1.0.tar.bz2"),
      /read as \.tar\.gz or \.zip, not \.tar\.bz2/,
    );
    assert.match(await refusal(Buffer.from("MZ"), "demo_pkg-1.0.win32.exe"), /is not an sdist archive/);
  });

  it("random byte mutations of a valid sdist never throw", async () => {
    const sdist = buildSdist();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: sdist.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (mutations) => {
          const mutated = Buffer.from(sdist);
          for (const [at, value] of mutations) mutated[at] = value;
          const result = await readDistMetadata(mutated, SDIST);
          if (!result.ok) assert.doesNotMatch(result.reason, /\n/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("mutations of the uncompressed tar stream never throw", async () => {
    const tar = tarStream(sdistEntries());
    const zlib = await import("node:zlib");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: tar.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (mutations) => {
          const mutated = Buffer.from(tar);
          for (const [at, value] of mutations) mutated[at] = value;
          const result = await readDistMetadata(zlib.gzipSync(mutated), SDIST);
          if (!result.ok) assert.doesNotMatch(result.reason, /\n/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
