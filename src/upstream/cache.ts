// The on-disk HTTP cache of upstream responses: ETag / Last-Modified revalidation, Cache-Control, keyed by URL + Accept.
//
// Hand-written rather than undici's cache interceptor: that one keeps entries in memory or in node:sqlite
// (Node 22+ only) and cannot answer "offline, stale allowed"; what we need is a small private cache whose
// entries survive the process and can be served stale when the network is switched off.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** The response headers worth keeping: what revalidation, freshness and the index parsers read. */
const KEPT_HEADERS = [
  "content-type",
  "etag",
  "last-modified",
  "cache-control",
  "expires",
  "date",
  "age",
  "vary",
  "x-pypi-last-serial",
] as const;

export interface CacheEntry {
  /** The request URL, credentials removed. */
  url: string;
  accept: string;
  status: number;
  headers: Record<string, string>;
  /** When the response was stored or last revalidated (ms since the epoch). */
  storedAt: number;
  body: Buffer;
}

export interface HttpCache {
  readonly dir: string;
  get(url: string, accept: string): CacheEntry | null;
  /** Stores the entry in the background (the request never waits on the disk); `flush` waits for it. */
  put(entry: CacheEntry): void;
  delete(url: string, accept: string): void;
  /** Resolves when every write started so far has landed (or failed, which only costs a refetch). */
  flush(): Promise<void>;
}

/** `$XDG_CACHE_HOME/pycustoms/http`, else `~/.cache/pycustoms/http`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg?.startsWith("/") ? xdg : join(home, ".cache");
  return join(base, "pycustoms", "http");
}

export function keepHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

// Responses of one index repeat one Cache-Control value; its directives are read several times per response.
const parsedCacheControl = new Map<string, ReadonlyMap<string, string>>();
const NO_DIRECTIVES: ReadonlyMap<string, string> = new Map();

/** Cache-Control directives, lower-cased; a directive without a value maps to "". */
export function parseCacheControl(value: string | undefined): ReadonlyMap<string, string> {
  if (!value) return NO_DIRECTIVES;
  let known = parsedCacheControl.get(value);
  if (known === undefined) {
    known = parseDirectives(value);
    if (parsedCacheControl.size >= 100) parsedCacheControl.clear();
    parsedCacheControl.set(value, known);
  }
  return known;
}

function parseDirectives(value: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of value.split(",")) {
    const m = /^\s*([A-Za-z-]+)\s*(?:=\s*"?([^",]*)"?)?\s*$/.exec(part);
    if (m) directives.set(m[1]!.toLowerCase(), m[2] ?? "");
  }
  return directives;
}

/** A response may be stored unless it says no-store or varies on something other than Accept. */
export function isStorable(status: number, headers: Record<string, string>): boolean {
  if (status !== 200) return false;
  if (parseCacheControl(headers["cache-control"]).has("no-store")) return false;
  const vary = (headers.vary ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== "");
  // Accept is in the key; Accept-Encoding does not matter because we never ask for compression.
  return vary.every((v) => v === "accept" || v === "accept-encoding");
}

/** How long (ms) the entry stays fresh from `storedAt`: max-age minus Age, else Expires - Date, else 0. */
export function freshnessLifetime(entry: CacheEntry): number {
  const cc = parseCacheControl(entry.headers["cache-control"]);
  if (cc.has("no-cache")) return 0;
  const maxAge = cc.get("max-age");
  if (maxAge !== undefined) {
    const seconds = Number(maxAge);
    if (!Number.isFinite(seconds) || seconds < 0) return 0;
    const age = Number(entry.headers.age ?? "0");
    return Math.max(0, seconds - (Number.isFinite(age) ? age : 0)) * 1000;
  }
  const expires = entry.headers.expires;
  if (expires !== undefined) {
    const expiresAt = Date.parse(expires);
    const date = Date.parse(entry.headers.date ?? "") || entry.storedAt;
    return Number.isFinite(expiresAt) ? Math.max(0, expiresAt - date) : 0;
  }
  return 0;
}

export function isFresh(entry: CacheEntry, now: number = Date.now()): boolean {
  return now - entry.storedAt < freshnessLifetime(entry);
}

