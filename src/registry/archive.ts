// Reads the core metadata out of an uploaded wheel or sdist in memory, refusing archives that are hostile to
// the registry or to the installers it would serve them to (traversal, links out, bombs, ambiguous entries).
import { posix } from "node:path";
import zlib from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import yauzl from "yauzl";
import { type DistFilename, parseDistFilename, parseSdistFilename } from "../standards/filenames.js";
import { normalizeName } from "../standards/names.js";
import { compare, valid } from "../standards/pep440.js";

export interface ArchiveLimits {
  /** Entries (files, folders, links) in the archive. */
  maxEntries: number;
  /** Bytes the whole archive expands to, counted while decompressing (headers are not trusted). */
  maxUncompressedBytes: number;
  /** Expansion ratio above which a large entry (or a whole tar.gz) is taken for a decompression bomb. */
  maxCompressionRatio: number;
  /** The ratio limit applies once an entry has expanded past this many bytes (small files compress well). */
  ratioCheckAboveBytes: number;
  /** Size of METADATA / PKG-INFO. */
  maxMetadataBytes: number;
  /** Wall-clock time for reading the whole archive. */
  timeoutMs: number;
}

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = {
  maxEntries: 50_000,
  maxUncompressedBytes: 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  ratioCheckAboveBytes: 10 * 1024 * 1024,
  maxMetadataBytes: 10 * 1024 * 1024,
  timeoutMs: 60_000,
};

export type DistMetadataResult =
  | {
      ok: true;
      metadataText: string;
      /** Path of METADATA / PKG-INFO inside the archive. */
      metadataPath: string;
      entries: number;
      /** Bytes produced by decompression: entry contents for a zip, the tar stream for a tar.gz. */
      uncompressedBytes: number;
    }
  | { ok: false; reason: string };

/** A refusal raised while reading; caught at the module boundary and returned as `{ ok: false }`. */
class ArchiveRefusal extends Error {}

function refuse(reason: string): never {
  throw new ArchiveRefusal(reason);
}

type EntryKind = "file" | "dir" | "symlink" | "hardlink";

interface Listing {
  /** Normalised entry paths (no `.` or empty segments, no trailing `/`) with their kinds. */
  entries: Map<string, EntryKind>;
  /** The single captured METADATA / PKG-INFO candidate, if any. */
  metadata: { path: string; bytes: Buffer } | null;
  count: number;
  uncompressedBytes: number;
}

interface ReadContext {
  limits: ArchiveLimits;
  deadline: number;
  /** Whether an entry could be the metadata file: such entries are kept in memory (one at most). */
  isMetadataCandidate: (path: string) => boolean;
  metadataLabel: string;
}

/**
 * Reads METADATA (wheel) or PKG-INFO (sdist, `.tar.gz` or legacy `.zip`) from an archive given as bytes.
 * Never throws and never writes to disk; every refusal is a one-line reason.
 */
