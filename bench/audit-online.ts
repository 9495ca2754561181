// Bench section: an online audit of a 300-package uv.lock against a test upstream with 50 ms of latency per
// request, cold (empty HTTP cache) and warm (every page revalidated with a 304), beside the offline audit; and
// warm with the ownership check on, which also asks the JSON API of every project.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_INDEX_CONCURRENCY } from "../src/policy/config.js";
import { parseProjectPage } from "../src/upstream/simple.js";
import { cliPath, repoRoot, sharedData } from "../test/paths.js";
import { topNames } from "./generate.js";

const serveScript = join(repoRoot, "dist", "bench", "upstream-serve.js");
const bareScript = join(repoRoot, "dist", "bench", "bare-revalidate.js");

function startServer(lock: string, count: number, latencyMs: number, namesFile: string, tlsDir?: string) {
  const args = [serveScript, lock, String(count), String(latencyMs), namesFile, ...(tlsDir ? [tlsDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise<{ url: string; child: ChildProcess }>((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve({ url: line.trim(), child });
    });
    child.on("exit", (code) => reject(new Error(`the bench upstream exited with ${code}`)));
  });
}

interface Timing {
  label: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  exitCode: number | null;
}

/** Runs the CLI `runs` times, preparing each run (a fresh cache dir, say) outside the timed part. */
function time(
  label: string,
  runs: number,
  prepare: (i: number) => { args: string[]; env: NodeJS.ProcessEnv },
): Timing {
  const times: number[] = [];
  let exitCode: number | null = null;
  for (let i = 0; i < runs; i++) {
    const { args, env } = prepare(i);
    const start = performance.now();
    const r = spawnSync(process.execPath, [cliPath, ...args], {
      env,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    times.push(performance.now() - start);
    exitCode = r.status;
    if (r.status === 2) throw new Error(`${label}: exit 2: ${r.stderr.slice(0, 500)}`);
  }
  times.sort((a, b) => a - b);
  return {
    label,
    medianMs: times[Math.floor(times.length / 2)]!,
    minMs: times[0]!,
    maxMs: times[times.length - 1]!,
    exitCode,
  };
}

/**
 * What the bench's one-file pages hide: a PEP 691 page of a big project (250 releases of five files, as numpy's
 * or boto3's pages run to thousands), parsed once cold (the first page this process parses) and then warm.
 */
function bigPageParse(): { files: number; kib: number; coldMs: number; warmMs: number } {
  const platforms = [
    "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-macosx_10_9_x86_64",
    "cp312-cp312-win_amd64",
    "cp39-cp39-musllinux_1_1_aarch64",
  ];
  const files: Record<string, unknown>[] = [];
  for (let minor = 0; minor < 50; minor++) {
    for (let patch = 0; patch < 5; patch++) {
      const v = `1.${minor}.${patch}`;
      const common = { "upload-time": "2024-01-01T00:00:00.000000Z", "requires-python": ">=3.9" };
      for (const p of platforms) {
        files.push({
          filename: `numpy-${v}-${p}.whl`,
          url: `https://files.pythonhosted.org/packages/aa/bb/numpy-${v}-${p}.whl`,
          hashes: { sha256: "a".repeat(64) },
          size: 12_345_678,
          "core-metadata": { sha256: "b".repeat(64) },
          ...common,
        });
      }
      files.push({
        filename: `numpy-${v}.tar.gz`,
        url: `https://files.pythonhosted.org/packages/aa/bb/numpy-${v}.tar.gz`,
        hashes: { sha256: "c".repeat(64) },
        size: 1_234_567,
        ...common,
      });
    }
  }
  const body = Buffer.from(JSON.stringify({ meta: { "api-version": "1.1" }, name: "numpy", files }));
  const ctx = { url: "https://pypi.org/simple/numpy/", project: "numpy", index: "https://pypi.org/simple/" };
  const type = "application/vnd.pypi.simple.v1+json";
  let start = performance.now();
  parseProjectPage(body, type, ctx);
  const coldMs = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < 10; i++) parseProjectPage(body, type, ctx);
  return { files: files.length, kib: body.length / 1024, coldMs, warmMs: (performance.now() - start) / 10 };
}

export async function auditOnlineReport(
  work: string = join(repoRoot, ".bench-tmp"),
  runs = 9,
): Promise<string> {
  const count = 300;
  const latencyMs = 50;
  const dir = join(work, "audit-online");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "project"), { recursive: true });
  const namesFile = join(dir, "names.json");
  writeFileSync(namesFile, JSON.stringify(topNames(sharedData, count)));
  const lock = join(dir, "project", "uv.lock");
  // The same projects twice: over HTTPS with HTTP/2 (as PyPI serves them) and over plain HTTP/1.1.
  const tlsDir = join(dir, "tls");
  mkdirSync(tlsDir, { recursive: true });
  const secure = await startServer(lock, count, latencyMs, namesFile, tlsDir);
  const plain = await startServer(join(dir, "plain-uv.lock"), count, latencyMs, namesFile);
  try {
    const db = join(dir, "none.sqlite");
    /** A copy of the lock beside a pycustoms.toml. */
    const variant = (name: string, toml: string) => {
      const path = join(dir, name);
      mkdirSync(path, { recursive: true });
      copyFileSync(lock, join(path, "uv.lock"));
      writeFileSync(join(path, "pycustoms.toml"), toml);
      return path;
    };
    const withOwnership = variant("project-ownership", "[checks]\nownership = true\n");
    const http1Only = variant("project-http1", "[index]\nhttp2 = false\n");
    const base = (
      cache: string,
      extra: string[] = [],
      project = join(dir, "project"),
      url: string = secure.url,
    ) => ({
      args: ["audit", "--db", db, "--format", "json", "--index-url", `${url}/simple/`, ...extra, project],
      env: {
        ...process.env,
        XDG_CACHE_HOME: cache,
        PIP_CONFIG_FILE: "/dev/null",
        NO_COLOR: "1",
        NODE_EXTRA_CA_CERTS: join(tlsDir, "cert.pem"),
      },
    });
    /** Fills a cache with one run, then times runs that revalidate every page. */
    const warm = (label: string, cache: string, project?: string, url?: string) => {
      const run = base(join(dir, cache), [], project, url);
      spawnSync(process.execPath, [cliPath, ...run.args], { env: run.env });
      return time(label, runs, () => run);
    };
    const local = time("audit --no-upstream (pins only)", runs, () =>
      base(join(dir, "c-none"), ["--no-upstream"]),
    );
    const cold = time("HTTPS, HTTP/2: cold cache", runs, (i) => {
      const cache = join(dir, `cold-${i}`);
      rmSync(cache, { recursive: true, force: true });
      return base(cache);
    });
    const revalidating = warm("HTTPS, HTTP/2: warm cache, every page revalidated (304)", "warm");
    const offline = time("audit --offline, warm cache", runs, () => base(join(dir, "warm"), ["--offline"]));
    const owned = warm(
      "HTTPS, HTTP/2: warm, [checks] ownership = true (page + JSON API: 304s)",
      "warm-ownership",
      withOwnership,
    );
    const http1 = warm("HTTPS, `[index] http2 = false` (HTTP/1.1): warm, 304s", "warm-http1", http1Only);
    const plainHttp = warm(
      "plain HTTP (HTTP/1.1, no TLS): warm, 304s",
      "warm-plain",
      join(dir, "project"),
      plain.url,
    );
    // The floor: a bare node:http client revalidating the same pages over as many connections, in-process.
    const bare = spawnSync(
      process.execPath,
      [bareScript, plain.url, JSON.stringify(topNames(sharedData, count)), String(DEFAULT_INDEX_CONCURRENCY)],
      { encoding: "utf8" },
    );
    if (bare.status !== 0) throw new Error(`bare client: ${bare.stderr.slice(0, 500)}`);
    const bareRounds = JSON.parse(bare.stdout) as { ms: number; notModified: number }[];
    const bareMs = Math.min(...bareRounds.map((r) => r.ms));
    const big = bigPageParse();
    const rows = [local, cold, revalidating, offline, owned, http1, plainHttp].map(
      (t) => `| ${t.label} | ${t.medianMs.toFixed(0)} | ${t.minMs.toFixed(0)} | ${t.maxMs.toFixed(0)} |`,
    );
    return [
      `### online audit of a ${count}-package uv.lock (${latencyMs} ms added latency per request, ${runs} runs each)`,
      "",
      "| command | median wall (ms) | min (ms) | max (ms) |",
      "|---|---:|---:|---:|",
      ...rows,
      "",
      `Each project is one request (its PEP 691 page, which carries upload times, sizes and digests): ${count} ` +
        `requests per online run, ${DEFAULT_INDEX_CONCURRENCY} in flight (the default \`[index] concurrency\`); ` +
        `with the ownership check on, the JSON API too: ${2 * count}. The HTTPS index speaks HTTP/2 and allows ` +
        `100 streams per connection. Cold ${cold.medianMs.toFixed(0)} ms (target < 2000 ms); revalidating ` +
        `${revalidating.medianMs.toFixed(0)} ms (target < 400 ms); offline ${offline.medianMs.toFixed(0)} ms; ` +
        `revalidating over HTTP/1.1 ${http1.medianMs.toFixed(0)} ms with TLS, ${plainHttp.medianMs.toFixed(0)} ms without.`,
      "",
      `The floor over plain HTTP: a bare node:http client in a running process, revalidating the same ${count} pages ` +
        `over ${DEFAULT_INDEX_CONCURRENCY} keep-alive connections and doing nothing else, took ${bareMs.toFixed(0)} ms ` +
        `(best of two rounds: ${bareRounds.map((r) => `${r.ms.toFixed(0)} ms, ${r.notModified} × 304`).join("; ")}); ` +
        `with the no-upstream audit's ${local.medianMs.toFixed(0)} ms of process start and inventory before the first ` +
        `request, no client finishes before ≈ ${(bareMs + local.medianMs).toFixed(0)} ms.`,
      "",
      `The bench's pages list one file each; PyPI's pages of big projects list thousands. Parsing one PEP 691 page ` +
        `of ${big.files} files (${big.kib.toFixed(0)} KiB) took ${big.coldMs.toFixed(1)} ms cold and ` +
        `${big.warmMs.toFixed(1)} ms warm in this process: an audit of many such projects spends that per page, ` +
        `whether the page was revalidated or not.`,
    ].join("\n");
  } finally {
    secure.child.kill("SIGTERM");
    plain.child.kill("SIGTERM");
  }
}
