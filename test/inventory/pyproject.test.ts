import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parsePyproject, sourceFromUrl } from "../../src/inventory/pyproject.js";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";

function parseFixture(dir: string): ParseResult {
  const path = fixture("inventory", "fixtures", "pyproject", dir, "pyproject.toml");
  return parsePyproject(readFileSync(path, "utf8"), `${dir}/pyproject.toml`);
}

function parseReal(repoDir: string): ParseResult {
  const path = join(sharedData, "real-manifests", repoDir, "pyproject.toml");
  return parsePyproject(readFileSync(path, "utf8"), "pyproject.toml");
}

function only(result: ParseResult, name: string, group?: string): Dependency {
  const found = result.dependencies.filter(
    (d) => d.name === name && (group === undefined || d.groups.includes(group)),
  );
  assert.equal(found.length, 1, `expected one ${name}${group ? ` in ${group}` : ""}, found ${found.length}`);
  return found[0]!;
}

function countByGroup(result: ParseResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of result.dependencies) for (const g of d.groups) counts[g] = (counts[g] ?? 0) + 1;
  return counts;
}

describe("parsePyproject: PEP 621 and uv", () => {
  const r = parseFixture("pep621-uv");

  test("reads project, optional, uv dev, uv constraint and build-system dependencies without errors", () => {
    assert.deepEqual(r.errors, []);
    assert.deepEqual(countByGroup(r), {
      main: 8,
      "optional:postgres": 2,
      "optional:mysql": 2,
      dev: 3,
      constraint: 1,
      build: 2,
    });
    assert.ok(r.dependencies.every((d) => d.direct === true && d.format === "pyproject"));
  });

  test("a PEP 508 string keeps its extras, specifier, marker and line", () => {
    const fastapi = only(r, "fastapi");
    assert.deepEqual(
      [fastapi.extras, fastapi.specifier, fastapi.pinned, fastapi.line],
      [["standard"], ">=0.110,<1", false, 10],
    );
    const tomli = only(r, "tomli");
    assert.equal(tomli.markers, 'python_version < "3.11"');
    assert.equal(tomli.line, 16);
    const pydantic = only(r, "pydantic");
    assert.deepEqual([pydantic.pinned, pydantic.version], [true, "2.7.1"]);
  });

  test("a direct URL reference becomes a url source", () => {
    assert.deepEqual(only(r, "legacy-client").source, {
      kind: "url",
      url: "https://files.example.com/legacy_client-1.2.0-py3-none-any.whl",
    });
  });

  test("[tool.uv.sources] sets the source of the declared dependency with the same normalised name", () => {
    assert.deepEqual(only(r, "internal-auth").source, {
      kind: "vcs",
      vcs: "git",
      url: "https://github.com/example/internal-auth",
      ref: "v1.4.0",
    });
    const schemas = only(r, "shared-schemas");
    assert.deepEqual(schemas.source, { kind: "path", path: "../shared-schemas" });
    assert.equal(schemas.editable, true);
    assert.deepEqual(only(r, "vendored-lib").source, {
      kind: "index",
      url: "https://pypi.internal.example/simple",
    });
    assert.deepEqual(only(r, "ruff").source, { kind: "url", url: "https://example.com/ruff-0.4.4.tar.gz" });
    assert.equal(only(r, "httpx").source, null);
  });

  test("identical strings in one array get successive lines", () => {
    const pytests = r.dependencies.filter((d) => d.name === "pytest");
    assert.deepEqual(
      pytests.map((d) => d.line),
      [29, 30],
    );
  });

  test("the same requirement in two extras is one record per extra, each on its own line", () => {
    const sa = r.dependencies.filter((d) => d.name === "sqlalchemy");
    assert.deepEqual(
      sa.map((d) => [d.groups, d.line]),
      [
        [["optional:postgres"], 21],
        [["optional:mysql"], 24],
      ],
    );
  });

  test("uv constraint-dependencies are constraint records", () => {
    const urllib3 = only(r, "urllib3");
    assert.equal(urllib3.constraint, true);
    assert.deepEqual(urllib3.groups, ["constraint"]);
  });

  test("two build requirements on one line share it", () => {
    assert.deepEqual(
      r.dependencies.filter((d) => d.groups[0] === "build").map((d) => [d.name, d.specifier, d.line]),
      [
        ["hatchling", ">=1.18", 2],
        ["hatch-vcs", "", 2],
      ],
    );
  });
});

