import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import {
  CHECK_IDS,
  DEFAULT_CONFIG,
  DEFAULT_INDEX_CONCURRENCY,
  indexHttpOptions,
  loadConfig,
  parseConfigText,
  parseDuration,
} from "../../src/policy/config.js";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A temporary tree: keys are relative paths, values file contents (`null` makes a directory). */
function tree(files: Record<string, string | null>): string {
  const root = mkdtempSync(join(tmpdir(), "pycustoms-config-"));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    if (content === null) {
      mkdirSync(path, { recursive: true });
    } else {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, content);
    }
  }
  return root;
}

const parse = (text: string) => parseConfigText(text, "pycustoms.toml", false);

describe("parseDuration", () => {
  test("reads minutes, hours, days and weeks", () => {
    assert.equal(parseDuration("30m"), 30 * 60_000);
    assert.equal(parseDuration("12h"), 12 * 3_600_000);
    assert.equal(parseDuration("7d"), 7 * 86_400_000);
    assert.equal(parseDuration("2w"), 14 * 86_400_000);
  });
  test("rejects text that is not a single number and unit", () => {
    for (const bad of ["", "7", "d", "7 days", "1.5d", "-1d"]) assert.equal(parseDuration(bad), null, bad);
  });
});

describe("config discovery", () => {
  test("without any config file the defaults apply and no file is named", () => {
    const root = tree({ ".git": null, "src/app": null });
    const r = loadConfig(join(root, "src", "app"));
    assert.equal(r.file, null);
    assert.deepEqual(r.errors, []);
    assert.equal(r.config.failOn, "high");
    assert.equal(r.config.maxDbAgeMs, 7 * 86_400_000);
    // Every check is on except ownership (information about most of PyPI, and a second request per project).
    assert.ok(CHECK_IDS.every((id) => r.config.checks[id] === (id !== "ownership")));
  });

  test("a pycustoms.toml in a parent directory is found from a subdirectory", () => {
    const root = tree({ ".git": null, "pycustoms.toml": 'fail-on = "medium"\n', "a/b": null });
    const r = loadConfig(join(root, "a", "b"));
    assert.equal(r.file, join(root, "pycustoms.toml"));
    assert.equal(r.config.failOn, "medium");
  });

  test("pycustoms.toml wins over [tool.pycustoms] in a pyproject.toml in the same directory", () => {
    const root = tree({
      ".git": null,
      "pycustoms.toml": 'fail-on = "low"\n',
      "pyproject.toml": '[project]\nname = "x"\n[tool.pycustoms]\nfail-on = "critical"\n',
    });
    const r = loadConfig(root);
    assert.equal(r.file, join(root, "pycustoms.toml"));
    assert.equal(r.config.failOn, "low");
  });

  test("[tool.pycustoms] in pyproject.toml is read when there is no pycustoms.toml", () => {
    const root = tree({
      ".git": null,
      "pyproject.toml":
        '[project]\nname = "x"\n\n[tool.pycustoms]\nfail-on = "critical"\n\n[tool.pycustoms.checks]\nunpinned = false\n',
    });
    const r = loadConfig(root);
    assert.equal(r.file, join(root, "pyproject.toml"));
    assert.equal(r.config.failOn, "critical");
    assert.equal(r.config.checks.unpinned, false);
  });

  test("a pyproject.toml without [tool.pycustoms] is passed over for a config further up", () => {
    const root = tree({
      ".git": null,
      "pycustoms.toml": 'fail-on = "info"\n',
      "pkg/pyproject.toml": '[project]\nname = "pkg"\n',
    });
    const r = loadConfig(join(root, "pkg"));
    assert.equal(r.file, join(root, "pycustoms.toml"));
    assert.equal(r.config.failOn, "info");
  });

  test("a pyproject.toml with only [[tool.pycustoms.ignore]] tables counts as configuration", () => {
    const root = tree({
      ".git": null,
      "pyproject.toml": '[[tool.pycustoms.ignore]]\nid = "GHSA-1"\nreason = "r"\n',
    });
    const r = loadConfig(root);
    assert.equal(r.file, join(root, "pyproject.toml"));
    assert.deepEqual(
      r.config.ignore.map((i) => [i.id, i.origin.line]),
      [["GHSA-1", 1]],
    );
  });

  test("the search stops at the directory holding .git", () => {
    const root = tree({ "pycustoms.toml": 'fail-on = "info"\n', "repo/.git": null, "repo/src": null });
    const r = loadConfig(join(root, "repo", "src"));
    assert.equal(r.file, null);
    assert.equal(r.config.failOn, "high");
  });

  test("an explicit path is read even outside the search, and a missing one is an error naming it", () => {
    const root = tree({ "elsewhere/custom.toml": 'max-db-age = "12h"\n' });
    const ok = loadConfig("/", join(root, "elsewhere", "custom.toml"));
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.config.maxDbAgeMs, 12 * 3_600_000);
    const missing = loadConfig(root, join(root, "nope.toml"));
    assert.equal(missing.errors.length, 1);
    assert.equal(missing.errors[0]!.file, join(root, "nope.toml"));
    assert.match(missing.errors[0]!.message, /no such file/);
  });

  test("an explicit pyproject.toml without [tool.pycustoms] is reported", () => {
    const root = tree({ "pyproject.toml": '[project]\nname = "x"\n' });
    const r = loadConfig(root, join(root, "pyproject.toml"));
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /no \[tool\.pycustoms\] table/);
  });
});

