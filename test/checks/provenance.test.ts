import assert from "node:assert/strict";
import { test } from "node:test";
import { checkProvenance, type FetchProvenance } from "../../src/checks/provenance.js";
import { makeDependency } from "../../src/inventory/dependency.js";
import type { ProjectFile, ProjectInfo } from "../../src/upstream/types.js";
import { production, readVector, SHA256 } from "../provenance/attestation-data.js";

const pin = (rawName: string, version: string, hashes: string[] = []) =>
  makeDependency({
    rawName,
    specifier: `==${version}`,
    hashes,
    format: "requirements",
    file: "requirements.txt",
    line: 3,
  });

const integrity = (project: string, version: string, filename: string) =>
  `https://pypi.org/integrity/${project}/${version}/${filename}/provenance`;

function file(
  project: string,
  filename: string,
  version: string,
  opts: { sha256?: string; provenance?: boolean; uploadTime?: string; yanked?: boolean } = {},
): ProjectFile {
  return {
    filename,
    url: `https://files.example/${filename}`,
    hashes: { sha256: opts.sha256 ?? SHA256[filename] ?? version.replace(/\D/g, "").padEnd(64, "a") },
    version,
    packagetype: filename.endsWith(".whl") ? "wheel" : "sdist",
    requiresPython: null,
    yanked: opts.yanked ?? false,
    yankedReason: null,
    size: null,
    uploadTime: opts.uploadTime ?? null,
    coreMetadata: false,
    provenance: opts.provenance ? integrity(project, version, filename) : null,
  };
}

function project(name: string, files: ProjectFile[], provenance = true): ProjectInfo {
  return {
    name,
    index: "https://pypi.org/simple/",
    apiVersion: "1.4",
    lastSerial: null,
    status: { status: "active", reason: null },
    versions: [...new Set(files.map((f) => f.version ?? ""))],
    files,
    ownership: null,
    capabilities: {
      json: true,
      jsonApi: true,
      uploadTimes: true,
      sizes: true,
      projectStatus: true,
      provenance,
    },
  };
}

/** A fake Integrity API that serves the given objects by URL and records what was asked. */
function integrityApi(served: Record<string, unknown>): { fetch: FetchProvenance; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (url) => {
      asked.push(url);
      return url in served ? served[url] : new Error(`404 ${url}`);
    },
  };
}

const SIGSTORE_361 = "sigstore-3.6.1.tar.gz";
const SIGSTORE_PROVENANCE = readVector(`${SIGSTORE_361}.provenance`);

/** sigstore 3.5.0 .. 3.6.1 as on PyPI: 3.6.1 attested by sigstore/sigstore-python, older ones not. */
function sigstoreHistory(pinned: ProjectFile[]): ProjectInfo {
  return project("sigstore", [
    file("sigstore", "sigstore-3.5.0.tar.gz", "3.5.0"),
    file("sigstore", "sigstore-3.6.0.tar.gz", "3.6.0"),
    file("sigstore", SIGSTORE_361, "3.6.1", { provenance: true }),
    ...pinned,
  ]);
}

test("a pinned release whose provenance verifies from its trusted publisher gives no finding", async () => {
  const api = integrityApi({ [integrity("sigstore", "3.6.1", SIGSTORE_361)]: SIGSTORE_PROVENANCE });
  const result = await checkProvenance(pin("sigstore", "3.6.1"), sigstoreHistory([]), api.fetch, {
    trustRoot: production,
  });
  assert.deepEqual(result.findings, []);
  assert.equal(result.skipped, null);
  assert.equal(result.facts?.release.files[0]?.status, "verified");
  assert.deepEqual(result.facts?.release.verifiedPublishers, [
    { kind: "GitHub", repository: "sigstore/sigstore-python", workflow: "release.yml", environment: null },
  ]);
  assert.deepEqual(
    result.facts?.previous.map((r) => [r.version, r.files.map((f) => f.status)]),
    [
      ["3.6.0", ["none"]],
      ["3.5.0", ["none"]],
    ],
  );
});

