// Validates one twine upload (`POST /legacy/`): form fields, file name, digests and the core metadata inside
// the file must all name the same project and version before the registry stores anything.
import { createHash } from "node:crypto";
import {
  type CoreMetadata,
  metadataField,
  metadataFields,
  metadataName,
  metadataVersion,
  parseCoreMetadata,
} from "../standards/core-metadata.js";
import { type DistFilename, parseDistFilename } from "../standards/filenames.js";
import { isValidName, normalizeName } from "../standards/names.js";
import { compare, valid } from "../standards/pep440.js";
import { type ArchiveLimits, readDistMetadata } from "./archive.js";
import { blake2b256Hex } from "./blake2b.js";

/** The multipart form twine sends (reference A.13); other core-metadata fields pass through unread. */
export interface UploadForm {
  name: string;
  version: string;
  filetype: string;
  pyversion?: string;
  metadata_version?: string;
  sha256_digest?: string;
  blake2_256_digest?: string;
  md5_digest?: string;
  readonly [field: string]: string | readonly string[] | undefined;
}

export interface UploadFile {
  filename: string;
  bytes: Buffer;
}

export interface UploadLimits {
  maxFileBytes: number;
  archive: Partial<ArchiveLimits>;
}

export const DEFAULT_UPLOAD_LIMITS: Readonly<UploadLimits> = {
  maxFileBytes: 100 * 1024 * 1024,
  archive: {},
};

/** What the registry stores and serves: taken from the file itself, never from the form's copy of it. */
export interface UploadMetadata {
  text: string;
  /** Path of METADATA / PKG-INFO inside the archive. */
  path: string;
  metadataVersion: string;
  name: string;
  version: string;
  summary: string | null;
  requiresPython: string | null;
  requiresDist: string[];
  providesExtra: string[];
}

export interface ValidUpload {
  ok: true;
  /** PEP 503-normalised project name. */
  project: string;
  /** The version as the metadata writes it. */
  version: string;
  filename: string;
  sha256: string;
  blake2b256: string;
  size: number;
  packagetype: "wheel" | "sdist";
  metadata: UploadMetadata;
}

export type UploadValidation = ValidUpload | { ok: false; status: 400; reason: string };

