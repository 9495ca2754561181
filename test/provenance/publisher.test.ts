import assert from "node:assert/strict";
import { test } from "node:test";
import {
  describePublisher,
  GITHUB_ISSUER,
  GITLAB_ISSUER,
  matchPublisher,
  parsePublisher,
  publisherSource,
  type SignerIdentity,
} from "../../src/provenance/publisher.js";

const github = (buildConfigUri: string | null, sourceRepository: string | null): SignerIdentity => ({
  san: buildConfigUri ?? "",
  issuer: GITHUB_ISSUER,
  sourceRepository,
  buildConfigUri,
});

test("publisher objects from the Integrity API parse into GitHub, GitLab, Google or Other", () => {
  assert.deepEqual(
    parsePublisher({
      kind: "GitHub",
      claims: null,
      repository: "pypa/sampleproject",
      workflow: "release.yml",
      environment: "",
    }),
    { kind: "GitHub", repository: "pypa/sampleproject", workflow: "release.yml", environment: "" },
  );
  assert.deepEqual(
    parsePublisher({
      kind: "GitLab",
      repository: "a/b/c",
      workflow_filepath: "ci/release.yml",
      environment: null,
    }),
    { kind: "GitLab", repository: "a/b/c", workflow_filepath: "ci/release.yml", environment: null },
  );
  assert.deepEqual(parsePublisher({ kind: "Google", email: "x@y.iam.gserviceaccount.com" }), {
    kind: "Google",
    email: "x@y.iam.gserviceaccount.com",
  });
  assert.deepEqual(parsePublisher({ kind: "ActiveState", organization: "o" }), {
    kind: "Other",
    name: "ActiveState",
    claims: { organization: "o" },
  });
  // A GitHub publisher without its workflow cannot be matched: it is kept, but as Other.
  assert.equal(parsePublisher({ kind: "GitHub", repository: "a/b" })?.kind, "Other");
  assert.equal(parsePublisher({ repository: "a/b" }), null);
  assert.equal(parsePublisher("GitHub"), null);
});

test("a GitHub publisher matches its repository case-insensitively and its workflow exactly", () => {
  const signer = github(
    "https://github.com/PyPA/SampleProject/.github/workflows/release.yml@refs/tags/v1",
    "https://github.com/PyPA/SampleProject",
  );
  const publisher = { kind: "GitHub", repository: "pypa/sampleproject", workflow: "release.yml" } as const;
  assert.deepEqual(matchPublisher(publisher, signer), { ok: true });
  const wrong = matchPublisher({ ...publisher, workflow: "Release.yml" }, signer);
  assert.equal(wrong.ok, false);
  // A workflow whose name only starts like the publisher's is another workflow.
  const longer = matchPublisher(
    publisher,
    github(
      "https://github.com/pypa/sampleproject/.github/workflows/release.yml.evil.yml@refs/heads/main",
      "https://github.com/pypa/sampleproject",
    ),
  );
  assert.equal(longer.ok, false);
});

test("a GitHub workflow running in another repository (reusable workflow caller) does not match", () => {
  const result = matchPublisher(
    { kind: "GitHub", repository: "pypa/sampleproject", workflow: "release.yml" },
    github(
      "https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main",
      "https://github.com/evil/fork",
    ),
  );
  assert.deepEqual(result, {
    ok: false,
    supported: true,
    message:
      "Source Repository URI https://github.com/evil/fork does not match https://github.com/pypa/sampleproject",
  });
});

test("a GitLab publisher matches repository//workflow_filepath, with nested namespaces and CI files in folders", () => {
  const signer: SignerIdentity = {
    san: "https://gitlab.com/group/sub/project//ci/release.yml@refs/heads/main",
    issuer: GITLAB_ISSUER,
    sourceRepository: "https://gitlab.com/group/sub/project",
    buildConfigUri: "https://gitlab.com/group/sub/project//ci/release.yml@refs/heads/main",
  };
  assert.deepEqual(
    matchPublisher(
      { kind: "GitLab", repository: "group/sub/project", workflow_filepath: "ci/release.yml" },
      signer,
    ),
    { ok: true },
  );
  const wrongIssuer = matchPublisher(
    { kind: "GitHub", repository: "group/sub/project", workflow: "ci/release.yml" },
    signer,
  );
  assert.equal(wrongIssuer.ok, false);
});

test("publishers of kinds we cannot match are reported as unsupported, not as mismatches", () => {
  const result = matchPublisher({ kind: "Other", name: "ActiveState", claims: {} }, github(null, null));
  assert.deepEqual(result, {
    ok: false,
    supported: false,
    message: "publisher kind ActiveState cannot be matched against a certificate by pycustoms",
  });
});

test("the source of a publisher ignores the workflow; descriptions name repository and workflow", () => {
  const a = { kind: "GitHub", repository: "Pypa/SampleProject", workflow: "release.yml" } as const;
  const b = { kind: "GitHub", repository: "pypa/sampleproject", workflow: "publish.yml" } as const;
  assert.equal(publisherSource(a), publisherSource(b));
  assert.notEqual(
    publisherSource(a),
    publisherSource({ kind: "GitLab", repository: "pypa/sampleproject", workflow_filepath: "x" }),
  );
  assert.equal(describePublisher(b), "GitHub pypa/sampleproject (.github/workflows/publish.yml)");
});
