// Content-addressed storage of distribution files: nothing enters it unless its sha256 is the one expected.
import { createHash, type Hash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

export interface BlobInfo {
  size: number;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface Expected {
  /** Lower-case hex sha256 the bytes must have. */
  sha256: string;
  /** When known, the size the bytes must have. */
  size?: number | null;
}

export type PutResult =
  | { ok: true; sha256: string; size: number }
  | { ok: false; sha256: string; size: number; reason: string };

/**
 * An in-progress write whose bytes so far can be read back locally (`spoolPath`), so that requests for a file
 * being downloaded can follow the download instead of fetching it again.
 */
export interface BlobWriter {
  readonly spoolPath: string;
  readonly bytesWritten: number;
  write(chunk: Buffer): Promise<void>;
  /** Flushes, checks the digest (and size) and, only if they match, makes the blob visible. */
  commit(expected: Expected): Promise<PutResult>;
  /** Drops the partial bytes. Safe to call after commit (then it does nothing). */
  abort(): Promise<void>;
}

/** What routes need of file storage; narrow so an object store can implement it too. */
export interface BlobStore {
  has(sha256: string): Promise<BlobInfo | null>;
  /** The bytes (or a range of them), or null when absent. */
  get(sha256: string, range?: ByteRange): Promise<Readable | null>;
  /** Stores a stream only if it hashes to `expected`; returns the digest actually seen. */
  put(source: AsyncIterable<Buffer> | Iterable<Buffer>, expected: Expected): Promise<PutResult>;
  openWriter(): Promise<BlobWriter>;
  /** Removes leftovers of interrupted writes (at start, before serving); returns how many. */
  cleanTemp(): Promise<number>;
  /** A local path to the blob, for sendfile-style offload (X-Accel-Redirect); null when not on local disk. */
  localPath(sha256: string): string | null;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

function isMissing(e: unknown): boolean {
  return (e as { code?: string }).code === "ENOENT";
}

/** Blobs on local disk at `<dir>/sha256/ab/cd/<hex>`; writes go to `<dir>/tmp` (same file system), fsync, rename. */
export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.tmpDir = join(dir, "tmp");
  }

  pathOf(sha256: string): string {
    return join(this.dir, "sha256", sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  localPath(sha256: string): string | null {
    return isSha256Hex(sha256) ? this.pathOf(sha256) : null;
  }

  async has(sha256: string): Promise<BlobInfo | null> {
    if (!isSha256Hex(sha256)) return null;
    try {
      const s = await stat(this.pathOf(sha256));
      return s.isFile() ? { size: s.size } : null;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable | null> {
    if (!isSha256Hex(sha256)) return null;
    // Opened before returning, so a missing blob is null rather than a stream that fails later.
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(sha256), "r");
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    return createReadStream("", {
      fd: handle,
      ...(range ? { start: range.start, end: range.end } : {}),
      highWaterMark: 256 * 1024,
    });
  }

  async put(source: AsyncIterable<Buffer> | Iterable<Buffer>, expected: Expected): Promise<PutResult> {
    const writer = await this.openWriter();
    try {
      for await (const chunk of source) await writer.write(chunk);
      return await writer.commit(expected);
    } finally {
      await writer.abort();
    }
  }

  async openWriter(): Promise<BlobWriter> {
    await mkdir(this.tmpDir, { recursive: true });
    const spoolPath = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}.part`);
    const handle = await open(spoolPath, "wx");
    return new FsBlobWriter(this, spoolPath, handle);
  }

  async cleanTemp(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (e) {
      if (isMissing(e)) return 0;
      throw e;
    }
    await Promise.all(names.map((name) => rm(join(this.tmpDir, name), { force: true, recursive: true })));
    return names.length;
  }
}

class FsBlobWriter implements BlobWriter {
  private readonly hash: Hash = createHash("sha256");
  private written = 0;
  private finished = false;

  constructor(
    private readonly store: FsBlobStore,
    readonly spoolPath: string,
    private readonly handle: FileHandle,
  ) {}

  get bytesWritten(): number {
    return this.written;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.finished) throw new Error("write after commit or abort");
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset, null);
      offset += bytesWritten;
    }
    this.hash.update(chunk);
    this.written += chunk.length;
  }

  async commit(expected: Expected): Promise<PutResult> {
    if (this.finished) throw new Error("commit after commit or abort");
    this.finished = true;
    const sha256 = this.hash.digest("hex");
    const size = this.written;
    const want = expected.sha256.toLowerCase();
    let reason: string | null = null;
    if (sha256 !== want) reason = `sha256 ${sha256} differs from the published ${want}`;
    else if (expected.size != null && expected.size !== size)
      reason = `${size} bytes, the index published ${expected.size}`;
    if (reason !== null) {
      await this.handle.close().catch(() => undefined);
      await unlink(this.spoolPath).catch(() => undefined);
      return { ok: false, sha256, size, reason };
    }
    // Durable before visible: a blob under sha256/ is always complete, even after a power cut.
    await this.handle.sync();
    await this.handle.close();
    const target = this.store.pathOf(sha256);
    const dir = join(target, "..");
    await mkdir(dir, { recursive: true });
    await rename(this.spoolPath, target);
    try {
      const dirHandle = await open(dir, "r");
      await dirHandle.sync().finally(() => dirHandle.close());
    } catch {
      // Some file systems refuse fsync on a directory; the rename is still atomic.
    }
    return { ok: true, sha256, size };
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.handle.close().catch(() => undefined);
    await unlink(this.spoolPath).catch(() => undefined);
  }
}
