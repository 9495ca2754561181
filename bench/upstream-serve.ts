// A test upstream in its own process for the online-audit benchmark: N projects with real wheels, added latency on
// every route, and max-age=0 so a warm cache revalidates every page (304s). Prints its URL, then serves until killed.
// With a fifth argument (a directory), it serves HTTPS with HTTP/2 as PyPI does, allowing 100 streams per connection
// (the least RFC 9113 recommends a server allow; nginx's default is 128), and writes the certificate the client
// must trust to DIR/cert.pem (for NODE_EXTRA_CA_CERTS).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { normalizeName } from "../src/standards/names.js";
import { buildWheel } from "../test/support/dists.js";
import { testCertificate } from "../test/support/tls.js";
import { type FixtureProject, startUpstreamServer } from "../test/support/upstream-server.js";

/** A uv.lock of `projects`, each locked to its one release with the wheel's real digest. */
function uvLock(
  projects: { name: string; version: string; filename: string; sha256: string; size: number }[],
) {
  const out = ['version = 1\nrevision = 2\nrequires-python = ">=3.10"\n'];
  for (const p of projects) {
    out.push(`[[package]]
name = "${p.name}"
version = "${p.version}"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.example/${p.filename}", hash = "sha256:${p.sha256}", size = ${p.size} },
]
`);
  }
  return out.join("\n");
}

const [lockPath, countText, latencyText, namesPath, tlsDir] = process.argv.slice(2);
if (!lockPath || !countText || !latencyText || !namesPath) {
  process.stderr.write("usage: upstream-serve.js LOCK_PATH COUNT LATENCY_MS NAMES_JSON [TLS_DIR]\n");
  process.exit(2);
}
const names = (JSON.parse((await import("node:fs")).readFileSync(namesPath, "utf8")) as string[]).slice(
  0,
  Number(countText),
);
const uploadTime = new Date(Date.now() - 200 * 86_400_000).toISOString();
const projects: FixtureProject[] = [];
const locked: Parameters<typeof uvLock>[0] = [];
for (const name of names) {
  const wheel = await buildWheel({ name, version: "1.0.0" });
  projects.push({
    name,
    ownership: { organization: "bench", roles: [{ role: "Owner", user: "bench" }] },
    releases: [{ version: "1.0.0", files: [{ filename: wheel.filename, bytes: wheel.bytes, uploadTime }] }],
  });
  locked.push({
    name,
    version: "1.0.0",
    filename: wheel.filename,
    sha256: wheel.sha256,
    size: wheel.bytes.length,
  });
}
writeFileSync(lockPath, uvLock(locked));
let tls: { key: string; cert: string } | undefined;
if (tlsDir) {
  const { key, cert } = testCertificate();
  writeFileSync(join(tlsDir, "cert.pem"), cert);
  tls = { key, cert };
}
const server = await startUpstreamServer({ projects, maxAge: 0 }, tls ? { tls, maxStreams: 100 } : {});
const latencyMs = Number(latencyText);
for (const name of names) {
  const n = normalizeName(name);
  for (const path of [`/simple/${n}/`, `/pypi/${n}/json`]) server.setFault(path, { latencyMs });
}
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
