import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { indexKey, resolveIndexUrl } from "../../src/audit/index-url.js";
import {
  detailsNeeded,
  reasonTemplate,
  runUpstreamChecks,
  type UpstreamContext,
} from "../../src/audit/upstream.js";
import type { Finding } from "../../src/checks/types.js";
import type { Dependency } from "../../src/inventory/types.js";
import { type Config, DEFAULT_CONFIG, parseConfigText } from "../../src/policy/config.js";
import type { IndexClient, ProjectDetail } from "../../src/upstream/client.js";
import { type UpstreamError, upstreamError } from "../../src/upstream/errors.js";
import type { ProjectInfo } from "../../src/upstream/types.js";
import { daysAgo, locked, NOW, PYPI, project, requirement, wheel } from "../checks/upstream-builders.js";

/** An index client answering from a map, counting look-ups and the details each asked for. */
function fakeClient(
  answers: Record<string, ProjectInfo | UpstreamError>,
  indexUrl = PYPI,
): IndexClient & { asked: string[]; needs: Map<string, readonly ProjectDetail[] | undefined> } {
  const asked: string[] = [];
  const needs = new Map<string, readonly ProjectDetail[] | undefined>();
  return {
    indexUrl,
    jsonApiUrl: null,
    asked,
    needs,
    async project(name, options) {
      asked.push(name);
      needs.set(name, options?.needs);
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
  test("an index that answered is not taken as down when a later look-up fails", async () => {
    const client = fakeClient({
      flask: old("flask", "3.0.0"),
      slow: upstreamError("timeout", `${PYPI}slow/`, `${PYPI}slow/: timed out`),
    });
    const out = await runUpstreamChecks([locked("flask", "3.0.0"), locked("slow", "1.0")], ctx(client));
    assert.equal(out.unreachable, null);
    assert.deepEqual(client.asked, ["flask", "slow"]);
    assert.ok(out.skipped.some((s) => s.check === "yanked" && /slow\/: timed out/.test(s.reason)));
  });

  test("each project is asked once however many files declare it", async () => {
    const client = fakeClient({ flask: old("flask", "3.0.0") });
    const deps = [locked("flask", "3.0.0"), requirement("Flask", "==3.0.0"), locked("flask", "3.0.0")];
    await runUpstreamChecks(deps, ctx(client));
    assert.deepEqual(client.asked, ["flask"]);
  });

  test("an unreachable index is asked one round (the pool's width), and every check says why it did not run", async () => {
    const down = upstreamError("network", `${PYPI}a/`, `${PYPI}a/: ECONNREFUSED`);
    const names = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const client = fakeClient(Object.fromEntries(names.map((n) => [n, down])));
    const deps = names.map((n) => locked(n, "1.0"));
    const out = await runUpstreamChecks(deps, ctx(client, { config: config("[index]\nconcurrency = 4\n") }));
    assert.deepEqual(client.asked, ["p0", "p1", "p2", "p3"], "the first round only, not one per dependency");
    assert.match(out.unreachable ?? "", /could not be reached: .*ECONNREFUSED/);
    const checks = out.skipped.map((s) => s.check);
    for (const check of ["project-status", "yanked", "release-age", "hash-mismatch", "provenance"]) {
      assert.ok(checks.includes(check), check);
    }
    assert.ok(!checks.includes("ownership"), "ownership is off by default");
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

  test("look-ups start before the advisory findings and popular names are known; the checks wait for them", async () => {
    const stale = project("stale", [
      wheel("stale", "1.0", "py3-none-any", { uploadTime: daysAgo(2000), size: 10 }),
    ]);
    const client = fakeClient({ stale });
    const advisory = { kind: "vulnerability", package: "stale", id: "PYSEC-1", fixedIn: null } as Finding;
    let release: (found: Finding[]) => void = () => undefined;
    const later = new Promise<Finding[]>((resolve) => {
      release = resolve;
    });
    let startedWith: string[] | null = null;
    const run = runUpstreamChecks(
      [locked("stale", "1.0")],
      ctx(client, {
        advisoryFindings: later,
        popular: Promise.resolve(null),
        onStarted: () => {
          startedWith = [...client.asked];
        },
      }),
    );
    // The answers arrive and wait: the database is "still being read".
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(startedWith, ["stale"], "asked before the advisory findings were known");
    release([advisory]);
    const out = await run;
    assert.equal(out.findings.find((f) => f.kind === "unmaintained")?.severity, "medium");
    assert.deepEqual(
      out.skipped.find((x) => x.check === "typosquat")?.reason,
      "no popular-projects list (no advisory database, or one imported without it): run `pycustoms db update`",
    );
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

describe("what the look-ups ask of the index", () => {
  test("by default a project is asked for upload times, sizes, digests and yank reasons, not ownership", async () => {
    const client = fakeClient({ a: old("a", "1.0") });
    await runUpstreamChecks([locked("a", "1.0")], ctx(client));
    assert.deepEqual([...(client.needs.get("a") ?? ["(all)"])].sort(), [
      "digests",
      "sizes",
      "upload-times",
      "yank-reasons",
    ]);
  });

  test("with [checks] ownership = true the look-up asks for ownership, and a single owner is reported", async () => {
    const solo = project("solo", [wheel("solo", "1.0", "py3-none-any", { uploadTime: daysAgo(100) })], {
      ownership: { organization: null, roles: [{ role: "Owner", user: "eve" }] },
    });
    const client = fakeClient({ solo });
    const on = config("[checks]\nownership = true\n");
    const out = await runUpstreamChecks([locked("solo", "1.0")], ctx(client, { config: on }));
    assert.ok(client.needs.get("solo")?.includes("ownership"));
    assert.equal(out.findings.find((f) => f.kind === "ownership")?.severity, "info");
  });

  test("only the checks switched on decide the details: project status alone needs none", async () => {
    const client = fakeClient({ a: old("a", "1.0") });
    const only = config(
      `[checks]\n${["yanked", "release-age", "unmaintained", "hash-mismatch", "hash-uncovered", "provenance", "size-anomaly"].map((c) => `${c} = false`).join("\n")}\n`,
    );
    await runUpstreamChecks([locked("a", "1.0")], ctx(client, { config: only }));
    assert.deepEqual(client.needs.get("a"), []);
  });

  test("an internal name asked of the public index only for dependency confusion asks for no details", async () => {
    const client = fakeClient({});
    const publicIndex = fakeClient(
      { "acme-tool": old("acme-tool", "9.0") },
      "https://public.example/simple/",
    );
    const internal = config('internal-names = ["acme-tool"]\n');
    const out = await runUpstreamChecks(
      [locked("acme-tool", "1.0", { source: { kind: "index", url: "https://private.example/simple/" } })],
      ctx(client, { config: internal, publicClient: publicIndex }),
    );
    assert.deepEqual(publicIndex.needs.get("acme-tool"), []);
    assert.equal(out.findings.find((f) => f.kind === "dependency-confusion")?.severity, "critical");
  });

  test("detailsNeeded lists each detail once, in no particular order", () => {
    assert.deepEqual(detailsNeeded(["release-age", "unmaintained", "provenance"]).sort(), [
      "digests",
      "upload-times",
    ]);
    assert.deepEqual(detailsNeeded(["project-status", "typosquat", "dependency-confusion"]), []);
    assert.deepEqual(detailsNeeded(["ownership"]), ["ownership"]);
  });
});

describe("reasonTemplate", () => {
  /** The regular expression it replaced, kept as the oracle. */
  function byRegExp(reason: string, dep: Dependency): string {
    const words = [...new Set([dep.rawName, dep.name, dep.version].filter((w): w is string => !!w))];
    const alternatives = words
      .sort((a, b) => b.length - a.length)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("|");
    return reason.replace(new RegExp(`(?<![\\w.-])(?:${alternatives})(?![\\w-]|\\.\\w)`, "gi"), "\u0000");
  }

  test("names and the version are taken out as whole words only, ignoring case", () => {
    const dep = locked("foo-bar", "1.0");
    assert.equal(
      reasonTemplate("Foo-Bar 1.0 (not foo-bar2, 1.0.1 or x.foo-bar) has no foo-bar.", dep),
      "\u0000 \u0000 (not foo-bar2, 1.0.1 or x.foo-bar) has no \u0000.",
    );
    assert.equal(reasonTemplate("nothing to take out", dep), "nothing to take out");
  });

  test("it gives what the regular expression gave, for random reasons built from the dependency's words", () => {
    const word = fc.constantFrom("foo", "Foo", "foo-bar", "FOO_BAR", "1.0", "1.0.1", "1", "foo.bar");
    const glue = fc.constantFrom("", " ", ".", "-", "_", "x", "(", "é", ".x", ". ");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(word, glue), { maxLength: 8 }),
        fc.constantFrom("foo", "foo-bar", "foo_bar", "foo.bar"),
        fc.constantFrom("1.0", "1", "1.0.1"),
        (parts, name, version) => {
          const dep = { ...locked(name, version), rawName: name.toUpperCase() };
          const reason = parts.map(([w, g]) => w + g).join("");
          assert.equal(reasonTemplate(reason, dep), byRegExp(reason, dep));
        },
      ),
      { numRuns: 500 },
    );
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
