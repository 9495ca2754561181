// Rendering round trip: what the proxy writes, read back by pycustoms' own simple-API parsers, equals what upstream said.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { renderProjectHtml, renderProjectJson } from "../../src/server/render.js";
import { proxiedFileUrl } from "../../src/server/simple-routes.js";
import { parseHtmlProjectPage, parseJsonProjectPage } from "../../src/upstream/simple.js";
import type { ProjectFile, ProjectInfo } from "../../src/upstream/types.js";

const PAGE_URL = "http://127.0.0.1:3141/simple/sample-pkg/";
const ctx = { url: PAGE_URL, project: "sample-pkg", index: "http://127.0.0.1:3141/simple/" };
const HEX = (c: string) => c.repeat(64);

function file(overrides: Partial<ProjectFile>): ProjectFile {
  return {
    filename: "sample_pkg-1.0-py3-none-any.whl",
    url: "https://files.example/sample_pkg-1.0-py3-none-any.whl",
    hashes: { sha256: HEX("a") },
    version: "1.0",
    packagetype: "wheel",
    requiresPython: null,
    yanked: false,
    yankedReason: null,
    size: 1234,
    uploadTime: "2024-03-20T13:00:33.355932Z",
    coreMetadata: false,
    provenance: null,
    ...overrides,
  };
}

const upstream: ProjectInfo = {
  name: "sample-pkg",
  index: "https://pypi.example/simple/",
  apiVersion: "1.4",
  lastSerial: 4242,
  status: { status: "archived", reason: 'moved to "sample2" <for good>' },
  versions: ["0.9", "1.0", "2.0rc1"],
  files: [
    file({
      yanked: true,
      yankedReason: "broken & dangerous",
      requiresPython: ">=3.8, <4",
      coreMetadata: { sha256: HEX("b") },
    }),
    file({
      filename: "sample_pkg-2.0rc1.tar.gz",
      url: "https://files.example/sample_pkg-2.0rc1.tar.gz",
      hashes: { sha256: HEX("c") },
      version: "2.0rc1",
      packagetype: "sdist",
      yanked: true,
      yankedReason: null,
      size: 99,
      uploadTime: null,
      provenance: "https://pypi.example/integrity/sample-pkg/2.0rc1/sample_pkg-2.0rc1.tar.gz/provenance",
    }),
  ],
  ownership: null,
  capabilities: {
    json: true,
    jsonApi: false,
    uploadTimes: true,
    sizes: true,
    projectStatus: true,
    provenance: true,
  },
};

const proxied = (f: ProjectFile) => new URL(proxiedFileUrl("sample-pkg", f), PAGE_URL).href;

/** What a page can carry of a file: everything but the upstream URL, which the proxy rewrites. */
function comparable(f: ProjectFile, html: boolean) {
  return {
    filename: f.filename,
    hashes: f.hashes,
    version: f.version,
    packagetype: f.packagetype,
    requiresPython: f.requiresPython,
    yanked: f.yanked,
    yankedReason: f.yankedReason,
    size: html ? null : f.size,
    uploadTime: html ? null : f.uploadTime,
    coreMetadata: f.coreMetadata,
    provenance: f.provenance,
  };
}

test("JSON round trip keeps yanked reasons, requires-python, sizes, upload times, status, metadata, provenance", () => {
  const parsed = parseJsonProjectPage(
    renderProjectJson(upstream, (f) => proxiedFileUrl("sample-pkg", f)),
    ctx,
  );
  assert.ok(!("type" in parsed), JSON.stringify(parsed));
  assert.equal(parsed.name, "sample-pkg");
  assert.equal(parsed.apiVersion, "1.4");
  assert.equal(parsed.lastSerial, 4242);
  assert.deepEqual(parsed.status, upstream.status);
  assert.deepEqual(parsed.versions, upstream.versions);
  assert.deepEqual(
    parsed.files.map((f) => comparable(f, false)),
    upstream.files.map((f) => comparable(f, false)),
  );
  assert.deepEqual(
    parsed.files.map((f) => f.url),
    upstream.files.map(proxied),
  );
});

test("HTML round trip keeps what HTML can carry: yanked reasons, requires-python, status meta tags, metadata, provenance", () => {
  const html = renderProjectHtml(upstream, (f) => proxiedFileUrl("sample-pkg", f));
  const parsed = parseHtmlProjectPage(html, ctx);
  assert.ok(!("type" in parsed), JSON.stringify(parsed));
  assert.equal(parsed.apiVersion, "1.4");
  assert.deepEqual(parsed.status, upstream.status);
  assert.deepEqual(
    parsed.files.map((f) => comparable(f, true)),
    upstream.files.map((f) => comparable(f, true)),
  );
  assert.deepEqual(
    parsed.files.map((f) => f.url),
    upstream.files.map(proxied),
  );
});

test("metadata advertised as `true` (no hash to verify against) is not advertised by the proxy", () => {
  const info = { ...upstream, files: [file({ coreMetadata: true })] };
  const page = JSON.parse(renderProjectJson(info, () => "x"));
  assert.equal(page.files[0]["core-metadata"], false);
  assert.doesNotMatch(
    renderProjectHtml(info, () => "x"),
    /data-core-metadata/,
  );
});

test("any reason, status text and requires-python survives both formats (property)", () => {
  const text = fc
    .string({ minLength: 1, maxLength: 40 })
    .filter((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s));
  fc.assert(
    fc.property(text, text, text, (reason, statusReason, requiresPython) => {
      const info: ProjectInfo = {
        ...upstream,
        status: { status: "deprecated", reason: statusReason },
        files: [file({ yanked: true, yankedReason: reason, requiresPython })],
      };
      for (const parsed of [
        parseJsonProjectPage(
          renderProjectJson(info, (f) => proxiedFileUrl("sample-pkg", f)),
          ctx,
        ),
        parseHtmlProjectPage(
          renderProjectHtml(info, (f) => proxiedFileUrl("sample-pkg", f)),
          ctx,
        ),
      ]) {
        assert.ok(!("type" in parsed));
        assert.equal(parsed.files[0]!.yankedReason, reason);
        assert.equal(parsed.files[0]!.requiresPython, requiresPython);
        assert.equal(parsed.status.reason, statusReason);
      }
    }),
    { numRuns: 200 },
  );
});
