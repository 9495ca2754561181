import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import type { Publisher } from "../../src/provenance/publisher.js";
import type { TrustMaterial } from "../../src/provenance/trust-root.js";
import {
  type AttestationVerification,
  attestationToBundle,
  PUBLISH_V1,
  SLSA_PROVENANCE_V1,
  verifyAttestation,
  verifyProvenance,
  verifySigstoreBundle,
} from "../../src/provenance/verify.js";
import {
  attestationsDir,
  dist,
  GITHUB_ACTIONS,
  production,
  readVector,
  SHA256,
  staging,
} from "./attestation-data.js";

const TOB: Publisher = {
  kind: "GitHub",
  repository: "trailofbits/pypi-attestations",
  workflow: "release.yml",
};
const MODELS: Publisher = {
  kind: "GitHub",
  repository: "trailofbits/pypi-attestation-models",
  workflow: "release.yml",
};
const GITLAB: Publisher = {
  kind: "GitLab",
  repository: "facutuesca/gitlab-oidc-project",
  workflow_filepath: ".gitlab-ci.yml",
};
const WILLIAM = { san: "william@yossarian.net", issuer: "https://github.com/login/oauth" };
const SAMPLE_GOOGLE = {
  san: "919436158236-compute@developer.gserviceaccount.com",
  issuer: "https://accounts.google.com",
};
const SPT3G_SUBJECT = "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const SPT3G_REORDERED = "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl";

function assertOk(result: AttestationVerification): Extract<AttestationVerification, { ok: true }> {
  if (!result.ok) assert.fail(`expected to verify, got ${result.reason}: ${result.message}`);
  return result;
}

function assertFails(
  result: AttestationVerification,
  reason: "invalid" | "unverifiable",
  message: RegExp,
): void {
  assert.equal(result.ok, false, "expected a failure");
  if (result.ok) return;
  assert.equal(result.reason, reason, result.message);
  assert.match(result.message, message);
}

// ---- every file in the data folder, as SOURCE.md lists it --------------------------------------------------

type Expectation = {
  how: "attestation" | "bundle" | "provenance";
  dist: { filename: string; sha256: string };
  root: TrustMaterial;
  publisher?: Publisher;
  identity?: { san: string; issuer: string };
  /** Which trusted-publisher a provenance object must prove. */
  provenancePublisher?: Publisher;
};

const EXPECTED: Record<string, Expectation | "trust root"> = {
  "trusted_root.production.json": "trust root",
  "trusted_root.staging.json": "trust root",
  "pypi_attestations-0.0.19.tar.gz.publish.attestation": {
    how: "attestation",
    dist: dist("pypi_attestations-0.0.19.tar.gz"),
    root: production,
    publisher: TOB,
  },
  "pypi_attestations-0.0.19.tar.gz.slsa.attestation": {
    how: "attestation",
    dist: dist("pypi_attestations-0.0.19.tar.gz"),
    root: production,
    identity: {
      san: "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
      issuer: GITHUB_ACTIONS,
    },
  },
  "pypi_attestations-0.0.19.tar.gz.provenance": {
    how: "provenance",
    dist: dist("pypi_attestations-0.0.19.tar.gz"),
    root: production,
    provenancePublisher: { ...TOB, environment: null },
  },
  "pypi_attestation_models-0.0.4a2.tar.gz.sigstore": {
    how: "bundle",
    dist: dist("pypi_attestation_models-0.0.4a2.tar.gz"),
    root: production,
    publisher: MODELS,
  },
  "pypi_attestation_models-0.0.4a2.tar.gz.attestation": {
    how: "attestation",
    dist: dist("pypi_attestation_models-0.0.4a2.tar.gz"),
    root: production,
    publisher: MODELS,
  },
  "sigstore-3.6.1.tar.gz.provenance": {
    how: "provenance",
    dist: dist("sigstore-3.6.1.tar.gz"),
    root: production,
    provenancePublisher: {
      kind: "GitHub",
      repository: "sigstore/sigstore-python",
      workflow: "release.yml",
      environment: null,
    },
  },
  "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation": {
    how: "attestation",
    dist: dist("gitlab_oidc_project-0.0.3.tar.gz"),
    root: production,
    publisher: GITLAB,
  },
  "sampleproject-3.0.0.tar.gz.publish.attestation": {
    how: "attestation",
    dist: dist("sampleproject-3.0.0.tar.gz"),
    root: production,
    identity: SAMPLE_GOOGLE,
  },
  "sampleproject-4.0.0.tar.gz.provenance": {
    how: "provenance",
    dist: dist("sampleproject-4.0.0.tar.gz"),
    root: production,
    provenancePublisher: {
      kind: "GitHub",
      repository: "pypa/sampleproject",
      workflow: "release.yml",
      environment: "",
    },
  },
  "pep740-sampleproject-1.0.0.tar.gz.provenance": {
    how: "provenance",
    dist: dist("pep740-sampleproject-1.0.0.tar.gz"),
    root: production,
    provenancePublisher: {
      kind: "GitLab",
      repository: "pep740-example/sampleproject",
      workflow_filepath: ".gitlab-ci.yml",
      environment: null,
    },
  },
  "rfc8785-0.1.2-py3-none-any.whl.publish.attestation": {
    how: "attestation",
    dist: dist("rfc8785-0.1.2-py3-none-any.whl"),
    root: staging,
    identity: WILLIAM,
  },
  "rfc8785-0.1.2-py3-none-any.whl.attestation": {
    how: "attestation",
    dist: dist("rfc8785-0.1.2-py3-none-any.whl"),
    root: staging,
    identity: WILLIAM,
  },
  "rfc8785-0.1.2-py3-none-any.whl.sigstore": {
    how: "bundle",
    dist: dist("rfc8785-0.1.2-py3-none-any.whl"),
    root: staging,
    identity: WILLIAM,
  },
  [`${SPT3G_SUBJECT}.publish.attestation`]: {
    how: "attestation",
    dist: { filename: SPT3G_REORDERED, sha256: SHA256[SPT3G_SUBJECT]! },
    root: staging,
    identity: WILLIAM,
  },
};

