// Reads OSV record files out of an advisory source (zip, tar(.gz), folder, single file, or a URL), one file at a time.
import { createReadStream } from "node:fs";
import { mkdtemp, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import type { Readable } from "node:stream";
import { type ReadEntry, Parser as TarParser } from "tar";
import { type Entry, openPromise as openZip, type ZipFile } from "yauzl";
import { describeFsError } from "../inventory/read.js";
import { type ImportWarning, type RecordFormat, recordFormatOf } from "./osv.js";

/** OSV's export of every PyPI advisory (PYSEC, GHSA, MAL, ...): the source `db update` uses when given none. */

/** A single record file larger than this is skipped with a warning (real OSV records are a few KiB). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** A source (or a part of one) that cannot be read: a corrupt archive, a missing path, an HTTP failure. */
export class SourceError extends Error {
  /** The source or the file inside it that failed (`archive:entry` inside archives). */
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = "SourceError";
    this.file = file;
  }
}

/** One OSV record file found in a source. */
export interface SourceRecordFile {
  /** How to name the file to a user: a path, or `archive:entry` inside an archive. */
  file: string;
  /** The path used for the `malicious/` and `withdrawn/` folder conventions (entry path inside archives). */
  path: string;
  format: RecordFormat;
  bytes: Uint8Array;
}

export interface ReadSourceOptions {
  /**
   * Called synchronously for each record file, in archive/folder order. If it throws, reading stops and
   * `readLocalSource` rejects with that same error (not a SourceError), so callers can abort an import.
   */
  onRecordFile: (record: SourceRecordFile) => void;
  /** Non-fatal problems (an oversized entry). */
  onWarning: (warning: ImportWarning) => void;
  signal?: AbortSignal;
  maxRecordBytes?: number;
}

export type LocalSourceKind = "zip" | "tar" | "folder" | "record";

/** True when a source string is an http(s) URL rather than a local path. */
export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decides how to read a local path: by content (magic bytes) first, then by name. */
export async function detectLocalSource(path: string, display: string = path): Promise<LocalSourceKind> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    throw new SourceError(display, describeFsError(e));
  }
  if (info.isDirectory()) return "folder";
  if (!info.isFile()) throw new SourceError(display, "not a file or folder");
  const head = Buffer.alloc(512);
  let headLength = 0;
  try {
    const handle = await open(path, "r");
    try {
      headLength = (await handle.read(head, 0, head.length, 0)).bytesRead;
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new SourceError(display, describeFsError(e));
  }
  if (headLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5))
    return "zip";
  if (headLength >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "tar";
  if (headLength >= 262 && head.toString("latin1", 257, 262) === "ustar") return "tar";
  const lower = path.toLowerCase();
  if (lower.endsWith(".zip")) return "zip";
  if (lower.endsWith(".tar") || lower.endsWith(".tgz") || lower.endsWith(".tar.gz")) return "tar";
  if (recordFormatOf(lower)) return "record";
  throw new SourceError(display, "not a zip or tar archive, a folder, or an OSV record (.json, .yaml, .yml)");
}

/**
 * Streams every OSV record file out of a local source, calling `onRecordFile` for each.
 * Rejects with SourceError (naming the file) when the source is unreadable or corrupt; records already
 * delivered before the failure have been delivered, so callers that need all-or-nothing must undo them.
 */
export async function readLocalSource(
  path: string,
  display: string,
  options: ReadSourceOptions,
): Promise<void> {
  const kind = await detectLocalSource(path, display);
  switch (kind) {
    case "zip":
      return readZip(path, display, options);
    case "tar":
      return readTar(path, display, options);
    case "folder":
      return readFolder(path, display, options);
    case "record":
      return readSingleRecord(path, display, options);
  }
}

