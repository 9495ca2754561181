import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { blake2b256Hex, createBlake2b256 } from "../../src/registry/blake2b.js";
import { type UploadForm, validateUpload } from "../../src/registry/upload-validation.js";
import { buildSdist, buildWheel, metadataText, twineForm } from "./dist-builders.js";

const WHEEL = "demo_pkg-1.0-py3-none-any.whl";
const SDIST = "demo_pkg-1.0.tar.gz";

function formFor(
  bytes: Buffer,
  filetype: "bdist_wheel" | "sdist",
  overrides: Partial<UploadForm> = {},
): UploadForm {
  return { ...twineForm("demo_pkg", "1.0", filetype, blake2b256Hex(bytes), bytes), ...overrides };
}

async function refusal(
  form: UploadForm,
  filename: string,
  bytes: Buffer,
  maxFileBytes?: number,
): Promise<string> {
  const result = await validateUpload(
    form,
    { filename, bytes },
    maxFileBytes === undefined ? {} : { maxFileBytes },
  );
  assert.equal(result.ok, false, `expected a refusal, got ${JSON.stringify(result).slice(0, 300)}`);
  if (result.ok) return "";
  assert.equal(result.status, 400);
  assert.doesNotMatch(result.reason, /[\r\n]/);
  return result.reason;
}