test("a release without provenance after an attested one is an attestation regression (high)", async () => {
  const api = integrityApi({ [integrity("sigstore", "3.6.1", SIGSTORE_361)]: SIGSTORE_PROVENANCE });
  const pinned = [
    file("sigstore", "sigstore-3.6.2.tar.gz", "3.6.2"),
    file("sigstore", "sigstore-3.6.2-py3-none-any.whl", "3.6.2"),
  ];
  const result = await checkProvenance(pin("sigstore", "3.6.2"), sigstoreHistory(pinned), api.fetch, {
    trustRoot: production,
  });
  assert.equal(result.findings.length, 1);
  const regression = result.findings[0]!;
  assert.equal(regression.kind, "provenance-regression");
  assert.equal(regression.severity, "high");
  assert.equal(regression.package, "sigstore");
  assert.equal(regression.version, "3.6.2");
  assert.equal(regression.line, 3);
  assert.match(regression.summary, /sigstore 3\.6\.2 has no provenance, but earlier releases \(3\.6\.1\)/);
  assert.match(regression.summary, /GitHub sigstore\/sigstore-python/);
  assert.deepEqual(regression.evidence?.previousPublishers, [
    { version: "3.6.1", publishers: ["GitHub sigstore/sigstore-python (.github/workflows/release.yml)"] },
  ]);
  assert.deepEqual((regression.evidence!.thisRelease as { filesWithout: string[] }).filesWithout, [
    "sigstore-3.6.2.tar.gz",
    "sigstore-3.6.2-py3-none-any.whl",
  ]);
  // Only the one attested earlier file was fetched: the pinned files list no provenance URL.
  assert.deepEqual(api.asked, [integrity("sigstore", "3.6.1", SIGSTORE_361)]);
});

test("provenance naming another repository is a regression, and provenance for another file does not verify (critical)", async () => {
  const pinnedName = "sigstore-3.6.2.tar.gz";
  const api = integrityApi({
    [integrity("sigstore", "3.6.1", SIGSTORE_361)]: SIGSTORE_PROVENANCE,
    // The index serves a real provenance object, but one from trailofbits/pypi-attestations.
    [integrity("sigstore", "3.6.2", pinnedName)]: readVector("pypi_attestations-0.0.19.tar.gz.provenance"),
  });
  const result = await checkProvenance(
    pin("sigstore", "3.6.2"),
    sigstoreHistory([file("sigstore", pinnedName, "3.6.2", { provenance: true })]),
    api.fetch,
    { trustRoot: production },
  );
  const byKind = Object.fromEntries(result.findings.map((f) => [f.kind, f]));
  assert.deepEqual(Object.keys(byKind).sort(), ["provenance", "provenance-regression"]);
  assert.equal(byKind.provenance!.severity, "critical");
  assert.match(
    byKind.provenance!.summary,
    /provenance of sigstore-3\.6\.2\.tar\.gz does not verify: tampering\?/,
  );
  assert.equal(byKind.provenance!.url, integrity("sigstore", "3.6.2", pinnedName));
  assert.equal(byKind["provenance-regression"]!.severity, "high");
  assert.match(
    byKind["provenance-regression"]!.summary,
    /attested by GitHub trailofbits\/pypi-attestations .*not by GitHub sigstore\/sigstore-python/,
  );
});

test("a verified switch from a Google identity to a GitHub repository is reported (sampleproject 3.0.0 -> 4.0.0)", async () => {
  const google = { kind: "Google", email: "919436158236-compute@developer.gserviceaccount.com" };
  const older = {
    version: 1,
    attestation_bundles: [
      { publisher: google, attestations: [readVector("sampleproject-3.0.0.tar.gz.publish.attestation")] },
    ],
  };
  const api = integrityApi({
    [integrity("sampleproject", "3.0.0", "sampleproject-3.0.0.tar.gz")]: older,
    [integrity("sampleproject", "4.0.0", "sampleproject-4.0.0.tar.gz")]: readVector(
      "sampleproject-4.0.0.tar.gz.provenance",
    ),
  });
  const result = await checkProvenance(
    pin("sampleproject", "4.0.0"),
    project("sampleproject", [
      file("sampleproject", "sampleproject-3.0.0.tar.gz", "3.0.0", { provenance: true }),
      file("sampleproject", "sampleproject-4.0.0.tar.gz", "4.0.0", { provenance: true }),
    ]),
    api.fetch,
    { trustRoot: production },
  );
  assert.equal(result.facts?.release.files[0]?.status, "verified");
  assert.equal(result.facts?.previous[0]?.files[0]?.status, "verified");
  assert.equal(result.findings.length, 1);
  assert.equal(result.findings[0]!.kind, "provenance-regression");
  assert.match(
    result.findings[0]!.summary,
    /attested by GitHub pypa\/sampleproject .*not by Google 919436158236/,
  );
});

