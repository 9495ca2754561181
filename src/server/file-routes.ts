// Distribution files and their PEP 658 metadata, at `/packages/<project>/<filename>[.metadata]`: gated, verified, cached;
// files of internal names come from the internal registry's blobs alone.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { statusServesFiles } from "../registry/status.js";
import { getFile, getProject } from "../registry/store.js";
import { isValidName, normalizeName } from "../standards/names.js";
import { isUpstreamError } from "../upstream/errors.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import { publishedSha256, servableMetadataSha256 } from "./render.js";
import { gateContext, type RoutePluginOptions, reasonPhrase } from "./services.js";
import type { ByteRange } from "./storage/blob-store.js";

const IMMUTABLE = "public, max-age=31536000, immutable";

export type RangeRequest = { kind: "none" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * One `bytes=` range (suffix and open-ended forms included). Several ranges, other units or bad syntax are
 * answered with the whole file, which RFC 9110 allows.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "none" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "none" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return { kind: "none" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end } };
}

function etagListMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((t) => t.trim() === etag || t.trim() === "*");
}

function contentTypeOf(filename: string): string {
  return filename.endsWith(".metadata") ? "text/plain; charset=utf-8" : "application/octet-stream";
}

function text(reply: FastifyReply, status: number, message: string) {
  reply.raw.statusMessage = reasonPhrase(message);
  return reply.code(status).type("text/plain; charset=utf-8").send(`${message}\n`);
}

