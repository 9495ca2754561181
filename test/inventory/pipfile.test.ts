import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parsePipfile } from "../../src/inventory/pipfile.js";
import type { Dependency, ParseResult } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";

function parseFixture(dir: string): ParseResult {
  return parsePipfile(
    readFileSync(fixture("inventory", "fixtures", "pipfile", dir, "Pipfile"), "utf8"),
    "Pipfile",
  );
}

function only(result: ParseResult, name: string): Dependency {
  const found = result.dependencies.filter((d) => d.name === name);
  assert.equal(found.length, 1, `expected one ${name}, found ${found.length}`);
  return found[0]!;
}

const PYPI = { kind: "index", url: "https://pypi.org/simple" } as const;

describe("parsePipfile", () => {
  const r = parseFixture("categories");

  test("reads [packages] as main, [dev-packages] as dev and custom categories by name; skips pipenv settings", () => {
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.dependencies.map((d) => [d.name, d.groups, d.line]),
      [
        ["django", ["main"], 12],
        ["requests", ["main"], 13],
        ["celery", ["main"], 14],
        ["gunicorn", ["main"], 15],
        ["ruamel-yaml", ["main"], 16],
        ["corp-sdk", ["main"], 17],
        ["pywin32", ["main"], 18],
        ["uvloop", ["main"], 19],
        ["flask-login", ["main"], 20],
        ["local-lib", ["main"], 21],
        ["wheel-pkg", ["main"], 22],
        ["pytest", ["dev"], 25],
        ["black", ["dev"], 26],
        ["sphinx", ["docs"], 29],
      ],
    );
    assert.ok(r.dependencies.every((d) => d.direct === true && d.format === "pipfile"));
  });

  test('"*" is no specifier, "==x" pins, and a version without an operator means ==', () => {
    assert.deepEqual([only(r, "requests").specifier, only(r, "requests").pinned], ["", false]);
    assert.deepEqual([only(r, "django").specifier, only(r, "django").version], ["==4.2.11", "4.2.11"]);
    assert.deepEqual([only(r, "gunicorn").specifier, only(r, "gunicorn").pinned], ["==21.2", true]);
    assert.deepEqual([only(r, "pytest").specifier, only(r, "pytest").pinned], ["==8.*", false]);
    assert.equal(only(r, "celery").specifier, ">=5.3,<6");
    assert.deepEqual([only(r, "black").specifier, only(r, "black").pinned], ["==24.3.0", true]);
  });

  test("table entries keep extras, and marker keys become PEP 508 markers", () => {
    const ruamel = only(r, "ruamel-yaml");
    assert.deepEqual(
      [ruamel.rawName, ruamel.extras, ruamel.specifier],
      ["ruamel.yaml", ["jinja2"], ">=0.18"],
    );
    assert.equal(only(r, "pywin32").markers, "sys_platform == 'win32'");
    assert.equal(
      only(r, "uvloop").markers,
      `sys_platform != 'win32' and platform_python_implementation == "CPython"`,
    );
  });

  test("index names map to [[source]] URLs, the first source is the default, and VCS/path/file set their own", () => {
    assert.deepEqual(only(r, "corp-sdk").source, { kind: "index", url: "https://pypi.corp.example/simple" });
    assert.deepEqual(only(r, "django").source, PYPI);
    assert.deepEqual(only(r, "flask-login").source, {
      kind: "vcs",
      vcs: "git",
      url: "https://github.com/maxcountryman/flask-login.git",
      ref: "0.6.3",
    });
    const local = only(r, "local-lib");
    assert.deepEqual([local.source, local.editable], [{ kind: "path", path: "./libs/local-lib" }, true]);
    assert.deepEqual(only(r, "wheel-pkg").source, {
      kind: "url",
      url: "https://example.com/wheel_pkg-1.0-py3-none-any.whl",
    });
  });

  test("without [[source]] a package has no source", () => {
    const res = parsePipfile(`[packages]\nrequests = "*"\n`, "Pipfile");
    assert.equal(res.dependencies[0]!.source, null);
  });

  test("bad entries are errors at their key's line; a bad version keeps the name without a specifier", () => {
    const e = parseFixture("errors");
    assert.deepEqual(
      e.errors.map((x) => [x.line, x.message]),
      [
        [7, `[packages] bad-version: invalid version ">=>1": expected a version after '>=', found '>'`],
        [8, "[packages] bad-type: must be a version string or a table"],
        [9, '[packages] bad-index: index "missing" is not the name of a [[source]]'],
        [
          10,
          `[packages] bad-marker: invalid markers "sys_platform = 'linux'": expected a marker operator (==, !=, <=, >=, <, >, ~=, ===, in, not in) after 'sys_platform', found '='`,
        ],
      ],
    );
    assert.deepEqual(
      e.dependencies.map((d) => [d.name, d.specifier]),
      [
        ["good", "==1.0"],
        ["bad-version", ""],
        ["bad-index", ""],
        ["bad-marker", ""],
        ["pytest", ""],
      ],
    );
  });

  test("a TOML syntax error is one located error", () => {
    const res = parsePipfile(`[packages]\nrequests = \n`, "Pipfile");
    assert.equal(res.dependencies.length, 0);
    assert.equal(res.errors.length, 1);
    assert.equal(res.errors[0]!.line, 2);
    assert.match(res.errors[0]!.message, /^invalid TOML/);
  });

  test("CRLF line endings give the same lines", () => {
    const text = readFileSync(fixture("inventory", "fixtures", "pipfile", "categories", "Pipfile"), "utf8");
    const crlf = parsePipfile(text.replace(/\n/g, "\r\n"), "Pipfile");
    assert.deepEqual(
      crlf.dependencies.map((d) => d.line),
      r.dependencies.map((d) => d.line),
    );
  });

  test("pipenv's own Pipfile: 26 dev packages and 1 package", () => {
    const real = parsePipfile(
      readFileSync(join(sharedData, "real-manifests", "pypa__pipenv__Pipfile", "Pipfile"), "utf8"),
      "Pipfile",
    );
    assert.deepEqual(real.errors, []);
    assert.equal(real.dependencies.length, 27);
    assert.equal(real.dependencies.filter((d) => d.groups[0] === "dev").length, 26);
    assert.deepEqual(
      real.dependencies.filter((d) => d.groups[0] === "main").map((d) => [d.name, d.specifier, d.line]),
      [["pytz", "", 35]],
    );
    const gunicorn = only(real, "gunicorn");
    assert.deepEqual(
      [gunicorn.specifier, gunicorn.markers, gunicorn.line],
      ["==26.1.*", "sys_platform == 'linux'", 19],
    );
    const click = only(real, "click");
    assert.deepEqual([click.specifier, click.pinned, click.line], ["==8.0.3", true, 12]);
    assert.deepEqual(only(real, "myst-parser").extras, ["linkify"]);
    assert.equal(only(real, "legacy-cgi").markers, "python_version >= '3.13'");
    assert.ok(
      real.dependencies.every(
        (d) => d.source?.kind === "index" && d.source.url === "https://pypi.org/simple",
      ),
    );
    assert.equal(real.dependencies.filter((d) => d.pinned).length, 3);
  });

  test("random mutations of valid Pipfiles never throw and only give located errors (property)", () => {
    const seeds = ["categories", "errors"].map((d) =>
      readFileSync(fixture("inventory", "fixtures", "pipfile", d, "Pipfile"), "utf8"),
    );
    const step = fc.tuple(
      fc.nat(),
      fc.nat({ max: 6 }),
      fc.oneof(
        fc.string({ maxLength: 5 }),
        fc.constantFrom('"', "[", "]", "{", "}", "=", "\n", "*", "constructor"),
      ),
    );
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(step, { minLength: 1, maxLength: 5 }),
        (i, steps) => {
          let text = seeds[i]!;
          for (const [at, del, ins] of steps) {
            const p = at % (text.length + 1);
            text = text.slice(0, p) + ins + text.slice(p + del);
          }
          const res = parsePipfile(text, "Pipfile");
          const lines = text.split(/\r\n|\n|\r/).length;
          for (const e of res.errors) {
            assert.equal(e.file, "Pipfile");
            assert.ok(e.message.length > 0);
            if (e.line !== undefined) assert.ok(e.line >= 1 && e.line <= lines + 1);
          }
          for (const d of res.dependencies) if (d.line !== null) assert.ok(d.line >= 1 && d.line <= lines);
        },
      ),
      { numRuns: 400 },
    );
  });
});