/** Metadata-Version values the core metadata specification defines (PyPI accepts up to 2.5 today). */
const METADATA_VERSIONS = new Set(["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]);

const ACCEPTED = "only wheels (.whl) and sdists (.tar.gz, or legacy .zip) are accepted";

/**
 * Checks an upload from the cheapest test to the dearest: file name, size, form, digests, then the archive.
 * Never throws; a refusal is a one-line reason for the HTTP reason phrase that twine prints.
 */
export async function validateUpload(
  form: UploadForm,
  file: UploadFile,
  limits: Partial<UploadLimits> = {},
): Promise<UploadValidation> {
  const { maxFileBytes, archive } = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
  const bad = (reason: string): UploadValidation => ({ ok: false, status: 400, reason: oneLine(reason) });

  const filename = file.filename;
  const dist = parseUploadFilename(filename, form.name);
  if (typeof dist === "string") return bad(dist);
  const packagetype = dist.kind;

  if (file.bytes.length === 0) return bad(`Invalid distribution file: ${shown(filename)} is empty`);
  if (file.bytes.length > maxFileBytes) {
    return bad(
      `File too large: ${shown(filename)} is ${file.bytes.length} bytes; the limit is ${maxFileBytes}`,
    );
  }

  const expectedType = packagetype === "wheel" ? "bdist_wheel" : "sdist";
  if (form.filetype !== expectedType) {
    return bad(
      `Invalid filetype '${shown(String(form.filetype))}' for ${shown(filename)}: expected '${expectedType}'`,
    );
  }
  if (packagetype === "wheel" && form.pyversion !== undefined && form.pyversion !== "") {
    const pythonTag = dist.kind === "wheel" ? dist.pythonTags : [];
    if (form.pyversion !== pythonTag.join(".") && !pythonTag.includes(form.pyversion)) {
      return bad(
        `pyversion '${shown(form.pyversion)}' does not match the wheel's python tag '${pythonTag.join(".")}'`,
      );
    }
  }

  if (typeof form.name !== "string" || !isValidName(form.name)) {
    return bad(`Invalid project name '${shown(String(form.name ?? ""))}' in the form`);
  }
  if (typeof form.version !== "string" || valid(form.version) === null) {
    return bad(`Invalid version '${shown(String(form.version ?? ""))}' in the form: not a PEP 440 version`);
  }
  const project = normalizeName(form.name);
  if (dist.normalizedName !== project) {
    return bad(
      `Invalid file name: the project in ${shown(filename)} (${dist.name}) does not match the form (${form.name})`,
    );
  }
  if (!sameVersion(dist.version, form.version)) {
    return bad(
      `Invalid file name: the version in ${shown(filename)} (${dist.version}) does not match the form (${form.version})`,
    );
  }

  const sha256 = createHash("sha256").update(file.bytes).digest("hex");
  const digestProblem = checkDigests(form, file.bytes, sha256);
  if (digestProblem !== null) return bad(digestProblem);
  const blake2b256 = blake2b256Hex(file.bytes);
  if (form.blake2_256_digest !== undefined && form.blake2_256_digest !== "") {
    if (form.blake2_256_digest.trim().toLowerCase() !== blake2b256) {
      return bad(
        `The blake2_256_digest in the form (${shown(form.blake2_256_digest)}) does not match the file (${blake2b256})`,
      );
    }
  }

  const read = await readDistMetadata(file.bytes, filename, archive);
  if (!read.ok) return bad(`Invalid distribution file: ${read.reason}`);
  const meta = parseCoreMetadata(read.metadataText);
  const metadataProblem = checkMetadata(meta, form, dist, read.metadataPath);
  if (metadataProblem !== null) return bad(`Invalid distribution file: ${metadataProblem}`);

  return {
    ok: true,
    project,
    version: metadataVersion(meta)!,
    filename,
    sha256,
    blake2b256,
    size: file.bytes.length,
    packagetype,
    metadata: {
      text: read.metadataText,
      path: read.metadataPath,
      metadataVersion: metadataField(meta, "metadata-version")!,
      name: metadataName(meta)!,
      version: metadataVersion(meta)!,
      summary: metadataField(meta, "summary"),
      requiresPython: metadataField(meta, "requires-python"),
      requiresDist: metadataFields(meta, "requires-dist"),
      providesExtra: metadataFields(meta, "provides-extra"),
    },
  };
}

/** The file name as a wheel or sdist we accept, or the reason it is not one. */
function parseUploadFilename(filename: string, formName: string): DistFilename | string {
  if (typeof filename !== "string" || filename === "")
    return "Invalid file name: the upload has no file name";
  // A client-supplied name ends up in storage paths and URLs: one plain path component only.
  if (/[/\\\0]/.test(filename) || filename === "." || filename === ".." || filename.includes("..")) {
    return `Invalid file name ${shown(filename)}: path separators and '..' are not allowed`;
  }
  const lower = filename.toLowerCase();
  if (!lower.endsWith(".whl") && !lower.endsWith(".tar.gz") && !lower.endsWith(".zip")) {
    return `Invalid file name ${shown(filename)}: ${ACCEPTED}`;
  }
  const parsed = parseDistFilename(filename, typeof formName === "string" ? formName : undefined);
  if (!parsed.ok) return `Invalid file name: ${parsed.message}`;
  return parsed.value;
}

/** PyPI's rule: at least one digest, and every digest given must match (hex, any case). */
function checkDigests(form: UploadForm, bytes: Buffer, sha256: string): string | null {
  const given = (v: string | undefined) => (v !== undefined && v.trim() !== "" ? v.trim() : null);
  const sha = given(form.sha256_digest);
  const blake = given(form.blake2_256_digest);
  const md5 = given(form.md5_digest);
  if (sha === null && blake === null && md5 === null) {
    return "Include at least one message digest (sha256_digest or blake2_256_digest)";
  }
  if (sha !== null && sha.toLowerCase() !== sha256) {
    return `The sha256_digest in the form (${shown(sha)}) does not match the file (${sha256})`;
  }
  if (md5 !== null) {
    const digest = createHash("md5").update(bytes).digest();
    // twine sends hex; PyPI's own records use unpadded urlsafe base64. Either spelling of the same bytes is fine.
    if (md5.toLowerCase() !== digest.toString("hex") && md5 !== digest.toString("base64url")) {
      return `The md5_digest in the form (${shown(md5)}) does not match the file (${digest.toString("hex")})`;
    }
  }
  return null;
}

/** The file's own metadata must be well-formed and name the project and version of the form and the file name. */
function checkMetadata(
  meta: CoreMetadata,
  form: UploadForm,
  dist: DistFilename,
  path: string,
): string | null {
  const label = path.endsWith("PKG-INFO") ? "PKG-INFO" : "METADATA";
  for (const field of ["metadata-version", "name", "version"]) {
    const count = meta.fields.get(field)?.length ?? 0;
    // Python reads the first copy of a repeated field; a second copy is a way to show tools different things.
    if (count > 1) return `${label} has ${count} ${headerName(field)} fields`;
  }
  const metadataVersionValue = metadataField(meta, "metadata-version");
  if (metadataVersionValue === null) return `${label} has no Metadata-Version`;
  if (!METADATA_VERSIONS.has(metadataVersionValue)) {
    return `${label} has an unknown Metadata-Version '${shown(metadataVersionValue)}'`;
  }
  if (form.metadata_version !== undefined && form.metadata_version !== "") {
    if (form.metadata_version !== metadataVersionValue) {
      return `metadata_version in the form (${shown(form.metadata_version)}) does not match ${label} (${metadataVersionValue})`;
    }
  }
  const name = metadataName(meta);
  if (name === null) return `${label} has no Name`;
  if (!isValidName(name)) return `${label} has an invalid Name '${shown(name)}'`;
  if (normalizeName(name) !== normalizeName(form.name)) {
    return `name in ${label} (${shown(name)}) does not match the form (${shown(form.name)})`;
  }
  if (normalizeName(name) !== dist.normalizedName) {
    return `name in ${label} (${shown(name)}) does not match the file name (${dist.name})`;
  }
  const version = metadataVersion(meta);
  if (version === null) return `${label} has no Version`;
  if (valid(version) === null) return `${label} has an invalid Version '${shown(version)}'`;
  if (!sameVersion(version, form.version)) {
    return `version in ${label} (${shown(version)}) does not match the form (${shown(form.version)})`;
  }
  if (!sameVersion(version, dist.version)) {
    return `version in ${label} (${shown(version)}) does not match the file name (${dist.version})`;
  }
  return null;
}

function headerName(field: string): string {
  return field === "metadata-version" ? "Metadata-Version" : field[0]!.toUpperCase() + field.slice(1);
}

/** PEP 440 equality (1.0 == 1.0.0), the comparison PyPI uses for releases. */
function sameVersion(a: string, b: string): boolean {
  return valid(a) !== null && valid(b) !== null && compare(a, b) === 0;
}

function shown(text: string): string {
  const escaped = text.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return escaped.length > 160 ? `${escaped.slice(0, 160)}…` : escaped;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
