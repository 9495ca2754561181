// The audit as stable machine-readable JSON (`pycustoms.audit/1`, documented in docs/schemas/audit.md).
import type { Finding } from "../checks/types.js";
import type { InputError } from "../inventory/types.js";
import { type AuditResult, compareFindings, findingKey, summarizeAudit } from "./audit-result.js";

export const AUDIT_SCHEMA = "pycustoms.audit/1";

/** The document as a value (snake_case keys, fields in a fixed order, arrays sorted). */
export function auditJsonDocument(result: AuditResult): Record<string, unknown> {
  const failing = new Set(result.failing.map(findingKey));
  const s = summarizeAudit(result);
  return {
    schema: AUDIT_SCHEMA,
    tool: { name: result.tool.name, version: result.tool.version },
    findings: [...result.findings]
      .sort(compareFindings)
      .map((f) => findingJson(f, failing.has(findingKey(f)))),
    ignored: [...result.ignored]
      .sort((a, b) => compareFindings(a.finding, b.finding))
      .map((i) => ({ reason: i.reason, until: i.until, finding: findingJson(i.finding, false) })),
    stale_ignores: result.staleIgnores.map((i) => ({ id: i.id, reason: i.reason })),
    skipped: result.skipped.map((x) => ({ check: x.check, reason: x.reason })),
    errors: result.errors.map(errorJson),
    fixes: Object.fromEntries(
      Object.keys(result.fixes)
        .sort()
        .map((name) => {
          const fix = result.fixes[name]!;
          return [name, { version: fix.version, allowed_by_specifier: fix.allowedBySpecifier }];
        }),
    ),
    database: {
      path: result.database.path,
      last_update: result.database.lastUpdate,
      stale: result.database.stale,
    },
    summary: {
      verdict: s.verdict,
      fail_on: result.failOn,
      dependencies: s.dependencies,
      packages_with_findings: s.packagesWithFindings,
      findings: s.findings,
      by_severity: {
        critical: s.bySeverity.critical,
        high: s.bySeverity.high,
        medium: s.bySeverity.medium,
        low: s.bySeverity.low,
        info: s.bySeverity.info,
      },
      failing: s.failing,
      ignored: s.ignored,
      stale_ignores: s.staleIgnores,
      errors: s.errors,
    },
  };
}

export function formatAuditJson(result: AuditResult): string {
  return `${JSON.stringify(auditJsonDocument(result), null, 2)}\n`;
}

function findingJson(f: Finding, fails: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: f.id,
    aliases: [...f.aliases],
    kind: f.kind,
    severity: f.severity,
    score: f.score,
    package: f.package,
    version: f.version,
    specifier: f.specifier,
    file: f.file,
    line: f.line,
    summary: f.summary,
    fixed_in: f.fixedIn,
    url: f.url,
    fails_policy: fails,
  };
  if (f.evidence !== undefined) out.evidence = snakeKeys(f.evidence);
  return out;
}

function errorJson(e: InputError): Record<string, unknown> {
  const out: Record<string, unknown> = { file: e.file, line: e.line ?? null };
  if (e.column !== undefined) out.column = e.column;
  out.message = e.message;
  return out;
}

/** camelCase identifier keys become snake_case; other keys (data such as digests) are left as they are. */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      /^[a-z][a-zA-Z0-9]*$/.test(k) ? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : k,
      snakeKeys(v),
    ]),
  );
}