async function readSingleRecord(path: string, display: string, options: ReadSourceOptions): Promise<void> {
  const format = recordFormatOf(path) ?? "json";
  const limit = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.size > limit) {
      options.onWarning({
        file: display,
        message: `skipped: ${info.size} bytes is over the ${limit}-byte limit`,
      });
      return;
    }
    bytes = await readFile(path);
  } catch (e) {
    throw new SourceError(display, describeFsError(e));
  }
  options.onRecordFile({ file: display, path: resolve(path), format, bytes });
}

async function readFolder(root: string, display: string, options: ReadSourceOptions): Promise<void> {
  const limit = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  const absoluteRoot = resolve(root);
  // Depth-first in sorted order, so imports (and their warnings) are reproducible.
  const walk = async (dir: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new SourceError(
        dir === absoluteRoot ? display : join(display, relative(absoluteRoot, dir)),
        describeFsError(e),
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      options.signal?.throwIfAborted();
      const full = join(dir, entry.name);
      const shown = join(display, relative(absoluteRoot, full));
      // Hidden folders are VCS metadata (.git), never records; symlinks are not followed (no loops).
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".")) await walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      const format = recordFormatOf(entry.name);
      if (!format) continue;
      let bytes: Buffer;
      try {
        const info = await stat(full);
        if (info.size > limit) {
          options.onWarning({
            file: shown,
            message: `skipped: ${info.size} bytes is over the ${limit}-byte limit`,
          });
          continue;
        }
        bytes = await readFile(full);
      } catch (e) {
        throw new SourceError(shown, describeFsError(e));
      }
      options.onRecordFile({ file: shown, path: full, format, bytes });
    }
  };
  await walk(absoluteRoot);
}

/** Marks an error thrown by the caller's callback, so it is not mistaken for a corrupt archive. */
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

function readTar(path: string, display: string, options: ReadSourceOptions): Promise<void> {
  const limit = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  return new Promise<void>((resolvePromise, reject) => {
    let settled = false;
    const input = createReadStream(path);
    const finish = (failure?: unknown): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      input.destroy();
      if (failure === undefined) resolvePromise();
      else reject(failure instanceof CallbackFailure ? failure.error : failure);
    };
    const onAbort = (): void => finish(new CallbackFailure(options.signal?.reason));
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const parser = new TarParser({
      // strict: a checksum or zlib error ends the read with an error instead of a skipped entry.
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const isFile = entry.type === "File" || entry.type === "OldFile" || entry.type === "ContiguousFile";
        const format = isFile ? recordFormatOf(entry.path) : null;
        if (settled || !format) {
          entry.resume();
          return;
        }
        const shown = `${display}:${entry.path}`;
        if (entry.size > limit) {
          options.onWarning({
            file: shown,
            message: `skipped: ${entry.size} bytes is over the ${limit}-byte limit`,
          });
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => {
          if (settled) return;
          try {
            options.onRecordFile({ file: shown, path: entry.path, format, bytes: Buffer.concat(chunks) });
          } catch (e) {
            finish(new CallbackFailure(e));
          }
        });
      },
    });
    parser.on("error", (e: Error) =>
      finish(new SourceError(display, `corrupt or unreadable tar archive: ${e.message}`)),
    );
    parser.on("close", () => finish());
    input.on("error", (e) => finish(new SourceError(display, describeFsError(e))));
    input.pipe(parser);
  });
}

/** Waits for yauzl's next entry (lazyEntries mode), or null at the end of the central directory. */
function nextZipEntry(zip: ZipFile, display: string): Promise<Entry | null> {
  return new Promise((resolvePromise, reject) => {
    const cleanup = (): void => {
      zip.off("entry", onEntry);
      zip.off("end", onEnd);
      zip.off("error", onError);
    };
    const onEntry = (entry: Entry): void => {
      cleanup();
      resolvePromise(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolvePromise(null);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new SourceError(display, `corrupt zip archive: ${e.message}`));
    };
    zip.on("entry", onEntry);
    zip.on("end", onEnd);
    zip.on("error", onError);
    zip.readEntry();
  });
}

