// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pip's ${VAR} syntax is what these strings test.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { readTextFile } from "../../src/inventory/read.js";
import { parseRequirements, requirementsFileOptions } from "../../src/inventory/requirements.js";
import type { Dependency } from "../../src/inventory/types.js";
import { fixture, sharedData } from "../paths.js";

const dir = (...parts: string[]) => fixture("inventory", "fixtures", "requirements", ...parts);

function parseFixture(...parts: string[]) {
  const path = dir(...parts);
  return parseRequirements(readFileSync(path, "utf8"), path, {
    env: { EXTRA_INDEX_HOST: "mirror.example.org" },
  });
}

function byName(deps: Dependency[], name: string): Dependency {
  const found = deps.find((d) => d.name === name);
  assert.ok(found, `no dependency ${name} in ${deps.map((d) => d.name).join(", ")}`);
  return found;
}

/** An in-memory file system for includes, keyed by absolute path. */
function memoryFs(files: Record<string, string>) {
  const reads: string[] = [];
  return {
    reads,
    readInclude: (abs: string) => {
      reads.push(abs);
      const key = Object.keys(files).find((k) => abs === join(process.cwd(), k));
      return key === undefined
        ? { ok: false as const, message: "no such file or directory" }
        : { ok: true as const, text: files[key]! };
    },
  };
}

test("a project with -r and -c includes yields the dependencies of every file, each with its own file and line", () => {
  const { dependencies, errors } = parseFixture("project", "requirements.txt");
  assert.deepEqual(errors, []);
  const where = (name: string) => {
    const d = byName(dependencies, name);
    return [d.file, d.line];
  };
  assert.deepEqual(where("requests"), [dir("project", "requirements", "base.txt"), 2]);
  assert.deepEqual(where("django"), [dir("project", "requirements", "base.txt"), 4]);
  assert.deepEqual(where("certifi"), [dir("project", "requirements", "common.txt"), 1]);
  assert.deepEqual(where("gunicorn"), [dir("project", "requirements.txt"), 11]);
  assert.deepEqual(
    dependencies.map((d) => d.name),
    [
      "requests",
      "django",
      "certifi",
      "urllib3",
      "urllib3",
      "charset-normalizer",
      "gunicorn",
      "uvicorn",
      "internal-lib",
      "example-tools",
      "legacy-pkg",
      "fastjson",
      "project",
    ],
  );
});

test("dependencies from a -c constraints file are marked constraint: true", () => {
  const { dependencies } = parseFixture("project", "requirements.txt");
  const urllib3 = dependencies.filter((d) => d.name === "urllib3");
  assert.deepEqual(
    urllib3.map((d) => [d.specifier, d.constraint === true, d.file]),
    [
      ["==2.2.1", false, dir("project", "requirements", "common.txt")],
      ["<2.3", true, dir("project", "constraints.txt")],
    ],
  );
  assert.equal(byName(dependencies, "charset-normalizer").constraint, true);
  assert.equal(byName(dependencies, "gunicorn").constraint, undefined);
});

test("a requirement continued over lines keeps its first line, its extras and its marker", () => {
  const requests = byName(parseFixture("project", "requirements.txt").dependencies, "requests");
  assert.equal(requests.line, 2);
  assert.deepEqual(requests.extras, ["security"]);
  assert.equal(requests.specifier, ">=2.31.0,<3");
  assert.equal(requests.markers, 'python_version >= "3.8"');
  assert.equal(requests.pinned, false);
  assert.equal(requests.format, "requirements");
  assert.deepEqual(requests.groups, ["main"]);
  assert.equal(requests.direct, null);
});

test("markers, extras and a trailing comment on one line", () => {
  const deps = parseFixture("project", "requirements.txt").dependencies;
  const gunicorn = byName(deps, "gunicorn");
  assert.equal(gunicorn.version, "22.0.0");
  assert.equal(gunicorn.pinned, true);
  assert.equal(gunicorn.markers, 'sys_platform != "win32"');
  const uvicorn = byName(deps, "uvicorn");
  assert.deepEqual(uvicorn.extras, ["standard"]);
  assert.equal(uvicorn.specifier, ">=0.29,<0.31");
});

