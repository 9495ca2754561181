// `npm run bench -- serve`: `pycustoms serve` against nginx on loopback with wrk — cached pages (JSON, HTML), a cached
// 10 MB wheel (from Node, and offloaded to nginx with X-Accel-Redirect), peak memory at 64 clients — and a warm
// `pip install` of 20 packages through the proxy against the same install straight from the test upstream.
//
// Needs wrk and nginx (Debian: `apt-get install -y wrk nginx-light`) and the built CLI (`npm run build`). Not run
// in CI: its figures go into bench/RESULTS.md.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { delimiter, join } from "node:path";
import Fastify from "fastify";
import { cliPath } from "../test/paths.js";
import { pipEnv } from "../test/server/harness.js";
import { buildWheel } from "../test/support/dists.js";
import { freePort } from "../test/support/ports.js";
import {
  type FixtureProject,
  type RunningUpstream,
  startUpstreamServer,
} from "../test/support/upstream-server.js";

const JSON_ACCEPT = "application/vnd.pypi.simple.v1+json";
const HTML_ACCEPT = "application/vnd.pypi.simple.v1+html";
const DURATION = "5s";
const WARM_UP = "1s";
/** Rounds of the 16-client measurements (each row's median is reported). */
const ROUNDS = 3;
const WHEEL_BYTES = 10 * 1024 * 1024;
const PAGE_RELEASES = 80;
const PIP_PACKAGES = 20;
const PIP_RUNS = 3;

/** The first executable of this name on PATH (or in the sbin folders, where Debian puts nginx). */
function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program without blocking this process's event loop (the test upstream lives in it). */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return new Promise<Finished>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

interface Serve {
  child: ChildProcess;
  url: string;
  /** The worker processes of `--workers N` (from the start-up lines); empty for a single process. */
  workerPids: number[];
}

/** Starts the built CLI's `serve` and waits for the line that names its URL. */
async function startServe(args: string[], cwd: string): Promise<Serve> {
  const child = spawn(process.execPath, [cliPath, "serve", "--log-level", "warn", ...args], {
    cwd,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let seen = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pycustoms serve did not start:\n${seen}`)), 20_000);
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      seen += d;
      const m = /pycustoms serve: (http:\/\/\S+)\/simple\//.exec(seen);
      // With --workers, wait for the whole block: the workers line comes after the URL.
      if (m?.[1] && /Point clients at it/.test(seen)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pycustoms serve exited ${code}:\n${seen}`));
    });
  });
  child.stderr?.resume();
  const pids = /workers: +\d+ processes \(pids ([\d, ]+);/.exec(seen)?.[1] ?? "";
  return { child, url, workerPids: pids === "" ? [] : pids.split(", ").map(Number) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Peak resident memory of a live process so far (VmHWM), in MB. */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

async function fetchBytes(
  url: string,
  accept?: string,
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const response = await fetch(url, accept ? { headers: { accept } } : {});
  return {
    status: response.status,
    body: Buffer.from(await response.arrayBuffer()),
    headers: response.headers,
  };
}

interface WrkResult {
  label: string;
  requestsPerSec: number;
  /** Body bytes per second, from requests/s × the body size (headers left out, the same for both sides). */
  mbPerSec: number;
  errors: string | null;
}

interface WrkSpec {
  label: string;
  url: string;
  bodyBytes: number;
  accept?: string;
}

/**
 * Every spec once per round, in turn, each keeping its median round. The machine is shared (other work may run in
 * bursts): a burst then spoils one round of every row rather than all of one row, and the median drops it.
 */
async function wrkRounds<K extends string>(
  wrkPath: string,
  rounds: number,
  specs: Record<K, WrkSpec>,
): Promise<Record<K, WrkResult>> {
  const keys = Object.keys(specs) as K[];
  const runs = new Map<K, WrkResult[]>(keys.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const key of keys) {
      const spec = specs[key];
      const result = await wrk(wrkPath, spec.label, spec.url, spec.bodyBytes, {
        ...(spec.accept ? { accept: spec.accept } : {}),
      });
      runs.get(key)?.push(result);
    }
  }
  const out = {} as Record<K, WrkResult>;
  for (const key of keys) {
    const all = runs.get(key) ?? [];
    const mid = [...all].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor(all.length / 2)];
    const errors = all.map((r) => r.errors).filter((e): e is string => e !== null);
    if (mid) out[key] = { ...mid, errors: errors.length > 0 ? errors.join("; ") : null };
  }
  return out;
}

