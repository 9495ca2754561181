import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  detectLocalSource,
  downloadSource,
  isUrlSource,
  readLocalSource,
  SourceError,
  type SourceRecordFile,
} from "../../src/advisories/sources.js";
import { sharedData } from "../paths.js";
import { makeTarGz, makeZip, osvJson, serveFile, tempDir, writeTree } from "./source-builders.js";

const pypaTarball = join(sharedData, "pypa-advisory-database", "vulns.tar.gz");

async function collect(path: string, display = path): Promise<SourceRecordFile[]> {
  const records: SourceRecordFile[] = [];
  await readLocalSource(path, display, { onRecordFile: (r) => records.push(r), onWarning: () => {} });
  return records;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

describe("advisory sources", () => {
  const dir = tempDir();
  after(() => dir.dispose());

  test("the PyPA tarball yields its 2,661 YAML records and not the .id-allocator", async () => {
    const records = await collect(pypaTarball, "vulns.tar.gz");
    assert.equal(records.length, 2661);
    assert.ok(records.every((r) => r.format === "yaml" && r.path.startsWith("vulns/")));
    const requests = records.find((r) => r.path === "vulns/requests/PYSEC-2014-13.yaml");
    assert.equal(requests?.file, "vulns.tar.gz:vulns/requests/PYSEC-2014-13.yaml");
    assert.match(Buffer.from(requests?.bytes ?? []).toString("utf8"), /^id: PYSEC-2014-13\n/);
  });

  test("a folder yields .json/.yaml/.yml files in sorted order, skipping other files and hidden folders", async () => {
    const root = join(dir.path, "folder");
    writeTree(root, {
      "b/Y-2.yaml": "id: Y-2",
      "a/X-1.json": "{}",
      "a/Z-3.yml": "id: Z-3",
      "a/README.md": "# not a record",
      "a/.id-allocator": "abc",
      ".git/objects/x.json": "{}",
    });
    const records = await collect(root, "src");
    assert.deepEqual(
      records.map((r) => r.file),
      [join("src", "a", "X-1.json"), join("src", "a", "Z-3.yml"), join("src", "b", "Y-2.yaml")],
    );
    assert.equal(records[0]?.path, join(root, "a", "X-1.json"));
  });

  test("a zip (like OSV's all.zip) yields its records by entry name", async () => {
    const zip = join(dir.path, "all.zip");
    makeZip(zip, { "PYSEC-1.json": osvJson("PYSEC-1", "a", "2024-01-01T00:00:00Z"), "notes.txt": "x" });
    assert.equal(await detectLocalSource(zip), "zip");
    const records = await collect(zip);
    assert.deepEqual(
      records.map((r) => [r.file, r.path, r.format]),
      [[`${zip}:PYSEC-1.json`, "PYSEC-1.json", "json"]],
    );
  });

  test("formats are told by content first: a tar.gz without an extension is still a tar", async () => {
    const tgz = join(dir.path, "tarball-no-ext");
    await makeTarGz(tgz, { "osv/X-1.json": osvJson("X-1", "a", "2024-01-01T00:00:00Z") });
    assert.equal(await detectLocalSource(tgz), "tar");
    assert.equal((await collect(tgz)).length, 1);
  });

  test("a single record file is a source of one record", async () => {
    const file = join(dir.path, "X-9.json");
    writeFileSync(file, osvJson("X-9", "a", "2024-01-01T00:00:00Z"));
    assert.equal(await detectLocalSource(file), "record");
    assert.deepEqual(
      (await collect(file)).map((r) => r.file),
      [file],
    );
  });

  test("a corrupt zip is a SourceError naming the file", async () => {
    const zip = join(dir.path, "corrupt.zip");
    writeFileSync(zip, Buffer.alloc(3000, 7));
    const error = await rejection(collect(zip, "corrupt.zip"));
    assert.ok(error instanceof SourceError);
    assert.equal(error.file, "corrupt.zip");
    assert.match(error.message, /not a readable zip archive/);
  });

  test("a tarball truncated half-way delivers the records before the break, then a SourceError", async () => {
    const truncated = join(dir.path, "truncated.tar.gz");
    writeFileSync(truncated, readFileSync(pypaTarball).subarray(0, 400_000));
    const records: SourceRecordFile[] = [];
    const error = await rejection(
      readLocalSource(truncated, "truncated.tar.gz", {
        onRecordFile: (r) => records.push(r),
        onWarning: () => {},
      }),
    );
    assert.ok(error instanceof SourceError);
    assert.equal(error.file, "truncated.tar.gz");
    assert.match(error.message, /corrupt or unreadable tar archive/);
    assert.ok(records.length > 100 && records.length < 2661, `${records.length} records before the break`);
  });

  test("an error thrown by the consumer stops reading and comes back as is, not as a SourceError", async () => {
    const stop = new Error("stop here");
    let seen = 0;
    const error = await rejection(
      readLocalSource(pypaTarball, "vulns.tar.gz", {
        onRecordFile: () => {
          seen++;
          if (seen === 10) throw stop;
        },
        onWarning: () => {},
      }),
    );
    assert.equal(error, stop);
    assert.equal(seen, 10);
  });

  test("a missing path and an unknown file type are SourceErrors", async () => {
    const missing = await rejection(collect(join(dir.path, "nope.zip"), "nope.zip"));
    assert.ok(missing instanceof SourceError);
    assert.equal(missing.message, "no such file or directory");
    const text = join(dir.path, "notes.txt");
    writeFileSync(text, "hello");
    const unknown = await rejection(collect(text));
    assert.ok(unknown instanceof SourceError);
    assert.match(unknown.message, /not a zip or tar archive/);
  });

  test("URLs are told from paths", () => {
    assert.equal(isUrlSource("https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"), true);
    assert.equal(isUrlSource("HTTP://127.0.0.1/x.zip"), true);
    assert.equal(isUrlSource("./all.zip"), false);
    assert.equal(isUrlSource("file:///tmp/all.zip"), false);
  });

  describe("downloads", () => {
    let server: Awaited<ReturnType<typeof serveFile>>;
    const zip = join(dir.path, "served.zip");
    before(async () => {
      makeZip(zip, { "X-1.json": osvJson("X-1", "a", "2024-01-01T00:00:00Z") });
      server = await serveFile(zip);
    });
    after(() => server.close());

    test("a download streams to a temporary file and returns the validators; a conditional repeat is a 304", async () => {
      const progress: number[] = [];
      const first = await downloadSource(`${server.url}/PyPI/all.zip`, null, {
        onBytes: (b) => progress.push(b),
      });
      assert.equal(first.status, "downloaded");
      if (first.status !== "downloaded") return;
      assert.deepEqual(readFileSync(first.path), readFileSync(zip));
      assert.ok(first.path.endsWith("all.zip"));
      assert.equal(progress.at(-1), readFileSync(zip).length);
      assert.deepEqual(first.validators, { etag: '"v1"', lastModified: "Mon, 01 Jan 2024 00:00:00 GMT" });
      await first.dispose();
      assert.equal(existsSync(first.path), false);

      const second = await downloadSource(`${server.url}/PyPI/all.zip`, first.validators);
      assert.deepEqual(second, { status: "not-modified" });
      assert.equal(server.requests.at(-1)?.["if-none-match"], '"v1"');
      assert.equal(server.requests.at(-1)?.["if-modified-since"], "Mon, 01 Jan 2024 00:00:00 GMT");
    });

    test("an HTTP error and a refused connection are SourceErrors naming the URL", async () => {
      const notFound = await rejection(downloadSource(`${server.url}/missing/all.zip`, null));
      assert.ok(notFound instanceof SourceError);
      assert.equal(notFound.file, `${server.url}/missing/all.zip`);
      assert.equal(notFound.message, "download failed: HTTP 404 Not Found");

      const closed = await serveFile(zip);
      await closed.close();
      const refused = await rejection(downloadSource(`${closed.url}/all.zip`, null));
      assert.ok(refused instanceof SourceError);
      assert.match(refused.message, /^download failed: ECONNREFUSED/);
    });
  });
});