describe("parsePyproject: PEP 735 dependency groups", () => {
  const r = parseFixture("dependency-groups");

  test("one record per listed string, named by its group and every group that includes it", () => {
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.groups, d.line]),
      [
        ["click", ["main"], 4],
        ["pytest", ["test", "dev"], 8],
        ["coverage", ["test", "dev"], 9],
        ["ruff", ["lint", "typing", "dev"], 11],
        ["mypy", ["lint", "typing", "dev"], 11],
        ["types-requests", ["typing", "dev"], 13],
        ["ipython", ["dev"], 19],
      ],
    );
  });

  test("an include cycle is reported once, naming the groups in order, and unknown groups where included", () => {
    const e = parseFixture("errors").errors;
    const cycles = e.filter((x) => /include cycle/.test(x.message));
    assert.deepEqual(cycles, [
      {
        file: "errors/pyproject.toml",
        line: 14,
        message: "[dependency-groups] include cycle: dev -> lint -> dev",
      },
    ]);
    const unknown = e.filter((x) => /unknown group/.test(x.message));
    assert.deepEqual(unknown, [
      {
        file: "errors/pyproject.toml",
        line: 14,
        column: 62,
        message: '[dependency-groups] dev includes unknown group "nope"',
      },
    ]);
  });

  test("a self-include and a three-group cycle terminate and are reported once each", () => {
    const text = `[dependency-groups]
a = [{include-group = "a"}, "x"]
b = [{include-group = "c"}]
c = [{include-group = "d"}, "y"]
d = [{include-group = "b"}]
`;
    const res = parsePyproject(text, "p");
    assert.deepEqual(
      res.errors.map((e) => e.message),
      ["[dependency-groups] include cycle: a -> a", "[dependency-groups] include cycle: b -> c -> d -> b"],
    );
    assert.deepEqual(
      res.dependencies.map((d) => [d.name, d.groups]),
      [
        ["x", ["a"]],
        ["y", ["c", "b", "d"]],
      ],
    );
  });

  test("group names in include-group match after PEP 503 normalisation", () => {
    const res = parsePyproject(
      `[dependency-groups]\nTest_Suite = ["pytest"]\nall = [{include-group = "test-suite"}]\n`,
      "p",
    );
    assert.deepEqual(res.errors, []);
    assert.deepEqual(res.dependencies[0]!.groups, ["Test_Suite", "all"]);
  });

  test("a group named like an Object.prototype member is not confused with it", () => {
    const res = parsePyproject(`[dependency-groups]\nx = [{include-group = "constructor"}, "a"]\n`, "p");
    assert.deepEqual(
      res.errors.map((e) => e.message),
      ['[dependency-groups] x includes unknown group "constructor"'],
    );
    assert.equal(res.dependencies.length, 1);
  });
});

