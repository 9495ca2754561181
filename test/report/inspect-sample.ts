// A hand-built inspect card for the report tests: every section filled, one release of each provenance status.
import type { Finding } from "../../src/checks/types.js";
import type { InspectCard, ReleaseRow } from "../../src/report/inspect-card.js";

export const yankedFinding: Finding = {
  kind: "yanked",
  id: "yanked",
  aliases: [],
  severity: "high",
  score: null,
  package: "sample-pkg",
  version: "2.0.0",
  specifier: "==2.0.0",
  file: "(command line)",
  line: null,
  summary: "sample-pkg 2.0.0 was yanked by its maintainers (reason: broken wheel)",
  fixedIn: "1.9.0",
  url: null,
  evidence: { yankedReason: "broken wheel", filesYanked: 2 },
};

const row = (over: Partial<ReleaseRow> & { version: string }): ReleaseRow => ({
  uploadTime: "2026-01-01T00:00:00.000Z",
  files: 1,
  size: 1234,
  yanked: false,
  yankedReason: null,
  prerelease: false,
  inspected: false,
  latest: false,
  provenance: { status: "none", verifiedPublishers: [], files: [] },
  ...over,
});

export function sampleCard(over: Partial<InspectCard> = {}): InspectCard {
  return {
    name: "sample-pkg",
    index: "https://mirror.example/simple/",
    capabilities: {
      json: true,
      jsonApi: true,
      uploadTimes: true,
      sizes: true,
      projectStatus: true,
      provenance: true,
    },
    status: { status: "deprecated", reason: "use other-pkg", published: true },
    ownership: { owners: ["alice"], maintainers: ["bob"], organization: null },
    popularRank: null,
    requestedVersion: "2.0.0",
    inspectedVersion: "2.0.0",
    latestVersion: "1.9.0",
    releaseCount: 7,
    releases: [
      row({
        version: "2.0.0",
        uploadTime: "2026-11-27T12:00:00.000Z",
        files: 2,
        size: 4_500_000,
        yanked: true,
        yankedReason: "broken wheel",
        inspected: true,
        provenance: {
          status: "invalid",
          verifiedPublishers: [],
          files: [
            {
              filename: "sample_pkg-2.0.0-py3-none-any.whl",
              status: "invalid",
              publisher: null,
              message: "the statement's subject digest does not match",
            },
          ],
        },
      }),
      row({
        version: "1.9.0",
        uploadTime: "2025-11-28T00:00:00.000Z",
        latest: true,
        provenance: {
          status: "verified",
          verifiedPublishers: ["GitHub acme/sample (.github/workflows/release.yml)"],
          files: [
            {
              filename: "sample_pkg-1.9.0.tar.gz",
              status: "verified",
              publisher: "GitHub acme/sample (.github/workflows/release.yml)",
              message: null,
            },
          ],
        },
      }),
      row({ version: "1.9.0rc1", prerelease: true, uploadTime: null, size: null, provenance: null }),
    ],
    advisories: {
      inspected: [
        {
          id: "GHSA-aaaa-bbbb-cccc",
          aliases: ["CVE-2026-1", "PYSEC-2026-1"],
          kind: "vulnerability",
          severity: "medium",
          score: 5.3,
          summary: "a crafted header is logged",
          fixedIn: "2.0.1",
          url: "https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc",
        },
      ],
      latest: [],
    },
    typosquat: null,
    findings: [yankedFinding],
    failing: [yankedFinding],
    ignored: [],
    skipped: [{ check: "hash-mismatch", reason: "sample-pkg has no hashes to compare" }],
    failOn: "high",
    generatedAt: "2026-11-28T00:00:00.000Z",
    tool: { name: "pycustoms", version: "0.1.0" },
    ...over,
  };
}
