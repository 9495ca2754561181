import assert from "node:assert/strict";
import { test } from "node:test";
import { isUpstreamError } from "../../src/upstream/errors.js";
import { parseJsonApi } from "../../src/upstream/json-api.js";

const URL_ = "https://pypi.org/pypi/sampleproject/json";

// Abridged from PyPI's JSON API (warehouse/legacy/api/json.py shape), with ownership and a vulnerability.
const DOC = {
  info: {
    name: "SampleProject",
    version: "4.0.0",
    summary: "A sample Python project",
    requires_python: ">=3.8",
    requires_dist: ["peppercorn", 'check-manifest; extra == "dev"'],
    yanked: false,
    yanked_reason: null,
  },
  last_serial: 27012345,
  urls: [
    {
      filename: "sampleproject-4.0.0-py3-none-any.whl",
      packagetype: "bdist_wheel",
      python_version: "py3",
      digests: { blake2b_256: "AA11", md5: "bb22", sha256: "cc33" },
      md5_digest: "bb22",
      size: 4662,
      upload_time: "2024-03-10T16:26:41",
      upload_time_iso_8601: "2024-03-10T16:26:41.263521Z",
      url: "https://files.pythonhosted.org/packages/x/sampleproject-4.0.0-py3-none-any.whl",
      requires_python: ">=3.8",
      yanked: false,
      yanked_reason: null,
    },
  ],
  releases: {
    "1.2.0": [
      {
        filename: "sampleproject-1.2.0.tar.gz",
        packagetype: "sdist",
        digests: { sha256: "dd44" },
        md5_digest: "ee55",
        size: 3000,
        upload_time: "2015-06-14T14:38:05",
        url: "https://files.pythonhosted.org/packages/y/sampleproject-1.2.0.tar.gz",
        requires_python: null,
        yanked: true,
        yanked_reason: "insecure",
      },
    ],
    "4.0.0": [],
  },
  vulnerabilities: [
    {
      id: "PYSEC-2099-1",
      source: "osv",
      link: "https://osv.dev/vulnerability/PYSEC-2099-1",
      aliases: ["CVE-2099-0001"],
      details: "Something bad",
      summary: null,
      fixed_in: ["4.0.1"],
      withdrawn: null,
    },
  ],
  ownership: {
    roles: [
      { role: "Owner", user: "theacodes" },
      { role: "Maintainer", user: "pypa-bot" },
    ],
    organization: "pypa",
  },
};

test("a PyPI JSON API document gives files, upload times, digests, vulnerabilities and ownership", () => {
  const r = parseJsonApi(JSON.stringify(DOC), URL_);
  if (isUpstreamError(r)) assert.fail(r.message);
  assert.equal(r.name, "sampleproject");
  assert.equal(r.version, "4.0.0");
  assert.deepEqual(r.requiresDist, ["peppercorn", 'check-manifest; extra == "dev"']);
  assert.equal(r.lastSerial, 27012345);
  assert.deepEqual(r.files[0], {
    filename: "sampleproject-4.0.0-py3-none-any.whl",
    url: "https://files.pythonhosted.org/packages/x/sampleproject-4.0.0-py3-none-any.whl",
    packagetype: "bdist_wheel",
    digests: { blake2b_256: "aa11", md5: "bb22", sha256: "cc33" },
    size: 4662,
    uploadTime: "2024-03-10T16:26:41.263521Z",
    requiresPython: ">=3.8",
    yanked: false,
    yankedReason: null,
  });
  const old = r.releases?.["1.2.0"]?.[0];
  assert.equal(old?.uploadTime, "2015-06-14T14:38:05Z", "upload_time without a zone is UTC");
  assert.equal(old?.yankedReason, "insecure");
  assert.deepEqual(old?.digests, { sha256: "dd44", md5: "ee55" });
  assert.deepEqual(r.releases?.["4.0.0"], []);
  assert.deepEqual(r.vulnerabilities, [
    {
      id: "PYSEC-2099-1",
      source: "osv",
      link: "https://osv.dev/vulnerability/PYSEC-2099-1",
      aliases: ["CVE-2099-0001"],
      summary: null,
      details: "Something bad",
      fixedIn: ["4.0.1"],
      withdrawn: null,
    },
  ]);
  assert.deepEqual(r.ownership, {
    organization: "pypa",
    roles: [
      { role: "Owner", user: "theacodes" },
      { role: "Maintainer", user: "pypa-bot" },
    ],
  });
});

test("the per-release route has no releases map, and a missing ownership is null", () => {
  const { releases: _r, ownership: _o, ...release } = DOC;
  const r = parseJsonApi(JSON.stringify(release), `${URL_}`);
  if (isUpstreamError(r)) assert.fail(r.message);
  assert.equal(r.releases, null);
  assert.equal(r.ownership, null);
});

test("malformed JSON API answers are invalid-response errors naming the URL", () => {
  for (const text of ["{", "[]", '{"info": {}}', '{"info": {"name": "x", "version": "1"}, "urls": [1]}']) {
    const r = parseJsonApi(text, URL_);
    assert.ok(isUpstreamError(r), text);
    assert.equal(r.kind, "invalid-response");
    assert.ok(r.message.startsWith(URL_));
  }
});
