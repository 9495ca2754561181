// The audit as SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).
import { createHash } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { type Finding, type Severity, severityRank } from "../checks/types.js";
import { type AuditResult, compareFindings } from "./audit-result.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI = "https://github.com/pycustoms/pycustoms";
const SRCROOT = "%SRCROOT%";

/** GitHub's `security-severity` scale where a finding has no CVSS score. */
const SEVERITY_SCORE: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

type SarifLevel = "error" | "warning" | "note";

export function sarifLevel(severity: Severity): SarifLevel {
  if (severity === "critical" || severity === "high") return "error";
  if (severity === "medium") return "warning";
  return "note";
}

export interface SarifOptions {
  /** The repository root: manifest paths are made relative to it (and it becomes `%SRCROOT%`). */
  repoRoot?: string;
}

export function formatSarif(result: AuditResult, opts: SarifOptions = {}): string {
  return `${JSON.stringify(sarifLog(result, opts), null, 2)}\n`;
}

/** The SARIF log as a value. Ignored findings are included as results carrying an external suppression. */
export function sarifLog(result: AuditResult, opts: SarifOptions = {}): Record<string, unknown> {
  const active = [...result.findings].sort(compareFindings);
  const suppressed = [...result.ignored].sort((a, b) => compareFindings(a.finding, b.finding));
  const all = [...active, ...suppressed.map((i) => i.finding)];

  const ruleIndex = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  for (const id of [...new Set(all.map((f) => f.id))]) {
    const same = all.filter((f) => f.id === id);
    ruleIndex.set(id, rules.length);
    rules.push(ruleFor(same));
  }

  const results = [
    ...active.map((f) => resultFor(f, ruleIndex.get(f.id)!, opts, null)),
    ...suppressed.map((i) => resultFor(i.finding, ruleIndex.get(i.finding.id)!, opts, i)),
  ];

  const run: Record<string, unknown> = {
    tool: {
      driver: {
        name: "pycustoms",
        version: result.tool.version,
        semanticVersion: result.tool.version,
        informationUri: INFORMATION_URI,
        rules,
      },
    },
    invocations: [
      {
        executionSuccessful: result.errors.length === 0,
        toolExecutionNotifications: [
          ...result.errors.map((e) => ({
            level: "error",
            message: {
              text: e.line !== undefined ? `${e.file}:${e.line}: ${e.message}` : `${e.file}: ${e.message}`,
            },
          })),
          ...result.skipped.map((s) => ({
            level: "note",
            message: { text: `check ${s.check} skipped: ${s.reason}` },
          })),
        ],
      },
    ],
    results,
  };
  if (opts.repoRoot !== undefined) {
    const base = pathToFileURL(opts.repoRoot).href;
    run.originalUriBaseIds = { [SRCROOT]: { uri: base.endsWith("/") ? base : `${base}/` } };
  }
  return { $schema: SARIF_SCHEMA_URI, version: "2.1.0", runs: [run] };
}

function ruleFor(findings: Finding[]): Record<string, unknown> {
  const first = findings[0]!;
  const worst = findings.reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
  const scores = findings.map((f) => f.score).filter((s): s is number => s !== null);
  const score = scores.length > 0 ? Math.max(...scores).toFixed(1) : SEVERITY_SCORE[worst.severity];
  const description = first.summary || `${first.kind} finding ${first.id}`;
  const rule: Record<string, unknown> = {
    id: first.id,
    shortDescription: { text: description },
    fullDescription: { text: description },
    defaultConfiguration: { level: sarifLevel(worst.severity) },
    properties: {
      "security-severity": score,
      tags: ["security", "supply-chain", first.kind],
      ...(first.aliases.length > 0 ? { aliases: [...first.aliases] } : {}),
    },
  };
  const help = helpUri(first);
  if (help) rule.helpUri = help;
  return rule;
}

function helpUri(f: Finding): string | null {
  if (f.url) {
    try {
      return new URL(f.url).href;
    } catch {
      // Not a URL: leave the rule without a help link rather than emit an invalid one.
    }
  }
  if (/^(GHSA|PYSEC|MAL|CVE|OSV)-/i.test(f.id))
    return `https://osv.dev/vulnerability/${encodeURIComponent(f.id)}`;
  return null;
}

function resultFor(
  f: Finding,
  index: number,
  opts: SarifOptions,
  ignored: { reason: string; until: string | null } | null,
): Record<string, unknown> {
  const uri = artifactUri(f.file, opts.repoRoot);
  const what = f.package !== "" ? `${f.package}${f.version ? ` ${f.version}` : ""}: ` : "";
  const fix = f.fixedIn ? ` (fixed in ${f.fixedIn})` : "";
  const out: Record<string, unknown> = {
    ruleId: f.id,
    ruleIndex: index,
    level: sarifLevel(f.severity),
    message: { text: `${what}${f.summary || f.id}${fix}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: uri.relative ? { uri: uri.uri, uriBaseId: SRCROOT } : { uri: uri.uri },
          region: { startLine: f.line !== null && f.line >= 1 ? f.line : 1 },
        },
      },
    ],
    partialFingerprints: { "pycustomsFinding/v1": fingerprint(f, uri.uri) },
    properties: {
      kind: f.kind,
      severity: f.severity,
      package: f.package,
      version: f.version,
      fixedIn: f.fixedIn,
    },
  };
  if (ignored) {
    out.suppressions = [
      {
        kind: "external",
        justification: ignored.until ? `${ignored.reason} (until ${ignored.until})` : ignored.reason,
      },
    ];
  }
  return out;
}

/** Stable across runs and line moves: the rule, the package and the manifest, nothing else. */
function fingerprint(f: Finding, uri: string): string {
  return createHash("sha256").update(`${f.id}\u0000${f.package}\u0000${uri}`).digest("hex").slice(0, 32);
}

/** The manifest path as a URI reference: relative to the repository root with forward slashes where possible. */
export function artifactUri(file: string, repoRoot?: string): { uri: string; relative: boolean } {
  let path = file;
  if (repoRoot !== undefined && isAbsolute(path)) {
    const rel = relative(repoRoot, path);
    if (!rel.startsWith("..") && !isAbsolute(rel)) path = rel;
  }
  path = path.replace(/\\/g, "/");
  if (isAbsolute(path) || /^[A-Za-z]:\//.test(path))
    return { uri: pathToFileURL(path).href, relative: false };
  path = path.replace(/^\.\//, "");
  return { uri: path.split("/").map(encodeURIComponent).join("/"), relative: true };
}