export async function readDistMetadata(
  bytes: Buffer,
  filename: string,
  limits: Partial<ArchiveLimits> = {},
): Promise<DistMetadataResult> {
  const effective: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  const parsed = parseDistFilename(filename);
  if (!parsed.ok) return { ok: false, reason: parsed.message };
  const dist = parsed.value;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DistMetadataResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `reading the archive took longer than ${effective.timeoutMs} ms` }),
      effective.timeoutMs,
    );
  });
  try {
    return await Promise.race([readDist(bytes, dist, effective), timeout]);
  } catch (error) {
    if (error instanceof ArchiveRefusal) return { ok: false, reason: error.message };
    // Library errors on malformed input (yauzl, zlib, tar) are input errors too.
    return {
      ok: false,
      reason: `unreadable archive: ${oneLine(error instanceof Error ? error.message : String(error))}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function readDist(
  bytes: Buffer,
  dist: DistFilename,
  limits: ArchiveLimits,
): Promise<DistMetadataResult> {
  const deadline = Date.now() + limits.timeoutMs;
  if (dist.kind === "wheel") {
    const listing = await readZip(bytes, {
      limits,
      deadline,
      isMetadataCandidate: (p) => /^[^/]+\.dist-info\/METADATA$/i.test(p),
      metadataLabel: "METADATA",
    });
    return finish(listing, wheelMetadataPath(listing, dist), limits);
  }
  const context: ReadContext = {
    limits,
    deadline,
    isMetadataCandidate: (p) => /^[^/]+\/PKG-INFO$/i.test(p),
    metadataLabel: "PKG-INFO",
  };
  let listing: Listing;
  if (dist.extension === ".tar.gz") listing = await readTarGz(bytes, context);
  else if (dist.extension === ".zip") listing = await readZip(bytes, context);
  else refuse(`sdists are read as .tar.gz or .zip, not ${dist.extension} ('${dist.filename}')`);
  return finish(listing, sdistMetadataPath(listing, dist), limits);
}

function finish(listing: Listing, metadataPath: string, limits: ArchiveLimits): DistMetadataResult {
  const name = posix.basename(metadataPath);
  if (listing.entries.get(metadataPath) !== "file") {
    if (listing.entries.has(metadataPath)) refuse(`${metadataPath} is a link, not a file`);
    refuse(`the archive has no ${metadataPath}`);
  }
  const captured = listing.metadata;
  if (!captured || captured.path !== metadataPath) refuse(`the archive has no ${metadataPath}`);
  if (captured.bytes.length > limits.maxMetadataBytes) {
    refuse(`${name} is larger than ${limits.maxMetadataBytes} bytes`);
  }
  let metadataText: string;
  try {
    metadataText = new TextDecoder("utf-8", { fatal: true }).decode(captured.bytes);
  } catch {
    refuse(`${metadataPath} is not valid UTF-8`);
  }
  return {
    ok: true,
    metadataText,
    metadataPath,
    entries: listing.count,
    uncompressedBytes: listing.uncompressedBytes,
  };
}

/** PEP 427/491: one top-level `{name}-{version}.dist-info` folder, matching the file name, holding METADATA and WHEEL. */
function wheelMetadataPath(listing: Listing, dist: DistFilename): string {
  const infoDirs = [...topLevelFolders(listing)].filter((d) => d.toLowerCase().endsWith(".dist-info"));
  if (infoDirs.length === 0) refuse("the wheel has no .dist-info folder");
  if (infoDirs.length > 1)
    refuse(`the wheel has ${infoDirs.length} .dist-info folders (${listShown(infoDirs)})`);
  const infoDir = infoDirs[0]!;
  const stem = infoDir.slice(0, -".dist-info".length);
  const dash = stem.lastIndexOf("-");
  const name = stem.slice(0, dash);
  const version = stem.slice(dash + 1);
  if (dash <= 0 || normalizeName(name) !== dist.normalizedName || !sameVersion(version, dist.version)) {
    refuse(
      `the wheel's ${shown(infoDir)} folder does not match the file name (${dist.name}-${dist.version})`,
    );
  }
  if (listing.entries.get(`${infoDir}/WHEEL`) !== "file") refuse(`the wheel has no ${shown(infoDir)}/WHEEL`);
  return `${infoDir}/METADATA`;
}

/** PEP 625 (and every older sdist): one top-level `{name}-{version}` folder, with PKG-INFO in it. */
function sdistMetadataPath(listing: Listing, dist: DistFilename): string {
  const roots = new Set<string>();
  for (const path of listing.entries.keys()) roots.add(path.split("/")[0]!);
  if (roots.size !== 1) {
    refuse(
      `an sdist holds one top-level folder; this one has ${roots.size} top-level entries (${listShown([...roots])})`,
    );
  }
  const root = [...roots][0]!;
  if (!topLevelFolders(listing).has(root))
    refuse(`an sdist holds one top-level folder, not the file ${shown(root)}`);
  const parsed = parseSdistFilename(`${root}.tar.gz`, dist.name);
  if (
    !parsed.ok ||
    parsed.value.normalizedName !== dist.normalizedName ||
    !sameVersion(parsed.value.version, dist.version)
  ) {
    refuse(
      `the sdist's top-level folder ${shown(root)} does not match the file name (${dist.name}-${dist.version})`,
    );
  }
  return `${root}/PKG-INFO`;
}

