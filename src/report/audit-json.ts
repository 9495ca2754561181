import type { InputError } from "../inventory/types.js";
import {
  type AuditResult,
  compareFindings,
  findingKey,
  sortedFindings,
  summarizeAudit,
} from "./audit-result.js";
import { findingJson } from "./finding-format.js";
import { type JsonTextOptions, jsonText } from "./json-text.js";

export const AUDIT_SCHEMA = "pycustoms.audit/1";

/** The document as a value (snake_case keys, fields in a fixed order, arrays sorted). */
export function auditJsonDocument(result: AuditResult): Record<string, unknown> {
  const failing = new Set(result.failing.map(findingKey));
  const s = summarizeAudit(result);
  return {
    schema: AUDIT_SCHEMA,
    tool: { name: result.tool.name, version: result.tool.version },
    findings: sortedFindings(result.findings).map((f) => findingJson(f, failing.has(findingKey(f)))),
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

export function formatAuditJson(result: AuditResult, options: JsonTextOptions = {}): string {
  return jsonText(auditJsonDocument(result), options);
}

function errorJson(e: InputError): Record<string, unknown> {
  const out: Record<string, unknown> = { file: e.file, line: e.line ?? null };
  if (e.column !== undefined) out.column = e.column;
  out.message = e.message;
  return out;
}
