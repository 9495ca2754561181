import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  type CacheEntry,
  createHttpCache,
  defaultCacheDir,
  freshnessLifetime,
  isStorable,
  parseCacheControl,
  refreshedEntry,
  refreshNeedsStoring,
} from "../../src/upstream/cache.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pycustoms-cache-"));
  dirs.push(d);
  return d;
}

function entry(headers: Record<string, string>, storedAt = 1_000_000): CacheEntry {
  return {
    url: "https://i/simple/x/",
    accept: "a",
    status: 200,
    headers,
    storedAt,
    body: Buffer.from("body"),
  };
}

test("the cache directory follows XDG_CACHE_HOME, else ~/.cache", () => {
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/xdg" }, "/home/u"), "/xdg/pycustoms/http");
  assert.equal(defaultCacheDir({}, "/home/u"), "/home/u/.cache/pycustoms/http");
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "relative" }, "/home/u"), "/home/u/.cache/pycustoms/http");
});

test("freshness comes from max-age minus Age, else Expires - Date; no-cache is never fresh", () => {
  assert.deepEqual(
    [...parseCacheControl('public, max-age=600, no-cache="x"')],
    [
      ["public", ""],
      ["max-age", "600"],
      ["no-cache", "x"],
    ],
  );
  assert.equal(freshnessLifetime(entry({ "cache-control": "public, max-age=600" })), 600_000);
  assert.equal(freshnessLifetime(entry({ "cache-control": "max-age=600", age: "100" })), 500_000);
  assert.equal(freshnessLifetime(entry({ "cache-control": "max-age=600, no-cache" })), 0);
  assert.equal(
    freshnessLifetime(
      entry({ date: "Mon, 01 Jan 2024 00:00:00 GMT", expires: "Mon, 01 Jan 2024 00:01:00 GMT" }),
    ),
    60_000,
  );
  assert.equal(freshnessLifetime(entry({})), 0);
});

test("no-store, non-200 and Vary on other headers are not stored; Vary: Accept is", () => {
  assert.equal(isStorable(200, { "cache-control": "no-store" }), false);
  assert.equal(isStorable(206, {}), false);
  assert.equal(isStorable(200, { vary: "Accept, Authorization" }), false);
  assert.equal(isStorable(200, { vary: "*" }), false);
  assert.equal(isStorable(200, { vary: "Accept, Accept-Encoding" }), true);
});

test("entries round-trip through the disk; a corrupt entry is a miss, not an error; no temp files stay", async () => {
  const dir = tempDir();
  const cache = createHttpCache(dir);
  const e = { ...entry({ etag: '"x"', "set-cookie": "secret" }), body: Buffer.from([0, 10, 255, 10]) };
  cache.put(e);
  assert.deepEqual(cache.get(e.url, e.accept)?.body, e.body, "readable before the write lands");
  await cache.flush();
  const back = createHttpCache(dir).get(e.url, e.accept);
  assert.deepEqual(back?.body, e.body);
  assert.deepEqual(back?.headers, { etag: '"x"' }, "only the headers that matter are kept");
  assert.equal(cache.get(e.url, "other accept"), null);
  const [shard] = readdirSync(dir);
  const files = readdirSync(join(dir, shard!));
  assert.equal(files.length, 1);
  writeFileSync(join(dir, shard!, files[0]!), "{not json\nbody");
  assert.equal(createHttpCache(dir).get(e.url, e.accept), null);
});

test("a 304 is written back only when it restarts a freshness clock or changes a kept header", () => {
  const stale = entry({ "cache-control": "max-age=0", etag: '"a"', date: "Sat, 28 Nov 2026 04:00:00 GMT" });
  const sameAgain = refreshedEntry(
    stale,
    { "cache-control": "max-age=0", etag: '"a"', date: "Sat, 28 Nov 2026 05:00:00 GMT", age: "3" },
    2_000_000,
  );
  assert.equal(refreshNeedsStoring(stale, sameAgain), false, "nothing a later run reads has changed");
  const newSerial = refreshedEntry(stale, { "x-pypi-last-serial": "42" }, 2_000_000);
  assert.equal(refreshNeedsStoring(stale, newSerial), true);
  const nowFresh = refreshedEntry(stale, { "cache-control": "max-age=600" }, 2_000_000);
  assert.equal(refreshNeedsStoring(stale, nowFresh), true);
  const cacheable = entry({ "cache-control": "max-age=600", etag: '"a"' });
  assert.equal(refreshNeedsStoring(cacheable, refreshedEntry(cacheable, {}, 2_000_000)), true);
});
