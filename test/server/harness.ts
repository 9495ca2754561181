// Shared set-up of the proxy tests: real test dists behind a test upstream, a proxy over it, pip's environment.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildServer, type ServerOptions } from "../../src/server/app.js";
import { type BuiltDist, buildSdist, buildWheel } from "../support/dists.js";
import {
  type RunningUpstream,
  startUpstreamServer,
  type UpstreamFixture,
} from "../support/upstream-server.js";

export interface Dists {
  alpha1: BuiltDist;
  alpha2: BuiltDist;
  alpha2sdist: BuiltDist;
  beta: BuiltDist;
}

export async function buildDists(): Promise<Dists> {
  return {
    alpha1: await buildWheel({ name: "alpha-pkg", version: "1.0" }),
    alpha2: await buildWheel({
      name: "alpha-pkg",
      version: "2.0",
      requiresPython: ">=3.8",
      requiresDist: ["beta"],
    }),
    alpha2sdist: await buildSdist({ name: "alpha-pkg", version: "2.0", requiresPython: ">=3.8" }),
    beta: await buildWheel({ name: "beta", version: "0.5", padBytes: 300_000 }),
  };
}

export function fixtureOf(d: Dists, overrides: Partial<UpstreamFixture> = {}): UpstreamFixture {
  return {
    projects: [
      {
        name: "Alpha_Pkg",
        releases: [
          {
            version: "1.0",
            yanked: "broken build",
            files: [{ filename: d.alpha1.filename, bytes: d.alpha1.bytes }],
          },
          {
            version: "2.0",
            requiresPython: ">=3.8",
            files: [
              {
                filename: d.alpha2.filename,
                bytes: d.alpha2.bytes,
                metadata: d.alpha2.metadata,
                uploadTime: "2024-03-20T13:00:33.355932Z",
                provenance: { version: 1, attestation_bundles: [] },
              },
              { filename: d.alpha2sdist.filename, bytes: d.alpha2sdist.bytes },
            ],
          },
        ],
      },
      {
        name: "beta",
        status: "deprecated",
        statusReason: "use gamma",
        releases: [
          {
            version: "0.5",
            files: [{ filename: d.beta.filename, bytes: d.beta.bytes, metadata: d.beta.metadata }],
          },
        ],
      },
    ],
    ...overrides,
  };
}

export interface RunningProxy {
  upstream: RunningUpstream;
  app: FastifyInstance;
  dataDir: string;
  /** The listening proxy's base URL (only after `listen: true`). */
  url: string;
  blobFiles(): string[];
  tempFiles(): string[];
  close(): Promise<void>;
}

export function tempDir(prefix = "pycustoms-serve-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath ?? e.path, e.name));
  } catch {
    return [];
  }
}

export async function startProxy(
  fixture: UpstreamFixture,
  options: { listen?: boolean; server?: Partial<ServerOptions> } = {},
): Promise<RunningProxy> {
  const upstream = await startUpstreamServer(fixture);
  const dataDir = tempDir();
  const app = await buildServer({
    upstreams: [`${upstream.url}/simple/`],
    dataDir,
    http: { retries: 0, timeoutMs: 5000, env: {} },
    ...options.server,
  });
  let url = "";
  if (options.listen) url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    upstream,
    app,
    dataDir,
    url,
    blobFiles: () => listFiles(join(dataDir, "blobs", "sha256")),
    tempFiles: () => listFiles(join(dataDir, "blobs", "tmp")),
    async close() {
      await app.close();
      await upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ListeningServer {
  app: FastifyInstance;
  url: string;
  port: number;
  /** Closes the server and removes its data directory (the upstream stays up). */
  close(): Promise<void>;
}

/** A server listening on loopback over an upstream the caller runs (several servers can share one upstream). */
export async function listeningServer(
  upstream: RunningUpstream,
  options: Partial<ServerOptions> = {},
): Promise<ListeningServer> {
  const dataDir = tempDir();
  const app = await buildServer({
    upstreams: [`${upstream.url}/simple/`],
    dataDir,
    http: { retries: 0, timeoutMs: 5000, env: {} },
    ...options,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    app,
    url,
    port: (app.server.address() as { port: number }).port,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The machine's pip sees nothing but the test index: no config files, no index or find-links variables. */
export function pipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PIP_CONFIG_FILE: "/dev/null",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
  };
  for (const name of [
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_TARGET",
  ]) {
    delete env[name];
  }
  env.PIP_NO_CACHE_DIR = "1";
  env.PIP_DEFAULT_TIMEOUT = "10";
  env.NO_PROXY = "127.0.0.1,localhost";
  env.no_proxy = env.NO_PROXY;
  return env;
}