test("the last --index-url is the source of every index requirement, in included files too", () => {
  const deps = parseFixture("project", "requirements.txt").dependencies;
  for (const name of ["requests", "certifi", "gunicorn", "charset-normalizer"]) {
    assert.deepEqual(
      byName(deps, name).source,
      { kind: "index", url: "https://pypi.internal.example/simple" },
      name,
    );
  }
  const text = "-i https://one.example/simple\nfoo\n--index-url https://two.example/simple\nbar\n";
  const result = parseRequirements(text, "r.txt", { env: {} });
  assert.deepEqual(
    result.dependencies.map((d) => d.source),
    [
      { kind: "index", url: "https://two.example/simple" },
      { kind: "index", url: "https://two.example/simple" },
    ],
  );
  const noIndex = parseRequirements("--no-index\n--find-links ./wheels\nfoo==1.0\n", "r.txt", { env: {} });
  assert.equal(noIndex.dependencies[0]!.source, null);
  assert.equal(parseRequirements("foo\n", "r.txt").dependencies[0]!.source, null);
});

test("requirementsFileOptions reports a file's index, extra indexes, find-links and trusted hosts", () => {
  const text = readFileSync(dir("project", "requirements.txt"), "utf8");
  assert.deepEqual(requirementsFileOptions(text, { env: { EXTRA_INDEX_HOST: "mirror.example.org" } }), {
    indexUrl: "https://pypi.internal.example/simple",
    extraIndexUrls: ["https://mirror.example.org/simple"],
    findLinks: [],
    trustedHosts: ["pypi.internal.example"],
    noIndex: false,
  });
  assert.deepEqual(
    requirementsFileOptions(
      "--extra-index-url=https://a.example/simple\n-f ./wheels\n--no-index\n# --index-url x\n",
      {
        env: {},
      },
    ),
    {
      indexUrl: null,
      extraIndexUrls: ["https://a.example/simple"],
      findLinks: ["./wheels"],
      trustedHosts: [],
      noIndex: true,
    },
  );
});

test("${VAR} expands from the environment; lower-case names and unset variables stay as written", () => {
  const text =
    "--extra-index-url https://${HOST}/simple\n--extra-index-url https://${UNSET}/x\n--extra-index-url https://${lower}/y\n";
  assert.deepEqual(
    requirementsFileOptions(text, { env: { HOST: "h.example", lower: "nope" } }).extraIndexUrls,
    ["https://h.example/simple", "https://${UNSET}/x", "https://${lower}/y"],
  );
  const r = parseRequirements("pkg==${PKG_VERSION}\n", "r.txt", { env: { PKG_VERSION: "1.2.3" } });
  assert.equal(r.dependencies[0]!.version, "1.2.3");
});

test("-e with a VCS URL is editable with a vcs source, the rev as ref and the #egg= name", () => {
  const lib = byName(parseFixture("project", "requirements.txt").dependencies, "internal-lib");
  assert.equal(lib.editable, true);
  assert.deepEqual(lib.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/example/internal-lib.git",
    ref: "v2.3.1",
  });
  assert.equal(lib.version, null);
});

test("a VCS URL with #egg=name[extras]&subdirectory= gives name, extras and the ref", () => {
  const tools = byName(parseFixture("project", "requirements.txt").dependencies, "example-tools");
  assert.deepEqual(tools.extras, ["cli"]);
  assert.equal(tools.editable, undefined);
  assert.deepEqual(tools.source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/example/tools.git",
    ref: "0123abc",
  });
});

