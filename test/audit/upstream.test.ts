import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { indexKey, resolveIndexUrl } from "../../src/audit/index-url.js";
import { runUpstreamChecks, type UpstreamContext } from "../../src/audit/upstream.js";
import type { Finding } from "../../src/checks/types.js";
import type { Dependency } from "../../src/inventory/types.js";
import { type Config, DEFAULT_CONFIG, parseConfigText } from "../../src/policy/config.js";
import type { IndexClient } from "../../src/upstream/client.js";
import { type UpstreamError, upstreamError } from "../../src/upstream/errors.js";
import type { ProjectInfo } from "../../src/upstream/types.js";
import { daysAgo, locked, NOW, PYPI, project, requirement, wheel } from "../checks/upstream-builders.js";

/** An index client answering from a map, counting look-ups. */
function fakeClient(
  answers: Record<string, ProjectInfo | UpstreamError>,
  indexUrl = PYPI,
): IndexClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    indexUrl,
    jsonApiUrl: null,
    asked,
    async project(name) {
      asked.push(name);
      return (
        answers[name] ??
        upstreamError("not-found", indexUrl, `${name}: not found (HTTP 404)`, { status: 404 })
      );
    },
    async release() {
      return upstreamError("not-found", indexUrl, "no JSON API");
    },
    async fetchProvenance(url) {
      return upstreamError("not-found", url, "none");
    },
    async close() {},
  };
}

function config(toml = ""): Config {
  const r = parseConfigText(toml, "pycustoms.toml", false);
  assert.deepEqual(r.errors, []);
  return r.config;
}

function ctx(client: IndexClient, over: Partial<UpstreamContext> = {}): UpstreamContext {
  return {
    client,
    config: config(),
    now: NOW,
    popular: null,
    requirementsOptionsByFile: new Map(),
    offline: false,
    ...over,
  };
}

const old = (name: string, version: string) =>
  project(name, [wheel(name, version, "py3-none-any", { uploadTime: daysAgo(100), size: 1000 })], {
    ownership: { organization: "org", roles: [] },
  });