describe("parsePyproject: Poetry", () => {
  const r = parseFixture("poetry");

  test("reads main, optional, dev and group dependencies and skips python", () => {
    assert.deepEqual(r.errors, []);
    assert.equal(
      r.dependencies.some((d) => d.name === "python"),
      false,
    );
    assert.deepEqual(countByGroup(r), {
      main: 19,
      optional: 1,
      "optional:speed": 1,
      dev: 2,
      docs: 2,
      build: 1,
    });
  });

  test("constraints are stored as PEP 440 specifiers; a bare version is an exact pin", () => {
    const specs = Object.fromEntries(
      r.dependencies.filter((d) => d.groups[0] !== "build").map((d) => [`${d.name}@${d.line}`, d.specifier]),
    );
    assert.equal(specs["django@10"], ">=4.2.7,<5.0.0");
    assert.equal(specs["celery@11"], ">=5.3,<5.4");
    assert.equal(specs["requests@12"], "==2.31.0");
    assert.equal(specs["attrs@13"], "");
    assert.equal(specs["pyyaml@14"], "==6.0.*");
    assert.equal(specs["tzdata@15"], ">=2023.3,<2025");
    assert.equal(specs["zerolib@17"], ">=0.0.3,<0.0.4");
    assert.equal(specs["semver-ish@18"], ">=0.2.3,<0.3.0");
    const requests = only(r, "requests");
    assert.deepEqual([requests.pinned, requests.version], [true, "2.31.0"]);
    assert.equal(only(r, "pyyaml").pinned, false);
  });

  test("|| alternatives give one record per alternative on the same line", () => {
    assert.deepEqual(
      r.dependencies.filter((d) => d.name === "numpy").map((d) => [d.specifier, d.line]),
      [
        [">=1.26,<2.0", 16],
        [">=2.0,<3.0", 16],
      ],
    );
  });

  test("table forms carry extras, markers, python and platform restrictions", () => {
    const ruamel = only(r, "ruamel-yaml");
    assert.deepEqual(
      [ruamel.rawName, ruamel.specifier, ruamel.extras, ruamel.markers, ruamel.line],
      ["ruamel.yaml", ">=0.18.5,<0.19.0", ["jinja2"], "platform_python_implementation == 'CPython'", 19],
    );
    const pywin32 = only(r, "pywin32");
    assert.deepEqual([pywin32.markers, pywin32.groups], ['sys_platform == "win32"', ["optional"]]);
    const uvloop = only(r, "uvloop");
    assert.deepEqual([uvloop.markers, uvloop.groups], ['python_version >= "3.11"', ["optional:speed"]]);
  });

  test("git, path, url and named sources become Source values", () => {
    assert.deepEqual(only(r, "flask-limiter").source, {
      kind: "vcs",
      vcs: "git",
      url: "https://github.com/alisaifee/flask-limiter.git",
      ref: "3.5.0",
    });
    assert.deepEqual(only(r, "auth-lib").source, {
      kind: "vcs",
      vcs: "git",
      url: "https://git.example.com/auth-lib.git",
      ref: "main",
    });
    const shared = only(r, "shared-models");
    assert.deepEqual([shared.source, shared.editable], [{ kind: "path", path: "../shared-models" }, true]);
    assert.deepEqual(only(r, "tarball-pkg").source, {
      kind: "url",
      url: "https://example.com/tarball-pkg-1.0.tar.gz",
    });
    assert.deepEqual(only(r, "internal-sdk").source, {
      kind: "index",
      url: "https://pypi.example.com/simple/",
    });
  });

  test("a list of constraint tables gives one record per table, each with its python marker", () => {
    assert.deepEqual(
      r.dependencies.filter((d) => d.name === "pandas").map((d) => [d.specifier, d.markers, d.line]),
      [
        [">=1.5,<2.0", 'python_version < "3.11"', 27],
        [">=2.1,<3.0", 'python_version >= "3.11"', 27],
      ],
    );
  });

  test("a dependency written as its own [tool.poetry.dependencies.x] table is found at its header", () => {
    const psycopg = only(r, "psycopg");
    assert.deepEqual(
      [psycopg.specifier, psycopg.extras, psycopg.line],
      [">=3.1.12,<4.0.0", ["binary", "pool"], 32],
    );
  });

  test("dev-dependencies are group dev and group tables use their name", () => {
    assert.deepEqual(
      [only(r, "black").groups, only(r, "black").line, only(r, "black").pinned],
      [["dev"], 41, true],
    );
    assert.deepEqual([only(r, "sphinx").groups, only(r, "sphinx").specifier], [["docs"], ">=7.2.6,<7.3.0"]);
  });

  test("Poetry 2: [tool.poetry.dependencies] enriches the [project] entries instead of repeating them", () => {
    const p2 = parseFixture("poetry2");
    assert.deepEqual(p2.errors, []);
    assert.deepEqual(
      p2.dependencies.map((d) => [d.name, d.groups[0], d.line]),
      [
        ["requests", "main", 7],
        ["my-private-lib", "main", 8],
        ["local-utils", "main", 9],
        ["pytest", "dev", 17],
        ["poetry-core", "build", 25],
      ],
    );
    assert.deepEqual(only(p2, "my-private-lib").source, {
      kind: "index",
      url: "https://pypi.corp.example/simple/",
    });
    assert.equal(only(p2, "my-private-lib").specifier, ">=1.0");
    assert.equal(only(p2, "local-utils").editable, true);
  });
});