async function wrk(
  wrkPath: string,
  label: string,
  url: string,
  bodyBytes: number,
  options: { connections?: number; accept?: string } = {},
): Promise<WrkResult> {
  const args = ["-t2", `-c${options.connections ?? 16}`];
  if (options.accept) args.push("-H", `Accept: ${options.accept}`);
  // An unmeasured second first, for every server alike: JIT warm-up, connections set up, each worker's caches.
  await run(wrkPath, [...args, `-d${WARM_UP}`, url]);
  const r = await run(wrkPath, [...args, `-d${DURATION}`, url]);
  if (r.code !== 0) throw new Error(`wrk failed for ${label}: ${r.stderr || r.stdout}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? Number.NaN);
  const problems = [
    /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[0],
    /Socket errors: [^\n]+/.exec(r.stdout)?.[0],
  ].filter((x): x is string => x !== undefined);
  return {
    label,
    requestsPerSec: rps,
    mbPerSec: (rps * bodyBytes) / 1e6,
    errors: problems.length ? problems.join("; ") : null,
  };
}

function nginxConfig(o: {
  root: string;
  www: string;
  directPort: number;
  offloadPort: number;
  upstreamPort: number;
  blobs: string;
}): string {
  return `
${process.getuid?.() === 0 ? "user root;" : ""}
worker_processes auto;
daemon off;
pid ${o.root}/nginx.pid;
error_log ${o.root}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path ${o.root}/client_temp;
  proxy_temp_path ${o.root}/proxy_temp;
  fastcgi_temp_path ${o.root}/fastcgi_temp;
  uwsgi_temp_path ${o.root}/uwsgi_temp;
  scgi_temp_path ${o.root}/scgi_temp;
  types {
    application/vnd.pypi.simple.v1+json json;
    application/vnd.pypi.simple.v1+html html;
    application/octet-stream whl;
  }
  # nginx alone: the same bytes from disk.
  server {
    listen 127.0.0.1:${o.directPort};
    root ${o.www};
  }
  # nginx in front of pycustoms serve --x-accel-redirect (as examples/serve/nginx.conf).
  upstream pycustoms { server 127.0.0.1:${o.upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${o.offloadPort};
    location / {
      proxy_pass http://pycustoms;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
    location /_pycustoms_blobs/ {
      internal;
      alias ${o.blobs}/sha256/;
      default_type application/octet-stream;
    }
  }
}
`;
}

async function startNginx(
  nginxPath: string,
  root: string,
  config: string,
  port: number,
): Promise<ChildProcess> {
  for (const d of ["client_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp"])
    mkdirSync(join(root, d), { recursive: true });
  const conf = join(root, "nginx.conf");
  writeFileSync(conf, config);
  const child = spawn(nginxPath, ["-p", root, "-c", conf, "-e", join(root, "error.log")], {
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const log = existsSync(join(root, "error.log")) ? readFileSync(join(root, "error.log"), "utf8") : "";
  await stop(child);
  throw new Error(`nginx did not start:\n${log}`);
}

/** Servers that send the page bytes and do nothing else: what one Node process can reach here at best. */
async function startCeilingServers(body: Buffer) {
  const headers = {
    "content-type": JSON_ACCEPT,
    "content-length": String(body.length),
    etag: '"ceiling"',
    vary: "Accept",
    "cache-control": "max-age=0, must-revalidate",
  };
  const http = createHttpServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  const httpUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`;
  const app = Fastify();
  app.get("/simple/:project/", async (_request, reply) => reply.headers(headers).send(body));
  const fastifyUrl = `${await app.listen({ host: "127.0.0.1", port: 0 })}/simple/pagepkg/`;
  // Below node:http: a net.Server that answers every request head (up to its blank line) with the same response
  // bytes, parsing nothing. Not a server anyone should run; it shows what Node's socket layer allows here.
  const response = Buffer.concat([
    Buffer.from(
      `HTTP/1.1 200 OK\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("")}\r\n`,
      "latin1",
    ),
    body,
  ]);
  const raw = createNetServer((socket) => {
    let pending = "";
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
        pending = pending.slice(end + 4);
        socket.write(response);
      }
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  const rawAddress = raw.address();
  const rawUrl = `http://127.0.0.1:${typeof rawAddress === "object" && rawAddress !== null ? rawAddress.port : 0}/`;
  return {
    httpUrl,
    fastifyUrl,
    rawUrl,
    close: async () => {
      await app.close();
      await new Promise((resolve) => http.close(resolve));
      await new Promise((resolve) => raw.close(resolve));
    },
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "-";
const pct = (n: number) => (Number.isFinite(n) ? `${(100 * n).toFixed(0)}%` : "-");

function header(): string {
  return `${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpus()[0]?.model ?? "cpu"} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version}`;
}

/** The benchmark, as a markdown section; a message saying what to install when wrk or nginx is missing. */
export async function serveReport(): Promise<string> {
  const wrkPath = findExecutable("wrk");
  const nginxPath = findExecutable("nginx");
  if (wrkPath === null || nginxPath === null) {
    const missing = [wrkPath === null ? "wrk" : null, nginxPath === null ? "nginx" : null].filter(Boolean);
    return `### serve: skipped\n\nThe serve benchmark needs ${missing.join(" and ")}: on Debian, \`apt-get install -y wrk nginx-light\` (as root).`;
  }
  if (!existsSync(cliPath)) return "### serve: skipped\n\nBuild the CLI first: `npm run build`.";

  const work = mkdtempSync(join(tmpdir(), "pycustoms-bench-serve-"));
  const children: ChildProcess[] = [];
  let upstream: RunningUpstream | null = null;
  try {
    // The test upstream: a page of 80 releases, one 10 MB wheel, 20 small installable wheels.
    const uploadTime = new Date(Date.now() - 200 * 86_400_000).toISOString();
    const big = await buildWheel({ name: "bigwheel", version: "1.0", padBytes: WHEEL_BYTES });
    const tiny = Buffer.from("not a real wheel: the page benchmark never downloads it");
    const pageProject: FixtureProject = {
      name: "pagepkg",
      releases: Array.from({ length: PAGE_RELEASES }, (_, i) => ({
        version: `1.${Math.floor(i / 10)}.${i % 10}`,
        requiresPython: ">=3.8",
        files: [
          { filename: `pagepkg-1.${Math.floor(i / 10)}.${i % 10}-py3-none-any.whl`, bytes: tiny, uploadTime },
        ],
      })),
    };
    const pipNames = Array.from(
      { length: PIP_PACKAGES },
      (_, i) => `benchpkg${String(i + 1).padStart(2, "0")}`,
    );
    const pipProjects: FixtureProject[] = [];
    for (const name of pipNames) {
      const wheel = await buildWheel({ name, version: "1.0.0", padBytes: 20_000 });
      pipProjects.push({
        name,
        releases: [
          { version: "1.0.0", files: [{ filename: wheel.filename, bytes: wheel.bytes, uploadTime }] },
        ],
      });
    }
    upstream = await startUpstreamServer({
      projects: [
        pageProject,
        {
          name: "bigwheel",
          releases: [{ version: "1.0", files: [{ filename: big.filename, bytes: big.bytes, uploadTime }] }],
        },
        ...pipProjects,
      ],
    });

    // Two servers on one data directory: one sends files itself, one hands them to nginx.
    const dataDir = join(work, "data");
    const upstreamArg = ["--upstream", `${upstream.url}/simple/`, "--data-dir", dataDir];
    const nodePort = await freePort();
    const plain = await startServe(["--port", String(nodePort), ...upstreamArg], work);
    children.push(plain.child);
    const accelPort = await freePort();
    const accel = await startServe(
      ["--port", String(accelPort), "--x-accel-redirect", "/_pycustoms_blobs/", ...upstreamArg],
      work,
    );
    children.push(accel.child);
    // The same, as two processes sharing one port (`--workers 2`, node:cluster).
    const workersPort = await freePort();
    const workers = await startServe(["--port", String(workersPort), "--workers", "2", ...upstreamArg], work);
    children.push(workers.child);

    // Warm the cache (and check what is served) before anything is measured.
    const pageUrl = `${plain.url}/simple/pagepkg/`;
    const json = await fetchBytes(pageUrl, JSON_ACCEPT);
    const html = await fetchBytes(pageUrl, HTML_ACCEPT);
    const wheelPath = `/packages/bigwheel/${big.filename}`;
    const wheel = await fetchBytes(`${plain.url}${wheelPath}`);
    if (json.status !== 200 || html.status !== 200 || wheel.status !== 200 || !wheel.body.equals(big.bytes)) {
      throw new Error(
        `warm-up failed: page ${json.status}/${html.status}, wheel ${wheel.status} (${wheel.body.length} bytes)`,
      );
    }
    await fetchBytes(`${accel.url}/simple/bigwheel/`, JSON_ACCEPT);
    const workersPage = await fetchBytes(`${workers.url}/simple/pagepkg/`, JSON_ACCEPT);
    if (!workersPage.body.equals(json.body) || workers.workerPids.length !== 2)
      throw new Error(`--workers 2 serves another page, or did not name its 2 workers`);
    const workersPageUrl = `${workers.url}/simple/pagepkg/`;

    const www = join(work, "www");
    mkdirSync(www, { recursive: true });
    writeFileSync(join(www, "page.json"), json.body);
    writeFileSync(join(www, "page.html"), html.body);
    writeFileSync(join(www, "bigwheel.whl"), big.bytes);
    const directPort = await freePort();
    const offloadPort = await freePort();
    const nginxRoot = join(work, "nginx");
    mkdirSync(nginxRoot, { recursive: true });
    const nginx = await startNginx(
      nginxPath,
      nginxRoot,
      nginxConfig({
        root: nginxRoot,
        www,
        directPort,
        offloadPort,
        upstreamPort: accelPort,
        blobs: join(dataDir, "blobs"),
      }),
      directPort,
    );
    children.push(nginx);
    const nginxUrl = `http://127.0.0.1:${directPort}`;
    const offloadUrl = `http://127.0.0.1:${offloadPort}`;
    const offloaded = await fetchBytes(`${offloadUrl}${wheelPath}`);
    if (offloaded.status !== 200 || !offloaded.body.equals(big.bytes))
      throw new Error(`X-Accel-Redirect offload failed: ${offloaded.status}, ${offloaded.body.length} bytes`);

    // Node's own ceiling for the same bytes on this machine: node:http, a bare Fastify route and a raw socket.
    const ceiling = await startCeilingServers(json.body);
    const page = (label: string, url: string, body: Buffer, accept?: string): WrkSpec => ({
      label,
      url,
      bodyBytes: body.length,
      ...(accept ? { accept } : {}),
    });
    const wheelSpec = (label: string, url: string): WrkSpec => ({ label, url, bodyBytes: big.bytes.length });
    const measured = await wrkRounds(wrkPath, ROUNDS, {
      pageJson: page("page, JSON: pycustoms", pageUrl, json.body, JSON_ACCEPT),
      pageJsonWorkers: page("page, JSON: pycustoms --workers 2", workersPageUrl, json.body, JSON_ACCEPT),
      pageJsonNginx: page("page, JSON: nginx", `${nginxUrl}/page.json`, json.body),
      // Node's own ceiling for the same bytes on this machine: node:http and a bare Fastify route, no work at all.
      nodeHttp: page("page, JSON: bare node:http (reference)", ceiling.httpUrl, json.body),
      bareFastify: page("page, JSON: bare Fastify (reference)", ceiling.fastifyUrl, json.body),
      rawNet: page("page, JSON: raw net.Server, no HTTP parsing (reference)", ceiling.rawUrl, json.body),
      pageHtml: page("page, HTML: pycustoms", pageUrl, html.body, HTML_ACCEPT),
      pageHtmlWorkers: page("page, HTML: pycustoms --workers 2", workersPageUrl, html.body, HTML_ACCEPT),
      pageHtmlNginx: page("page, HTML: nginx", `${nginxUrl}/page.html`, html.body),
      wheel: wheelSpec("10 MB wheel: pycustoms (Node)", `${plain.url}${wheelPath}`),
      wheelWorkers: wheelSpec("10 MB wheel: pycustoms --workers 2 (Node)", `${workers.url}${wheelPath}`),
      wheelOffload: wheelSpec("10 MB wheel: nginx + pycustoms X-Accel-Redirect", `${offloadUrl}${wheelPath}`),
      wheelNginx: wheelSpec("10 MB wheel: nginx", `${nginxUrl}/bigwheel.whl`),
    });
    await ceiling.close();
    const { nodeHttp, bareFastify, rawNet, ...results } = measured;
    const rss16 = peakRssMb(plain.child.pid);
    const page64 = await wrk(wrkPath, "page, JSON, 64 clients: pycustoms", pageUrl, json.body.length, {
      accept: JSON_ACCEPT,
      connections: 64,
    });
    const wheel64 = await wrk(
      wrkPath,
      "10 MB wheel, 64 clients: pycustoms (Node)",
      `${plain.url}${wheelPath}`,
      big.bytes.length,
      { connections: 64 },
    );
    const rss64 = peakRssMb(plain.child.pid);
    const accelRss = peakRssMb(accel.child.pid);
    const workersPage64 = await wrk(
      wrkPath,
      "page, JSON, 64 clients: pycustoms --workers 2",
      workersPageUrl,
      json.body.length,
      { accept: JSON_ACCEPT, connections: 64 },
    );
    const workersWheel64 = await wrk(
      wrkPath,
      "10 MB wheel, 64 clients: pycustoms --workers 2 (Node)",
      `${workers.url}${wheelPath}`,
      big.bytes.length,
      { connections: 64 },
    );
    const workerRss = workers.workerPids.map((pid) => peakRssMb(pid));
    const primaryRss = peakRssMb(workers.child.pid);
    const workersTotalRss = primaryRss + workerRss.reduce((a, b) => a + b, 0);

    // pip: the same 20 packages, warm proxy cache, no pip cache; alternate the order, take the median.
    const env = pipEnv();
    const pipInstall = async (index: string, n: number) => {
      const target = join(work, `pip-${n}`);
      const r = await run(
        "python3",
        [
          "-m",
          "pip",
          "install",
          "--no-cache-dir",
          "--no-deps",
          "--target",
          target,
          "--index-url",
          index,
          ...pipNames,
        ],
        { env, cwd: work },
      );
      rmSync(target, { recursive: true, force: true });
      if (r.code !== 0) throw new Error(`pip install from ${index} failed:\n${r.stderr.slice(-2000)}`);
      return r.ms;
    };
    const viaProxy = `${plain.url}/simple/`;
    const direct = `${upstream.url}/simple/`;
    await pipInstall(viaProxy, 0); // fills the proxy's cache
    await pipInstall(direct, 0);
    const proxyMs: number[] = [];
    const directMs: number[] = [];
    for (let i = 1; i <= PIP_RUNS; i++) {
      proxyMs.push(await pipInstall(viaProxy, i));
      directMs.push(await pipInstall(direct, i));
    }

    const row = (r: WrkResult, base: WrkResult | null, by: "rps" | "mb") => {
      const ratio =
        base === null
          ? ""
          : pct(by === "rps" ? r.requestsPerSec / base.requestsPerSec : r.mbPerSec / base.mbPerSec);
      return `| ${r.label} | ${fmt(r.requestsPerSec)} | ${fmt(r.mbPerSec)} | ${ratio} |${r.errors ? ` ${r.errors}` : ""}`;
    };
    const bestJson = Math.max(results.pageJson.requestsPerSec, results.pageJsonWorkers.requestsPerSec);
    const bestHtml = Math.max(results.pageHtml.requestsPerSec, results.pageHtmlWorkers.requestsPerSec);
    const pagesOk =
      bestJson >= 0.5 * results.pageJsonNginx.requestsPerSec &&
      bestHtml >= 0.5 * results.pageHtmlNginx.requestsPerSec;
    const bestFiles = Math.max(
      results.wheel.mbPerSec,
      results.wheelWorkers.mbPerSec,
      results.wheelOffload.mbPerSec,
    );
    const filesRatio = bestFiles / results.wheelNginx.mbPerSec;
    const pipRatio = median(proxyMs) / median(directMs);
    const out = [
      `### serve: pycustoms serve against nginx (${header()})`,
      "",
      `wrk -t2 -c16 -d${DURATION}, each after a ${WARM_UP} unmeasured run, median of ${ROUNDS} rounds taken in turn (64-client rows: one run), on loopback (client and servers share the machine). Page: ${PAGE_RELEASES} releases, JSON ${fmt(json.body.length / 1024, 1)} KiB, HTML ${fmt(html.body.length / 1024, 1)} KiB; wheel ${fmt(big.bytes.length / 2 ** 20, 1)} MiB. MB/s = 10^6 body bytes per second.`,
      "",
      "| what | requests/s | MB/s | of nginx |",
      "|---|---:|---:|---:|",
      row(results.pageJson, results.pageJsonNginx, "rps"),
      row(results.pageJsonWorkers, results.pageJsonNginx, "rps"),
      row(results.pageJsonNginx, null, "rps"),
      row(nodeHttp, results.pageJsonNginx, "rps"),
      row(bareFastify, results.pageJsonNginx, "rps"),
      row(rawNet, results.pageJsonNginx, "rps"),
      row(results.pageHtml, results.pageHtmlNginx, "rps"),
      row(results.pageHtmlWorkers, results.pageHtmlNginx, "rps"),
      row(results.pageHtmlNginx, null, "rps"),
      row(results.wheel, results.wheelNginx, "mb"),
      row(results.wheelWorkers, results.wheelNginx, "mb"),
      row(results.wheelOffload, results.wheelNginx, "mb"),
      row(results.wheelNginx, null, "mb"),
      row(page64, null, "rps"),
      row(wheel64, null, "mb"),
      row(workersPage64, null, "rps"),
      row(workersWheel64, null, "mb"),
      "",
      `Peak memory (VmHWM) of the pycustoms process serving from Node: ${fmt(rss16)} MB after the 16-client runs, ${fmt(rss64)} MB after the 64-client runs (target < 200 MB); the X-Accel-Redirect instance: ${fmt(accelRss)} MB. \`--workers 2\` after its 64-client runs: workers ${workerRss.map((m) => fmt(m)).join(" and ")} MB, primary ${fmt(primaryRss)} MB, ${fmt(workersTotalRss)} MB in all (peaks added up).`,
      "",
      `Warm \`pip install --no-cache-dir --target\` of ${PIP_PACKAGES} packages, median of ${PIP_RUNS}: through the proxy ${fmt(median(proxyMs))} ms, straight from the test upstream ${fmt(median(directMs))} ms (${pct(pipRatio)}; target ≤ 110%). Runs: proxy ${proxyMs.map((m) => fmt(m)).join(", ")}; upstream ${directMs.map((m) => fmt(m)).join(", ")} ms.`,
      "",
      `Targets: pages ≥ 50% of nginx (best of one process and \`--workers 2\`: JSON ${pct(bestJson / results.pageJsonNginx.requestsPerSec)}, HTML ${pct(bestHtml / results.pageHtmlNginx.requestsPerSec)}): ${pagesOk ? "met" : "MISSED"}; files ≥ 80% of nginx (best of Node, \`--workers 2\` and offload, ${pct(filesRatio)}): ${filesRatio >= 0.8 ? "met" : "MISSED"}; memory < 200 MB per process at 64 clients: ${Math.max(rss64, ...workerRss) < 200 ? "met" : "MISSED"}; pip within 10%: ${pipRatio <= 1.1 ? "met" : "MISSED"}.`,
    ];
    return out.join("\n");
  } finally {
    for (const child of children.reverse()) await stop(child);
    await upstream?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

// Run directly: `node dist/bench/serve.js`.
if (process.argv[1]?.endsWith(join("bench", "serve.js"))) {
  process.stdout.write(`${await serveReport()}\n`);
}