async function readStreamFully(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`entry is larger than the ${limit}-byte limit`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

async function readZip(path: string, display: string, options: ReadSourceOptions): Promise<void> {
  const limit = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  let zip: ZipFile;
  try {
    zip = await openZip(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SourceError(
      display,
      code ? describeFsError(e) : `not a readable zip archive: ${errorMessage(e)}`,
    );
  }
  // yauzl may emit a late "error" after we stop listening; an unheard "error" event would crash the process.
  zip.on("error", () => {});
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const entry = await nextZipEntry(zip, display);
      if (!entry) break;
      if (entry.fileName.endsWith("/")) continue;
      const format = recordFormatOf(entry.fileName);
      if (!format) continue;
      const shown = `${display}:${entry.fileName}`;
      if (entry.uncompressedSize > limit) {
        options.onWarning({
          file: shown,
          message: `skipped: ${entry.uncompressedSize} bytes is over the ${limit}-byte limit`,
        });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readStreamFully(await zip.openReadStreamPromise(entry), limit);
      } catch (e) {
        throw new SourceError(shown, `corrupt zip entry: ${errorMessage(e)}`);
      }
      options.onRecordFile({ file: shown, path: entry.fileName, format, bytes });
    }
  } finally {
    zip.close();
  }
}

/** The HTTP cache validators stored per URL source, sent back as If-None-Match / If-Modified-Since. */
export interface HttpValidators {
  etag: string | null;
  lastModified: string | null;
}

export type DownloadResult =
  /** The server answered 304: what was imported last time is still current. */
  | { status: "not-modified" }
  | {
      status: "downloaded";
      /** A temporary file holding the body; call `dispose()` when done with it. */
      path: string;
      validators: HttpValidators;
      bytes: number;
      dispose: () => Promise<void>;
    };

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Called as bytes arrive; `totalBytes` is the Content-Length when the server sent one. */
  onBytes?: (bytes: number, totalBytes: number | null) => void;
}

function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return errorMessage(cause ?? e);
}

/**
 * Downloads a URL source to a temporary file with Node's fetch, as a conditional request when validators are
 * given. The body is streamed to disk, never held in memory. Network and HTTP failures reject with SourceError
 * naming the URL; an abort (signal) or a throwing `onBytes` rejects with that error as is.
 */
export async function downloadSource(
  url: string,
  validators: HttpValidators | null,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const headers: Record<string, string> = { "user-agent": "pycustoms (advisory database update)" };
  if (validators?.etag) headers["if-none-match"] = validators.etag;
  if (validators?.lastModified) headers["if-modified-since"] = validators.lastModified;
  let response: Response;
  try {
    response = await fetch(url, {
      headers,
      redirect: "follow",
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new SourceError(url, `download failed: ${describeFetchError(e)}`);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: "not-modified" };
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new SourceError(url, `download failed: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const lengthHeader = response.headers.get("content-length");
  const encoded = response.headers.get("content-encoding");
  const totalBytes = lengthHeader && !encoded ? Number(lengthHeader) : null;
  const dir = await mkdtemp(join(tmpdir(), "pycustoms-advisories-"));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  // Keep the URL's file name: its extension (.zip, .tar.gz, .json) helps tell the format.
  const name = basename(new URL(url).pathname) || "download";
  const path = join(dir, name);
  let bytes = 0;
  try {
    const handle = await open(path, "w");
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        bytes += chunk.length;
        try {
          options.onBytes?.(bytes, totalBytes);
        } catch (e) {
          throw new CallbackFailure(e);
        }
      }
    } finally {
      await handle.close();
    }
  } catch (e) {
    await dispose();
    if (e instanceof CallbackFailure) throw e.error;
    if (options.signal?.aborted) throw options.signal.reason;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      throw new SourceError(url, `download failed: cannot write a temporary file: ${describeFsError(e)}`);
    }
    throw new SourceError(url, `download failed: ${describeFetchError(e)}`);
  }
  return {
    status: "downloaded",
    path,
    bytes,
    dispose,
    validators: { etag: response.headers.get("etag"), lastModified: response.headers.get("last-modified") },
  };
}