/** The conditional headers that revalidate this entry (empty when it has no validator). */
export function revalidationHeaders(entry: CacheEntry): Record<string, string> {
  const headers: Record<string, string> = {};
  if (entry.headers.etag) headers["if-none-match"] = entry.headers.etag;
  if (entry.headers["last-modified"]) headers["if-modified-since"] = entry.headers["last-modified"];
  return headers;
}

/** Folds a 304's headers into the stored entry (RFC 9111 4.3.4) and restarts its freshness clock. */
export function refreshedEntry(entry: CacheEntry, headers: Record<string, string>, now: number): CacheEntry {
  const update = keepHeaders(headers);
  delete update["content-type"];
  return { ...entry, headers: { ...entry.headers, ...update }, storedAt: now };
}

/** Headers a 304 restates without changing what the entry means (the freshness clock aside). */
const CLOCK_HEADERS = new Set(["date", "age", "expires"]);

/**
 * Whether a refreshed entry must be written back: when it can be fresh (its clock restarted, later runs may skip
 * the request) or a kept header changed (a new serial, a new validator). A response that is stale at once
 * (max-age=0, no-cache) and came back unchanged would be rewritten, body and all, for nothing: every later use
 * revalidates it anyway, with the same validators.
 */
export function refreshNeedsStoring(before: CacheEntry, after: CacheEntry): boolean {
  if (freshnessLifetime(after) > 0) return true;
  const names = new Set([...Object.keys(before.headers), ...Object.keys(after.headers)]);
  for (const name of names) {
    if (!CLOCK_HEADERS.has(name) && before.headers[name] !== after.headers[name]) return true;
  }
  return false;
}

function keyOf(url: string, accept: string): string {
  return createHash("sha256").update(`${url}\n${accept}`).digest("hex");
}

interface StoredHead {
  url: string;
  accept: string;
  status: number;
  headers: Record<string, string>;
  storedAt: number;
}

/**
 * A directory of entries, one file each: a JSON head line, a newline, then the body bytes.
 * Writes go to a temporary file that is renamed into place, so a reader never sees half an entry;
 * an unreadable or corrupt entry is a miss, never an error.
 */
export function createHttpCache(dir: string): HttpCache {
  const pathOf = (url: string, accept: string): string => {
    const key = keyOf(url, accept);
    return join(dir, key.slice(0, 2), key);
  };
  const pending = new Set<Promise<void>>();
  // Shard directories made (or found) by this process: one mkdir per shard, not one per write.
  const shards = new Set<string>();
  // Entries whose write has not landed yet: a later `get` in this process must still see them.
  const landing = new Map<string, CacheEntry>();
  const write = async (path: string, shard: string, bytes: Buffer): Promise<void> => {
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      if (!shards.has(shard)) {
        await mkdir(shard, { recursive: true });
        shards.add(shard);
      }
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch {
      // A cache that cannot be written (read-only home, full disk) only costs a refetch.
      shards.delete(shard);
      await rm(tmp, { force: true });
    }
  };
  return {
    dir,
    get(url, accept) {
      const path = pathOf(url, accept);
      const inFlight = landing.get(path);
      if (inFlight) return inFlight;
      let raw: Buffer;
      try {
        raw = readFileSync(path);
      } catch {
        return null;
      }
      const newline = raw.indexOf(10);
      if (newline === -1) return null;
      try {
        const head = JSON.parse(raw.subarray(0, newline).toString("utf8")) as StoredHead;
        if (head.url !== url || head.accept !== accept || typeof head.storedAt !== "number") return null;
        return { ...head, body: raw.subarray(newline + 1) };
      } catch {
        return null;
      }
    },
    put(entry) {
      const path = pathOf(entry.url, entry.accept);
      const head: StoredHead = {
        url: entry.url,
        accept: entry.accept,
        status: entry.status,
        headers: keepHeaders(entry.headers),
        storedAt: entry.storedAt,
      };
      const bytes = Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`, "utf8"), entry.body]);
      const shard = join(dir, keyOf(entry.url, entry.accept).slice(0, 2));
      const stored: CacheEntry = { ...head, body: entry.body };
      landing.set(path, stored);
      const done = write(path, shard, bytes).finally(() => {
        pending.delete(done);
        if (landing.get(path) === stored) landing.delete(path);
      });
      pending.add(done);
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    delete(url, accept) {
      try {
        unlinkSync(pathOf(url, accept));
      } catch {
        // already gone
      }
    },
  };
}
