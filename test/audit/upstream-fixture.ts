// A test upstream with one project per upstream signal (quarantined, archived, yanked, fresh, squatted, replaced
// file, size jump, internal name taken, single owner), built from real wheels and sdists.
import { buildSdist, buildWheel } from "../support/dists.js";
import type { FixtureFile, FixtureProject, UpstreamFixture } from "../support/upstream-server.js";

const DAY = 86_400_000;

function at(now: Date, daysAgo: number): string {
  return new Date(now.getTime() - daysAgo * DAY).toISOString().replace(/\.\d+Z$/, ".000000Z");
}

/** An owned-by-an-organisation project with one old release: no finding of its own. */
async function plain(name: string, version: string, uploadTime: string): Promise<FixtureProject> {
  const wheel = await buildWheel({ name, version });
  return {
    name,
    ownership: { organization: "acme", roles: [{ role: "Owner", user: "alice" }] },
    releases: [{ version, files: [{ filename: wheel.filename, bytes: wheel.bytes, uploadTime }] }],
  };
}

export interface AuditUpstream {
  fixture: UpstreamFixture;
  /** A requirements file (text) with one line per signal. */
  requirements: string;
}

/** The projects, and a requirements file that pins each of them. */
export async function auditUpstream(now: Date): Promise<AuditUpstream> {
  const old = at(now, 200);
  const file = (b: { filename: string; bytes: Buffer }, extra: Partial<FixtureFile> = {}): FixtureFile => ({
    filename: b.filename,
    bytes: b.bytes,
    uploadTime: old,
    ...extra,
  });
  const projects: FixtureProject[] = [
    await plain("good-pkg", "1.0.0", old),
    { ...(await plain("quarantined-pkg", "1.0", old)), status: "quarantined", statusReason: "malware" },
    { ...(await plain("archived-pkg", "1.0", old)), status: "archived" },
    await plain("reqeusts", "2.0.0", old),
    await plain("acme-internal", "0.1", old),
  ];

  const y1 = await buildWheel({ name: "yanked-pkg", version: "1.0" });
  const y2 = await buildWheel({ name: "yanked-pkg", version: "1.1" });
  projects.push({
    name: "yanked-pkg",
    ownership: { organization: "acme", roles: [] },
    releases: [
      { version: "1.0", yanked: "breaks on Python 3.12", files: [file(y1)] },
      { version: "1.1", files: [file(y2)] },
    ],
  });

  const f1 = await buildWheel({ name: "fresh-pkg", version: "1.0" });
  const f2 = await buildWheel({ name: "fresh-pkg", version: "2.0" });
  projects.push({
    name: "fresh-pkg",
    ownership: { organization: "acme", roles: [] },
    releases: [
      { version: "1.0", files: [file(f1)] },
      { version: "2.0", files: [file(f2, { uploadTime: at(now, 1) })] },
    ],
  });

  const h1 = await buildWheel({ name: "hashed-pkg", version: "1.0" });
  const h1s = await buildSdist({ name: "hashed-pkg", version: "1.0" });
  projects.push({
    name: "hashed-pkg",
    ownership: { organization: "acme", roles: [] },
    releases: [{ version: "1.0", files: [file(h1), file(h1s)] }],
  });

  const b1 = await buildWheel({ name: "big-pkg", version: "1.0" });
  const b2 = await buildWheel({ name: "big-pkg", version: "2.0", padBytes: 2_000_000 });
  projects.push({
    name: "big-pkg",
    ownership: { organization: "acme", roles: [] },
    releases: [
      { version: "1.0", files: [file(b1, { uploadTime: at(now, 300) })] },
      { version: "2.0", files: [file(b2)] },
    ],
  });

  const s1 = await buildWheel({ name: "solo-pkg", version: "3.0" });
  projects.push({
    name: "solo-pkg",
    ownership: { organization: null, roles: [{ role: "Owner", user: "bob" }] },
    releases: [{ version: "3.0", files: [file(s1)] }],
  });

  const requirements = [
    "good-pkg==1.0.0",
    "quarantined-pkg==1.0",
    "archived-pkg==1.0",
    "yanked-pkg==1.0",
    "fresh-pkg==2.0",
    "reqeusts==2.0.0",
    // A digest no file of the release has, next to the wheel's real one.
    `hashed-pkg==1.0 --hash=sha256:${h1.sha256} --hash=sha256:${"0".repeat(64)}`,
    "big-pkg==2.0",
    "solo-pkg==3.0",
    "acme-internal==0.1",
    "",
  ].join("\n");
  return { fixture: { projects }, requirements };
}