test("an earlier release whose provenance does not verify is no baseline for a regression", async () => {
  // 3.6.0's file is served 3.6.1's provenance object: it attests another file, so 3.6.0 does not count.
  const api = integrityApi({
    [integrity("sigstore", "3.6.0", "sigstore-3.6.0.tar.gz")]: SIGSTORE_PROVENANCE,
  });
  const result = await checkProvenance(
    pin("sigstore", "3.6.1"),
    project("sigstore", [
      file("sigstore", "sigstore-3.6.0.tar.gz", "3.6.0", { provenance: true }),
      file("sigstore", "sigstore-3.6.1-py3-none-any.whl", "3.6.1"),
    ]),
    api.fetch,
    { trustRoot: production },
  );
  assert.deepEqual(result.findings, []);
  assert.equal(result.facts?.previous[0]?.files[0]?.status, "invalid");
  assert.deepEqual(result.facts?.previous[0]?.verifiedPublishers, []);
});

test("a file without provenance beside an attested one, after an attested release, is a medium regression", async () => {
  const sdist = "sigstore-3.6.2.tar.gz";
  const history = sigstoreHistory([
    file("sigstore", sdist, "3.6.2", { provenance: true }),
    file("sigstore", "sigstore-3.6.2-py3-none-any.whl", "3.6.2"),
  ]);
  const api = integrityApi({
    [integrity("sigstore", "3.6.1", SIGSTORE_361)]: SIGSTORE_PROVENANCE,
    // The sdist is served 3.6.1's object (same publisher, another file): it does not verify for 3.6.2.
    [integrity("sigstore", "3.6.2", sdist)]: SIGSTORE_PROVENANCE,
  });
  const result = await checkProvenance(pin("sigstore", "3.6.2"), history, api.fetch, {
    trustRoot: production,
  });
  const kinds = result.findings.map((f) => `${f.kind}:${f.severity}`).sort();
  assert.deepEqual(kinds, ["provenance-regression:medium", "provenance:critical"]);
  const regression = result.findings.find((f) => f.kind === "provenance-regression")!;
  assert.match(regression.summary, /1 file\(s\) without provenance \(sigstore-3\.6\.2-py3-none-any\.whl\)/);
  const critical = result.findings.find((f) => f.kind === "provenance")!;
  assert.match(
    critical.summary,
    /subject sigstore-3\.6\.1\.tar\.gz does not name the file sigstore-3\.6\.2\.tar\.gz|subject digest/,
  );
});

test("provenance that cannot be fetched, or lacks a signed entry timestamp, is info: could not verify", async () => {
  const rekorV2 = structuredClone(SIGSTORE_PROVENANCE) as {
    attestation_bundles: { attestations: { verification_material: { transparency_entries: object[] } }[] }[];
  };
  for (const entry of rekorV2.attestation_bundles[0]!.attestations[0]!.verification_material
    .transparency_entries) {
    delete (entry as { inclusionPromise?: unknown }).inclusionPromise;
  }
  for (const [served, reason] of [
    [new Error("503 Service Unavailable"), /could not fetch the provenance: 503/],
    [rekorV2, /signed entry timestamp/],
  ] as const) {
    const result = await checkProvenance(pin("sigstore", "3.6.1"), sigstoreHistory([]), async () => served, {
      trustRoot: production,
    });
    assert.equal(result.findings.length, 1);
    assert.equal(result.findings[0]!.kind, "provenance");
    assert.equal(result.findings[0]!.severity, "info");
    assert.match(result.findings[0]!.summary, reason);
    assert.equal(result.facts?.release.files[0]?.status, "unverifiable");
  }
});