test("every VCS kind, a user@host netloc and a missing rev", () => {
  const text = [
    "hg+https://hg.example.org/repo@tip#egg=hgpkg",
    "svn+svn://svn.example.org/trunk/proj#egg=svnpkg",
    "bzr+lp:bzrproj#egg=bzrpkg",
    "git+ssh://git@github.com/org/noref.git",
    "git+https://github.com/org/named.git@refs/pull/1/head#egg=pr-pkg",
  ].join("\n");
  const { dependencies, errors } = parseRequirements(text, "r.txt", { env: {} });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.source]),
    [
      ["hgpkg", { kind: "vcs", vcs: "hg", url: "https://hg.example.org/repo", ref: "tip" }],
      ["svnpkg", { kind: "vcs", vcs: "svn", url: "svn://svn.example.org/trunk/proj", ref: null }],
      ["bzrpkg", { kind: "vcs", vcs: "bzr", url: "lp:bzrproj", ref: null }],
      ["noref", { kind: "vcs", vcs: "git", url: "ssh://git@github.com/org/noref.git", ref: null }],
      [
        "pr-pkg",
        { kind: "vcs", vcs: "git", url: "https://github.com/org/named.git", ref: "refs/pull/1/head" },
      ],
    ],
  );
});

test("archives and wheels give name and version from their file names", () => {
  const deps = parseFixture("project", "requirements.txt").dependencies;
  const legacy = byName(deps, "legacy-pkg");
  assert.deepEqual([legacy.rawName, legacy.version], ["legacy_pkg", "1.4.2"]);
  assert.deepEqual(legacy.source, { kind: "path", path: "./vendor/legacy_pkg-1.4.2.tar.gz" });
  const wheel = byName(deps, "fastjson");
  assert.equal(wheel.version, "3.1.0");
  assert.equal(wheel.markers, 'python_version >= "3.12"');
  assert.deepEqual(wheel.source, {
    kind: "url",
    url: "https://files.example.com/wheels/fastjson-3.1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
  });
});

test("a local directory takes its directory's name and is reported as a path, with no error", () => {
  const { dependencies, errors } = parseRequirements(
    "-e .\n./libs/my_lib[extra1]\n",
    "some/app/requirements.txt",
    {
      env: {},
    },
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => [d.rawName, d.source, d.editable === true, d.extras]),
    [
      ["app", { kind: "path", path: "." }, true, []],
      ["my_lib", { kind: "path", path: "./libs/my_lib" }, false, ["extra1"]],
    ],
  );
});

test("a URL requirement needs '; ' before its marker: a ';' inside the URL stays in it", () => {
  const { dependencies } = parseRequirements(
    "https://x.example/a;b/pkg-1.0.tar.gz ; sys_platform == 'linux'\nname @ https://x.example/n-2.0-py3-none-any.whl ; os_name == 'nt'\n",
    "r.txt",
    { env: {} },
  );
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.version, d.markers, d.source]),
    [
      ["pkg", "1.0", "sys_platform == 'linux'", { kind: "url", url: "https://x.example/a;b/pkg-1.0.tar.gz" }],
      ["name", "2.0", "os_name == 'nt'", { kind: "url", url: "https://x.example/n-2.0-py3-none-any.whl" }],
    ],
  );
});

test("a '#' starts a comment only at the line start or after whitespace, so #egg= and #sha256= survive", () => {
  const { dependencies } = parseRequirements(
    "https://x.example/pkg.zip#egg=eggy # a comment\n# full comment line\n   # indented comment\n",
    "r.txt",
    { env: {} },
  );
  assert.equal(dependencies.length, 1);
  assert.equal(dependencies[0]!.name, "eggy");
  assert.deepEqual(dependencies[0]!.source, { kind: "url", url: "https://x.example/pkg.zip#egg=eggy" });
});

test("hashed pip-compile output with CRLF: every hash kept, direct or transitive from # via", () => {
  const raw = readFileSync(dir("hashed", "requirements.txt"), "utf8");
  assert.ok(raw.includes("\r\n"), "the fixture must keep its CRLF line endings");
  const { dependencies, errors } = parseRequirements(raw, "hashed/requirements.txt", { env: {} });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.version, d.line, d.hashes.length, d.direct]),
    [
      ["certifi", "2024.2.2", 4, 2, false],
      ["idna", "3.7", 8, 2, false],
      ["requests", "2.31.0", 12, 2, true],
      ["pyyaml", "6.0.1", 18, 1, true],
      ["unannotated", "1.0", 19, 1, null],
    ],
  );
  assert.deepEqual(byName(dependencies, "certifi").hashes, [
    "sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f",
    "sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1",
  ]);
});

