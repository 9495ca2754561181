// The internal registry's HTTP side: twine's `POST /legacy/` upload and the routes that serve the stored files.
import { createHash } from "node:crypto";
import multipart from "@fastify/multipart";
import type { Database } from "better-sqlite3";
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { BlobStore, ByteRange } from "../server/storage/blob-store.js";
import { isValidName, normalizeName } from "../standards/names.js";
import { compare, valid } from "../standards/pep440.js";
import { REGISTRY_FILES_PREFIX } from "./internal-project.js";
import { statusRefusesUploads, statusServesFiles } from "./status.js";
import {
  createRegistryTables,
  ensureProject,
  findFileByDigest,
  getFile,
  getProject,
  insertFile,
  listFiles,
  type StoredFile,
} from "./store.js";
import { type TokenRecord, tokenAllows, verifyToken } from "./tokens.js";
import {
  DEFAULT_UPLOAD_LIMITS,
  type UploadForm,
  type UploadLimits,
  type ValidUpload,
  validateUpload,
} from "./upload-validation.js";

/**
 * What the registry needs from the server's content-addressed blob store: `put` (which refuses bytes that do not
 * hash to the expected sha256) and `get` (with an optional byte range).
 */
export type RegistryBlobs = Pick<BlobStore, "put" | "get">;

/** One upload attempt, for the server's audit log. */
export interface UploadEvent {
  outcome: "stored" | "duplicate" | "refused";
  status: number;
  /** The refusal's reason phrase, or null. */
  reason: string | null;
  project: string | null;
  filename: string | null;
  tokenId: string | null;
  remoteAddress: string;
}

export interface RegistryPluginOptions {
  /** The server's SQLite state database (the registry creates its tables in it). */
  db: Database;
  blobs: RegistryBlobs;
  limits?: Partial<UploadLimits>;
  /** The HTTP Basic realm named in 401 answers. */
  realm?: string;
  now?: () => Date;
  onUpload?: (event: UploadEvent) => void;
}

const TOKEN_USER = "__token__";
const AUTH_HELP = `Use the user name ${TOKEN_USER} and a token from \`pycustoms token create\` as the password.`;
const INVALID_AUTH = `Invalid or non-existent authentication information. ${AUTH_HELP}`;
// Fields twine sends are short except the long description (a README), which may be large but not unbounded.
const FIELD_LIMIT_BYTES = 4 * 1024 * 1024;
// All fields together: the per-field limit alone let one request hold 1,000 fields of 4 MiB in memory (~4 GiB).
const FIELDS_TOTAL_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * A reason phrase Node accepts and every client prints whole: one line of printable ASCII (anything else becomes
 * `?`), at most 400 characters. twine shows only the reason phrase, so it carries the whole message.
 */
export function reasonPhrase(message: string): string {
  const line = message
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

/** Answers the way warehouse does: the message in the reason phrase and in the body. */
function answer(reply: FastifyReply, status: number, message: string): FastifyReply {
  const phrase = reasonPhrase(message);
  reply.raw.statusMessage = phrase;
  return reply
    .code(status)
    .type("text/plain; charset=utf-8")
    .send(`${status} ${message.replace(/\s+/g, " ").trim()}\n`);
}

/** `Authorization: Basic …` as user and password, or null when it is not that. */
function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

interface ReceivedForm {
  fields: Map<string, string[]>;
  file: { filename: string; bytes: Buffer } | null;
}

/** Reads the multipart form; a field that outgrew its limit is an error, never silently truncated. */
async function readForm(request: FastifyRequest): Promise<ReceivedForm | { error: string }> {
  const fields = new Map<string, string[]>();
  let file: ReceivedForm["file"] = null;
  let fieldBytes = 0;
  for await (const part of request.parts()) {
    if (part.type === "file") {
      if (part.fieldname === "content" && file === null) {
        file = { filename: part.filename, bytes: await part.toBuffer() };
      } else {
        // A detached GPG signature or anything else: PyPI discards signatures, and so do we.
        part.file.resume();
      }
      continue;
    }
    if (part.valueTruncated || part.fieldnameTruncated) {
      return { error: `The form field '${part.fieldname.slice(0, 80)}' is too large` };
    }
    const value = typeof part.value === "string" ? part.value : JSON.stringify(part.value);
    fieldBytes += Buffer.byteLength(value) + Buffer.byteLength(part.fieldname);
    if (fieldBytes > FIELDS_TOTAL_LIMIT_BYTES) {
      return { error: `The form fields are too large together (over ${FIELDS_TOTAL_LIMIT_BYTES} bytes)` };
    }
    const list = fields.get(part.fieldname);
    if (list) list.push(value);
    else fields.set(part.fieldname, [value]);
  }
  return { fields, file };
}

/** The form as `validateUpload` reads it: single-use fields as strings, repeated ones as lists. */
function uploadForm(fields: Map<string, string[]>): UploadForm {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of fields) out[name] = values.length === 1 ? values[0]! : values;
  const single = (name: string) => {
    const v = out[name];
    return typeof v === "string" ? v : "";
  };
  return { ...out, name: single("name"), version: single("version"), filetype: single("filetype") };
}

