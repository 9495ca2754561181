// Shared pieces of the gate tests: a configuration, OSV-shaped advisories and a clock.
import { osvToAdvisory } from "../../src/advisories/osv.js";
import type { Advisory } from "../../src/advisories/types.js";
import { type Config, parseConfigText } from "../../src/policy/config.js";

/** The configuration a pycustoms.toml with this text gives (defaults for everything it leaves out). */
export function configFrom(toml = ""): Config {
  const loaded = parseConfigText(toml, "pycustoms.toml", false);
  if (loaded.errors.length > 0) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

interface OsvInit {
  id: string;
  aliases?: string[];
  summary?: string;
  name: string;
  introduced?: string;
  fixed?: string;
  versions?: string[];
  cvss?: string;
  malicious?: boolean;
}

/** An advisory from an OSV record, through the same conversion the database import uses. */
export function osvAdvisory(init: OsvInit): Advisory {
  const events: Record<string, string>[] = [{ introduced: init.introduced ?? "0" }];
  if (init.fixed) events.push({ fixed: init.fixed });
  const record = {
    schema_version: "1.6.0",
    id: init.id,
    aliases: init.aliases ?? [],
    summary: init.summary ?? `A problem in ${init.name}`,
    details: init.summary ?? `A problem in ${init.name}`,
    modified: "2026-06-01T00:00:00Z",
    published: "2026-05-01T00:00:00Z",
    affected: [
      {
        package: { ecosystem: "PyPI", name: init.name },
        ...(init.versions ? { versions: init.versions } : { ranges: [{ type: "ECOSYSTEM", events }] }),
      },
    ],
    ...(init.cvss ? { severity: [{ type: "CVSS_V3", score: init.cvss }] } : {}),
    references: [{ type: "ADVISORY", url: `https://github.com/advisories/${init.id}` }],
  };
  const parsed = osvToAdvisory(record, `${init.id}.json`, {
    underMalicious: init.malicious ?? false,
    underWithdrawn: false,
  });
  if (parsed.status !== "ok") throw new Error(JSON.stringify(parsed));
  return parsed.advisory;
}

/** CVSS 3.1 base 8.1 (high). */
export const CVSS_8_1 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H";
/** CVSS 3.1 base 5.3 (medium). */
export const CVSS_5_3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N";