test("--hash takes its value after '=' or a space, several per line, and the algorithm is lower-cased", () => {
  const digest = "ab".repeat(32);
  const { dependencies, errors } = parseRequirements(
    `pkg==1.0 --hash=SHA256:${digest.toUpperCase()} --hash sha512:${"c".repeat(128)}\n`,
    "r.txt",
    { env: {} },
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(dependencies[0]!.hashes, [`sha256:${digest}`, `sha512:${"c".repeat(128)}`]);
});

test("pip-compile's pyproject annotation counts as direct, a -c annotation alone as unknown", () => {
  const text = [
    "a==1.0",
    "    # via myproject (pyproject.toml)",
    "b==1.0",
    "    # via -c constraints.txt",
    "c==1.0",
    "    # via",
    "    #   -c constraints.txt",
    "    #   a",
    "",
    "# The following packages are considered to be unsafe in a requirements file:",
    "pip==24.0",
  ].join("\n");
  const deps = parseRequirements(text, "r.txt", { env: {} }).dependencies;
  assert.deepEqual(
    deps.map((d) => [d.name, d.direct]),
    [
      ["a", true],
      ["b", null],
      ["c", false],
      ["pip", null],
    ],
  );
});

test("a -r include cycle is reported once, with both files, and parsing terminates", () => {
  const { dependencies, errors } = parseFixture("cycle", "a.txt");
  assert.deepEqual(
    dependencies.map((d) => d.name),
    ["beta", "alpha"],
  );
  assert.equal(errors.length, 1);
  const [error] = errors;
  assert.equal(error!.file, dir("cycle", "b.txt"));
  assert.equal(error!.line, 2);
  assert.equal(error!.column, 1);
  assert.match(error!.message, /include cycle/);
  assert.ok(error!.message.includes(dir("cycle", "a.txt")) && error!.message.includes(dir("cycle", "b.txt")));
});

test("a file that includes itself is a cycle too", () => {
  const fs = memoryFs({ "self.txt": "-r self.txt\nx==1\n" });
  const { dependencies, errors } = parseRequirements("-r self.txt\nx==1\n", "self.txt", {
    env: {},
    readInclude: fs.readInclude,
  });
  assert.deepEqual(fs.reads, []);
  assert.equal(dependencies.length, 1);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /include cycle: self\.txt includes self\.txt/);
});

test("included files are reported in the including file's path style and read from absolute paths", () => {
  const fs = memoryFs({
    "reqs/dev.txt": "-r base.txt\n--constraint=../constraints/pins.txt\npytest\n",
    "reqs/base.txt": "requests\n",
    "constraints/pins.txt": "requests==2.31.0\n-rnested.txt\n",
    "constraints/nested.txt": "idna\n",
  });
  const { dependencies, errors } = parseRequirements("-r dev.txt\n", "reqs/root.txt", {
    env: {},
    readInclude: fs.readInclude,
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.file, d.constraint === true]),
    [
      ["requests", "reqs/base.txt", false],
      ["requests", "constraints/pins.txt", true],
      // pip: a -r inside a constraints file is read as requirements again.
      ["idna", "constraints/nested.txt", false],
      ["pytest", "reqs/dev.txt", false],
    ],
  );
  assert.ok(fs.reads.every((p) => p.startsWith("/")));
});

test("a file included twice (a diamond) is read once", () => {
  const fs = memoryFs({ "b.txt": "-r d.txt\n", "c.txt": "-r d.txt\n", "d.txt": "shared==1.0\n" });
  const { dependencies, errors } = parseRequirements("-r b.txt\n-r c.txt\n", "a.txt", {
    env: {},
    readInclude: fs.readInclude,
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => d.name),
    ["shared"],
  );
});

