import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_INDEX_URL, parsePipConf, readPipIndexConfig } from "../../src/upstream/pip-config.js";

const HOME = "/home/u";

/** An in-memory file system for pip.conf files (the machine's own must not leak into the test). */
function files(map: Record<string, string>): (path: string) => string | null {
  return (path) => map[path] ?? null;
}

test("without variables or files, pip's default index is used", () => {
  const r = readPipIndexConfig({ env: {}, home: HOME, readFile: files({}) });
  assert.deepEqual(r, {
    indexUrl: DEFAULT_INDEX_URL,
    extraIndexUrls: [],
    source: "default",
    files: [],
    errors: [],
  });
});

test("a later file wins within a section: global < user (legacy < XDG) < virtualenv < PIP_CONFIG_FILE", () => {
  const fs: Record<string, string> = {
    "/etc/pip.conf": "[global]\nindex-url = https://etc/simple\n",
    "/home/u/.pip/pip.conf": "[global]\nindex-url = https://legacy/simple\n",
    "/home/u/.config/pip/pip.conf": "[global]\nindex-url = https://xdg/simple\n",
    "/venv/pip.conf": "[global]\nindex-url = https://venv/simple\n",
    "/custom.conf": "[global]\nindex-url = https://custom/simple\n",
  };
  const layers: [Record<string, string>, string, string][] = [
    [{}, "https://xdg/simple", "/home/u/.config/pip/pip.conf"],
    [{ VIRTUAL_ENV: "/venv" }, "https://venv/simple", "/venv/pip.conf"],
    [{ VIRTUAL_ENV: "/venv", PIP_CONFIG_FILE: "/custom.conf" }, "https://custom/simple", "/custom.conf"],
  ];
  for (const [env, url, source] of layers) {
    const r = readPipIndexConfig({ env, home: HOME, readFile: files(fs) });
    assert.equal(r.indexUrl, url, JSON.stringify(env));
    assert.equal(r.source, source);
  }
  const legacyOnly = { ...fs };
  delete legacyOnly["/home/u/.config/pip/pip.conf"];
  assert.equal(
    readPipIndexConfig({ env: {}, home: HOME, readFile: files(legacyOnly) }).indexUrl,
    "https://legacy/simple",
  );
  const xdg = readPipIndexConfig({
    env: { XDG_CONFIG_HOME: "/xdg" },
    home: HOME,
    readFile: files({ ...legacyOnly, "/xdg/pip/pip.conf": "[global]\nindex-url = https://xdg-home/simple" }),
  });
  assert.equal(xdg.indexUrl, "https://xdg-home/simple");
});

test("an existing PIP_CONFIG_FILE replaces the user's files; /dev/null turns all files off", () => {
  const fs = {
    "/home/u/.config/pip/pip.conf": "[global]\nextra-index-url = https://user-extra/simple\n",
    "/custom.conf": "[global]\nindex-url = https://custom/simple\n",
    "/etc/pip.conf": "[install]\nextra-index-url = https://etc-extra/simple\n",
  };
  const r = readPipIndexConfig({ env: { PIP_CONFIG_FILE: "/custom.conf" }, home: HOME, readFile: files(fs) });
  assert.deepEqual(r.files, ["/etc/pip.conf", "/custom.conf"]);
  assert.deepEqual(r.extraIndexUrls, ["https://etc-extra/simple"]);
  const off = readPipIndexConfig({ env: { PIP_CONFIG_FILE: "/dev/null" }, home: HOME, readFile: files(fs) });
  assert.equal(off.source, "default");
  assert.deepEqual(off.files, []);
});

test("[install] from any file beats [global] from any file; PIP_* variables beat both", () => {
  const fs = {
    "/etc/pip.conf": "[install]\nindex_url = https://etc-install/simple\n",
    "/home/u/.config/pip/pip.conf": "[global]\nindex-url = https://user-global/simple\n",
  };
  const r = readPipIndexConfig({ env: {}, home: HOME, readFile: files(fs) });
  assert.equal(r.indexUrl, "https://etc-install/simple");
  assert.equal(r.source, "/etc/pip.conf");
  const download = readPipIndexConfig({ env: {}, home: HOME, readFile: files(fs), command: "download" });
  assert.equal(download.indexUrl, "https://user-global/simple");
  const env = readPipIndexConfig({
    env: { PIP_INDEX_URL: "https://env/simple", PIP_EXTRA_INDEX_URL: "https://a/simple  https://b/simple" },
    home: HOME,
    readFile: files(fs),
  });
  assert.equal(env.indexUrl, "https://env/simple");
  assert.equal(env.source, "env");
  assert.deepEqual(env.extraIndexUrls, ["https://a/simple", "https://b/simple"]);
});

test("multi-line extra-index-url values, comments and ':' separators are read like configparser", () => {
  const text = [
    "# a comment",
    "[global]",
    "; another",
    "timeout: 60",
    "extra-index-url =",
    "    https://one/simple",
    "    https://user:secret@two/simple",
    "",
    "[install]",
    "trusted-host = one",
  ].join("\n");
  const { sections, errors } = parsePipConf(text, "/x.conf");
  assert.deepEqual(errors, []);
  assert.equal(sections.get("global")?.get("timeout"), "60");
  const r = readPipIndexConfig({ env: {}, home: HOME, readFile: files({ "/etc/pip.conf": text }) });
  assert.deepEqual(r.extraIndexUrls, ["https://one/simple", "https://user:secret@two/simple"]);
});

test("malformed lines are located errors, and the rest of the file still counts", () => {
  const text = "orphan = 1\n[global]\nthis line has no separator\nindex-url = https://ok/simple\n";
  const r = readPipIndexConfig({ env: {}, home: HOME, readFile: files({ "/etc/pip.conf": text }) });
  assert.equal(r.indexUrl, "https://ok/simple");
  assert.deepEqual(
    r.errors.map((e) => [e.file, e.line]),
    [
      ["/etc/pip.conf", 1],
      ["/etc/pip.conf", 3],
    ],
  );
});