async function* oneChunk(bytes: Buffer): AsyncIterable<Buffer> {
  yield bytes;
}

function sameVersion(a: string, b: string): boolean {
  return valid(a) !== null && valid(b) !== null ? compare(a, b) === 0 : a === b;
}

function alreadyExists(existing: StoredFile, filename: string): string {
  return `File already exists ('${filename}', with blake2_256 hash '${existing.blake2b256}'). A file name always means the same bytes: upload a new version (or a wheel with a build number).`;
}

/**
 * One `Range: bytes=…` range within a file of `size` bytes: null to send the whole file (no header, several ranges,
 * or a unit we do not serve), "unsatisfiable" for a range wholly outside it (416).
 */
export function byteRange(header: string | undefined, size: number): ByteRange | null | "unsatisfiable" {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return "unsatisfiable";
  if (end < start) return null;
  return { start, end };
}

/**
 * A Fastify plugin (register it encapsulated, without fastify-plugin: its multipart parser stays inside):
 * `POST /legacy/` and `POST /legacy` (twine aborts on redirects, so both are served), and
 * `GET <REGISTRY_FILES_PREFIX>/<sha256>/<filename>` plus `….metadata` (PEP 658).
 */
export const registryPlugin: FastifyPluginAsync<RegistryPluginOptions> = async (fastify, options) => {
  const { db, blobs } = options;
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...options.limits };
  const realm = (options.realm ?? "pycustoms").replace(/["\\]/g, "");
  const now = options.now ?? (() => new Date());
  createRegistryTables(db);

  await fastify.register(multipart, {
    // Busboy would quietly keep only the last path component; the raw name lets validation refuse `../` outright.
    preservePath: true,
    limits: {
      fileSize: limits.maxFileBytes,
      files: 2,
      fields: 1000,
      fieldSize: FIELD_LIMIT_BYTES,
      parts: 1002,
      headerPairs: 100,
    },
  });

  const tokens = new WeakMap<FastifyRequest, TokenRecord>();
  const record = (request: FastifyRequest, event: Omit<UploadEvent, "tokenId" | "remoteAddress">) => {
    options.onUpload?.({ ...event, tokenId: tokens.get(request)?.id ?? null, remoteAddress: request.ip });
  };
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    reason: string,
    project: string | null = null,
    filename: string | null = null,
  ) => {
    record(request, { outcome: "refused", status, reason: reasonPhrase(reason), project, filename });
    return answer(reply, status, reason);
  };

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const code = error.code;
    if (request.method !== "POST") {
      request.log.error({ err: error }, "registry request failed");
      return answer(reply, 500, "Internal error");
    }
    if (code === "FST_REQ_FILE_TOO_LARGE") {
      return refuse(request, reply, 400, `File too large: the limit is ${limits.maxFileBytes} bytes`);
    }
    if (code === "FST_INVALID_MULTIPART_CONTENT_TYPE" || code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return refuse(request, reply, 400, "Invalid upload: the body must be multipart/form-data");
    }
    if (code?.startsWith("FST_") && (error.statusCode ?? 500) < 500) {
      return refuse(request, reply, 400, `Invalid upload: ${error.message}`);
    }
    request.log.error({ err: error }, "registry request failed");
    return answer(reply, 500, "Internal error while handling the upload");
  });

  /** Authentication before the body is read: an unauthenticated client never makes the server parse 100 MB. */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === "") {
      reply.header("WWW-Authenticate", `Basic realm="${realm}"`);
      return refuse(request, reply, 401, `Authentication required. ${AUTH_HELP}`);
    }
    const credentials = basicCredentials(header);
    const token =
      credentials !== null && credentials.user === TOKEN_USER
        ? verifyToken(db, credentials.password, now())
        : null;
    if (token === null) return refuse(request, reply, 403, INVALID_AUTH);
    tokens.set(request, token);
  };

  const upload = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = tokens.get(request)!;
    const form = await readForm(request);
    if ("error" in form) return refuse(request, reply, 400, form.error);
    const field = (name: string) => form.fields.get(name)?.[0];

    const action = field(":action");
    if (action === "submit" || action === "submit_pkg_info") {
      return refuse(
        request,
        reply,
        410,
        "Project pre-registration is no longer required or supported, upload your files instead.",
      );
    }
    if (action === "doc_upload")
      return refuse(request, reply, 410, "Uploading documentation is no longer supported.");
    if (action !== "file_upload") {
      return refuse(
        request,
        reply,
        400,
        `Unknown or missing :action '${action ?? ""}': expected file_upload`,
      );
    }
    if ((field("protocol_version") ?? "1") !== "1")
      return refuse(request, reply, 400, "Unknown protocol version.");
    if (form.file === null) return refuse(request, reply, 400, "Upload payload does not have a file.");

    const filename = form.file.filename;
    const formName = field("name") ?? "";
    if (!isValidName(formName)) {
      return refuse(
        request,
        reply,
        400,
        `Invalid project name '${formName.slice(0, 100)}' in the form`,
        null,
        filename,
      );
    }
    const project = normalizeName(formName);
    if (!tokenAllows(token, project)) {
      return refuse(
        request,
        reply,
        403,
        `The token isn't allowed to upload to project '${project}'`,
        project,
        filename,
      );
    }
    const existingProject = getProject(db, project);
    if (existingProject !== null && statusRefusesUploads(existingProject.status)) {
      const why = existingProject.statusReason ? ` (${existingProject.statusReason})` : "";
      return refuse(
        request,
        reply,
        403,
        `Project '${project}' is ${existingProject.status}${why} and does not accept new uploads`,
        project,
        filename,
      );
    }

    const validation = await validateUpload(uploadForm(form.fields), form.file, limits);
    if (!validation.ok)
      return refuse(request, reply, validation.status, validation.reason, project, filename);

    const conflict = conflictWith(validation);
    if (conflict === "duplicate") {
      record(request, { outcome: "duplicate", status: 200, reason: null, project, filename });
      return reply.code(200).type("text/plain; charset=utf-8").send(`OK: ${filename} was already stored\n`);
    }
    if (conflict !== null) return refuse(request, reply, 400, conflict, project, filename);

    // Bytes first, row second: a crash in between leaves an unreferenced blob, never a row without its file. The
    // core metadata goes to the blob store too, so the proxy's file route serves `.metadata` like any cached file.
    const metadataBytes = Buffer.from(validation.metadata.text, "utf8");
    const metadataSha256 = createHash("sha256").update(metadataBytes).digest("hex");
    for (const [bytes, sha256] of [
      [form.file.bytes, validation.sha256],
      [metadataBytes, metadataSha256],
    ] as const) {
      const put = await blobs.put(oneChunk(bytes), { sha256, size: bytes.length });
      if (!put.ok) {
        request.log.error({ filename, reason: put.reason }, "the blob store refused an upload's bytes");
        return answer(reply, 500, "Internal error while storing the file");
      }
    }
    const stored = storeUpload(validation, metadataSha256, formName, token);
    if (stored !== null) {
      if (stored === "duplicate") {
        record(request, { outcome: "duplicate", status: 200, reason: null, project, filename });
        return reply.code(200).type("text/plain; charset=utf-8").send(`OK: ${filename} was already stored\n`);
      }
      return refuse(request, reply, stored.status, stored.reason, project, filename);
    }
    record(request, { outcome: "stored", status: 200, reason: null, project, filename });
    return reply.code(200).type("text/plain; charset=utf-8").send(`OK: stored ${filename}\n`);
  };

  /** "duplicate" (identical bytes under the same name), a 400 reason, or null when the file is new. */
  function conflictWith(v: ValidUpload): "duplicate" | string | null {
    const sameName = getFile(db, v.filename);
    if (sameName !== null) {
      return sameName.sha256 === v.sha256 && sameName.blake2b256 === v.blake2b256
        ? "duplicate"
        : alreadyExists(sameName, v.filename);
    }
    const sameBytes = findFileByDigest(db, v.sha256, v.blake2b256);
    if (sameBytes !== null) return alreadyExists(sameBytes, v.filename);
    if (v.packagetype === "sdist") {
      const sdist = listFiles(db, v.project).find(
        (f) => f.packagetype === "sdist" && sameVersion(f.version, v.version),
      );
      if (sdist) return `Only one sdist may be uploaded per release: ${sdist.filename} exists already.`;
    }
    return null;
  }

  /** Records the upload (creating the project on its first file); re-checks inside the transaction for races. */
  function storeUpload(
    v: ValidUpload,
    metadataSha256: string,
    displayName: string,
    token: TokenRecord,
  ): null | "duplicate" | { status: number; reason: string } {
    return db
      .transaction(() => {
        const project = ensureProject(db, v.project, displayName, now());
        if (statusRefusesUploads(project.status)) {
          return {
            status: 403,
            reason: `Project '${v.project}' is ${project.status} and does not accept new uploads`,
          };
        }
        const conflict = conflictWith(v);
        if (conflict === "duplicate") return "duplicate" as const;
        if (conflict !== null) return { status: 400, reason: conflict };
        insertFile(db, {
          filename: v.filename,
          project: v.project,
          version: v.version,
          packagetype: v.packagetype,
          sha256: v.sha256,
          blake2b256: v.blake2b256,
          size: v.size,
          metadata: v.metadata.text,
          metadataSha256,
          requiresPython: v.metadata.requiresPython,
          uploadedAt: now().toISOString(),
          uploadedBy: token.id,
        });
        return null;
      })
      .immediate();
  }

  for (const url of ["/legacy/", "/legacy"]) {
    fastify.post(url, { onRequest: authenticate }, upload);
  }

  fastify.get<{ Params: { sha256: string; filename: string } }>(
    `${REGISTRY_FILES_PREFIX}/:sha256/:filename`,
    async (request, reply) => {
      const { sha256, filename: requested } = request.params;
      const wantsMetadata = requested.endsWith(".metadata");
      const file = getFile(db, wantsMetadata ? requested.slice(0, -".metadata".length) : requested);
      if (file === null || file.sha256 !== sha256.toLowerCase()) return answer(reply, 404, "Not Found");
      const project = getProject(db, file.project);
      if (project !== null && !statusServesFiles(project.status)) {
        const why = project.statusReason ? `: ${project.statusReason}` : "";
        return answer(reply, 403, `pycustoms: project '${project.name}' is quarantined${why}`);
      }
      const etag = `"${wantsMetadata ? file.metadataSha256 : file.sha256}"`;
      reply.header("ETag", etag).header("Cache-Control", "public, max-age=31536000, immutable");
      if (request.headers["if-none-match"] === etag) return reply.code(304).send();
      if (wantsMetadata) {
        return reply.type("application/octet-stream").send(Buffer.from(file.metadata, "utf8"));
      }
      reply.header("Accept-Ranges", "bytes").type("application/octet-stream");
      const ifRange = request.headers["if-range"];
      const range =
        ifRange === undefined || ifRange === etag ? byteRange(request.headers.range, file.size) : null;
      if (range === "unsatisfiable") {
        return reply.code(416).header("Content-Range", `bytes */${file.size}`).send();
      }
      const stream = await blobs.get(file.sha256, range ?? undefined);
      if (stream === null) {
        request.log.error(
          { filename: file.filename, sha256: file.sha256 },
          "registry file missing from the blob store",
        );
        return answer(reply, 404, "Not Found");
      }
      if (range === null) return reply.header("Content-Length", String(file.size)).send(stream);
      return reply
        .code(206)
        .header("Content-Range", `bytes ${range.start}-${range.end}/${file.size}`)
        .header("Content-Length", String(range.end - range.start + 1))
        .send(stream);
    },
  );
};