test("a missing include is an error at the including line; the rest still parses", () => {
  const { dependencies, errors } = parseFixture("broken", "requirements.txt");
  const missing = errors.find((e) => e.message.includes("does-not-exist.txt"));
  assert.ok(missing);
  assert.deepEqual([missing.file, missing.line, missing.column], [dir("broken", "requirements.txt"), 7, 1]);
  assert.match(missing.message, /no such file or directory/);
  // A line with a bad --hash still declares its requirement; only the hash is dropped.
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.hashes]),
    [
      ["good-one", []],
      ["hashy", []],
      ["good-two", []],
    ],
  );
});

test("malformed lines give located errors naming the cause", () => {
  const { errors } = parseFixture("broken", "requirements.txt");
  const at = (line: number) => errors.filter((e) => e.line === line).map((e) => [e.column, e.message]);
  assert.deepEqual(at(2), [[1, "unknown option --frobnicate (not allowed in a requirements file)"]]);
  assert.deepEqual(at(3), [
    [14, "invalid requirement 'bad-version>=': expected a version after '>=', found the end"],
  ]);
  assert.equal(at(4).length, 1);
  assert.equal(at(4)[0]![0], 27);
  assert.match(
    String(at(4)[0]![1]),
    /invalid environment marker: .*expected a marker variable or a quoted string after '>'/,
  );
  assert.deepEqual(at(5), [[1, "pip accepts only sha256, sha384 and sha512 for --hash, not 'md5'"]]);
  assert.deepEqual(at(6), [[12, "a sha256 digest is 64 hexadecimal digits, not 'abc'"]]);
  for (const e of errors) assert.equal(e.file, dir("broken", "requirements.txt"));
});

