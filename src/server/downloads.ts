// Verified, single-flight downloads from upstream: one fetch per file, followed by every request that wants it.
import { EventEmitter } from "node:events";
import { type FileHandle, open } from "node:fs/promises";
import { Readable } from "node:stream";
import { redactUrl } from "../upstream/errors.js";
import type { HttpClient } from "../upstream/http.js";
import type { BlobStore, BlobWriter } from "./storage/blob-store.js";
import type { StateStore } from "./storage/state-store.js";

export interface DownloadRequest {
  project: string;
  filename: string;
  /** Upstream URL (may carry credentials; never logged as is). */
  url: string;
  sha256: string;
  /** The published size, when the index gave one. */
  size: number | null;
}

export type DownloadStart = { ok: true; download: Download } | { ok: false; status: number; message: string };

export interface DownloadLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * One upstream fetch into a blob writer. Readers (`follow()`) get the bytes as they land on disk, except the
 * last one, which is released only when the digest matched: a client can never receive a complete file that
 * failed verification, because its connection is cut before the final byte.
 */
export class Download extends EventEmitter {
  state: "streaming" | "verified" | "failed" = "streaming";
  failure: string | null = null;
  private readers = 0;
  private readHandle: FileHandle | null = null;
  private closed = false;

  constructor(
    readonly request: DownloadRequest,
    /** The size the client is told: published, else upstream's Content-Length, else unknown (chunked). */
    readonly contentLength: number | null,
    private readonly writer: BlobWriter,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get written(): number {
    return this.writer.bytesWritten;
  }

  async openReadHandle(): Promise<void> {
    this.readHandle = await open(this.writer.spoolPath, "r");
  }

  /** A stream of the file as it downloads; it errors (and the response is cut) if verification fails. */
  follow(): Readable {
    const handle = this.readHandle;
    if (!handle) throw new Error("download not started");
    this.readers++;
    let position = 0;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.readers--;
      this.maybeClose();
    };
    const download = this;
    const chunkSize = 256 * 1024;
    return new Readable({
      highWaterMark: chunkSize,
      read() {
        const pump = async (): Promise<void> => {
          for (;;) {
            if (download.state === "failed") {
              this.destroy(new Error(download.failure ?? "download failed"));
              return;
            }
            const verified = download.state === "verified";
            const limit = verified ? download.written : Math.max(0, download.written - 1);
            if (position < limit) {
              const length = Math.min(chunkSize, limit - position);
              const buffer = Buffer.allocUnsafe(length);
              const { bytesRead } = await handle.read(buffer, 0, length, position);
              position += bytesRead;
              this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
              return;
            }
            if (verified) {
              this.push(null);
              return;
            }
            await new Promise<void>((resolve) => download.once("progress", resolve));
          }
        };
        pump().catch((e: unknown) => this.destroy(e as Error));
      },
      destroy(error, callback) {
        release();
        callback(error);
      },
    }).on("end", release);
  }

  progressed(): void {
    this.emit("progress");
  }

  finish(state: "verified" | "failed", failure: string | null): void {
    this.state = state;
    this.failure = failure;
    this.emit("progress");
    this.emit("done");
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.closed || this.readers > 0 || this.state === "streaming") return;
    this.closed = true;
    void this.readHandle?.close().catch(() => undefined);
  }
}

/** Starts downloads and hands out the one in flight for a digest (single flight). */
export class VerifiedDownloads {
  private readonly inflight = new Map<string, Promise<DownloadStart>>();

  constructor(
    private readonly deps: { http: HttpClient; blobs: BlobStore; state: StateStore; log: DownloadLog },
  ) {}

  /** The running download of this digest, or a new one; resolves once upstream's headers are in. */
  start(request: DownloadRequest): Promise<DownloadStart> {
    const key = request.sha256;
    const running = this.inflight.get(key);
    if (running) return running;
    const started = this.begin(request, () => this.inflight.delete(key));
    this.inflight.set(key, started);
    started.then(
      (s) => {
        if (!s.ok) this.inflight.delete(key);
      },
      () => this.inflight.delete(key),
    );
    return started;
  }

  get active(): number {
    return this.inflight.size;
  }

  private async begin(request: DownloadRequest, done: () => void): Promise<DownloadStart> {
    const { http, blobs, state, log } = this.deps;
    const where = redactUrl(request.url);
    const response = await http.stream(request.url);
    if ("type" in response) {
      const detail = `${request.filename}: upstream download failed: ${response.message}`;
      log.warn(
        { project: request.project, filename: request.filename, cause: response.message },
        "download failed",
      );
      await state.recordEvent({
        kind: "download-failed",
        project: request.project,
        filename: request.filename,
        detail,
      });
      return { ok: false, status: response.kind === "not-found" ? 404 : 502, message: detail };
    }
    const declared = response.headers["content-length"];
    const upstreamLength = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : null;
    if (request.size !== null && upstreamLength !== null && request.size !== upstreamLength) {
      response.body.destroy();
      const detail = `${request.filename}: upstream sends ${upstreamLength} bytes, the index published ${request.size}`;
      log.error(
        { project: request.project, filename: request.filename, url: where },
        "size mismatch: refused",
      );
      await state.recordEvent({
        kind: "digest-mismatch",
        project: request.project,
        filename: request.filename,
        detail,
      });
      return { ok: false, status: 502, message: detail };
    }
    const writer = await blobs.openWriter();
    const download = new Download(request, request.size ?? upstreamLength, writer);
    await download.openReadHandle();
    void this.run(download, response.body, writer, done);
    return { ok: true, download };
  }

  private async run(
    download: Download,
    body: AsyncIterable<Buffer> & { destroy(error?: Error): void },
    writer: BlobWriter,
    done: () => void,
  ): Promise<void> {
    const { state, log } = this.deps;
    const { request } = download;
    const limit = download.contentLength;
    let failure: { kind: "digest-mismatch" | "download-failed"; detail: string } | null = null;
    try {
      for await (const chunk of body) {
        await writer.write(chunk);
        if (limit !== null && writer.bytesWritten > limit) {
          body.destroy();
          failure = {
            kind: "digest-mismatch",
            detail: `${request.filename}: upstream sent more than the ${limit} bytes published`,
          };
          break;
        }
        download.progressed();
      }
      if (!failure) {
        const result = await writer.commit({ sha256: request.sha256, size: request.size });
        if (!result.ok)
          failure = { kind: "digest-mismatch", detail: `${request.filename}: ${result.reason}` };
      }
    } catch (e) {
      failure = {
        kind: "download-failed",
        detail: `${request.filename}: download broke off after ${writer.bytesWritten} bytes (${redactUrl(String((e as Error).message ?? e))})`,
      };
    } finally {
      await writer.abort();
    }
    // Visible in the blob store (or given up) before the next request can start another download.
    done();
    if (failure) {
      const fields = { project: request.project, filename: request.filename, url: redactUrl(request.url) };
      if (failure.kind === "digest-mismatch") log.error(fields, `refused: ${failure.detail}`);
      else log.warn(fields, failure.detail);
      await state
        .recordEvent({
          kind: failure.kind,
          project: request.project,
          filename: request.filename,
          detail: failure.detail,
        })
        .catch(() => undefined);
      download.finish("failed", failure.detail);
    } else {
      download.finish("verified", null);
    }
  }
}