function verifyVector(file: string, expectation: Expectation, root: TrustMaterial) {
  const json = readVector(file);
  const options = { trustRoot: root, publisher: expectation.publisher, identity: expectation.identity };
  if (expectation.how === "provenance") return verifyProvenance(json, expectation.dist, options);
  return expectation.how === "bundle"
    ? verifySigstoreBundle(json, expectation.dist, options)
    : verifyAttestation(json, expectation.dist, options);
}

test("the expectation table covers exactly the files in the data folder", () => {
  const files = readdirSync(attestationsDir)
    .filter((f) => f !== "SOURCE.md")
    .sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const [file, expectation] of Object.entries(EXPECTED)) {
  if (expectation === "trust root") continue;
  const instance = expectation.root === production ? "production" : "staging";
  const other = expectation.root === production ? staging : production;

  test(`${file} verifies against the ${instance} root with its identity`, () => {
    const result = verifyVector(file, expectation, expectation.root);
    if ("bundles" in result) {
      assert.equal(result.status, "verified", result.message ?? "");
      assert.equal(result.verified, true);
      assert.deepEqual(result.publisher, expectation.provenancePublisher);
      for (const r of result.bundles.flatMap((b) => b.results))
        assert.equal(assertOk(r).predicateType, PUBLISH_V1);
    } else {
      assertOk(result);
    }
  });

  test(`${file} cannot be verified against the other instance's root (never a pass, never tampering)`, () => {
    const result = verifyVector(file, expectation, other);
    if ("bundles" in result) {
      assert.equal(result.status, "unverifiable", result.message ?? "");
      assert.equal(result.verified, false);
      assert.equal(result.publisher, null);
    } else {
      assertFails(result, "unverifiable", /trust root/);
    }
  });
}

// ---- what a verified attestation tells --------------------------------------------------------------------

test("a GitHub-published attestation reports its signer, repository, workflow and log time", () => {
  const result = assertOk(
    verifyAttestation(
      readVector("pypi_attestations-0.0.19.tar.gz.publish.attestation"),
      dist("pypi_attestations-0.0.19.tar.gz"),
      { trustRoot: production, publisher: TOB },
    ),
  );
  assert.equal(result.predicateType, PUBLISH_V1);
  assert.deepEqual(result.signer, {
    san: "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
    issuer: GITHUB_ACTIONS,
    sourceRepository: "https://github.com/trailofbits/pypi-attestations",
    buildConfigUri:
      "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
  });
  assert.match(result.integratedTime, /^2024-12-04T/);
});

test("a SLSA provenance v1 attestation verifies with its predicate type", () => {
  const result = assertOk(
    verifyAttestation(
      readVector("pypi_attestations-0.0.19.tar.gz.slsa.attestation"),
      dist("pypi_attestations-0.0.19.tar.gz"),
      { trustRoot: production, publisher: TOB },
    ),
  );
  assert.equal(result.predicateType, SLSA_PROVENANCE_V1);
});

test("an interactive (e-mail) signature has no Source Repository or Build Config URI", () => {
  const result = assertOk(
    verifyAttestation(
      readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"),
      dist("rfc8785-0.1.2-py3-none-any.whl"),
      { trustRoot: staging },
    ),
  );
  assert.deepEqual(result.signer, { ...WILLIAM, sourceRepository: null, buildConfigUri: null });
  assert.match(result.integratedTime, /^2024-06-06T/);
});

test("the GitLab provenance proves its GitLab publisher and the sdist name with _ matches the file name with -", () => {
  const result = verifyProvenance(
    readVector("pep740-sampleproject-1.0.0.tar.gz.provenance"),
    dist("pep740-sampleproject-1.0.0.tar.gz"),
    { trustRoot: production },
  );
  assert.equal(result.status, "verified");
  const only = assertOk(result.bundles[0]!.results[0]!);
  assert.equal(only.signer.sourceRepository, "https://gitlab.com/pep740-example/sampleproject");
  assert.equal(
    only.signer.buildConfigUri,
    "https://gitlab.com/pep740-example/sampleproject//.gitlab-ci.yml@refs/heads/main",
  );
});

// ---- the upstream negatives ---------------------------------------------------------------------------------

test("identity fake@example.com does not match the rfc8785 signer", () => {
  assertFails(
    verifyAttestation(
      readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"),
      dist("rfc8785-0.1.2-py3-none-any.whl"),
      { trustRoot: staging, identity: { san: "fake@example.com", issuer: WILLIAM.issuer } },
    ),
    "invalid",
    /identity/,
  );
});

test("the SAN is matched whole: a suffix of the signer's e-mail is not the signer", () => {
  assertFails(
    verifyAttestation(
      readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"),
      dist("rfc8785-0.1.2-py3-none-any.whl"),
      { trustRoot: staging, identity: { san: "yossarian.net", issuer: WILLIAM.issuer } },
    ),
    "invalid",
    /identity/,
  );
  assertFails(
    verifyAttestation(
      readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"),
      dist("rfc8785-0.1.2-py3-none-any.whl"),
      { trustRoot: staging, identity: { san: "william@yossarian.net", issuer: "https://gitlab.com" } },
    ),
    "invalid",
    /issuer/,
  );
});

test("the same bytes under another distribution name fail: the subject names another file", () => {
  assertFails(
    verifyAttestation(
      readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"),
      { filename: "rfc8786-0.1.2-py3-none-any.whl", sha256: SHA256["rfc8785-0.1.2-py3-none-any.whl"]! },
      { trustRoot: staging, identity: WILLIAM },
    ),
    "invalid",
    /does not name the file rfc8786-0\.1\.2-py3-none-any\.whl/,
  );
});

test("different bytes under the same name fail: the subject digest is another file's", () => {
  assertFails(
    verifyAttestation(
      readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"),
      { filename: "rfc8785-0.1.2-py3-none-any.whl", sha256: "0".repeat(64) },
      { trustRoot: staging, identity: WILLIAM },
    ),
    "invalid",
    /subject digest sha256:c4e92e9e/,
  );
});

test("workflow wrong.yml is not the GitHub publisher of pypi-attestation-models (bundle and attestation)", () => {
  const wrong: Publisher = { ...MODELS, workflow: "wrong.yml" } as Publisher;
  const d = dist("pypi_attestation_models-0.0.4a2.tar.gz");
  for (const result of [
    verifySigstoreBundle(readVector("pypi_attestation_models-0.0.4a2.tar.gz.sigstore"), d, {
      trustRoot: production,
      publisher: wrong,
    }),
    verifyAttestation(readVector("pypi_attestation_models-0.0.4a2.tar.gz.attestation"), d, {
      trustRoot: production,
      publisher: wrong,
    }),
  ]) {
    assertFails(result, "invalid", /Build Config URI .* does not match .*wrong\.yml/);
  }
});

test("workflow_filepath wrong.yml is not the GitLab publisher of gitlab-oidc-project", () => {
  assertFails(
    verifyAttestation(
      readVector("gitlab_oidc_project-0.0.3.tar.gz.publish.attestation"),
      dist("gitlab_oidc_project-0.0.3.tar.gz"),
      { trustRoot: production, publisher: { ...GITLAB, workflow_filepath: "wrong.yml" } },
    ),
    "invalid",
    /Build Config URI .* does not match .*wrong\.yml/,
  );
});

test("another repository is not the publisher even with the right workflow name", () => {
  assertFails(
    verifyAttestation(
      readVector("pypi_attestations-0.0.19.tar.gz.publish.attestation"),
      dist("pypi_attestations-0.0.19.tar.gz"),
      { trustRoot: production, publisher: { ...TOB, repository: "trailofbits/pypi-attestations-fork" } },
    ),
    "invalid",
    /Source Repository URI https:\/\/github\.com\/trailofbits\/pypi-attestations does not match/,
  );
});

test("the Google service-account sampleproject attestation does not satisfy a GitHub publisher policy", () => {
  const attestation = readVector("sampleproject-3.0.0.tar.gz.publish.attestation");
  const d = dist("sampleproject-3.0.0.tar.gz");
  assertFails(
    verifyAttestation(attestation, d, {
      trustRoot: production,
      publisher: { kind: "GitHub", repository: "pypa/sampleproject", workflow: "release.yml" },
    }),
    "invalid",
    /issuer https:\/\/accounts\.google\.com is not GitHub's/,
  );
  // It is a genuine signature all the same, and it is that Google identity's.
  assertOk(
    verifyAttestation(attestation, d, {
      trustRoot: production,
      publisher: { kind: "Google", email: SAMPLE_GOOGLE.san },
    }),
  );
});

test("wheel tags compressed in another order name the same file (spt3g); a different tag set does not", () => {
  const attestation = readVector(`${SPT3G_SUBJECT}.publish.attestation`);
  const sha256 = SHA256[SPT3G_SUBJECT]!;
  for (const filename of [SPT3G_SUBJECT, SPT3G_REORDERED]) {
    assertOk(verifyAttestation(attestation, { filename, sha256 }, { trustRoot: staging, identity: WILLIAM }));
  }
  assertFails(
    verifyAttestation(
      attestation,
      { filename: "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.whl", sha256 },
      { trustRoot: staging, identity: WILLIAM },
    ),
    "invalid",
    /does not name the file/,
  );
});

// ---- tampering and formats we cannot decide --------------------------------------------------------------

/** The parts of a PEP 740 attestation the tests below edit. */
interface AttestationJson {
  version: unknown;
  envelope: { statement: string; signature: string };
  verification_material: { transparency_entries: { inclusionPromise?: unknown }[] };
}

function mutated(file: string, change: (a: AttestationJson) => void): unknown {
  const attestation = structuredClone(readVector(file)) as AttestationJson;
  change(attestation);
  return attestation;
}

test("a changed signature is invalid", () => {
  const attestation = mutated("pypi_attestations-0.0.19.tar.gz.publish.attestation", (a) => {
    const sig = Buffer.from(a.envelope.signature, "base64");
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
    a.envelope.signature = sig.toString("base64");
  });
  const result = verifyAttestation(attestation, dist("pypi_attestations-0.0.19.tar.gz"), {
    trustRoot: production,
    publisher: TOB,
  });
  assertFails(result, "invalid", /./);
});

test("a re-written statement for another file is invalid even when it names that file", () => {
  const other = { filename: "pypi_attestations-0.0.19.tar.gz", sha256: "1".repeat(64) };
  const attestation = mutated("pypi_attestations-0.0.19.tar.gz.publish.attestation", (a) => {
    const statement = JSON.parse(Buffer.from(a.envelope.statement, "base64").toString("utf8"));
    statement.subject[0].digest.sha256 = other.sha256;
    a.envelope.statement = Buffer.from(JSON.stringify(statement)).toString("base64");
  });
  assertFails(
    verifyAttestation(attestation, other, { trustRoot: production, publisher: TOB }),
    "invalid",
    /TLOG_BODY_ERROR|SIGNATURE_ERROR/,
  );
});

test("a log entry without a signed entry timestamp (as in Rekor v2) cannot be verified, and is not called tampering", () => {
  const attestation = mutated("pypi_attestations-0.0.19.tar.gz.publish.attestation", (a) => {
    delete a.verification_material.transparency_entries[0]!.inclusionPromise;
  });
  assertFails(
    verifyAttestation(attestation, dist("pypi_attestations-0.0.19.tar.gz"), {
      trustRoot: production,
      publisher: TOB,
    }),
    "unverifiable",
    /signed entry timestamp/,
  );
});

test("an attestation or provenance of an unknown version is unverifiable; a malformed one is invalid", () => {
  const d = dist("pypi_attestations-0.0.19.tar.gz");
  const v2 = mutated("pypi_attestations-0.0.19.tar.gz.publish.attestation", (a) => {
    a.version = 2;
  });
  assertFails(verifyAttestation(v2, d, { trustRoot: production }), "unverifiable", /version 2/);
  assertFails(verifyAttestation({ version: 1 }, d, { trustRoot: production }), "invalid", /certificate/);
  assertFails(verifyAttestation("nope", d, { trustRoot: production }), "invalid", /not a JSON object/);
  assert.equal(verifyProvenance({ version: 2 }, d, { trustRoot: production }).status, "unverifiable");
  assert.equal(verifyProvenance({ version: 1 }, d, { trustRoot: production }).status, "invalid");
  assert.equal(verifyProvenance([], d, { trustRoot: production }).status, "invalid");
});

test("an attestation becomes a v0.3 DSSE bundle with the in-toto payload type", () => {
  const converted = attestationToBundle(readVector("rfc8785-0.1.2-py3-none-any.whl.publish.attestation"));
  assert.ok(converted.ok);
  const bundle = converted.bundle as {
    mediaType: string;
    dsseEnvelope: { payloadType: string; signatures: unknown[] };
  };
  assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
  assert.equal(bundle.dsseEnvelope.payloadType, "application/vnd.in-toto+json");
  assert.equal(bundle.dsseEnvelope.signatures.length, 1);
});

test("a provenance object is checked against its own publisher: a swapped publisher is invalid", () => {
  const provenance = structuredClone(readVector("sigstore-3.6.1.tar.gz.provenance")) as {
    attestation_bundles: { publisher: { repository: string } }[];
  };
  provenance.attestation_bundles[0]!.publisher.repository = "attacker/sigstore-python";
  const result = verifyProvenance(provenance, dist("sigstore-3.6.1.tar.gz"), { trustRoot: production });
  assert.equal(result.status, "invalid");
  assert.equal(result.publisher, null);
  assert.match(result.message ?? "", /Source Repository URI/);
});

test("verification never loads @sigstore/tuf's client (no network is ever tried)", () => {
  const require = createRequire(import.meta.url);
  const loaded = Object.keys(require.cache).filter((p) => /@sigstore[\\/]tuf[\\/]dist/.test(p));
  assert.deepEqual(loaded, []);
});

test("a forged statement with an unknown predicate type is invalid, not merely unverifiable", () => {
  const attestation = mutated("pypi_attestations-0.0.19.tar.gz.publish.attestation", (a) => {
    const statement = JSON.parse(Buffer.from(a.envelope.statement, "base64").toString("utf8"));
    statement.predicateType = "https://example.com/attestation/v9";
    a.envelope.statement = Buffer.from(JSON.stringify(statement)).toString("base64");
  });
  assertFails(
    verifyAttestation(attestation, dist("pypi_attestations-0.0.19.tar.gz"), { trustRoot: production }),
    "invalid",
    /TLOG_BODY_ERROR|SIGNATURE_ERROR/,
  );
});

test("a certificate from a CA the trust root does not know is unverifiable (another instance)", () => {
  // Production's logs but staging's CAs: the log entry is known, the issuing CA is not.
  const mixed: TrustMaterial = { ...production, certificateAuthorities: staging.certificateAuthorities };
  assertFails(
    verifyAttestation(
      readVector("pypi_attestations-0.0.19.tar.gz.publish.attestation"),
      dist("pypi_attestations-0.0.19.tar.gz"),
      { trustRoot: mixed, publisher: TOB },
    ),
    "unverifiable",
    /not issued by a certificate authority of this trust root/,
  );
});

test("a certificate naming a trusted CA whose chain does not hold is invalid", () => {
  // The same production CAs, but valid only before the signature was made: the leaf claims them and fails.
  const expired: TrustMaterial = {
    ...production,
    certificateAuthorities: production.certificateAuthorities.map((ca) => ({
      ...ca,
      validFor: { start: new Date(0), end: new Date(1000) },
    })),
  };
  assertFails(
    verifyAttestation(
      readVector("pypi_attestations-0.0.19.tar.gz.publish.attestation"),
      dist("pypi_attestations-0.0.19.tar.gz"),
      { trustRoot: expired, publisher: TOB },
    ),
    "invalid",
    /CERTIFICATE_ERROR/,
  );
});