test("option errors: missing values, abbreviations, stray arguments, unclosed quotes", () => {
  const parse = (text: string) => parseRequirements(text, "r.txt", { env: {} });
  assert.deepEqual(parse("-r\n").errors, [
    { file: "r.txt", line: 1, column: 1, message: "option -r needs a value" },
  ]);
  assert.deepEqual(parse("--pre=yes\n").errors, [
    { file: "r.txt", line: 1, column: 1, message: "option --pre does not take a value" },
  ]);
  // optparse accepts a unique prefix of a long option, and so does pip.
  assert.deepEqual(requirementsFileOptions("--extra-index https://e.example\n", { env: {} }).extraIndexUrls, [
    "https://e.example",
  ]);
  assert.match(parse("--no x\n").errors[0]!.message, /ambiguous option --no/);
  assert.match(
    parse("-r a.txt b.txt\n")
      .errors.map((e) => e.message)
      .join("\n"),
    /unexpected argument 'b\.txt'/,
  );
  assert.match(parse("-i 'https://x\n").errors[0]!.message, /no closing '/);
  assert.match(
    parse("-e https://x.example/pkg.zip\n").errors[0]!.message,
    /must be a local project path or a VCS URL/,
  );
  assert.match(parse("-e git+https://x.example/r.git\n").errors[0]!.message, /add #egg=<name>/);
  assert.match(parse("-r https://x.example/reqs.txt\n").errors[0]!.message, /not followed/);
  assert.match(parse("-c c.txt\n").errors[0]!.message, /cannot read -c c\.txt/);
});

test("a continuation error is located on the physical line where it is", () => {
  const { errors } = parseRequirements("good==1.0 \\\n    --hash=sha256:zz\n", "r.txt", { env: {} });
  assert.deepEqual(
    errors.map((e) => [e.line, e.column]),
    [[2, 5]],
  );
});

test("an editable requirement in a constraints file is refused, as pip does", () => {
  const fs = memoryFs({ "c.txt": "-e ./local\nfoo<2\n" });
  const { dependencies, errors } = parseRequirements("-c c.txt\n", "r.txt", {
    env: {},
    readInclude: fs.readInclude,
  });
  assert.deepEqual(
    dependencies.map((d) => d.name),
    ["foo"],
  );
  assert.match(errors[0]!.message, /not allowed in a constraints file/);
  assert.equal(errors[0]!.file, "c.txt");
});

test("UTF-8 with a BOM and UTF-16 files parse after decoding", () => {
  for (const name of ["utf8-bom.txt", "utf16.txt"]) {
    const read = readTextFile(dir("encodings", name));
    assert.ok(read.ok);
    const { dependencies, errors } = parseRequirements(read.text, name, { env: {} });
    assert.deepEqual(errors, [], name);
    assert.deepEqual(
      dependencies.map((d) => [d.rawName, d.specifier, d.line]),
      [
        ["flask", "==3.0.3", 1],
        ["click", ">=8.1", 2],
      ],
      name,
    );
  }
  // A BOM left in the text (not decoded by readTextFile) is dropped too.
  assert.equal(parseRequirements("\uFEFFflask\n", "r.txt").dependencies[0]!.name, "flask");
});

test("warehouse's real pip-compile output: 184 pins, each with sha256 hashes, direct from # via -r", () => {
  const path = join(sharedData, "real-manifests", "pypi__warehouse__requirements__main.txt", "main.txt");
  const { dependencies, errors } = parseRequirements(readFileSync(path, "utf8"), "requirements/main.txt", {
    env: {},
  });
  assert.deepEqual(errors, []);
  assert.equal(dependencies.length, 184);
  for (const d of dependencies) {
    assert.ok(d.pinned && d.version !== null, d.name);
    assert.ok(d.hashes.length > 0 && d.hashes.every((h) => /^sha256:[0-9a-f]{64}$/.test(h)), d.name);
    assert.notEqual(d.direct, null, d.name);
  }
  assert.deepEqual([byName(dependencies, "alembic").direct, byName(dependencies, "alembic").line], [true, 7]);
  assert.equal(byName(dependencies, "amqp").direct, false);
  assert.equal(byName(dependencies, "argon2-cffi-bindings").hashes.length, 26);

  // The direct ones are exactly the names main.in declares.
  const inPath = join(sharedData, "real-manifests", "pypi__warehouse__requirements__main.in", "main.in");
  const declared = parseRequirements(readFileSync(inPath, "utf8"), "requirements/main.in", { env: {} });
  assert.deepEqual(declared.errors, []);
  assert.equal(declared.dependencies.length, 79);
  assert.deepEqual(
    dependencies
      .filter((d) => d.direct)
      .map((d) => d.name)
      .sort(),
    declared.dependencies.map((d) => d.name).sort(),
  );
});

test("warehouse's main.in: specifiers, extras and a trailing comment", () => {
  const inPath = join(sharedData, "real-manifests", "pypi__warehouse__requirements__main.in", "main.in");
  const { dependencies } = parseRequirements(readFileSync(inPath, "utf8"), "requirements/main.in", {
    env: {},
  });
  const celery = byName(dependencies, "celery");
  assert.deepEqual([celery.specifier, celery.extras, celery.pinned], [">=5.6.2,<5.7", ["redis"], false]);
  const kombu = byName(dependencies, "kombu");
  assert.deepEqual([kombu.specifier, kombu.extras], ["", ["redis"]]);
  assert.equal(byName(dependencies, "zope-sqlalchemy").rawName, "zope.sqlalchemy");
  assert.equal(byName(dependencies, "pyjwt").specifier, ">=2.13.0");
});

const validFile =
  readFileSync(dir("project", "requirements.txt"), "utf8") +
  readFileSync(dir("hashed", "requirements.txt"), "utf8");

test("random mutations of a valid requirements file never throw, and errors are located", () => {
  const alphabet = fc.constantFrom(..."-=\\#;@[]()'\" \t\r\n${}:/.<>~!*,egrcfi0aZ_".split(""));
  const fs = memoryFs({ "x.txt": "-r y.txt\nfoo\n", "y.txt": "-r x.txt\n-c requirements.txt\n" });
  const lines = validFile.split("\n").length + 20;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ at: fc.nat(), remove: fc.nat({ max: 8 }), insert: fc.array(alphabet, { maxLength: 6 }) }),
        {
          minLength: 1,
          maxLength: 8,
        },
      ),
      (mutations) => {
        let text = validFile;
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert.join("") + text.slice(at + m.remove);
        }
        const { dependencies, errors } = parseRequirements(text, "requirements.txt", {
          env: { EXTRA_INDEX_HOST: "h" },
          readInclude: fs.readInclude,
        });
        for (const e of errors) {
          assert.equal(typeof e.message, "string");
          if (e.line !== undefined) assert.ok(e.line >= 1 && e.line <= lines * 2);
          if (e.column !== undefined) assert.ok(e.column >= 1);
        }
        for (const d of dependencies) assert.ok(d.line !== null && d.line >= 1);
      },
    ),
    { numRuns: 500 },
  );
});

