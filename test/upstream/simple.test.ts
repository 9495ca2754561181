import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isUpstreamError } from "../../src/upstream/errors.js";
import {
  decodeHtmlEntities,
  type PageContext,
  parseHtmlProjectPage,
  parseJsonProjectPage,
  parseProjectPage,
  resolveUrl,
} from "../../src/upstream/simple.js";
import type { ProjectInfo } from "../../src/upstream/types.js";

const ctx: PageContext = {
  url: "https://pypi.org/simple/beautifulsoup4/",
  project: "beautifulsoup4",
  index: "https://pypi.org/simple/",
};

function ok(result: ReturnType<typeof parseJsonProjectPage>): ProjectInfo {
  if (isUpstreamError(result)) assert.fail(result.message);
  return result;
}

// The PyPI example of the index API documentation (docs/user/api/index-api.md), plus the provenance key.
const PYPI_JSON = JSON.stringify({
  files: [
    {
      "core-metadata": { sha256: "d0aa787c2b55e5b0b3aff66f137cf33341c5e781cb87b4dc184cbb25c7ac0ab5" },
      "data-dist-info-metadata": {
        sha256: "d0aa787c2b55e5b0b3aff66f137cf33341c5e781cb87b4dc184cbb25c7ac0ab5",
      },
      filename: "beautifulsoup4-4.13.0b2-py3-none-any.whl",
      hashes: { sha256: "7e05ad0b6c26108d9990e2235e8a9b4e2c03ead6f391ceb60347f8ebea6b80ba" },
      "requires-python": ">=3.6.0",
      size: 179607,
      "upload-time": "2024-03-20T13:00:33.355932Z",
      url: "https://files.pythonhosted.org/packages/14/7e/e4313dad823c3a0751c99b9bc0182b1dd19aea164ce7445e9a70429b9e92/beautifulsoup4-4.13.0b2-py3-none-any.whl",
      yanked: false,
      provenance: null,
    },
    {
      "core-metadata": false,
      "data-dist-info-metadata": false,
      filename: "beautifulsoup4-4.0.1.tar.gz",
      hashes: { sha256: "dc6bc8e8851a1c590c8cc8f25915180fdcce116e268d1f37fa991d2686ea38de" },
      "requires-python": null,
      size: 51024,
      "upload-time": "2012-01-27T14:21:27.451437Z",
      url: "https://files.pythonhosted.org/packages/6f/be/99dcf74d947cc1e7abef5d0c4572abcb479c33ef791d94453a8fd7987d8f/beautifulsoup4-4.0.1.tar.gz",
      yanked: "broken build",
      provenance: "https://pypi.org/integrity/beautifulsoup4/4.0.1/beautifulsoup4-4.0.1.tar.gz/provenance",
    },
  ],
  meta: { "_last-serial": 22406780, "api-version": "1.4" },
  name: "beautifulsoup4",
  "project-status": { status: "active" },
  versions: ["4.0.1", "4.0.2", "4.12.3", "4.13.0b2"],
});

const PYPI_HTML = `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.4">
    <meta name="pypi:project-status" content="active">
    <title>Links for beautifulsoup4</title>
  </head>
  <body>
    <h1>Links for beautifulsoup4</h1>
    <a href="https://files.pythonhosted.org/packages/6f/be/99dcf74d947cc1e7abef5d0c4572abcb479c33ef791d94453a8fd7987d8f/beautifulsoup4-4.0.1.tar.gz#sha256=dc6bc8e8851a1c590c8cc8f25915180fdcce116e268d1f37fa991d2686ea38de" >beautifulsoup4-4.0.1.tar.gz</a><br />
    <!-- ...More files... -->
    <a href="https://files.pythonhosted.org/packages/14/7e/e4313dad823c3a0751c99b9bc0182b1dd19aea164ce7445e9a70429b9e92/beautifulsoup4-4.13.0b2-py3-none-any.whl#sha256=7e05ad0b6c26108d9990e2235e8a9b4e2c03ead6f391ceb60347f8ebea6b80ba" data-requires-python="&gt;=3.6.0" data-dist-info-metadata="sha256=d0aa787c2b55e5b0b3aff66f137cf33341c5e781cb87b4dc184cbb25c7ac0ab5" data-core-metadata="sha256=d0aa787c2b55e5b0b3aff66f137cf33341c5e781cb87b4dc184cbb25c7ac0ab5">beautifulsoup4-4.13.0b2-py3-none-any.whl</a><br />
  </body>
</html>
<!--SERIAL 22406780-->`;