describe("config validation", () => {
  test("a full config is read into camelCase fields", () => {
    const r = parse(`fail-on = "medium"
max-db-age = "2w"

[checks]
unpinned = false
mutable-reference = false

[[ignore]]
id = "GHSA-xxxx-yyyy-zzzz"
reason = "not reachable: we never parse untrusted XML"
until = 2027-01-31
package = "LXML"

[[ignore]]
id = "PC-UNPINNED"
reason = "tooling only"
until = "2026-06-30"

[serve]
host = "0.0.0.0"
port = 8080
upstream = "https://pypi.org/simple/"
data-dir = "/var/lib/pycustoms"

[index]
url = "https://pypi.org/simple/"
http2 = false
concurrency = 16
`);
    assert.deepEqual(r.errors, []);
    const c = r.config;
    assert.equal(c.failOn, "medium");
    assert.equal(c.maxDbAge, "2w");
    assert.equal(c.maxDbAgeMs, 14 * 86_400_000);
    assert.equal(c.checks.unpinned, false);
    assert.equal(c.checks["mutable-reference"], false);
    assert.equal(c.checks.vulnerability, true);
    assert.deepEqual(
      c.ignore.map((i) => [i.id, i.until, i.package, i.origin.line]),
      [
        ["GHSA-xxxx-yyyy-zzzz", "2027-01-31", "lxml", 8],
        ["PC-UNPINNED", "2026-06-30", null, 14],
      ],
    );
    assert.deepEqual(c.serve, {
      host: "0.0.0.0",
      port: 8080,
      upstream: ["https://pypi.org/simple/"],
      dataDir: "/var/lib/pycustoms",
      mode: "open",
    });
    assert.deepEqual(c.index, { url: "https://pypi.org/simple/", http2: false, concurrency: 16 });
    assert.deepEqual(indexHttpOptions(c.index), { concurrency: 16, http2: false });
    assert.deepEqual(indexHttpOptions({}), { concurrency: DEFAULT_INDEX_CONCURRENCY });
  });

  test("an unknown top-level key is reported with its line and the key it resembles", () => {
    const r = parse('# comment\nfail_on = "high"\n');
    assert.deepEqual(r.errors, [
      { file: "pycustoms.toml", line: 2, message: "unknown key `fail_on` (did you mean `fail-on`?)" },
    ]);
  });

  test("an ignore without a reason is reported by number and line, and does not suppress anything", () => {
    const r = parse('[[ignore]]\nid = "A"\nreason = "ok"\n\n[[ignore]]\nid = "GHSA-1"\n');
    assert.deepEqual(r.errors, [
      {
        file: "pycustoms.toml",
        line: 5,
        message: "[[ignore]] #2: missing `reason` (say why the finding does not apply)",
      },
    ]);
    assert.deepEqual(
      r.config.ignore.map((i) => i.id),
      ["A"],
    );
  });

  test("bad values name their key and line and fall back to the default", () => {
    const r = parse(
      [
        'fail-on = "severe"',
        'max-db-age = "a week"',
        "[checks]",
        'unpinned = "no"',
        "unpined = false",
        "[[ignore]]",
        'id = "X"',
        'reason = "r"',
        "until = 2026-02-20T10:00:00Z",
        'packge = "x"',
        "[serve]",
        "port = 70000",
        "upstream = []",
        'hots = "x"',
        "[index]",
        "nested = { a = 1 }",
        'http2 = "yes"',
      ].join("\n"),
    );
    const got = r.errors.map((e) => `${e.line}: ${e.message}`);
    assert.deepEqual(got, [
      '1: `fail-on` must be one of info, low, medium, high, critical (got "severe")',
      '2: `max-db-age` must be a duration such as "30m", "12h", "7d" or "2w" (got "a week")',
      '4: [checks]: `unpinned` must be true or false (got "no")',
      "5: [checks]: unknown check `unpined` (did you mean `unpinned`?)",
      "10: [[ignore]] #1: unknown key `packge` (did you mean `package`?)",
      "9: [[ignore]] #1: `until` must be a date such as 2027-01-31 (got 2026-02-20T10:00:00.000Z)",
      "12: [serve]: `port` must be an integer from 0 to 65535 (got 70000)",
      "13: [serve]: `upstream` must be an http(s) URL or a non-empty array of them (got [])",
      "14: [serve]: unknown key `hots` (did you mean `host`?)",
      "16: [index]: unknown key `nested`",
      '17: [index]: `http2` must be true or false (got "yes")',
    ]);
    assert.equal(r.config.failOn, "high");
    assert.equal(r.config.maxDbAge, "7d");
    assert.equal(r.config.checks.unpinned, true);
    assert.deepEqual(r.config.ignore, []);
    assert.equal(r.config.serve.port, DEFAULT_CONFIG.serve.port);
  });

  test("an impossible calendar date in a string `until` is rejected", () => {
    const r = parse('[[ignore]]\nid = "X"\nreason = "r"\nuntil = "2026-02-30"\n');
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /`until` must be a date/);
  });

  test("lines are found past multi-line strings that look like tables", () => {
    const r = parse(
      'fail-on = "high"\nnotes = """\n[checks]\nunpined = false\n"""\n[checks]\nunpined = false\n',
    );
    assert.deepEqual(
      r.errors.map((e) => `${e.line}: ${e.message}`),
      ["2: unknown key `notes`", "7: [checks]: unknown check `unpined` (did you mean `unpinned`?)"],
    );
  });

  test("`ignore` written as a single table is reported", () => {
    const r = parse('[ignore]\nid = "X"\nreason = "r"\n');
    assert.deepEqual(r.errors, [
      { file: "pycustoms.toml", line: 1, message: "`ignore` must be an array of tables ([[ignore]])" },
    ]);
  });

  test("errors inside [tool.pycustoms] name the full key and the pyproject line", () => {
    const r = parseConfigText(
      '[project]\nname = "x"\n[tool.pycustoms]\nfailon = "high"\n[[tool.pycustoms.ignore]]\nid = "A"\n',
      "pyproject.toml",
      true,
    );
    assert.deepEqual(
      r.errors.map((e) => `${e.line}: ${e.message}`),
      [
        "4: unknown key `tool.pycustoms.failon` (did you mean `fail-on`?)",
        "5: [[ignore]] #1: missing `reason` (say why the finding does not apply)",
      ],
    );
  });

  test("invalid TOML is one error with the parser's line and column", () => {
    const r = parse('fail-on = "high"\nchecks = [\n');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.file, "pycustoms.toml");
    assert.equal(typeof r.errors[0]!.line, "number");
    assert.ok(!r.errors[0]!.message.includes("\n"));
    assert.equal(r.config.failOn, "high");
  });

  test("[serve] raw-front: true or false, absent means on", () => {
    assert.equal(parse("[serve]\nraw-front = false\n").config.serve.rawFront, false);
    assert.equal(parse("[serve]\nraw-front = true\n").config.serve.rawFront, true);
    assert.equal(parse("[serve]\nport = 1\n").config.serve.rawFront, undefined);
    const bad = parse('[serve]\nraw-front = "off"\n');
    assert.deepEqual(
      bad.errors.map((e) => `${e.line}: ${e.message}`),
      ['2: [serve]: `raw-front` must be true or false (got "off")'],
    );
    assert.match(parse("[serve]\nrawfront = false\n").errors[0]!.message, /did you mean `raw-front`/);
  });

  test("upstream accepts an array of URLs and rejects a non-http one", () => {
    const ok = parse('[serve]\nupstream = ["https://a.example/simple/", "http://b.example/simple/"]\n');
    assert.deepEqual(ok.config.serve.upstream, ["https://a.example/simple/", "http://b.example/simple/"]);
    const bad = parse('[serve]\nupstream = ["https://a.example/simple/", "ftp://b.example/"]\n');
    assert.match(bad.errors[0]!.message, /got "ftp:\/\/b\.example\/"/);
    assert.deepEqual(bad.config.serve.upstream, DEFAULT_CONFIG.serve.upstream);
  });

  test("loading never throws and never leaks mutations into DEFAULT_CONFIG", () => {
    const base = 'fail-on = "low"\n[checks]\nunpinned = false\n[[ignore]]\nid = "A"\nreason = "b"\n';
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.nat({ max: base.length }), (insert, at) => {
        const text = base.slice(0, at) + insert + base.slice(at);
        const r = parse(text);
        for (const e of r.errors) assert.equal(e.file, "pycustoms.toml");
      }),
      { numRuns: 300 },
    );
    assert.equal(DEFAULT_CONFIG.checks.unpinned, true);
    assert.deepEqual(DEFAULT_CONFIG.ignore, []);
  });
});