test("random text never throws", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
      parseRequirements(text, "r.txt", { env: {}, readInclude: () => ({ ok: false, message: "no" }) });
      requirementsFileOptions(text, { env: {} });
    }),
    { numRuns: 1000 },
  );
});

test("file: URLs are paths, PEP 508 direct references keep their name, scp-style VCS URLs are refused", () => {
  const text = [
    "-e file:///opt/src/thing#egg=thing",
    "file:///opt/wheels/z-1.0-py3-none-any.whl",
    "bar @ git+https://github.com/o/bar@v2",
    "-e git+git@github.com:org/repo.git@v1#egg=x",
    "--requirement=other.txt",
  ].join("\n");
  const fs = memoryFs({ "other.txt": "from-other\n" });
  const { dependencies, errors } = parseRequirements(text, "r.txt", { env: {}, readInclude: fs.readInclude });
  assert.deepEqual(
    dependencies.map((d) => [d.rawName, d.version, d.source, d.editable === true]),
    [
      ["thing", null, { kind: "path", path: "/opt/src/thing" }, true],
      ["z", "1.0", { kind: "path", path: "/opt/wheels/z-1.0-py3-none-any.whl" }, false],
      ["bar", null, { kind: "vcs", vcs: "git", url: "https://github.com/o/bar", ref: "v2" }, false],
      ["from-other", null, null, false],
    ],
  );
  assert.equal(errors.length, 1);
  assert.deepEqual([errors[0]!.line, errors[0]!.column], [4, 1]);
  assert.match(errors[0]!.message, /not a VCS URL pip understands/);
});

test("plain name==version lines read by the shortcut give exactly the records and errors of the full grammar", () => {
  const name = fc.constantFrom(
    "requests",
    "Foo.Bar",
    "a",
    "zope_interface",
    "x-",
    "-x",
    "a.b-c_d",
    "Ω",
    "9lives",
  );
  const version = fc.constantFrom(
    "1.0",
    "2.31.0",
    "1.0.post1",
    "1!2.0",
    "1.0+local.7",
    "1.0a1",
    "v1.0",
    "1.*",
    "01.2",
  );
  const junk = fc.constantFrom("1.0.foo", "1..0", "", "=1.0", "1.0 ", " 1.0", "1.0;", "1.0#x", "latest");
  const line = fc.oneof(
    fc.tuple(name, version).map(([n, v]) => `${n}==${v}`),
    fc.tuple(name, junk).map(([n, v]) => `${n}==${v}`),
    fc.tuple(name, version).map(([n, v]) => `${n} == ${v}`),
    fc.tuple(name, version).map(([n, v]) => `${n}===${v}`),
    fc.tuple(name, version).map(([n, v]) => `${n}[extra]==${v}`),
    fc.tuple(name, version).map(([n, v]) => `${n}==${v} --hash=sha256:${"a".repeat(64)}`),
    fc.tuple(name, version).map(([n, v]) => `${n}==${v}  # pinned`),
    fc.tuple(name, version).map(([n, v]) => `${n}==${v}; python_version >= "3.8"`),
    fc.constantFrom("--index-url https://example.org/simple", "-i https://mirror.example/simple", "", "# c"),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      const text = lines.join("\n");
      const fast = parseRequirements(text, "requirements.txt", { env: {} });
      const full = parseRequirements(text, "requirements.txt", { env: {}, plainPinShortcut: false });
      assert.deepEqual(fast, full);
    }),
    { numRuns: 3000 },
  );
});