test("PyPI's JSON project page becomes a ProjectInfo with every file field", () => {
  const info = ok(parseJsonProjectPage(PYPI_JSON, ctx));
  assert.equal(info.name, "beautifulsoup4");
  assert.equal(info.index, "https://pypi.org/simple/");
  assert.equal(info.apiVersion, "1.4");
  assert.equal(info.lastSerial, 22406780);
  assert.deepEqual(info.status, { status: "active", reason: null });
  assert.deepEqual(info.versions, ["4.0.1", "4.0.2", "4.12.3", "4.13.0b2"]);
  assert.deepEqual(info.files[0], {
    filename: "beautifulsoup4-4.13.0b2-py3-none-any.whl",
    url: "https://files.pythonhosted.org/packages/14/7e/e4313dad823c3a0751c99b9bc0182b1dd19aea164ce7445e9a70429b9e92/beautifulsoup4-4.13.0b2-py3-none-any.whl",
    hashes: { sha256: "7e05ad0b6c26108d9990e2235e8a9b4e2c03ead6f391ceb60347f8ebea6b80ba" },
    version: "4.13.0b2",
    packagetype: "wheel",
    requiresPython: ">=3.6.0",
    yanked: false,
    yankedReason: null,
    size: 179607,
    uploadTime: "2024-03-20T13:00:33.355932Z",
    coreMetadata: { sha256: "d0aa787c2b55e5b0b3aff66f137cf33341c5e781cb87b4dc184cbb25c7ac0ab5" },
    provenance: null,
  });
  const sdist = info.files[1]!;
  assert.equal(sdist.packagetype, "sdist");
  assert.equal(sdist.version, "4.0.1");
  assert.equal(sdist.yanked, true);
  assert.equal(sdist.yankedReason, "broken build");
  assert.equal(sdist.requiresPython, null);
  assert.equal(sdist.coreMetadata, false);
  assert.match(sdist.provenance ?? "", /\/integrity\/beautifulsoup4\/4\.0\.1\//);
  assert.deepEqual(info.capabilities, {
    json: true,
    jsonApi: false,
    uploadTimes: true,
    sizes: true,
    projectStatus: true,
    provenance: true,
  });
});

test("PyPI's HTML project page gives the same files, with hashes from the fragment and unescaped Requires-Python", () => {
  const info = ok(parseHtmlProjectPage(PYPI_HTML, ctx));
  assert.equal(info.apiVersion, "1.4");
  assert.equal(info.lastSerial, 22406780);
  assert.deepEqual(info.status, { status: "active", reason: null });
  assert.deepEqual(
    info.files.map((f) => f.filename),
    ["beautifulsoup4-4.0.1.tar.gz", "beautifulsoup4-4.13.0b2-py3-none-any.whl"],
  );
  const wheel = info.files[1]!;
  assert.equal(wheel.url.includes("#"), false);
  assert.deepEqual(wheel.hashes, {
    sha256: "7e05ad0b6c26108d9990e2235e8a9b4e2c03ead6f391ceb60347f8ebea6b80ba",
  });
  assert.equal(wheel.requiresPython, ">=3.6.0");
  assert.deepEqual(wheel.coreMetadata, {
    sha256: "d0aa787c2b55e5b0b3aff66f137cf33341c5e781cb87b4dc184cbb25c7ac0ab5",
  });
  assert.equal(wheel.yanked, false);
  assert.equal(wheel.size, null);
  assert.equal(info.files[0]!.coreMetadata, false);
  // Versions come from the file names when the page has no `versions`, in PEP 440 order.
  assert.deepEqual(info.versions, ["4.0.1", "4.13.0b2"]);
  assert.equal(info.capabilities.json, false);
  assert.equal(info.capabilities.sizes, false);
  assert.equal(info.capabilities.projectStatus, true);
});

test("HTML yank markers, reasons, provenance, status reason, relative links and <base> are read", () => {
  const html = `<html><head>
<META NAME="pypi:repository-version" CONTENT="1.3">
<meta name='pypi:project-status' content='quarantined'>
<meta name="pypi:project-status-reason" content="malware &amp; more">
<base href="/root/">
<script>var x = "<a href='nope-1.0.tar.gz'>nope</a>";</script>
</head><body>
<a href=files/demo-1.0.tar.gz#SHA256=ABCDEF data-yanked>demo-1.0.tar.gz</a>
<a href="files/demo-1.1-py3-none-any.whl" data-yanked="bad &quot;build&quot;" data-provenance="https://idx.example/p/1" data-dist-info-metadata="true">demo-1.1-py3-none-any.whl</a>
<a name="anchor-without-href">heading</a>
</body></html>`;
  const info = ok(
    parseHtmlProjectPage(html, { url: "https://idx.example/simple/demo/", project: "Demo", index: "x" }),
  );
  assert.equal(info.name, "demo");
  assert.deepEqual(info.status, { status: "quarantined", reason: "malware & more" });
  assert.equal(info.files.length, 2);
  const [sdist, wheel] = info.files as [ProjectInfo["files"][0], ProjectInfo["files"][0]];
  assert.equal(sdist.url, "https://idx.example/root/files/demo-1.0.tar.gz");
  assert.deepEqual(sdist.hashes, { sha256: "abcdef" });
  assert.equal(sdist.yanked, true);
  assert.equal(sdist.yankedReason, null);
  assert.equal(wheel.yankedReason, 'bad "build"');
  assert.equal(wheel.provenance, "https://idx.example/p/1");
  assert.equal(wheel.coreMetadata, true);
  assert.equal(info.capabilities.provenance, true);
});

test("JSON variants: project-status.state, meta.project-status, string serial, yanked true, legacy metadata keys", () => {
  const page = {
    meta: {
      "api-version": "1.1",
      "_last-serial": "1234",
      "project-status": "archived",
      "project-status-reason": "moved",
    },
    name: "Demo_Pkg",
    files: [
      {
        filename: "demo_pkg-1.0.tar.gz",
        url: "../../files/demo_pkg-1.0.tar.gz",
        hashes: {},
        yanked: true,
        "dist-info-metadata": true,
      },
      {
        filename: "demo_pkg-2.0.tar.gz",
        url: "/f/demo_pkg-2.0.tar.gz",
        hashes: { SHA256: "AB" },
        yanked: "",
        size: 3,
      },
    ],
  };
  const info = ok(
    parseJsonProjectPage(JSON.stringify(page), {
      url: "https://h.example/simple/demo-pkg/",
      project: "demo-pkg",
      index: "i",
    }),
  );
  assert.equal(info.name, "demo-pkg");
  assert.equal(info.lastSerial, 1234);
  assert.deepEqual(info.status, { status: "archived", reason: "moved" });
  assert.equal(info.files[0]!.url, "https://h.example/files/demo_pkg-1.0.tar.gz");
  assert.equal(info.files[0]!.yanked, true);
  assert.equal(info.files[0]!.yankedReason, null);
  assert.equal(info.files[0]!.coreMetadata, true);
  assert.equal(info.files[1]!.yanked, false, "an empty yank reason is not a yank");
  assert.deepEqual(info.files[1]!.hashes, { sha256: "ab" });
  assert.deepEqual(info.versions, ["1.0", "2.0"]);
  assert.equal(info.capabilities.sizes, false, "one file has no size");
  assert.equal(info.capabilities.uploadTimes, false);

  const state = {
    ...page,
    meta: { "api-version": "1.4" },
    "project-status": { state: "deprecated", reason: "use other" },
  };
  const stateInfo = ok(parseJsonProjectPage(JSON.stringify(state), ctx));
  assert.deepEqual(stateInfo.status, { status: "deprecated", reason: "use other" });

  const pypiAlias = {
    meta: {},
    name: "x",
    files: [{ filename: "x-1.0.tar.gz", url: "x", hashes: {}, "data-dist-info-metadata": { sha256: "cd" } }],
  };
  const aliasInfo = ok(parseJsonProjectPage(JSON.stringify(pypiAlias), ctx));
  assert.deepEqual(aliasInfo.files[0]!.coreMetadata, { sha256: "cd" });
  assert.equal(aliasInfo.apiVersion, null);
  assert.deepEqual(aliasInfo.status, { status: "active", reason: null });
  assert.equal(aliasInfo.capabilities.projectStatus, false);
});

test("the serial falls back to the X-PyPI-Last-Serial header", () => {
  const info = ok(
    parseJsonProjectPage(JSON.stringify({ meta: { "api-version": "1.0" }, name: "x", files: [] }), {
      ...ctx,
      headers: { "x-pypi-last-serial": "77" },
    }),
  );
  assert.equal(info.lastSerial, 77);
});

test("malformed JSON and wrong shapes are invalid-response errors naming the URL", () => {
  for (const text of [
    '{"files": [',
    "[]",
    '{"meta": {}}',
    '{"files": [{"url": "x"}]}',
    '{"files": [{"filename": "x.whl", "url": "u", "hashes": []}]}',
  ]) {
    const r = parseJsonProjectPage(text, ctx);
    assert.ok(isUpstreamError(r), text);
    assert.equal(r.kind, "invalid-response");
    assert.ok(r.message.startsWith(ctx.url), r.message);
  }
});

test("a file name with a path separator makes the page invalid", () => {
  const json = { meta: {}, name: "x", files: [{ filename: "../../etc/x-1.0.tar.gz", url: "u", hashes: {} }] };
  const r = parseJsonProjectPage(JSON.stringify(json), ctx);
  assert.ok(isUpstreamError(r));
  assert.match(r.message, /path separator/);
  const html = '<a href="https://h/files/x%2F..%2Fy-1.0.tar.gz">x</a>';
  const h = parseHtmlProjectPage(html, ctx);
  assert.ok(isUpstreamError(h));
});

test("a greater major repository version is refused (PEP 629)", () => {
  const json = parseJsonProjectPage(
    JSON.stringify({ meta: { "api-version": "2.0" }, name: "x", files: [] }),
    ctx,
  );
  assert.ok(isUpstreamError(json));
  assert.match(json.message, /unsupported repository version 2\.0/);
  const html = parseHtmlProjectPage('<meta name="pypi:repository-version" content="2.1">', ctx);
  assert.ok(isUpstreamError(html));
  const type = parseProjectPage(Buffer.from("{}"), "application/vnd.pypi.simple.v2+json", ctx);
  assert.ok(isUpstreamError(type));
});

test("HTML cut off inside a tag, an attribute, a comment or an open link is invalid", () => {
  for (const html of [
    '<html><a href="x-1.0.tar.gz',
    "<html><a href=x-1.0.tar.gz>x-1.0",
    "<html><!-- SERIAL",
    '<html><meta name="pypi:repository-version" content=',
  ]) {
    const r = parseHtmlProjectPage(html, ctx);
    assert.ok(isUpstreamError(r), html);
    assert.equal(r.kind, "invalid-response");
    assert.match(r.message, /malformed HTML/);
  }
});

test("the content type picks the parser; a missing one is sniffed; bad UTF-8 is refused", () => {
  const html = parseProjectPage(Buffer.from(PYPI_HTML), "text/html; charset=utf-8", ctx);
  assert.ok(!isUpstreamError(html) && html.capabilities.json === false);
  const json = parseProjectPage(Buffer.from(PYPI_JSON), undefined, ctx);
  assert.ok(!isUpstreamError(json) && json.capabilities.json === true);
  const binary = parseProjectPage(Buffer.from([0xff, 0xfe, 0x00, 0xc3]), "text/html", ctx);
  assert.ok(isUpstreamError(binary));
  assert.match(binary.message, /UTF-8/);
});

test("HTML character references decode; unknown names stay as written", () => {
  assert.equal(
    decodeHtmlEntities("&gt;=3.8,&lt;4 &amp; &#62; &#x3C; &unknown; &#0;"),
    ">=3.8,<4 & > < &unknown; \ufffd",
  );
});

test("random mutations of real pages never throw: they parse or give an invalid-response", () => {
  const mutate = (text: string, at: number, cut: number, insert: string) =>
    text.slice(0, at % (text.length + 1)) + insert + text.slice((at % (text.length + 1)) + cut);
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 8 }), (at, cut, insert) => {
      for (const [text, type] of [
        [PYPI_JSON, "application/vnd.pypi.simple.v1+json"],
        [PYPI_HTML, "text/html"],
      ] as const) {
        const r = parseProjectPage(Buffer.from(mutate(text, at, cut, insert)), type, ctx);
        if (isUpstreamError(r)) assert.equal(r.kind, "invalid-response");
        else assert.ok(Array.isArray(r.files));
      }
    }),
    { numRuns: 300 },
  );
});