function topLevelFolders(listing: Listing): Set<string> {
  const folders = new Set<string>();
  for (const [path, kind] of listing.entries) {
    const slash = path.indexOf("/");
    if (slash !== -1) folders.add(path.slice(0, slash));
    else if (kind === "dir") folders.add(path);
  }
  return folders;
}

function sameVersion(a: string, b: string): boolean {
  return valid(a) !== null && valid(b) !== null && compare(a, b) === 0;
}

/**
 * Checks an entry name as an extractor would see it and returns it normalised (no `.`/empty segments, no
 * trailing `/`). Backslashes are refused outright: on Windows they are separators, so `a\..\..\x` traverses.
 */
function checkedEntryPath(name: string): string {
  if (name.includes("\0")) refuse(`archive entry ${shown(name)} has a NUL in its name`);
  if (name.includes("\\")) refuse(`archive entry ${shown(name)} has a backslash in its name`);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name))
    refuse(`archive entry ${shown(name)} is an absolute path`);
  const segments = name.split("/");
  if (segments.includes("..")) refuse(`archive entry ${shown(name)} escapes the archive`);
  return segments.filter((s) => s !== "" && s !== ".").join("/");
}

/** Records an entry, refusing duplicates (installers disagree on which copy wins) and case-only twins. */
function addEntry(listing: Listing, seenFolded: Map<string, string>, path: string, kind: EntryKind): void {
  if (path === "") return; // the archive root itself (`./`)
  const previous = listing.entries.get(path);
  if (previous !== undefined) {
    // Tar archives may repeat a folder; a repeated file or link is ambiguous.
    if (previous === "dir" && kind === "dir") return;
    refuse(`archive entry ${shown(path)} appears more than once`);
  }
  const folded = path.toLowerCase();
  const twin = seenFolded.get(folded);
  if (twin !== undefined && twin !== path) {
    refuse(`archive entries ${shown(twin)} and ${shown(path)} differ only in case`);
  }
  seenFolded.set(folded, path);
  listing.entries.set(path, kind);
}

