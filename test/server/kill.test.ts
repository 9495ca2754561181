// A proxy killed with SIGKILL mid-download leaves no partial file that is (or could later be) served.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { cliPath, repoRoot } from "../paths.js";
import { tempDir } from "./harness.js";

const FILE = "slow_pkg-1.0-py3-none-any.whl";
const BYTES = createHash("sha512").update("seed").digest().toString("hex").repeat(4096).slice(0, 2_000_000);
const SHA256 = createHash("sha256").update(BYTES).digest("hex");

/** An upstream whose file trickles out slowly (or at once, when `fast`). */
async function slowUpstream() {
  let fast = false;
  let fileRequests = 0;
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url === "/simple/slow-pkg/") {
      res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" });
      res.end(
        JSON.stringify({
          meta: { "api-version": "1.1" },
          name: "slow-pkg",
          versions: ["1.0"],
          files: [
            {
              filename: FILE,
              url: `${base}/files/${FILE}`,
              hashes: { sha256: SHA256 },
              size: BYTES.length,
              // Past the cooldown: a file of unknown age would be held, and this test is about downloads.
              "upload-time": "2024-01-01T00:00:00.000000Z",
            },
          ],
        }),
      );
      return;
    }
    if (req.url === `/files/${FILE}`) {
      fileRequests++;
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(BYTES.length),
      });
      if (fast) {
        res.end(BYTES);
        return;
      }
      let offset = 0;
      const timer = setInterval(() => {
        if (res.destroyed || offset >= BYTES.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(BYTES.slice(offset, offset + 32 * 1024));
        offset += 32 * 1024;
      }, 25);
      res.on("close", () => clearInterval(timer));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setFast: () => {
      fast = true;
    },
    fileRequests: () => fileRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Starts `pycustoms serve` as a child process (from source under tsx, else the built CLI). */
async function startServe(upstream: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = fromSource
    ? ["--import", import.meta.resolve("tsx"), join(repoRoot, "src", "cli", "main.ts")]
    : [cliPath];
  const child = spawn(
    process.execPath,
    [
      ...entry,
      "serve",
      "--port",
      "0",
      "--upstream",
      `${upstream}/simple/`,
      "--data-dir",
      dataDir,
      "--log-level",
      "error",
    ],
    {
      cwd: dataDir,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${text}`)), 15_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const m = /pycustoms serve: (http:\/\/\S+)\/simple\//.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${text}`)));
  });
  return { child, url };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

test("kill -9 during a download: the partial file is never served, removed at restart, and the file fetched afresh", async () => {
  const upstream = await slowUpstream();
  const dataDir = tempDir();
  const blobPath = join(dataDir, "blobs", "sha256", SHA256.slice(0, 2), SHA256.slice(2, 4), SHA256);
  try {
    const first = await startServe(upstream.url, dataDir);
    let received = 0;
    const cut = new Promise<{ aborted: boolean }>((resolve) => {
      get(`${first.url}/packages/slow-pkg/${FILE}`, (res) => {
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 200_000 && first.child.signalCode === null) first.child.kill("SIGKILL");
        });
        res.on("close", () => resolve({ aborted: !res.complete }));
      }).on("error", () => resolve({ aborted: true }));
    });
    const { aborted } = await cut;
    // Refused or finished before the cut: end the server anyway, so that the assertions below fail instead of hanging.
    if (first.child.signalCode === null) first.child.kill("SIGKILL");
    await exited(first.child);
    assert.equal(aborted, true);
    assert.ok(received < BYTES.length);
    assert.equal(existsSync(blobPath), false, "a partial download must not be in the store");
    const tmp = join(dataDir, "blobs", "tmp");
    assert.equal(readdirSync(tmp).length, 1, "the killed download left its partial file in the temp folder");

    upstream.setFast();
    const second = await startServe(upstream.url, dataDir);
    try {
      assert.deepEqual(readdirSync(tmp), [], "partial files are removed at start");
      const body = await fetch(`${second.url}/packages/slow-pkg/${FILE}`).then(async (r) =>
        Buffer.from(await r.arrayBuffer()),
      );
      assert.equal(createHash("sha256").update(body).digest("hex"), SHA256);
      assert.equal(upstream.fileRequests(), 2);
      assert.equal(existsSync(blobPath), true);
    } finally {
      second.child.kill("SIGTERM");
      await exited(second.child);
    }
    assert.equal(second.child.exitCode, 0, "SIGTERM shuts down cleanly");
  } finally {
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
