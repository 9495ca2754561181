import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { discover, formatForName } from "../../src/inventory/discovery.js";

const root = mkdtempSync(join(tmpdir(), "pycustoms-discovery-"));
after(() => rmSync(root, { recursive: true, force: true }));

function touch(path: string, text = "") {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
}

test("file names map to formats, and MANIFEST.in is not a requirements file", () => {
  const cases: [string, string | null][] = [
    ["requirements.txt", "requirements"],
    ["requirements-dev.txt", "requirements"],
    ["requirements.in", "requirements"],
    ["dev-requirements.txt", "requirements"],
    ["constraints.txt", "requirements"],
    ["requirements/prod.txt", "requirements"],
    ["requirements/prod.in", "requirements"],
    ["MANIFEST.in", null],
    ["notes.txt", null],
    ["pyproject.toml", "pyproject"],
    ["poetry.lock", "poetry-lock"],
    ["Pipfile", "pipfile"],
    ["Pipfile.lock", "pipfile-lock"],
    ["pdm.lock", "pdm-lock"],
    ["uv.lock", "uv-lock"],
    ["pylock.toml", "pylock"],
    ["pylock.dev.toml", "pylock"],
    ["bom.json", "cyclonedx"],
    ["app.cdx.json", "cyclonedx"],
    ["package.json", null],
  ];
  for (const [name, format] of cases) assert.equal(formatForName(join("/x", name)), format, name);
});

test("walking skips VCS, virtualenvs and build folders, cuts symlink loops, and takes named files as given", () => {
  touch("requirements.txt");
  touch("svc/pyproject.toml");
  touch("svc/uv.lock");
  touch(".git/requirements.txt");
  touch("node_modules/x/requirements.txt");
  touch("build/requirements.txt");
  touch("myenv/pyvenv.cfg");
  touch("myenv/lib/requirements.txt");
  touch("docs/deps.txt");
  symlinkSync(root, join(root, "svc", "loop"));
  const found = discover([root, join(root, "docs/deps.txt")], () => null);
  assert.deepEqual(
    found.files.map((f) => [relative(root, f.path), f.format]),
    [
      ["requirements.txt", "requirements"],
      ["svc/pyproject.toml", "pyproject"],
      ["svc/uv.lock", "uv-lock"],
      ["docs/deps.txt", "requirements"],
    ],
  );
  assert.deepEqual(found.errors, []);
});

test("a skipped folder is walked when the user names it", () => {
  const found = discover([join(root, "build")], () => null);
  assert.deepEqual(
    found.files.map((f) => relative(root, f.path)),
    ["build/requirements.txt"],
  );
});

test("missing paths and unrecognised files are located errors, not exceptions", () => {
  touch("README.md");
  const found = discover([join(root, "nope"), join(root, "README.md")], () => null);
  assert.deepEqual(
    found.errors.map((e) => [relative(root, e.file), e.message]),
    [
      ["nope", "no such file or directory"],
      ["README.md", "not a recognised manifest, lock file or SBOM"],
    ],
  );
});

test("an explicitly named JSON file is recognised as CycloneDX by its content", () => {
  touch("out/sbom-2026.json", '{"bomFormat": "CycloneDX", "specVersion": "1.6"}');
  const path = join(root, "out/sbom-2026.json");
  const found = discover([path], () => '{"bomFormat": "CycloneDX", "specVersion": "1.6"}');
  assert.deepEqual(
    found.files.map((f) => f.format),
    ["cyclonedx"],
  );
});

test("links are followed within the folder named, not out of it; a manifest link to nothing is reported", () => {
  touch("linked/outside/requirements.txt");
  touch("linked/tree/requirements.txt");
  touch("linked/tree/real/uv.lock");
  symlinkSync(join(root, "linked"), join(root, "linked", "tree", "up")); // out of linked/tree
  symlinkSync(join(root, "linked", "tree", "real"), join(root, "linked", "tree", "alias")); // within it
  symlinkSync(join(root, "linked", "nowhere.txt"), join(root, "linked", "tree", "requirements-dev.txt"));
  symlinkSync(join(root, "linked", "nowhere"), join(root, "linked", "tree", "notes")); // not a manifest name
  const found = discover([join(root, "linked", "tree")], () => null);
  assert.deepEqual(
    found.files.map((f) => relative(root, f.path)),
    ["linked/tree/alias/uv.lock", "linked/tree/requirements.txt"],
  );
  assert.deepEqual(found.errors, [
    {
      file: join(root, "linked", "tree", "requirements-dev.txt"),
      message: "a symbolic link that leads to no file",
    },
  ]);
});
