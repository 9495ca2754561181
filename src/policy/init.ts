// The commented starter pycustoms.toml that `pycustoms init` writes: every key, with its default.
import { SEVERITIES } from "../checks/types.js";
import {
  DEFAULT_CONFIG,
  DEFAULT_INDEX_CONCURRENCY,
  DEFAULT_PUBLIC_INDEX_URL,
  KNOWN_CHECKS,
} from "./config.js";

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
    '# Upstream checks (they ask the package index; see [index] below). Durations: "12h", "7d", "2w", "3y".',
    "# A pinned release younger than this is reported (release-age): time for a malicious upload to be noticed.",
    `# min-release-age = "${d.upstream.minReleaseAge}"`,
    '# Packages exempt from the cooldown, or with their own: ["my-sdk"] or { my-sdk = "1d" }.',
    "# release-age-exceptions = []",
    "# A project with no release for this long is reported as unmaintained (low; medium with open advisories).",
    `# max-inactivity = "${d.upstream.maxInactivity}"`,
    "# An artifact more than this many times the previous release's (and 1 MB larger) is a size anomaly.",
    `# max-size-ratio = ${d.upstream.maxSizeRatio.toFixed(1)}`,
    "# Your private packages: exact names and name prefixes. Found on the public index, they are critical",
    "# (dependency confusion); they are never reported as typosquats.",
    "# internal-names = []",
    "# internal-prefixes = []",
    "# Names the typosquat check never flags (reviewed look-alikes).",
    "# typosquat-allow = []",
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
    '# "open" serves what the policy clears; "allowlist" only approved projects (others become access requests).',
    `# mode = "${d.serve.mode}"`,
    '# Server processes sharing the port: a number, or "auto" for one per CPU (1: a single process).',
    "# workers = 1",
    "",
    "# The package index the upstream checks ask. Default: `--index-url`, else the requirement file's",
    "# --index-url, else pip's configuration (PIP_INDEX_URL, pip.conf), else PyPI. Credentials in the URL",
    "# (https://user:token@host/simple/) are sent as Basic auth and never printed.",
    "# [index]",
    '# url = "https://pypi.org/simple/"',
    "# The public index your internal-names must not exist on.",
    `# public-url = "${DEFAULT_PUBLIC_INDEX_URL}"`,
    "# Requests in flight at once, time per request, and retries after a 429, a 5xx or a dropped connection.",
    `# concurrency = ${DEFAULT_INDEX_CONCURRENCY}`,
    '# timeout = "30s"',
    "# retries = 3",
    "",
  ];
  return lines.join("\n");
}