describe("runUpstreamChecks", () => {
  test("each project is asked once however many files declare it", async () => {
    const client = fakeClient({ flask: old("flask", "3.0.0") });
    const deps = [locked("flask", "3.0.0"), requirement("Flask", "==3.0.0"), locked("flask", "3.0.0")];
    await runUpstreamChecks(deps, ctx(client));
    assert.deepEqual(client.asked, ["flask"]);
  });

  test("an unreachable index is asked once, and every check says why it did not run", async () => {
    const down = upstreamError("network", `${PYPI}a/`, `${PYPI}a/: ECONNREFUSED`);
    const client = fakeClient({ a: down, b: down, c: down });
    const deps = [locked("a", "1.0"), locked("b", "1.0"), locked("c", "1.0")];
    const out = await runUpstreamChecks(deps, ctx(client));
    assert.deepEqual(client.asked, ["a"]);
    assert.match(out.unreachable ?? "", /could not be reached: .*ECONNREFUSED/);
    const checks = out.skipped.map((s) => s.check);
    for (const check of [
      "project-status",
      "yanked",
      "release-age",
      "hash-mismatch",
      "provenance",
      "ownership",
    ]) {
      assert.ok(checks.includes(check), check);
    }
    assert.equal(new Set(checks).size, checks.length, "one line per check");
  });

  test("path, VCS and other-index dependencies are not looked up, with a reason naming them", async () => {
    const client = fakeClient({});
    const deps = [
      requirement("mylib", "", { source: { kind: "path", path: "./mylib" } }),
      locked("torch", "2.3.0", { source: { kind: "index", url: "https://download.pytorch.org/whl/cpu" } }),
    ];
    const out = await runUpstreamChecks(deps, ctx(client));
    assert.deepEqual(client.asked, []);
    const reasons = out.skipped.filter((s) => s.check === "yanked").map((s) => s.reason);
    assert.equal(reasons.length, 2);
    assert.match(reasons[0]!, /mylib comes from path/);
    assert.match(reasons[1]!, /torch is locked to https:\/\/download\.pytorch\.org\/whl\/cpu/);
  });

  test("a dependency locked to another index is asked of that index when a client for it is given", async () => {
    const client = fakeClient({});
    const other = fakeClient({ torch: old("torch", "2.3.0") }, "https://download.pytorch.org/whl/cpu/");
    const deps = [
      locked("torch", "2.3.0", { source: { kind: "index", url: "https://download.pytorch.org/whl/cpu" } }),
    ];
    const out = await runUpstreamChecks(deps, ctx(client, { clientFor: () => other }));
    assert.deepEqual(other.asked, ["torch"]);
    assert.ok(out.projects.has("torch"));
  });

  test("checks switched off in [checks] neither run nor report reasons; typosquat without a list says so", async () => {
    const client = fakeClient({ a: old("a", "1.0") });
    const off = config(
      "[checks]\n" +
        [
          "project-status",
          "yanked",
          "release-age",
          "unmaintained",
          "hash-mismatch",
          "hash-uncovered",
          "provenance",
          "size-anomaly",
          "dependency-confusion",
          "ownership",
        ]
          .map((c) => `${c} = false`)
          .join("\n"),
    );
    const out = await runUpstreamChecks([locked("a", "1.0")], ctx(client, { config: off }));
    assert.deepEqual(client.asked, []);
    assert.deepEqual(out.skipped, [
      {
        check: "typosquat",
        reason:
          "no popular-projects list (no advisory database, or one imported without it): run `pycustoms db update`",
      },
    ]);
  });

  test("open advisories from the advisory check make an unmaintained project medium", async () => {
    const stale = project("stale", [
      wheel("stale", "1.0", "py3-none-any", { uploadTime: daysAgo(2000), size: 10 }),
    ]);
    const client = fakeClient({ stale });
    const advisory = { kind: "vulnerability", package: "stale", id: "PYSEC-1", fixedIn: null } as Finding;
    const without = await runUpstreamChecks([locked("stale", "1.0")], ctx(client));
    const withOpen = await runUpstreamChecks(
      [locked("stale", "1.0")],
      ctx(client, { advisoryFindings: [advisory] }),
    );
    assert.equal(without.findings.find((f) => f.kind === "unmaintained")?.severity, "low");
    assert.equal(withOpen.findings.find((f) => f.kind === "unmaintained")?.severity, "medium");
  });

  test("max-inactivity and min-release-age from the configuration reach the checks", async () => {
    const p = project("p", [wheel("p", "1.0", "py3-none-any", { uploadTime: daysAgo(400), size: 10 })]);
    const client = fakeClient({ p });
    const strict = config('max-inactivity = "1y"\nmin-release-age = "2y"\n');
    const out = await runUpstreamChecks([locked("p", "1.0")], ctx(client, { config: strict }));
    assert.ok(out.findings.some((f) => f.kind === "unmaintained"));
    assert.ok(out.findings.some((f) => f.kind === "release-age"));
    const exempt = config('min-release-age = "2y"\nrelease-age-exceptions = ["P"]\n');
    const none = await runUpstreamChecks([locked("p", "1.0")], ctx(client, { config: exempt }));
    assert.ok(!none.findings.some((f) => f.kind === "release-age"));
  });

  test("offline misses are one collapsed reason per check", async () => {
    const miss = (n: string) =>
      upstreamError("offline-miss", `${PYPI}${n}/`, `${PYPI}${n}/: offline, and not in the cache`);
    const client = fakeClient({ a: miss("a"), b: miss("b"), c: miss("c") });
    const deps: Dependency[] = [locked("a", "1.0"), locked("b", "2.0"), locked("c", "3.0")];
    const out = await runUpstreamChecks(deps, ctx(client, { offline: true }));
    const yanked = out.skipped.filter((s) => s.check === "yanked");
    assert.deepEqual(yanked, [
      {
        check: "yanked",
        reason:
          "offline, and a is not in the HTTP cache (run once online to fill it) (and the same for b and c)",
      },
    ]);
  });
});