export async function fileRoutes(app: FastifyInstance, options: RoutePluginOptions): Promise<void> {
  const { pages, gate, blobs, downloads, state, http, accelRedirectPrefix, internal, db } = options.services;
  const fileIndex = new WeakMap<ProjectInfo, Map<string, ProjectFile>>();

  function findFile(info: ProjectInfo, filename: string): ProjectFile | null {
    let index = fileIndex.get(info);
    if (!index) {
      index = new Map(info.files.map((f) => [f.filename, f]));
      fileIndex.set(info, index);
    }
    return index.get(filename) ?? null;
  }

  /** A verified blob with strong ETag, Range and conditional requests. */
  async function sendBlob(
    request: FastifyRequest,
    reply: FastifyReply,
    sha256: string,
    size: number,
    filename: string,
  ) {
    const etag = `"${sha256}"`;
    reply
      .header("etag", etag)
      .header("cache-control", IMMUTABLE)
      .header("accept-ranges", "bytes")
      .header("content-type", contentTypeOf(filename));
    if (etagListMatches(request.headers["if-none-match"], etag)) return reply.code(304).send();
    if (accelRedirectPrefix !== null) {
      // nginx serves the bytes (and Range) from disk; the gate has already been asked.
      const location = `${accelRedirectPrefix}${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
      return reply.code(200).header("x-accel-redirect", location).send();
    }
    const ifRange = request.headers["if-range"];
    const range =
      typeof ifRange !== "string" || ifRange.trim() === etag
        ? parseRange(request.headers.range, size)
        : { kind: "none" as const };
    if (range.kind === "unsatisfiable") {
      return reply
        .code(416)
        .header("content-range", `bytes */${size}`)
        .type("text/plain; charset=utf-8")
        .send("Range Not Satisfiable\n");
    }
    const stream = await blobs.get(sha256, range.kind === "range" ? range.range : undefined);
    if (!stream) return null;
    if (range.kind === "range") {
      const { start, end } = range.range;
      reply
        .code(206)
        .header("content-range", `bytes ${start}-${end}/${size}`)
        .header("content-length", end - start + 1);
    } else {
      reply.code(200).header("content-length", size);
    }
    return reply.send(stream);
  }

  async function lookupFile(
    request: FastifyRequest,
    reply: FastifyReply,
    project: string,
    filename: string,
  ): Promise<{ info: ProjectInfo; file: ProjectFile } | null> {
    const lookup = await pages.get(project);
    if (lookup.kind === "not-found") {
      await text(reply, 404, lookup.message);
      return null;
    }
    if (lookup.kind === "unavailable") {
      await text(reply, 502, `upstream unavailable: ${lookup.message}`);
      return null;
    }
    const file = findFile(lookup.info, filename);
    if (!file) {
      await text(reply, 404, `pycustoms: ${filename} is not a file of ${project}`);
      return null;
    }
    const decision = await gate.checkFile(lookup.info, file, gateContext(request));
    if (!decision.allow) {
      request.log.info({ project, filename, reason: decision.reason }, "file refused by the gate");
      await text(reply, 403, decision.reason);
      return null;
    }
    return { info: lookup.info, file };
  }

  async function serveFile(request: FastifyRequest, reply: FastifyReply, project: string, file: ProjectFile) {
    const sha256 = publishedSha256(file);
    if (sha256 === null) return text(reply, 404, `pycustoms: ${file.filename} has no published sha256`);
    const cached = await blobs.has(sha256);
    if (cached) {
      const sent = await sendBlob(request, reply, sha256, cached.size, file.filename);
      if (sent !== null) return sent;
    }
    const started = await downloads.start({
      project,
      filename: file.filename,
      url: file.url,
      sha256,
      size: file.size,
    });
    if (!started.ok) return text(reply, started.status, started.message);
    const { download } = started;
    if (download.state === "verified") {
      const blob = await blobs.has(sha256);
      if (blob) {
        const sent = await sendBlob(request, reply, sha256, blob.size, file.filename);
        if (sent !== null) return sent;
      }
      return text(reply, 502, `${file.filename}: cached copy vanished`);
    }
    if (download.state === "failed")
      return text(reply, 502, download.failure ?? `${file.filename}: download failed`);
    // Checked and followed in the same tick: the download cannot close its spool in between.
    const body = download.follow();
    reply
      .code(200)
      .header("etag", `"${sha256}"`)
      .header("cache-control", IMMUTABLE)
      .header("content-type", contentTypeOf(file.filename));
    if (download.contentLength !== null) reply.header("content-length", download.contentLength);
    return reply.send(body);
  }

  async function serveMetadata(
    request: FastifyRequest,
    reply: FastifyReply,
    project: string,
    file: ProjectFile,
  ) {
    const sha256 = servableMetadataSha256(file);
    const name = `${file.filename}.metadata`;
    if (sha256 === null) return text(reply, 404, `pycustoms: ${file.filename} has no core metadata file`);
    const cached = await blobs.has(sha256);
    if (cached) {
      const sent = await sendBlob(request, reply, sha256, cached.size, name);
      if (sent !== null) return sent;
    }
    const response = await http.get(`${file.url}.metadata`, { cache: "bypass" });
    if (isUpstreamError(response))
      return text(reply, response.kind === "not-found" ? 404 : 502, `${name}: ${response.message}`);
    const actual = createHash("sha256").update(response.body).digest("hex");
    if (actual !== sha256) {
      const detail = `${name}: sha256 ${actual} differs from the published ${sha256}`;
      request.log.error({ project, filename: name }, `refused: ${detail}`);
      await state.recordEvent({ kind: "digest-mismatch", project, filename: name, detail });
      return text(reply, 502, detail);
    }
    await blobs.put([response.body], { sha256 });
    return sendBlob(request, reply, sha256, response.body.length, name);
  }

  /**
   * A file of an internal name: from the registry's records and the blob store, never from upstream. The upload
   * stored both the file and its core metadata by sha256, so both are served like any verified cached file.
   */
  async function serveInternal(
    request: FastifyRequest,
    reply: FastifyReply,
    project: string,
    filename: string,
    metadata: boolean,
  ) {
    const file = db === null ? null : getFile(db, filename);
    if (db === null || file === null || file.project !== project) {
      return text(reply, 404, `pycustoms: ${filename} is not a file of the internal project ${project}`);
    }
    const owner = getProject(db, project);
    if (owner !== null && !statusServesFiles(owner.status)) {
      const why = owner.statusReason ? `: ${owner.statusReason}` : "";
      request.log.info({ project, filename }, "file of a quarantined internal project refused");
      return text(reply, 403, `pycustoms: ${project} is quarantined${why}`);
    }
    const sha256 = metadata ? file.metadataSha256 : file.sha256;
    const name = metadata ? `${filename}.metadata` : filename;
    const blob = await blobs.has(sha256);
    if (blob === null && metadata) {
      // The metadata text is also in the database: put it back into the blob store rather than fail.
      await blobs.put([Buffer.from(file.metadata, "utf8")], { sha256 });
    }
    const size = blob?.size ?? (metadata ? Buffer.byteLength(file.metadata, "utf8") : file.size);
    const sent = await sendBlob(request, reply, sha256, size, name);
    if (sent !== null) return sent;
    request.log.error({ project, filename: name, sha256 }, "internal file missing from the blob store");
    return text(reply, 500, `pycustoms: ${name} is missing from the blob store`);
  }

  app.get<{ Params: { project: string; filename: string } }>(
    "/packages/:project/:filename",
    async (request, reply) => {
      const { project: name, filename } = request.params;
      if (!isValidName(name)) return text(reply, 404, `'${name}' is not a valid project name`);
      const project = normalizeName(name);
      if (project !== name) {
        return reply.redirect(
          `/packages/${encodeURIComponent(project)}/${encodeURIComponent(filename)}`,
          301,
        );
      }
      const metadataOf = filename.endsWith(".metadata") ? filename.slice(0, -".metadata".length) : null;
      if (internal?.isInternal(project)) {
        return serveInternal(request, reply, project, metadataOf ?? filename, metadataOf !== null);
      }
      const found = await lookupFile(request, reply, project, metadataOf ?? filename);
      if (!found) return reply;
      return metadataOf !== null
        ? serveMetadata(request, reply, project, found.file)
        : serveFile(request, reply, project, found.file);
    },
  );
}
