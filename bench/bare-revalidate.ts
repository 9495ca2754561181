// The floor of the revalidating online audit: a bare node:http client, in one process, revalidating the same
// project pages with the same number of connections and nothing else (no process start, no inventory, no cache
// files, no checks). Prints the milliseconds of the second and third rounds (the first fetches the ETags).
import http from "node:http";

const [base, namesJson, connectionsText] = process.argv.slice(2);
if (!base || !namesJson || !connectionsText) {
  process.stderr.write("usage: bare-revalidate.js INDEX_URL NAMES_JSON CONNECTIONS\n");
  process.exit(2);
}
const names = JSON.parse(namesJson) as string[];
const connections = Number(connectionsText);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const etags = new Map<string, string>();

function get(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: "application/vnd.pypi.simple.v1+json" };
    const etag = etags.get(name);
    if (etag) headers["if-none-match"] = etag;
    const req = http.request(`${base}/simple/${name}/`, { agent, headers }, (res) => {
      if (typeof res.headers.etag === "string") etags.set(name, res.headers.etag);
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function round(): Promise<{ ms: number; notModified: number }> {
  let next = 0;
  let notModified = 0;
  const start = performance.now();
  const worker = async () => {
    for (let name = names[next++]; name !== undefined; name = names[next++]) {
      if ((await get(name)) === 304) notModified++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { ms: performance.now() - start, notModified };
}

await round();
const rounds = [await round(), await round()];
agent.destroy();
process.stdout.write(`${JSON.stringify(rounds)}\n`);