test("only the pinned files and one file per previous release (at most three) are fetched", async () => {
  const files: ProjectFile[] = [];
  for (const v of ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0rc1", "2.0"]) {
    files.push(
      file("demo", `demo-${v}.tar.gz`, v, { provenance: true, uploadTime: `2024-01-0${v.length}T00:00:00Z` }),
    );
    files.push(
      file("demo", `demo-${v}-py3-none-any.whl`, v, { provenance: true, uploadTime: "2024-02-01T00:00:00Z" }),
    );
  }
  const api = integrityApi({});
  const result = await checkProvenance(pin("demo", "2.0"), project("demo", files), api.fetch, {
    trustRoot: production,
  });
  assert.deepEqual(
    result.facts?.previous.map((r) => r.version),
    ["2.0rc1", "1.4", "1.3"],
  );
  assert.deepEqual(api.asked.sort(), [
    integrity("demo", "1.3", "demo-1.3-py3-none-any.whl"),
    integrity("demo", "1.4", "demo-1.4-py3-none-any.whl"),
    integrity("demo", "2.0", "demo-2.0-py3-none-any.whl"),
    integrity("demo", "2.0", "demo-2.0.tar.gz"),
    integrity("demo", "2.0rc1", "demo-2.0rc1-py3-none-any.whl"),
  ]);
});

test("declared hashes restrict the check to the files that can be installed", async () => {
  const api = integrityApi({ [integrity("sigstore", "3.6.1", SIGSTORE_361)]: SIGSTORE_PROVENANCE });
  const history = sigstoreHistory([]);
  history.files.push(file("sigstore", "sigstore-3.6.1-py3-none-any.whl", "3.6.1", { provenance: true }));
  const result = await checkProvenance(
    pin("sigstore", "3.6.1", [`sha256:${SHA256[SIGSTORE_361]}`]),
    history,
    api.fetch,
    { trustRoot: production },
  );
  assert.deepEqual(
    result.facts?.release.files.map((f) => f.filename),
    [SIGSTORE_361],
  );
  assert.deepEqual(result.findings, []);
});

test("yanked earlier releases are not a baseline", async () => {
  const api = integrityApi({ [integrity("sigstore", "3.6.1", SIGSTORE_361)]: SIGSTORE_PROVENANCE });
  const history = project("sigstore", [
    file("sigstore", SIGSTORE_361, "3.6.1", { provenance: true, yanked: true }),
    file("sigstore", "sigstore-3.6.2.tar.gz", "3.6.2"),
  ]);
  const result = await checkProvenance(pin("sigstore", "3.6.2"), history, api.fetch, {
    trustRoot: production,
  });
  assert.deepEqual(result.findings, []);
  assert.deepEqual(result.facts?.previous, []);
  assert.deepEqual(api.asked, []);
});

test("unpinned dependencies, indexes without provenance and unknown releases are skipped with a reason", async () => {
  const api = integrityApi({});
  const range = makeDependency({
    rawName: "sigstore",
    specifier: ">=3",
    format: "requirements",
    file: "requirements.txt",
    line: 1,
  });
  const cases: [ReturnType<typeof pin>, ProjectInfo, RegExp][] = [
    [range, sigstoreHistory([]), /not pinned/],
    [
      pin("sigstore", "3.6.1"),
      project("sigstore", sigstoreHistory([]).files, false),
      /does not publish PEP 740/,
    ],
    [pin("sigstore", "9.9"), sigstoreHistory([]), /no files for sigstore 9\.9/],
  ];
  for (const [dep, info, reason] of cases) {
    const result = await checkProvenance(dep, info, api.fetch, { trustRoot: production });
    assert.deepEqual(result.findings, []);
    assert.match(result.skipped ?? "", reason);
    assert.equal(result.facts, null);
  }
  assert.deepEqual(api.asked, []);
});
