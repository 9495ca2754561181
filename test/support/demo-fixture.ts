// A small upstream with real wheels and sdists, for the network tests: one healthy project, one yanked release, one quarantined.
import { buildSdist, buildWheel } from "./dists.js";
import type { FixtureFile, UpstreamFixture } from "./upstream-server.js";

export const DEMO_PROVENANCE = {
  version: 1,
  attestation_bundles: [
    {
      publisher: {
        kind: "GitHub",
        repository: "example/demo-pkg",
        workflow: "release.yml",
        environment: "",
        claims: null,
      },
      attestations: [],
    },
  ],
};

export async function demoFixture(): Promise<UpstreamFixture> {
  const w1 = await buildWheel({ name: "demo-pkg", version: "1.0.0", requiresPython: ">=3.8" });
  const s1 = await buildSdist({ name: "demo-pkg", version: "1.0.0", requiresPython: ">=3.8" });
  const w2 = await buildWheel({ name: "demo-pkg", version: "1.1.0", requiresDist: ["other-pkg>=1"] });
  const o1 = await buildWheel({ name: "other-pkg", version: "2.0.0" });
  const q1 = await buildWheel({ name: "bad-pkg", version: "0.1" });
  const file = (
    b: { filename: string; bytes: Buffer; metadata: string },
    extra: Partial<FixtureFile> = {},
  ) => ({
    filename: b.filename,
    bytes: b.bytes,
    metadata: b.metadata,
    ...extra,
  });
  return {
    projects: [
      {
        name: "Demo_Pkg",
        ownership: { organization: "example", roles: [{ role: "Owner", user: "alice" }] },
        releases: [
          {
            version: "1.0.0",
            requiresPython: ">=3.8",
            files: [
              file(w1, { uploadTime: "2024-02-01T10:00:00.000000Z", provenance: DEMO_PROVENANCE }),
              file(s1, { uploadTime: "2024-02-01T10:00:05.000000Z" }),
            ],
          },
          {
            version: "1.1.0",
            yanked: "broken metadata",
            requiresDist: ["other-pkg>=1"],
            files: [file(w2, { uploadTime: "2024-03-01T10:00:00.000000Z" })],
            vulnerabilities: [
              {
                id: "PYSEC-2099-7",
                source: "osv",
                link: "https://osv.dev/vulnerability/PYSEC-2099-7",
                aliases: ["CVE-2099-7"],
                details: "test",
                summary: null,
                fixed_in: ["1.2.0"],
                withdrawn: null,
              },
            ],
          },
        ],
      },
      { name: "other-pkg", releases: [{ version: "2.0.0", files: [file(o1)] }] },
      {
        name: "bad-pkg",
        status: "quarantined",
        statusReason: "malware",
        releases: [{ version: "0.1", files: [file(q1)] }],
      },
    ],
  };
}
