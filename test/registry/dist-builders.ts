// Builds real wheels (zip, with yazl) and sdists (tar.gz, with tar's header encoder) in memory for the registry tests.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { Header } from "tar";
import yazl from "yazl";
import type { UploadForm } from "../../src/registry/upload-validation.js";

export interface ZipEntrySpec {
  path: string;
  data?: string | Buffer;
  /** Unix mode including the file type bits (e.g. 0o120777 for a symbolic link). */
  mode?: number;
  compress?: boolean;
}

/** One fixed time for every entry: two builds of the same entries are the same bytes (yazl's default is now). */
const MTIME = new Date(Date.UTC(2024, 0, 1));

/** A zip with exactly these entries, in order (yazl refuses hostile names: see `renameInZip`). */
export function buildZip(entries: ZipEntrySpec[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.path.endsWith("/")) zip.addEmptyDirectory(e.path, { mtime: MTIME });
    else {
      zip.addBuffer(Buffer.from(e.data ?? ""), e.path, {
        mtime: MTIME,
        ...(e.mode !== undefined ? { mode: e.mode } : {}),
        compress: e.compress ?? true,
      });
    }
  }
  zip.end();
  return collect(zip.outputStream);
}

export function metadataText(name: string, version: string, extra = ""): string {
  return `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: A test project\n${extra}\nLong description.\n`;
}

export interface WheelSpec {
  name?: string;
  version?: string;
  /** The dist-info folder name; defaults to `{name}-{version}.dist-info`. */
  distInfo?: string;
  metadata?: string;
  /** Extra entries after the package module. */
  extra?: ZipEntrySpec[];
  withoutMetadata?: boolean;
}

/** A wheel as setuptools lays it out: a module, then the .dist-info folder with METADATA, WHEEL and RECORD. */
export function wheelEntries(spec: WheelSpec = {}): ZipEntrySpec[] {
  const name = spec.name ?? "demo_pkg";
  const version = spec.version ?? "1.0";
  const distInfo = spec.distInfo ?? `${name}-${version}.dist-info`;
  const entries: ZipEntrySpec[] = [{ path: `${name}/__init__.py`, data: "VALUE = 1\n" }];
  if (!spec.withoutMetadata) {
    entries.push({ path: `${distInfo}/METADATA`, data: spec.metadata ?? metadataText(name, version) });
  }
  entries.push(
    {
      path: `${distInfo}/WHEEL`,
      data: "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    },
    ...(spec.extra ?? []),
    { path: `${distInfo}/RECORD`, data: "" },
  );
  return entries;
}

export function buildWheel(spec: WheelSpec = {}): Promise<Buffer> {
  return buildZip(wheelEntries(spec));
}

export interface TarEntrySpec {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice" | "FIFO";
  data?: string | Buffer;
  linkpath?: string;
}

/** The uncompressed tar stream of these entries, headers written by tar's own encoder (no name sanitising). */
export function tarStream(entries: TarEntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? "");
    const type = e.type ?? "File";
    const header = new Header({
      path: e.path,
      type,
      size: type === "File" ? data.length : 0,
      mode: type === "Directory" ? 0o755 : 0o644,
      mtime: new Date(0),
      ...(e.linkpath !== undefined ? { linkpath: e.linkpath } : {}),
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === "File" && data.length > 0) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function buildTarGz(entries: TarEntrySpec[]): Buffer {
  return zlib.gzipSync(tarStream(entries));
}

export interface SdistSpec {
  name?: string;
  version?: string;
  root?: string;
  pkgInfo?: string;
  extra?: TarEntrySpec[];
  withoutPkgInfo?: boolean;
}

export function sdistEntries(spec: SdistSpec = {}): TarEntrySpec[] {
  const name = spec.name ?? "demo_pkg";
  const version = spec.version ?? "1.0";
  const root = spec.root ?? `${name}-${version}`;
  const entries: TarEntrySpec[] = [
    { path: `${root}/`, type: "Directory" },
    { path: `${root}/pyproject.toml`, data: `[project]\nname = "${name}"\nversion = "${version}"\n` },
    { path: `${root}/demo_pkg/__init__.py`, data: "VALUE = 1\n" },
  ];
  if (!spec.withoutPkgInfo)
    entries.push({ path: `${root}/PKG-INFO`, data: spec.pkgInfo ?? metadataText(name, version) });
  return [...entries, ...(spec.extra ?? [])];
}

export function buildSdist(spec: SdistSpec = {}): Buffer {
  return buildTarGz(sdistEntries(spec));
}

/** The form twine would send for these bytes (sha256 + blake2_256, as twine does since it dropped md5). */
export function twineForm(
  name: string,
  version: string,
  filetype: string,
  blake2: string,
  bytes: Buffer,
): UploadForm {
  return {
    ":action": "file_upload",
    protocol_version: "1",
    name,
    version,
    filetype,
    pyversion: filetype === "sdist" ? "source" : "py3",
    metadata_version: "2.1",
    sha256_digest: createHash("sha256").update(bytes).digest("hex"),
    blake2_256_digest: blake2,
  };
}

/** Replaces every occurrence of a same-length placeholder in a zip (local header and central directory alike). */
export function renameInZip(zip: Buffer, placeholder: string, name: string): Buffer {
  const from = Buffer.from(placeholder);
  const to = Buffer.from(name);
  if (from.length !== to.length) throw new Error("renameInZip needs names of equal length");
  const out = Buffer.from(zip);
  for (let i = out.indexOf(from); i !== -1; i = out.indexOf(from, i + 1)) to.copy(out, i);
  return out;
}

/** Offsets of each central directory record (signature PK\x01\x02) in a zip. */
export function centralRecords(zip: Buffer): number[] {
  const offsets: number[] = [];
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let i = zip.indexOf(signature); i !== -1; i = zip.indexOf(signature, i + 1)) offsets.push(i);
  return offsets;
}

/** The central directory record of the entry with this name. */
export function centralRecordOf(zip: Buffer, name: string): number {
  for (const offset of centralRecords(zip)) {
    const nameLength = zip.readUInt16LE(offset + 28);
    if (zip.subarray(offset + 46, offset + 46 + nameLength).toString("utf8") === name) return offset;
  }
  throw new Error(`no central directory record for ${name}`);
}

/** A stream of `size` zero bytes, produced in chunks so a test never holds it whole. */
export function zeros(size: number, chunk = 1024 * 1024): Readable {
  let left = size;
  const block = Buffer.alloc(chunk);
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk);
      left -= n;
      this.push(n === chunk ? block : block.subarray(0, n));
    },
  });
}

/** A wheel whose `payload` entry is `size` zero bytes, deflated while streaming. */
export function wheelWithZeros(size: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of wheelEntries()) zip.addBuffer(Buffer.from(e.data ?? ""), e.path);
  zip.addReadStream(zeros(size), "demo_pkg/payload.bin");
  zip.end();
  return collect(zip.outputStream);
}

/** An sdist holding one file of `size` zero bytes, gzipped while streaming. */
export async function sdistWithZeros(size: number): Promise<Buffer> {
  const head = tarStream(sdistEntries()).subarray(0, -1024);
  const header = Buffer.alloc(512);
  new Header({ path: "demo_pkg-1.0/big.bin", type: "File", size, mode: 0o644, mtime: new Date(0) }).encode(
    header,
    0,
  );
  const parts = Readable.from(
    (async function* () {
      yield head;
      yield header;
      for await (const chunk of zeros(size)) yield chunk as Buffer;
      yield Buffer.alloc(((512 - (size % 512)) % 512) + 1024);
    })(),
  );
  return collect(parts.pipe(zlib.createGzip()));
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
