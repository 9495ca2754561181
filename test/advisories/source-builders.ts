// Builds advisory sources for tests: folders, zips (with Python's zipfile, there is no zip writer in node_modules),
// tar.gz files, and a tiny HTTP server on 127.0.0.1.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create as createTar } from "tar";

/** A fresh temporary folder; `dispose()` removes it. */
export function tempDir(prefix = "pycustoms-adv-test-"): { path: string; dispose: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes `files` (relative path -> text) under `root`. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [relative, text] of Object.entries(files)) {
    const full = join(root, relative);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

/** Zips `files` with `python3 -m zipfile` (paths inside the zip are the relative paths). */
export function makeZip(zipPath: string, files: Record<string, string>): void {
  const staging = tempDir();
  try {
    writeTree(staging.path, files);
    const tops = [...new Set(Object.keys(files).map((f) => f.split("/")[0] as string))];
    execFileSync("python3", ["-m", "zipfile", "-c", zipPath, ...tops], { cwd: staging.path });
  } finally {
    staging.dispose();
  }
}

/** A gzipped tar of `files`, made with the tar package. */
export async function makeTarGz(tarPath: string, files: Record<string, string>): Promise<void> {
  const staging = tempDir();
  try {
    writeTree(staging.path, files);
    await createTar({ gzip: true, file: tarPath, cwd: staging.path, portable: true }, Object.keys(files));
  } finally {
    staging.dispose();
  }
}

/** A minimal OSV record for PyPI as JSON text. */
export function osvJson(
  id: string,
  name: string,
  modified: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    id,
    modified,
    summary: `test record ${id}`,
    affected: [
      {
        package: { ecosystem: "PyPI", name },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "9.9" }] }],
      },
    ],
    ...extra,
  });
}

export interface FileServer {
  url: string;
  /** Request headers seen, in order. */
  requests: IncomingHttpHeaders[];
  close: () => Promise<void>;
}

/**
 * Serves one file at every path with an ETag, answering conditional requests with 304; `/missing` is a 404.
 * Listens on 127.0.0.1 only.
 */
export async function serveFile(filePath: string, etag = '"v1"'): Promise<FileServer> {
  const body = readFileSync(filePath);
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    if (req.url?.startsWith("/missing")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not here");
      return;
    }
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res
      .writeHead(200, {
        "content-type": "application/zip",
        "content-length": String(body.length),
        etag,
        "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT",
      })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