describe("parsePyproject: PDM", () => {
  const r = parseFixture("pdm");

  test("dev-dependency groups hold PEP 508 strings and -e editable entries", () => {
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.groups[0], d.editable ?? false, d.line]),
      [
        ["rich", "main", false, 4],
        ["pytest", "test", false, 9],
        ["helper-lib", "test", true, 10],
        ["flake8", "lint", false, 12],
        ["click", "editable", true, 14],
        ["sub-package", "editable", true, 15],
        ["mylib", "editable", true, 16],
        ["pdm-backend", "build", false, 20],
      ],
    );
  });

  test("editable sources: PDM PROJECT_ROOT file URLs are project-relative paths, VCS URLs keep their ref", () => {
    assert.deepEqual(only(r, "helper-lib").source, { kind: "path", path: "./packages/helper-lib" });
    assert.deepEqual(only(r, "click").source, {
      kind: "vcs",
      vcs: "git",
      url: "https://github.com/pallets/click.git",
      ref: "8.1.7",
    });
    assert.deepEqual(only(r, "sub-package").source, { kind: "path", path: "./packages/sub-package" });
  });
});

describe("parsePyproject: errors", () => {
  const r = parseFixture("errors");

  test("a bad PEP 508 string is reported at its line, with the column inside the line", () => {
    assert.deepEqual(
      r.errors.find((e) => e.message.startsWith("invalid requirement")),
      {
        file: "errors/pyproject.toml",
        line: 6,
        column: 15,
        message: `invalid requirement "flask >= = 2": expected a version after '>=', found '='`,
      },
    );
    // The strings around it are still read.
    assert.deepEqual(
      r.dependencies
        .filter((d) => d.groups.includes("main") && d.line !== null && d.line < 10)
        .map((d) => d.name),
      ["requests", "click"],
    );
  });

  test("wrong types name the key", () => {
    const messages = r.errors.map((e) => [e.line, e.message]);
    assert.ok(
      messages.some(
        ([l, m]) => l === 11 && m === "[project.optional-dependencies] docs must be an array of strings",
      ),
    );
    assert.ok(
      messages.some(([l, m]) => l === 23 && m === "[build-system] requires must be an array of strings"),
    );
    assert.ok(
      messages.some(
        ([l, m]) =>
          l === 20 &&
          m ===
            "[tool.poetry.dependencies] wrong-type: must be a version string, a table or an array of tables",
      ),
    );
  });

  test("an unparseable Poetry constraint is an error quoting it; the name is kept without a specifier", () => {
    assert.ok(
      r.errors.some(
        (e) =>
          e.line === 19 &&
          e.message.includes('Poetry constraint "^^1.0"') &&
          e.message.includes("bad-constraint"),
      ),
    );
    assert.equal(only(r, "bad-constraint").specifier, "");
    assert.equal(
      r.dependencies.some((d) => d.name === "wrong-type"),
      false,
    );
  });

  test("[project] dependencies that is not an array is named in the error", () => {
    const res = parsePyproject(`[project]\nname = "x"\ndependencies = "requests"\n`, "p");
    assert.deepEqual(res.errors, [
      { file: "p", line: 3, message: "[project] dependencies must be an array of strings" },
    ]);
  });

  test("a TOML syntax error is one error with smol-toml's line and column", () => {
    const res = parsePyproject(`[project]\ndependencies = [\n  "requests",\n  oops\n]\n`, "p");
    assert.equal(res.dependencies.length, 0);
    assert.equal(res.errors.length, 1);
    assert.equal(res.errors[0]!.line, 4);
    assert.equal(typeof res.errors[0]!.column, "number");
    assert.match(res.errors[0]!.message, /^invalid TOML/);
  });

  test("CRLF line endings give the same lines and columns", () => {
    const text = readFileSync(
      fixture("inventory", "fixtures", "pyproject", "errors", "pyproject.toml"),
      "utf8",
    );
    const crlf = parsePyproject(text.replace(/\n/g, "\r\n"), "errors/pyproject.toml");
    assert.deepEqual(crlf, r);
  });

  test("an empty file declares nothing and is not an error", () => {
    assert.deepEqual(parsePyproject("", "p"), { dependencies: [], errors: [] });
  });
});

describe("sourceFromUrl", () => {
  test("VCS URLs split off the ref, leaving user@host intact", () => {
    assert.deepEqual(sourceFromUrl("git+ssh://git@github.com/org/repo.git@v1.2#egg=repo"), {
      kind: "vcs",
      vcs: "git",
      url: "ssh://git@github.com/org/repo.git",
      ref: "v1.2",
    });
    assert.deepEqual(sourceFromUrl("git+https://github.com/org/repo.git"), {
      kind: "vcs",
      vcs: "git",
      url: "https://github.com/org/repo.git",
      ref: null,
    });
  });

  test("file URLs are paths, other URLs are urls", () => {
    assert.deepEqual(sourceFromUrl("file:///opt/wheels/a-1.0-py3-none-any.whl"), {
      kind: "path",
      path: "/opt/wheels/a-1.0-py3-none-any.whl",
    });
    assert.deepEqual(sourceFromUrl("https://x.example/a.tar.gz"), {
      kind: "url",
      url: "https://x.example/a.tar.gz",
    });
  });
});

