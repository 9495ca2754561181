// Reads manifest text defensively: size limit, BOMs, UTF-16, binary files, unreadable paths.
import { isUtf8 } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { InputError } from "./types.js";

/** Manifests above this size are skipped with a message (override with PYCUSTOMS_MAX_FILE_BYTES). */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export function maxFileBytes(): number {
  const env = Number(process.env.PYCUSTOMS_MAX_FILE_BYTES);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_MAX_FILE_BYTES;
}

export type ReadResult = { ok: true; text: string } | { ok: false; error: InputError };

/** Decodes bytes as UTF-8 or UTF-16 (by BOM, or by the NUL pattern of BOM-less UTF-16), dropping any BOM. */
export function decodeText(bytes: Uint8Array, file: string): ReadResult {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (b0 === 0xff && b1 === 0xfe)
    return { ok: true, text: new TextDecoder("utf-16le").decode(bytes.subarray(2)) };
  if (b0 === 0xfe && b1 === 0xff)
    return { ok: true, text: new TextDecoder("utf-16be").decode(bytes.subarray(2)) };
  let start = 0;
  if (b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  const nul = body.indexOf(0);
  if (nul !== -1) {
    // BOM-less UTF-16 of ASCII text: every other byte is NUL.
    if (body.length >= 4 && body[1] === 0 && body[3] === 0 && body[0] !== 0) {
      return { ok: true, text: new TextDecoder("utf-16le").decode(body) };
    }
    if (body.length >= 4 && body[0] === 0 && body[2] === 0 && body[1] !== 0) {
      return { ok: true, text: new TextDecoder("utf-16be").decode(body) };
    }
    return { ok: false, error: { file, message: "binary file (contains NUL bytes), not a text manifest" } };
  }
  // Validate, then decode: both native and faster than a fatal TextDecoder on multi-megabyte lock files.
  if (!isUtf8(body)) return { ok: false, error: { file, message: "not valid UTF-8 or UTF-16 text" } };
  return { ok: true, text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8") };
}

/**
 * Opens a file for reading without waiting on a FIFO: a checkout can hold one named requirements.txt, and a plain
 * open would wait for a writer forever (a hung CI job). Callers check that what they opened is a regular file.
 */
export function openForReading(path: string): number {
  return openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
}

/** Reads a file's text, or returns a located error (never throws for bad input). */
export function readTextFile(path: string, file: string = path, limit: number = maxFileBytes()): ReadResult {
  let fd: number;
  try {
    fd = openForReading(path);
  } catch (e) {
    return { ok: false, error: { file, message: describeFsError(e) } };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, error: { file, message: "is a directory, expected a file" } };
    if (!st.isFile()) {
      return {
        ok: false,
        error: { file, message: "not a regular file (a FIFO, socket or device), not read" },
      };
    }
    if (st.size > limit) {
      return {
        ok: false,
        error: { file, message: `skipped: ${st.size} bytes is over the ${limit}-byte limit for a manifest` },
      };
    }
    const buf = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, buf, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return decodeText(buf.subarray(0, read), file);
  } catch (e) {
    return { ok: false, error: { file, message: describeFsError(e) } };
  } finally {
    closeSync(fd);
  }
}

/** A one-line, user-facing description of a file-system error. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory, expected a file";
    case "ELOOP":
      return "too many levels of symbolic links (symlink loop)";
    case "ENOTDIR":
      return "a path component is not a directory";
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Splits text into lines, accepting LF, CRLF and lone CR. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}