describe("BLAKE2b-256 (PyPI's blake2_256_digest)", () => {
  it("matches the published test vectors", () => {
    assert.equal(
      blake2b256Hex(Buffer.alloc(0)),
      "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
    );
    assert.equal(
      blake2b256Hex(Buffer.from("abc")),
      "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    );
  });

  it("hashes split updates exactly like one update, across block boundaries", () => {
    for (const size of [0, 1, 127, 128, 129, 256, 1000, 70_000]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
      const hash = createBlake2b256();
      for (let i = 0; i < size; i += 77) hash.update(data.subarray(i, i + 77));
      assert.equal(hash.digestHex(), blake2b256Hex(data), `size ${size}`);
    }
  });
});

describe("validateUpload", () => {
  it("accepts a wheel whose form, file name and METADATA agree", async () => {
    const wheel = await buildWheel();
    const result = await validateUpload(formFor(wheel, "bdist_wheel"), { filename: WHEEL, bytes: wheel });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.project, "demo-pkg");
    assert.equal(result.version, "1.0");
    assert.equal(result.packagetype, "wheel");
    assert.equal(result.size, wheel.length);
    assert.equal(result.sha256, createHash("sha256").update(wheel).digest("hex"));
    assert.equal(result.blake2b256, blake2b256Hex(wheel));
    assert.equal(result.metadata.name, "demo_pkg");
    assert.equal(result.metadata.path, "demo_pkg-1.0.dist-info/METADATA");
    assert.equal(result.metadata.text, metadataText("demo_pkg", "1.0"));
    assert.equal(result.metadata.summary, "A test project");
    assert.equal(result.metadata.requiresPython, null);
  });

  it("accepts an sdist, and reads Requires-Python and Requires-Dist from the file", async () => {
    const sdist = buildSdist({
      pkgInfo: metadataText("demo_pkg", "1.0", "Requires-Python: >=3.9\nRequires-Dist: requests>=2\n"),
    });
    const result = await validateUpload(formFor(sdist, "sdist"), { filename: SDIST, bytes: sdist });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.packagetype, "sdist");
    assert.equal(result.metadata.requiresPython, ">=3.9");
    assert.deepEqual(result.metadata.requiresDist, ["requests>=2"]);
  });

  it("compares names normalised and versions as PEP 440 (Demo.Pkg 1.0.0 is demo_pkg 1.0)", async () => {
    const wheel = await buildWheel();
    const form = formFor(wheel, "bdist_wheel", { name: "Demo.Pkg", version: "1.0.0" });
    const result = await validateUpload(form, { filename: WHEEL, bytes: wheel });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.project, "demo-pkg");
  });

  it("refuses a form naming another project than the file name", async () => {
    const wheel = await buildWheel();
    assert.equal(
      await refusal(formFor(wheel, "bdist_wheel", { name: "other" }), WHEEL, wheel),
      `Invalid file name: the project in ${WHEEL} (demo_pkg) does not match the form (other)`,
    );
  });

  it("refuses a form naming another version than the file name", async () => {
    const wheel = await buildWheel();
    assert.equal(
      await refusal(formFor(wheel, "bdist_wheel", { version: "1.1" }), WHEEL, wheel),
      `Invalid file name: the version in ${WHEEL} (1.0) does not match the form (1.1)`,
    );
  });

  it("refuses METADATA naming another project than the form", async () => {
    const wheel = await buildWheel({ metadata: metadataText("evil", "1.0") });
    assert.equal(
      await refusal(formFor(wheel, "bdist_wheel"), WHEEL, wheel),
      "Invalid distribution file: name in METADATA (evil) does not match the form (demo_pkg)",
    );
  });

  it("refuses METADATA with another version than the form", async () => {
    const sdist = buildSdist({ pkgInfo: metadataText("demo_pkg", "6.6.6") });
    assert.equal(
      await refusal(formFor(sdist, "sdist"), SDIST, sdist),
      "Invalid distribution file: version in PKG-INFO (6.6.6) does not match the form (1.0)",
    );
  });

  it("refuses METADATA with a second Name field", async () => {
    const wheel = await buildWheel({ metadata: metadataText("demo_pkg", "1.0", "Name: evil\n") });
    assert.equal(
      await refusal(formFor(wheel, "bdist_wheel"), WHEEL, wheel),
      "Invalid distribution file: METADATA has 2 Name fields",
    );
  });

  it("refuses an unknown Metadata-Version, and a form that disagrees with the file's", async () => {
    const wheel = await buildWheel({ metadata: "Metadata-Version: 3.0\nName: demo_pkg\nVersion: 1.0\n" });
    assert.equal(
      await refusal(formFor(wheel, "bdist_wheel"), WHEEL, wheel),
      "Invalid distribution file: METADATA has an unknown Metadata-Version '3.0'",
    );
    const good = await buildWheel();
    assert.equal(
      await refusal(formFor(good, "bdist_wheel", { metadata_version: "2.4" }), WHEEL, good),
      "Invalid distribution file: metadata_version in the form (2.4) does not match METADATA (2.1)",
    );
  });

  it("refuses a wrong sha256_digest", async () => {
    const wheel = await buildWheel();
    const reason = await refusal(
      formFor(wheel, "bdist_wheel", { sha256_digest: "00".repeat(32) }),
      WHEEL,
      wheel,
    );
    assert.match(
      reason,
      /^The sha256_digest in the form \(0{64}\) does not match the file \([0-9a-f]{64}\)$/,
    );
  });

  it("refuses a wrong blake2_256_digest, and names the right one", async () => {
    const wheel = await buildWheel();
    const reason = await refusal(
      formFor(wheel, "bdist_wheel", { blake2_256_digest: "ab".repeat(32) }),
      WHEEL,
      wheel,
    );
    assert.equal(
      reason,
      `The blake2_256_digest in the form (${"ab".repeat(32)}) does not match the file (${blake2b256Hex(wheel)})`,
    );
  });

  it("checks an md5_digest when one is given, in hex or unpadded urlsafe base64", async () => {
    const wheel = await buildWheel();
    const md5 = createHash("md5").update(wheel).digest();
    for (const spelling of [
      md5.toString("hex"),
      md5.toString("hex").toUpperCase(),
      md5.toString("base64url"),
    ]) {
      const result = await validateUpload(
        { name: "demo_pkg", version: "1.0", filetype: "bdist_wheel", md5_digest: spelling },
        { filename: WHEEL, bytes: wheel },
      );
      assert.ok(result.ok, spelling);
    }
    assert.match(
      await refusal(formFor(wheel, "bdist_wheel", { md5_digest: "0".repeat(32) }), WHEEL, wheel),
      /^The md5_digest in the form/,
    );
  });

  it("refuses an upload without any digest", async () => {
    const wheel = await buildWheel();
    assert.equal(
      await refusal({ name: "demo_pkg", version: "1.0", filetype: "bdist_wheel" }, WHEEL, wheel),
      "Include at least one message digest (sha256_digest or blake2_256_digest)",
    );
  });

  it("refuses a filetype that does not match the file", async () => {
    const wheel = await buildWheel();
    assert.equal(
      await refusal(formFor(wheel, "sdist"), WHEEL, wheel),
      `Invalid filetype 'sdist' for ${WHEEL}: expected 'bdist_wheel'`,
    );
    const sdist = buildSdist();
    assert.match(await refusal(formFor(sdist, "bdist_wheel"), SDIST, sdist), /expected 'sdist'$/);
  });

  for (const [filename, expected] of [
    ["demo_pkg-1.0-py3-none.whl", /must have 5 or 6 dash-separated parts/],
    ["demo_pkg-1.0-py3-none-any$.whl", /invalid tag 'any\$'/],
    ["demo_pkg-1.0-x1-py3-none-any.whl", /build tag that does not start with a digit/],
    ["demo_pkg-1.0.exe", /only wheels \(\.whl\) and sdists \(\.tar\.gz, or legacy \.zip\) are accepted/],
    ["demo_pkg-1.0-py3.11.egg", /only wheels/],
    ["../demo_pkg-1.0.tar.gz", /path separators and '\.\.' are not allowed/],
    ["sub/demo_pkg-1.0-py3-none-any.whl", /path separators/],
    ["demo_pkg-1.0-py3-none-any.whl\\..", /path separators/],
  ] as const) {
    it(`refuses the file name ${filename}`, async () => {
      const wheel = await buildWheel();
      assert.match(await refusal(formFor(wheel, "bdist_wheel"), filename, wheel), expected);
    });
  }

  it("refuses a pyversion that is not the wheel's python tag", async () => {
    const wheel = await buildWheel();
    assert.match(
      await refusal(formFor(wheel, "bdist_wheel", { pyversion: "cp27" }), WHEEL, wheel),
      /pyversion 'cp27' does not match the wheel's python tag 'py3'/,
    );
  });

  it("refuses a file over the size limit, and an empty file", async () => {
    const wheel = await buildWheel();
    assert.equal(
      await refusal(formFor(wheel, "bdist_wheel"), WHEEL, wheel, 100),
      `File too large: ${WHEEL} is ${wheel.length} bytes; the limit is 100`,
    );
    const empty = Buffer.alloc(0);
    assert.equal(
      await refusal(formFor(empty, "bdist_wheel"), WHEEL, empty),
      `Invalid distribution file: ${WHEEL} is empty`,
    );
  });

  it("passes archive refusals on with their reason", async () => {
    const sdist = buildSdist({
      extra: [{ path: "demo_pkg-1.0/evil", type: "SymbolicLink", linkpath: "/etc/passwd" }],
    });
    assert.equal(
      await refusal(formFor(sdist, "sdist"), SDIST, sdist),
      "Invalid distribution file: archive entry demo_pkg-1.0/evil is a symbolic link to the absolute path /etc/passwd",
    );
  });

  it("random byte mutations of a valid wheel upload never throw", async () => {
    const wheel = await buildWheel();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: wheel.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (mutations) => {
          const mutated = Buffer.from(wheel);
          for (const [at, value] of mutations) mutated[at] = value;
          // The form matches the mutated bytes, so the archive itself is what gets tested.
          const result = await validateUpload(formFor(mutated, "bdist_wheel"), {
            filename: WHEEL,
            bytes: mutated,
          });
          if (!result.ok) assert.doesNotMatch(result.reason, /[\r\n]/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Distributions built by real Python tooling (setuptools through pip and the PEP 517 hook), when available.

const pythonEnv = {
  ...process.env,
  PIP_CONFIG_FILE: "/dev/null",
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  PIP_NO_INDEX: "1",
  PIP_INDEX_URL: undefined,
  PIP_EXTRA_INDEX_URL: undefined,
  PIP_FIND_LINKS: undefined,
};

function findPython(): string | null {
  for (const candidate of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(candidate, ["-c", "import setuptools, wheel, pip"], {
      env: pythonEnv,
      timeout: 30_000,
    });
    if (probe.status === 0) return candidate;
  }
  return null;
}

const python = findPython();
const skipReal = python === null ? "python3 with setuptools, wheel and pip is not installed" : false;

describe("validateUpload on distributions built by setuptools", { skip: skipReal }, () => {
  const work = mkdtempSync(join(tmpdir(), "pycustoms-upload-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  function built(): { wheel: string; sdist: string } {
    const project = join(work, "project");
    const out = join(work, "dist");
    mkdirSync(join(project, "pycustoms_demo"), { recursive: true });
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(project, "pyproject.toml"),
      [
        "[build-system]",
        'requires = ["setuptools"]',
        'build-backend = "setuptools.build_meta"',
        "[project]",
        'name = "pycustoms-demo"',
        'version = "0.1.0"',
        'requires-python = ">=3.8"',
        'dependencies = ["requests>=2"]',
        "",
      ].join("\n"),
    );
    writeFileSync(join(project, "pycustoms_demo", "__init__.py"), "VALUE = 1\n");
    const run = (args: string[], cwd: string) =>
      execFileSync(python!, args, {
        cwd,
        env: pythonEnv,
        timeout: 180_000,
        stdio: ["ignore", "pipe", "pipe"],
      });
    run(["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", project, "-w", out], work);
    // The PEP 517 hook that `python -m build --sdist --no-isolation` calls (python3-build may be absent).
    run(["-c", `from setuptools import build_meta; build_meta.build_sdist(${JSON.stringify(out)})`], project);
    const files = readdirSync(out);
    const wheel = files.find((f) => f.endsWith(".whl"));
    const sdist = files.find((f) => f.endsWith(".tar.gz"));
    assert.ok(wheel && sdist, `built ${files.join(", ")}`);
    return { wheel: join(out, wheel), sdist: join(out, sdist) };
  }

  /** The digests twine would send, computed by Python's hashlib (an independent BLAKE2b). */
  function pythonDigests(path: string): { sha256: string; blake2: string } {
    const code =
      "import hashlib,sys; d=open(sys.argv[1],'rb').read(); " +
      "print(hashlib.sha256(d).hexdigest(), hashlib.blake2b(d, digest_size=32).hexdigest())";
    const [sha256, blake2] = execFileSync(python!, ["-c", code, path], { env: pythonEnv })
      .toString()
      .trim()
      .split(" ");
    return { sha256: sha256!, blake2: blake2! };
  }

  it("accepts the wheel and the sdist with twine's form, and reads their metadata", async (t) => {
    const { wheel, sdist } = built();
    for (const [path, filetype, packagetype] of [
      [wheel, "bdist_wheel", "wheel"],
      [sdist, "sdist", "sdist"],
    ] as const) {
      const bytes = readFileSync(path);
      const { sha256, blake2 } = pythonDigests(path);
      const filename = path.slice(path.lastIndexOf("/") + 1);
      const form: UploadForm = {
        name: "pycustoms-demo",
        version: "0.1.0",
        filetype,
        sha256_digest: sha256,
        blake2_256_digest: blake2,
      };
      const result = await validateUpload(form, { filename, bytes });
      assert.ok(result.ok, `${filename}: ${JSON.stringify(result)}`);
      t.diagnostic(`built by setuptools: ${filename}`);
      assert.equal(result.project, "pycustoms-demo");
      assert.equal(result.packagetype, packagetype);
      assert.equal(result.blake2b256, blake2);
      assert.equal(result.sha256, sha256);
      assert.equal(result.metadata.requiresPython, ">=3.8");
      if (packagetype === "wheel") {
        // Older setuptools writes the PEP 345 form "requests (>=2)" (and leaves it out of an sdist's PKG-INFO).
        assert.equal(result.metadata.requiresDist.length, 1);
        assert.match(result.metadata.requiresDist[0]!, /^requests ?\(?>=2\)?$/);
      }
      const other = await validateUpload({ ...form, name: "pycustoms-other" }, { filename, bytes });
      assert.equal(other.ok, false);
    }
  });
});