test("file URLs taken as written are exactly what the URL parser would make of them", () => {
  // Mostly URLs like PyPI's, with the things the parser rewrites mixed in: case, ports, dot segments, IPs, spaces.
  const label = fc.constantFrom(
    "files",
    "pythonhosted",
    "org",
    "a0",
    "xn--bcher-kva",
    "a-b",
    "Host",
    "127",
    "0x7f",
    "-a",
    "",
  );
  const segment = fc.constantFrom(
    "packages",
    "aa",
    "numpy-2.0.0-cp312-cp312-win_amd64.whl",
    "pkg_1.0.tar.gz",
    "%2e",
    "%2E%2e",
    ".%2e",
    "%zz",
    "a..b",
    "!",
    ";",
    "%41b",
    "a+b",
    "~x",
    ".",
    "..",
    "x y",
    "é",
    "a\\b",
    "q?x=1",
    "",
  );
  const href = fc
    .tuple(
      fc.constantFrom("https://", "https://", "https://", "http://", "HTTPS://", "//", ""),
      fc.array(label, { minLength: 1, maxLength: 4 }),
      fc.constantFrom("", "", "", ":443", ":8443"),
      fc.array(segment, { maxLength: 5 }),
      fc.constantFrom("", "", "#sha256=ab12", "#a b", "#x#y", "#%zz", "#."),
    )
    .map(
      ([scheme, host, port, path, fragment]) =>
        `${scheme}${host.join(".")}${port}/${path.join("/")}${fragment}`,
    );
  const base = "https://pypi.org/simple/pkg/";
  fc.assert(
    fc.property(href, (h) => {
      let expected: string | null;
      try {
        expected = new URL(h, base).href;
      } catch {
        expected = null;
      }
      assert.equal(resolveUrl(h, base), expected, h);
    }),
    { numRuns: 20_000 },
  );
  const real =
    "https://files.pythonhosted.org/packages/aa/bb/numpy-2.0.0-cp312-cp312-win_amd64.whl#sha256=abc";
  assert.equal(resolveUrl(real, base), real);
});
