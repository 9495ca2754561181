// A small audit result shared by the report format tests: every section of the reports has something in it.
import type { Finding } from "../../src/checks/types.js";
import type { Dependency } from "../../src/inventory/types.js";
import type { AuditResult } from "../../src/report/audit-result.js";

export function sampleFinding(over: Partial<Finding> = {}): Finding {
  return {
    kind: "vulnerability",
    id: "GHSA-9wx4-h78v-vm56",
    aliases: ["CVE-2024-35195"],
    severity: "medium",
    score: 5.6,
    package: "requests",
    version: "2.31.0",
    specifier: "==2.31.0",
    file: "requirements.txt",
    line: 3,
    summary:
      "Requests `Session` object does not verify requests after making first request with verify=False",
    fixedIn: "2.32.0",
    url: "https://github.com/advisories/GHSA-9wx4-h78v-vm56",
    ...over,
  };
}

function dep(name: string, version: string): Dependency {
  return {
    name,
    rawName: name,
    version,
    specifier: `==${version}`,
    pinned: true,
    hashes: [],
    extras: [],
    markers: null,
    groups: ["main"],
    direct: true,
    source: null,
    format: "requirements",
    file: "requirements.txt",
    line: 1,
  };
}

export function sampleAudit(over: Partial<AuditResult> = {}): AuditResult {
  const requests = sampleFinding();
  const lxml = sampleFinding({
    id: "GHSA-lxml-0000-0001",
    aliases: ["CVE-2025-1111", "PYSEC-2025-7"],
    severity: "critical",
    score: 9.8,
    package: "lxml",
    version: "4.9.1",
    specifier: ">=4,<5",
    file: "services/api/requirements.txt",
    line: 12,
    summary: "XXE | entity expansion in `iterparse` <script>",
    fixedIn: "4.9.2",
    url: null,
  });
  const mal = sampleFinding({
    kind: "malicious",
    id: "MAL-2025-4242",
    aliases: [],
    severity: "critical",
    score: null,
    package: "reqeusts",
    version: "1.0.0",
    specifier: "==1.0.0",
    line: 7,
    summary: "Malicious code in reqeusts (PyPI)",
    fixedIn: null,
    url: null,
  });
  const mixed = sampleFinding({
    kind: "mixed-hashes",
    id: "PC-MIXED-HASHES",
    aliases: [],
    severity: "low",
    score: null,
    package: "",
    version: null,
    specifier: "",
    line: null,
    summary: "only some requirements carry --hash",
    fixedIn: null,
    url: null,
  });
  const ignoredFinding = sampleFinding({
    id: "GHSA-ign0-0000-0000",
    aliases: [],
    package: "pyyaml",
    version: "5.3",
  });
  const findings = [requests, mixed, lxml, mal];
  return {
    findings,
    ignored: [{ finding: ignoredFinding, reason: "we only load trusted YAML", until: "2027-01-31" }],
    staleIgnores: [{ id: "GHSA-old0-0000-0000", reason: "fixed long ago" }],
    skipped: [{ check: "lock-unhashed", reason: "no lock file found" }],
    errors: [{ file: "requirements-dev.txt", line: 4, column: 9, message: "expected a version after '=='" }],
    dependencies: [
      dep("requests", "2.31.0"),
      dep("lxml", "4.9.1"),
      dep("reqeusts", "1.0.0"),
      dep("pyyaml", "5.3"),
    ],
    failing: [lxml, mal],
    failOn: "high",
    fixes: {
      requests: { version: "2.32.0", allowedBySpecifier: false },
      lxml: { version: "4.9.2", allowedBySpecifier: true },
      reqeusts: { version: null, allowedBySpecifier: null },
    },
    database: {
      path: "/home/u/.cache/pycustoms/osv.sqlite",
      lastUpdate: "2026-01-01T00:00:00Z",
      stale: true,
    },
    tool: { name: "pycustoms", version: "0.1.0" },
    ...over,
  };
}