function checkDeadline(context: ReadContext): void {
  if (Date.now() > context.deadline)
    refuse(`reading the archive took longer than ${context.limits.timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------------------
// Zip (wheels and legacy sdists)

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const HOST_UNIX = 3;

async function readZip(bytes: Buffer, context: ReadContext): Promise<Listing> {
  const { limits } = context;
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: names are decoded below as Python's zipfile (and so pip) decodes them.
    zip = await yauzl.fromBufferPromise(bytes, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
      autoClose: false,
    });
  } catch (error) {
    refuse(`not a valid zip archive: ${errorText(error)}`);
  }
  // eachEntry() turns read errors into rejections; this listener only keeps a late one from crashing the process.
  zip.on("error", () => {});
  try {
    if (zip.entryCount > limits.maxEntries) {
      refuse(`the archive has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`);
    }
    const listing: Listing = { entries: new Map(), metadata: null, count: 0, uncompressedBytes: 0 };
    const seenFolded = new Map<string, string>();
    const ranges: { start: number; end: number; name: string }[] = [];
    let declaredTotal = 0;
    const entries = zip.eachEntry();
    while (true) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        refuse(`not a valid zip archive: ${errorText(error)}`);
      }
      if (next.done) break;
      const entry = next.value;
      checkDeadline(context);
      listing.count++;
      const rawName = decodeZipName(entry);
      const path = checkedEntryPath(rawName);
      const isDir = rawName.endsWith("/");
      if (entry.generalPurposeBitFlag & 0x1) refuse(`archive entry ${shown(rawName)} is encrypted`);
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        refuse(
          `archive entry ${shown(rawName)} uses compression method ${entry.compressionMethod}; only stored and deflated entries are read`,
        );
      }
      if (
        entry.versionMadeBy >> 8 === HOST_UNIX &&
        ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK
      ) {
        refuse(`archive entry ${shown(rawName)} is a symbolic link`);
      }
      addEntry(listing, seenFolded, path, isDir ? "dir" : "file");

      // Python's zipfile refuses an entry whose local header names another file; a second name is a second truth.
      let local: yauzl.LocalFileHeader;
      try {
        local = await zip.readLocalFileHeaderPromise(entry);
      } catch (error) {
        refuse(`archive entry ${shown(rawName)} cannot be read: ${errorText(error)}`);
      }
      if (!local.fileName.equals(entry.fileNameRaw)) {
        refuse(`archive entry ${shown(rawName)} has another name in its local header`);
      }
      ranges.push({
        start: entry.relativeOffsetOfLocalHeader,
        end: local.fileDataStart + entry.compressedSize,
        name: rawName,
      });

      // Refuse on the declared sizes first (cheap), then count what really comes out of the inflater.
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxUncompressedBytes) {
        refuse(`the archive expands to more than ${limits.maxUncompressedBytes} bytes`);
      }
      checkRatio(rawName, entry.uncompressedSize, entry.compressedSize, limits);
      const candidate = !isDir && context.isMetadataCandidate(path);
      if (candidate) {
        if (listing.metadata) {
          refuse(
            `the archive has more than one ${context.metadataLabel} (${shown(listing.metadata.path)}, ${shown(path)})`,
          );
        }
        if (entry.uncompressedSize > limits.maxMetadataBytes) {
          refuse(`${shown(path)} is larger than ${limits.maxMetadataBytes} bytes`);
        }
      }
      const content = await inflateEntry(zip, entry, rawName, listing, context, candidate);
      if (candidate) listing.metadata = { path, bytes: content };
    }
    checkOverlaps(ranges);
    return listing;
  } finally {
    zip.close();
  }
}

/** Reads one entry to its end, counting real bytes, checking the CRC; returns the bytes only when asked to keep them. */
async function inflateEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  name: string,
  listing: Listing,
  context: ReadContext,
  keep: boolean,
): Promise<Buffer> {
  const { limits } = context;
  let stream: NodeJS.ReadableStream & { destroy(): void };
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    refuse(`archive entry ${shown(name)} cannot be read: ${errorText(error)}`);
  }
  const chunks: Buffer[] = [];
  let produced = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      produced += chunk.length;
      listing.uncompressedBytes += chunk.length;
      if (listing.uncompressedBytes > limits.maxUncompressedBytes) {
        refuse(`the archive expands to more than ${limits.maxUncompressedBytes} bytes`);
      }
      checkRatio(name, produced, entry.compressedSize, limits);
      if (keep) {
        if (produced > limits.maxMetadataBytes)
          refuse(`${shown(name)} is larger than ${limits.maxMetadataBytes} bytes`);
        chunks.push(chunk);
      }
      crc = zlib.crc32(chunk, crc);
      checkDeadline(context);
    }
  } catch (error) {
    stream.destroy();
    if (error instanceof ArchiveRefusal) throw error;
    const message = errorText(error);
    if (message.startsWith("too many bytes") || message.startsWith("not enough bytes")) {
      refuse(
        `archive entry ${shown(name)} does not expand to the ${entry.uncompressedSize} bytes its header declares`,
      );
    }
    refuse(`archive entry ${shown(name)} cannot be read: ${message}`);
  }
  if (crc !== entry.crc32) refuse(`archive entry ${shown(name)} fails its CRC-32 check`);
  return Buffer.concat(chunks);
}

function checkRatio(name: string, expanded: number, compressed: number, limits: ArchiveLimits): void {
  if (expanded <= limits.ratioCheckAboveBytes) return;
  const ratio = expanded / Math.max(compressed, 1);
  if (ratio > limits.maxCompressionRatio) {
    refuse(
      `zip bomb: entry ${shown(name)} expands ${ratio.toFixed(1)}× (${expanded} bytes from ${compressed}; the limit is ${limits.maxCompressionRatio}×)`,
    );
  }
}

/** Entries sharing compressed data are how non-recursive zip bombs multiply their output; no real tool writes them. */
function checkOverlaps(ranges: { start: number; end: number; name: string }[]): void {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.start < previous.end) {
      refuse(`zip bomb: archive entries ${shown(previous.name)} and ${shown(current.name)} share their data`);
    }
  }
}

/** Names as Python's zipfile decodes them: UTF-8 when flag bit 11 is set, else CP437 (no Info-ZIP extra field). */
function decodeZipName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw;
  if (entry.generalPurposeBitFlag & 0x800) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      refuse(`archive entry name ${shown(raw.toString("latin1"))} is not valid UTF-8`);
    }
  }
  // yauzl's CP437 table, without its Unicode-path extra field and without its backslash rewriting.
  return yauzl.getFileNameLowLevel(0, raw, [], true);
}

// ---------------------------------------------------------------------------------------------------------
// tar.gz (sdists)

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

function readTarGz(bytes: Buffer, context: ReadContext): Promise<Listing> {
  const { limits } = context;
  const listing: Listing = { entries: new Map(), metadata: null, count: 0, uncompressedBytes: 0 };
  const seenFolded = new Map<string, string>();
  return new Promise<Listing>((resolve, reject) => {
    let settled = false;
    const gunzip = zlib.createGunzip();
    // strict: a damaged header is an error, not a warning that skips the entry.
    const parser = new Parser({ strict: true });
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      parser.abort(error instanceof Error ? error : new Error(String(error)));
      reject(
        error instanceof ArchiveRefusal
          ? error
          : new ArchiveRefusal(`not a valid tar archive: ${errorText(error)}`),
      );
    };
    // Guards every callback: a refusal raised inside an event handler must end the read, not escape it.
    const guarded =
      <A extends unknown[]>(handler: (...args: A) => void) =>
      (...args: A) => {
        if (settled) return;
        try {
          handler(...args);
        } catch (error) {
          fail(error);
        }
      };

    let first = true;
    gunzip.on(
      "data",
      guarded((chunk: Buffer) => {
        if (first) {
          first = false;
          // tar's Parser would silently decompress a second layer itself, outside these limits.
          if (chunk.subarray(0, 2).equals(GZIP_MAGIC) || chunk.subarray(0, 4).equals(ZSTD_MAGIC)) {
            refuse("the sdist is compressed twice");
          }
        }
        listing.uncompressedBytes += chunk.length;
        if (listing.uncompressedBytes > limits.maxUncompressedBytes) {
          refuse(`the archive expands to more than ${limits.maxUncompressedBytes} bytes`);
        }
        if (listing.uncompressedBytes > limits.ratioCheckAboveBytes) {
          const ratio = listing.uncompressedBytes / bytes.length;
          if (ratio > limits.maxCompressionRatio) {
            refuse(
              `gzip bomb: the sdist expands ${ratio.toFixed(1)}× (more than ${listing.uncompressedBytes} bytes from ${bytes.length}; the limit is ${limits.maxCompressionRatio}×)`,
            );
          }
        }
        checkDeadline(context);
        parser.write(chunk);
      }),
    );
    gunzip.on("error", (error) => {
      if (!settled) fail(new ArchiveRefusal(`not a valid gzip stream: ${errorText(error)}`));
    });
    gunzip.on(
      "end",
      guarded(() => parser.end()),
    );

    parser.on(
      "entry",
      guarded((entry: ReadEntry) => {
        listing.count++;
        if (listing.count > limits.maxEntries)
          refuse(`the archive has more than ${limits.maxEntries} entries`);
        const path = checkedEntryPath(entry.path);
        const kind = tarEntryKind(entry);
        const through = linkAmong(listing, path.split("/").slice(0, -1));
        if (through !== null) {
          refuse(
            `archive entry ${shown(path)} lies inside the symbolic link ${shown(through)}: extracting it writes through the link`,
          );
        }
        if (kind === "symlink" || kind === "hardlink") checkLinkTarget(entry, path, kind, listing);
        addEntry(listing, seenFolded, path, kind);
        if (context.isMetadataCandidate(path)) {
          if (kind !== "file") refuse(`${shown(path)} is a link, not a file`);
          if (listing.metadata) {
            refuse(
              `the archive has more than one ${context.metadataLabel} (${shown(listing.metadata.path)}, ${shown(path)})`,
            );
          }
          if (entry.size > limits.maxMetadataBytes)
            refuse(`${shown(path)} is larger than ${limits.maxMetadataBytes} bytes`);
          const chunks: Buffer[] = [];
          const captured = { path, bytes: Buffer.alloc(0) };
          listing.metadata = captured;
          entry.on("data", (chunk: Buffer) => chunks.push(chunk));
          entry.on("end", () => {
            captured.bytes = Buffer.concat(chunks);
          });
        } else {
          entry.resume();
        }
      }),
    );
    parser.on("error", (error: unknown) => fail(error));
    parser.on(
      "end",
      guarded(() => {
        settled = true;
        resolve(listing);
      }),
    );

    try {
      gunzip.end(bytes);
    } catch (error) {
      fail(error);
    }
  });
}

function tarEntryKind(entry: ReadEntry): EntryKind {
  switch (entry.type) {
    case "File":
    case "OldFile":
    case "ContiguousFile":
      return "file";
    case "Directory":
    case "GNUDumpDir":
      return "dir";
    case "SymbolicLink":
      return "symlink";
    case "Link":
      return "hardlink";
    default:
      return refuse(
        `archive entry ${shown(entry.path)} is a ${entry.type} entry; an sdist holds files, folders and links`,
      );
  }
}

/**
 * The first of the folders `components` leads through (each prefix of it) that is a symbolic link listed earlier,
 * or null. Paths are checked as written, so a link in the way could point anywhere: an entry below it, or a link
 * target through it, is refused (chained links such as `a/l1 -> ..` then `a/l1/a/l2 -> ../../..` escape otherwise).
 */
function linkAmong(listing: Listing, components: readonly string[]): string | null {
  for (let i = 1; i <= components.length; i++) {
    const prefix = components.slice(0, i).join("/");
    if (listing.entries.get(prefix) === "symlink") return prefix;
  }
  return null;
}

/** A link must resolve inside the sdist's top-level folder: extractors follow it when writing later entries. */
function checkLinkTarget(
  entry: ReadEntry,
  path: string,
  kind: "symlink" | "hardlink",
  listing: Listing,
): void {
  const target = entry.linkpath ?? "";
  const label = kind === "symlink" ? "symbolic link" : "hard link";
  if (target === "" || target.includes("\0") || target.includes("\\")) {
    refuse(`archive entry ${shown(path)} is a ${label} with an unusable target ${shown(target)}`);
  }
  if (target.startsWith("/") || /^[A-Za-z]:/.test(target)) {
    refuse(`archive entry ${shown(path)} is a ${label} to the absolute path ${shown(target)}`);
  }
  // Symbolic links resolve from their own folder, hard links from the archive root.
  const resolved = posix.normalize(kind === "symlink" ? posix.join(posix.dirname(path), target) : target);
  const root = path.split("/")[0]!;
  if (resolved === ".." || resolved.startsWith("../") || resolved.split("/")[0] !== root) {
    refuse(`archive entry ${shown(path)} is a ${label} to ${shown(target)}, outside the sdist`);
  }
  // Resolved step by step as written: a step into an earlier symbolic link leaves what the text says.
  const steps = kind === "symlink" ? path.split("/").slice(0, -1) : [];
  for (const step of target.split("/")) {
    if (step === "" || step === ".") continue;
    if (step === "..") steps.pop();
    else steps.push(step);
    const through = linkAmong(listing, steps);
    if (through !== null) {
      refuse(
        `archive entry ${shown(path)} is a ${label} to ${shown(target)}, through the symbolic link ${shown(through)}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reasons

/** An archive-controlled string made safe for a one-line reason: control characters escaped, length capped. */
function shown(text: string): string {
  const escaped = text.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return escaped.length > 160 ? `${escaped.slice(0, 160)}…` : escaped;
}

function listShown(items: string[]): string {
  const head = items.slice(0, 3).map(shown).join(", ");
  return items.length > 3 ? `${head}, …` : head;
}

function errorText(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}

function oneLine(text: string): string {
  return shown(text.replace(/\s+/g, " ").trim());
}