describe("resolveIndexUrl", () => {
  const pip =
    (indexUrl: string, source = "/etc/pip.conf") =>
    () => ({
      indexUrl,
      extraIndexUrls: [],
      source,
      files: [],
      errors: [],
    });

  test("the flag wins, then [index] url, then a requirements file, then pip, then PyPI", () => {
    const all = {
      flag: "https://flag/simple/",
      configured: "https://config/simple/",
      requirementsFiles: [{ file: "r.txt", indexUrl: "https://req/simple/" }],
      pip: pip("https://pip/simple/"),
    };
    assert.equal(resolveIndexUrl(all).url, "https://flag/simple/");
    assert.equal(resolveIndexUrl({ ...all, flag: undefined }).url, "https://config/simple/");
    assert.deepEqual(resolveIndexUrl({ ...all, flag: undefined, configured: undefined }), {
      url: "https://req/simple/",
      source: "r.txt",
    });
    assert.equal(
      resolveIndexUrl({ flag: undefined, configured: undefined, requirementsFiles: [], pip: all.pip }).url,
      "https://pip/simple/",
    );
    assert.deepEqual(resolveIndexUrl({ pip: pip("https://pypi.org/simple", "default") }), {
      url: "https://pypi.org/simple/",
      source: "default",
    });
  });

  test("PyPI's spellings are one index; credentials do not change the key", () => {
    assert.equal(indexKey("https://pypi.org/simple"), indexKey("https://pypi.python.org/simple/"));
    assert.equal(indexKey("https://u:p@Mirror.example/simple"), "https://mirror.example/simple/");
  });
});

describe("upstream configuration keys", () => {
  test("every key parses, with durations in years, and lists normalised", () => {
    const c = config(`min-release-age = "12h"
release-age-exceptions = { My_SDK = "1d" }
max-inactivity = "2y"
max-size-ratio = 5.5
internal-names = ["Acme_Core"]
internal-prefixes = ["acme-"]
typosquat-allow = ["reqeusts"]
[index]
url = "https://user:token@mirror.example/simple/"
public-url = "https://pypi.org/simple/"
concurrency = 16
timeout = "10s"
retries = 1
`);
    assert.equal(c.upstream.minReleaseAgeDays, 0.5);
    assert.deepEqual(c.upstream.releaseAgeExceptions, { "my-sdk": 1 });
    assert.equal(c.upstream.maxInactivityDays, 730);
    assert.equal(c.upstream.maxSizeRatio, 5.5);
    assert.deepEqual(c.upstream.internalNames, ["acme-core"]);
    assert.deepEqual(c.upstream.internalPrefixes, ["acme-"]);
    assert.deepEqual(c.index, {
      url: "https://user:token@mirror.example/simple/",
      publicUrl: "https://pypi.org/simple/",
      concurrency: 16,
      timeout: "10s",
      timeoutMs: 10_000,
      retries: 1,
    });
    assert.deepEqual(DEFAULT_CONFIG.upstream.internalNames, []);
  });

  test("bad values name the key, and a bad index URL is shown without its credentials", () => {
    const r = parseConfigText(
      'max-inactivity = "forever"\nmax-size-ratio = 0.5\n[index]\nurl = "ftp://user:hunter2@host/"\nconcurency = 4\n',
      "pycustoms.toml",
      false,
    );
    const messages = r.errors.map((e) => `${e.line}: ${e.message}`);
    assert.equal(messages.length, 4, messages.join("\n"));
    assert.match(messages[0]!, /^4: \[index\]: `url` must be an http\(s\) URL/);
    assert.ok(!messages.join("\n").includes("hunter2"));
    assert.match(messages[1]!, /^5: \[index\]: unknown key `concurency` \(did you mean `concurrency`\?\)/);
    assert.match(messages[2]!, /^1: `max-inactivity` must be a duration/);
    assert.match(messages[3]!, /^2: `max-size-ratio` must be a number greater than 1/);
  });
});
