// The audit as text for people: findings grouped by package with the fix, then what was skipped or ignored.
import { specifierAllows } from "../advisories/match.js";
import {
  type AuditResult,
  describeCounts,
  groupByPackage,
  plural,
  skippedByReason,
  summarizeAudit,
} from "./audit-result.js";
import { findingLines, INDENT, truncate } from "./finding-format.js";
import { formatError } from "./inventory-table.js";
import { style } from "./style.js";

export interface AuditTableOptions {
  /** ANSI colour: the CLI decides (TTY, NO_COLOR, --color). */
  color: boolean;
  /** Terminal width: long summaries are cut to it. Unset: no cutting. */
  width?: number;
}

export function formatAuditTable(result: AuditResult, opts: AuditTableOptions): string {
  const st = style(opts.color);
  const out: string[] = [];
  const fit = (s: string): string => truncate(s, opts.width);

  for (const group of groupByPackage(result.findings)) {
    const first = group.findings[0]!;
    const where = first.line !== null ? `${first.file}:${first.line}` : first.file;
    const title =
      group.package !== ""
        ? `${st.bold(group.package)} ${group.version ?? first.specifier ?? ""}`.trimEnd()
        : st.bold(group.file ?? "");
    out.push(fit(group.package !== "" ? `${title}  ${st.dim(where)}` : title));
    for (const f of group.findings) out.push(...findingLines(f, st, fit));
    const fix = group.package !== "" ? result.fixes[group.package] : undefined;
    if (group.findings.some((f) => f.kind === "malicious")) {
      out.push(fit(`${INDENT}${st.red("fix:")} remove ${group.package}: it is reported as malicious`));
    } else if (fix) {
      const allowed = fix.version === null ? null : specifierAllows(first.specifier, fix.version);
      out.push(
        fit(
          `${INDENT}${st.green("fix:")} ${fixText({ ...fix, allowedBySpecifier: allowed }, first.specifier)}`,
        ),
      );
    }
    out.push("");
  }

  if (result.skipped.length > 0) {
    out.push(fit(st.bold("Skipped checks:")));
    for (const s of skippedByReason(result.skipped))
      out.push(fit(`${INDENT}${s.checks.join(", ")}: ${s.reason}`));
    out.push("");
  }
  if (result.staleIgnores.length > 0) {
    out.push(fit(st.bold("Stale ignores (they match no finding; remove them):")));
    for (const s of result.staleIgnores) out.push(fit(`${INDENT}${s.id}: ${s.reason}`));
    out.push("");
  }
  if (result.ignored.length > 0) {
    out.push(fit(`${plural(result.ignored.length, "finding")} ignored by policy.`));
    out.push("");
  }
  if (result.errors.length > 0) {
    out.push(st.bold(st.red("Errors:")));
    for (const e of result.errors) out.push(fit(`${INDENT}${formatError(e)}`));
    out.push("");
  }
  if (result.database.stale) {
    const when = result.database.lastUpdate ?? "never";
    out.push(fit(st.yellow(`warning: the advisory database is stale (last updated: ${when}); update it.`)));
    out.push("");
  }

  out.push(fit(summaryLine(result)));
  const summary = summarizeAudit(result);
  if (summary.verdict === "fail") {
    const verdict = `FAIL: ${plural(summary.failing, "finding")} at or above ${result.failOn} or malicious`;
    out.push(fit(st.red(st.bold(verdict))));
  }
  return `${out.join("\n")}\n`;
}

function fixText(
  fix: { version: string | null; allowedBySpecifier: boolean | null },
  specifier: string,
): string {
  if (fix.version === null) return "no fixed version is known";
  const upgrade = `upgrade to ${fix.version}`;
  if (fix.allowedBySpecifier === null) return upgrade;
  if (fix.allowedBySpecifier) {
    return specifier
      ? `${upgrade} (allowed by your specifier ${specifier})`
      : `${upgrade} (no specifier holds it back)`;
  }
  return `${upgrade} (NOT allowed by your specifier ${specifier})`;
}

/** "3 packages with 5 findings (1 critical, 2 high, 2 medium), 2 ignored; 180 dependencies audited". */
export function summaryLine(result: AuditResult): string {
  const s = summarizeAudit(result);
  const audited = `${plural(s.dependencies, "dependency", "dependencies")} audited`;
  const ignored = s.ignored > 0 ? `, ${s.ignored} ignored` : "";
  if (s.findings === 0) return `No findings${ignored}; ${audited}`;
  return `${plural(s.packagesWithFindings, "package")} with ${plural(s.findings, "finding")} (${describeCounts(s.bySeverity)})${ignored}; ${audited}`;
}