// Counts checked by hand against each file and with python3's tomllib.
describe("parsePyproject: real projects", () => {
  test("chia-blockchain (Poetry deps with PEP 621 extras naming the optional ones)", () => {
    const r = parseReal("Chia-Network__chia-blockchain__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 94);
    assert.deepEqual(countByGroup(r), {
      main: 36,
      "optional:dev": 52,
      "optional:upnp": 2,
      "optional:legacy_keyring": 2,
      build: 2,
    });
    const zstd = r.dependencies.filter((d) => d.name === "zstd");
    assert.deepEqual(
      zstd.map((d) => [d.specifier, d.markers, d.source, d.line]),
      [
        [">=1.5.7.2", 'python_version < "3.12"', null, 79],
        [
          ">=1.5.7.2",
          'python_version >= "3.12"',
          { kind: "index", url: "https://pypi.chia.net/simple/" },
          79,
        ],
      ],
    );
    const chiaRs = only(r, "chia-rs");
    assert.deepEqual([chiaRs.rawName, chiaRs.specifier, chiaRs.line], ["chia_rs", ">=0.47.0,<0.48", 56]);
    const monitor = r.dependencies.find((d) => d.name === "pytest-monitor" && d.line === 98)!;
    assert.deepEqual([monitor.markers, monitor.groups], ['sys_platform == "linux"', ["optional:dev"]]);
    const stubs = r.dependencies.find((d) => d.name === "boto3-stubs" && d.line === 120)!;
    assert.deepEqual(stubs.extras, ["essential"]);
  });

  test("textual (Poetry with caret constraints and [tool.poetry.extras])", () => {
    const r = parseReal("Textualize__textual__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 43);
    assert.deepEqual(countByGroup(r), { main: 6, "optional:syntax": 16, dev: 20, build: 1 });
    const te = only(r, "typing-extensions");
    assert.deepEqual([te.specifier, te.groups, te.line], [">=4.4.0,<5.0.0", ["main"], 53]);
    const black = only(r, "black");
    assert.deepEqual(
      [black.specifier, black.pinned, black.groups, black.line],
      ["==24.4.2", true, ["dev"], 99],
    );
    const md = only(r, "markdown-it-py");
    assert.deepEqual([md.extras, md.specifier, md.line], [["linkify"], ">=2.1.0", 49]);
    assert.equal(only(r, "tree-sitter-bash").markers, 'python_version >= "3.10"');
  });

  test("poetry (PEP 621 dependencies, Poetry groups, a git direct reference)", () => {
    const r = parseReal("python-poetry__poetry__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 37);
    assert.deepEqual(countByGroup(r), {
      main: 22,
      dev: 1,
      test: 10,
      typing: 2,
      "github-actions": 1,
      build: 1,
    });
    const core = r.dependencies.find((d) => d.name === "poetry-core" && d.groups[0] === "main")!;
    assert.deepEqual(
      [core.source, core.line],
      [{ kind: "vcs", vcs: "git", url: "https://github.com/python-poetry/poetry-core.git", ref: null }, 7],
    );
    const tomli = only(r, "tomli");
    assert.deepEqual(
      [tomli.specifier, tomli.markers, tomli.line],
      [">=2.0.1,<3.0.0", "python_version < '3.11'", 23],
    );
    assert.equal(only(r, "pytest-github-actions-annotate-failures").specifier, ">=0.1.7,<0.2.0");
  });

  test("pdm (PEP 621 extras and PEP 735 groups)", () => {
    const r = parseReal("pdm-project__pdm__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 46);
    assert.deepEqual(countByGroup(r), {
      main: 24,
      "optional:pytest": 2,
      "optional:copier": 1,
      "optional:cookiecutter": 1,
      "optional:keyring": 1,
      "optional:template": 1,
      "optional:all": 1,
      test: 6,
      tox: 2,
      doc: 3,
      workflow: 2,
      build: 2,
    });
    const httpx = only(r, "httpx");
    assert.deepEqual([httpx.extras, httpx.specifier, httpx.line], [["socks"], "<1,>0.20", 37]);
    const self = r.dependencies.find((d) => d.name === "pdm" && d.groups[0] === "test")!;
    assert.deepEqual([self.extras, self.line], [["pytest"], 81]);
  });

  test("pydantic-ai (uv workspace root: dependency groups, constraint-dependencies)", () => {
    const r = parseReal("pydantic__pydantic-ai__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 60);
    assert.deepEqual(countByGroup(r), { dev: 27, lint: 4, constraint: 27, build: 2 });
    const snc = only(r, "strict-no-cover");
    assert.deepEqual(
      [snc.source, snc.line],
      [
        {
          kind: "vcs",
          vcs: "git",
          url: "https://github.com/pydantic/strict-no-cover.git",
          ref: "7fc59da2c4dff919db2095a0f0e47101b657131d",
        },
        212,
      ],
    );
    assert.equal(only(r, "blockbuster").line, 226);
    assert.ok(r.dependencies.filter((d) => d.groups[0] === "constraint").every((d) => d.constraint === true));
  });

  test("redash (pinned PEP 621 list and three dependency groups)", () => {
    const r = parseReal("getredash__redash__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 132);
    assert.deepEqual(countByGroup(r), { main: 68, all_ds: 53, ldap3: 1, dev: 10 });
    const ibm = only(r, "ibm-db");
    assert.deepEqual(
      [ibm.specifier, ibm.markers, ibm.line],
      [">=3.2.7,<4.0.0", "platform_machine == 'x86_64' or platform_machine == 'AMD64'", 82],
    );
    const pymongo = only(r, "pymongo");
    assert.deepEqual(
      [pymongo.extras, pymongo.pinned, pymongo.version, pymongo.line],
      [["srv", "tls"], true, "4.6.3", 133],
    );
    assert.equal(r.dependencies.filter((d) => d.pinned).length, 114);
  });

  test("saleor (PEP 621 and a dev group with comments between entries)", () => {
    const r = parseReal("saleor__saleor__pyproject.toml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.dependencies.length, 102);
    assert.deepEqual(countByGroup(r), { main: 69, dev: 32, build: 1 });
    const celery = only(r, "celery");
    assert.deepEqual(
      [celery.extras, celery.specifier, celery.line],
      [["redis", "sqs"], ">=5.6.3,<6.0.0", 75],
    );
    assert.equal(only(r, "django-stubs").line, 98);
    assert.equal(only(r, "pytest-memray").line, 110);
  });
});

describe("parsePyproject: robustness (property)", () => {
  const seeds = ["pep621-uv", "dependency-groups", "poetry", "poetry2", "pdm", "errors"].map((d) =>
    readFileSync(fixture("inventory", "fixtures", "pyproject", d, "pyproject.toml"), "utf8"),
  );

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 6 }) }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      text: fc.constantFrom(
        '"',
        "'",
        "[",
        "]",
        "{",
        "}",
        "=",
        "\n",
        ",",
        "^",
        "||",
        "#",
        "\\",
        "constructor",
        "__proto__",
      ),
    }),
    fc.record({ kind: fc.constant("swap-lines" as const), at: fc.nat(), other: fc.nat() }),
  );

  function mutate(
    text: string,
    steps: { kind: string; at: number; length?: number; text?: string; other?: number }[],
  ): string {
    let t = text;
    for (const s of steps) {
      const at = t.length === 0 ? 0 : s.at % t.length;
      if (s.kind === "delete") t = t.slice(0, at) + t.slice(at + (s.length ?? 1));
      else if (s.kind === "insert") t = t.slice(0, at) + (s.text ?? "") + t.slice(at);
      else {
        const lines = t.split("\n");
        const a = s.at % lines.length;
        const b = (s.other ?? 0) % lines.length;
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        t = lines.join("\n");
      }
    }
    return t;
  }

  test("random mutations of valid pyproject files never throw and only give located errors", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (i, steps) => {
          const text = mutate(seeds[i]!, steps);
          const r = parsePyproject(text, "m.toml");
          const lines = text.split(/\r\n|\n|\r/).length;
          for (const e of r.errors) {
            assert.equal(e.file, "m.toml");
            assert.ok(e.message.length > 0);
            if (e.line !== undefined)
              assert.ok(e.line >= 1 && e.line <= lines + 1, `line ${e.line} of ${lines}`);
          }
          for (const d of r.dependencies) {
            assert.ok(d.name.length > 0);
            if (d.line !== null) assert.ok(d.line >= 1 && d.line <= lines);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
