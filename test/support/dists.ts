// Real, installable test distributions: wheels (zip with METADATA, WHEEL, RECORD) and sdists (.tar.gz with PKG-INFO).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create as createTar } from "tar";
import { ZipFile } from "yazl";
import { filenameProjectName } from "../../src/standards/filenames.js";

export interface DistSpec {
  name: string;
  version: string;
  /** Extra files: archive path (inside the wheel / under the sdist's top directory) -> content. */
  files?: Record<string, string | Uint8Array>;
  requiresDist?: string[];
  requiresPython?: string;
  summary?: string;
  /** Adds this many incompressible bytes (a stored file), to make a file unusually large. */
  padBytes?: number;
}

export interface BuiltDist {
  filename: string;
  bytes: Buffer;
  /** Hex sha256 of `bytes`. */
  sha256: string;
  /** The core metadata text (what a `.metadata` file serves). */
  metadata: string;
}

// Fixed timestamps keep the archives byte-for-byte reproducible.
const EPOCH = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The module a test distribution installs: its name with separators as `_`. */
export function importName(name: string): string {
  return filenameProjectName(name);
}

/** Core metadata 2.1 for a spec. */
export function coreMetadata(spec: DistSpec): string {
  const lines = ["Metadata-Version: 2.1", `Name: ${spec.name}`, `Version: ${spec.version}`];
  lines.push(`Summary: ${spec.summary ?? `test distribution ${spec.name}`}`);
  if (spec.requiresPython) lines.push(`Requires-Python: ${spec.requiresPython}`);
  for (const req of spec.requiresDist ?? []) lines.push(`Requires-Dist: ${req}`);
  return `${lines.join("\n")}\n\n`;
}

/** Pseudo-random bytes from a seed: incompressible, but the same on every run. */
function padding(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

function recordHash(bytes: Buffer): string {
  return `sha256=${createHash("sha256").update(bytes).digest("base64url")}`;
}

function toBuffer(content: string | Uint8Array): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
}

/** A pure-Python `py3-none-any` wheel that pip installs. */
export async function buildWheel(spec: DistSpec): Promise<BuiltDist> {
  const dist = filenameProjectName(spec.name);
  const module = importName(spec.name);
  const distInfo = `${dist}-${spec.version}.dist-info`;
  const metadata = coreMetadata(spec);
  const entries: [string, Buffer, boolean][] = [
    [`${module}/__init__.py`, toBuffer(`__version__ = "${spec.version}"\n`), true],
  ];
  for (const [path, content] of Object.entries(spec.files ?? {}))
    entries.push([path, toBuffer(content), true]);
  if (spec.padBytes && spec.padBytes > 0) {
    entries.push([`${module}/_padding.bin`, padding(spec.padBytes, `${spec.name}-${spec.version}`), false]);
  }
  entries.push([`${distInfo}/METADATA`, toBuffer(metadata), true]);
  entries.push([
    `${distInfo}/WHEEL`,
    toBuffer("Wheel-Version: 1.0\nGenerator: pycustoms-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    true,
  ]);
  const record = entries.map(([path, bytes]) => `${path},${recordHash(bytes)},${bytes.length}`);
  record.push(`${distInfo}/RECORD,,`);
  entries.push([`${distInfo}/RECORD`, toBuffer(`${record.join("\n")}\n`), true]);

  const zip = new ZipFile();
  for (const [path, bytes, compress] of entries) zip.addBuffer(bytes, path, { mtime: EPOCH, compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  return { filename: `${dist}-${spec.version}-py3-none-any.whl`, bytes, sha256: sha256Hex(bytes), metadata };
}

/**
 * The build backend inside each test sdist: stdlib only, so pip builds it with build isolation and no network
 * (a setuptools backend would need setuptools and wheel fetched from an index the test does not have).
 */
const IN_TREE_BACKEND = `"""Minimal PEP 517 backend for pycustoms test sdists (standard library only)."""
import base64, hashlib, os, tarfile, zipfile

DIST, VERSION, MODULE = %DIST%, %VERSION%, %MODULE%
DIST_INFO = DIST + "-" + VERSION + ".dist-info"
WHEEL = "Wheel-Version: 1.0\\nGenerator: pycustoms-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"


def _metadata():
    with open("PKG-INFO", encoding="utf-8") as f:
        return f.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(target, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(WHEEL)
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for root, _dirs, names in os.walk(MODULE):
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                entries.append((path.replace(os.sep, "/"), f.read()))
    entries.append((DIST_INFO + "/METADATA", _metadata().encode("utf-8")))
    entries.append((DIST_INFO + "/WHEEL", WHEEL.encode("utf-8")))
    record = []
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(path + ",sha256=" + digest + "," + str(len(data)))
    record.append(DIST_INFO + "/RECORD,,")
    entries.append((DIST_INFO + "/RECORD", ("\\n".join(record) + "\\n").encode("utf-8")))
    filename = DIST + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for path, data in entries:
            zf.writestr(path, data)
    return filename


def build_sdist(sdist_directory, config_settings=None):
    filename = DIST + "-" + VERSION + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tf:
        for name in sorted(os.listdir(".")):
            tf.add(name, arcname=DIST + "-" + VERSION + "/" + name)
    return filename
`;

/** A PEP 625 sdist (`{name}-{version}.tar.gz`) with PKG-INFO, pyproject.toml and a stdlib-only in-tree backend. */
export async function buildSdist(spec: DistSpec): Promise<BuiltDist> {
  const dist = filenameProjectName(spec.name);
  const module = importName(spec.name);
  const top = `${dist}-${spec.version}`;
  const metadata = coreMetadata(spec);
  const deps = (spec.requiresDist ?? []).map((d) => JSON.stringify(d)).join(", ");
  const files: Record<string, string | Uint8Array> = {
    "PKG-INFO": metadata,
    "pyproject.toml": [
      "[build-system]",
      "requires = []",
      'build-backend = "pycustoms_test_backend"',
      'backend-path = ["."]',
      "",
      "[project]",
      `name = "${spec.name}"`,
      `version = "${spec.version}"`,
      `dependencies = [${deps}]`,
      ...(spec.requiresPython ? [`requires-python = "${spec.requiresPython}"`] : []),
      "",
    ].join("\n"),
    "pycustoms_test_backend.py": IN_TREE_BACKEND.replace("%DIST%", JSON.stringify(dist))
      .replace("%VERSION%", JSON.stringify(spec.version))
      .replace("%MODULE%", JSON.stringify(module)),
    [`${module}/__init__.py`]: `__version__ = "${spec.version}"\n`,
    ...(spec.files ?? {}),
  };
  if (spec.padBytes && spec.padBytes > 0) {
    files[`${module}/_padding.bin`] = padding(spec.padBytes, `${spec.name}-${spec.version}-sdist`);
  }
  const work = mkdtempSync(join(tmpdir(), "pycustoms-sdist-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      const target = join(work, top, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    const chunks: Buffer[] = [];
    const stream = createTar({ gzip: true, cwd: work, portable: true, mtime: EPOCH }, [top]);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    return { filename: `${top}.tar.gz`, bytes, sha256: sha256Hex(bytes), metadata };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
