// The commented starter pycustoms.toml that `pycustoms init` writes: every key, with its default.
import { SEVERITIES } from "../checks/types.js";
import { DEFAULT_CONFIG, KNOWN_CHECKS } from "./config.js";

/**
 * Every setting is commented out, so the file changes nothing until a line is uncommented; uncommenting
 * any setting line (`# key = value` or a `# [table]` header) gives a valid file again.
 */
export function starterConfig(): string {
  const d = DEFAULT_CONFIG;
  const width = Math.max(...KNOWN_CHECKS.map((c) => c.id.length));
  const lines = [
    "# pycustoms configuration. Every setting below is commented out and shows its default.",
    "# Put this file at the repository root (it wins over [tool.pycustoms] in a pyproject.toml beside it).",
    "",
    `# Findings at or above this severity fail the run: ${SEVERITIES.join(", ")}.`,
    "# Malicious packages always fail, whatever this says.",
    `# fail-on = "${d.failOn}"`,
    "",
    '# Warn when the advisory database is older than this ("30m", "12h", "7d", "2w").',
    `# max-db-age = "${d.maxDbAge}"`,
    "",
    "# Switch individual checks on (true) or off (false); the findings of a check that is off are dropped.",
    "# [checks]",
    ...KNOWN_CHECKS.map((c) => `# ${c.id.padEnd(width)} = ${d.checks[c.id]}    # ${c.description}`),
    "",
    "# Accept a finding you have reviewed. One [[ignore]] table per rule; `reason` is required.",
    "# `id` is an advisory id or any of its aliases (CVE-..., GHSA-..., PYSEC-...) or a check rule id.",
    "# `until` (optional) is the last day the rule holds; after it the finding counts again.",
    "# `package` (optional) limits the rule to one package.",
    "# [[ignore]]",
    '# id = "GHSA-xxxx-xxxx-xxxx"',
    '# reason = "not reachable: we never parse untrusted XML"',
    "# until = 2027-01-31",
    '# package = "lxml"',
    "",
    "# The pycustoms proxy / registry (`pycustoms serve`).",
    "# [serve]",
    `# host = "${d.serve.host}"`,
    `# port = ${d.serve.port}`,
    "# upstream may be one URL or an array of them, tried in order.",
    `# upstream = [${d.serve.upstream.map((u) => `"${u}"`).join(", ")}]`,
    '# data-dir = ".pycustoms"',
    "",
  ];
  return lines.join("\n");
}
