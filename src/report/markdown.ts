// The audit as a pull-request comment: a verdict headline, one findings table, details folded away.
import { specifierAllows } from "../advisories/match.js";
import type { Finding } from "../checks/types.js";
import {
  type AuditResult,
  compareFindings,
  findingKey,
  plural,
  skippedByReason,
  summarizeAudit,
} from "./audit-result.js";

export function formatAuditMarkdown(result: AuditResult): string {
  const s = summarizeAudit(result);
  const out: string[] = [];
  const failing = new Set(result.failing.map(findingKey));

  if (s.verdict === "fail") {
    out.push(`### ❌ ${plural(s.failing, "finding")} ${s.failing === 1 ? "fails" : "fail"} the policy`);
  } else if (s.findings > 0) {
    out.push(`### ✅ No findings at or above ${result.failOn}`);
  } else {
    out.push("### ✅ No findings");
  }
  out.push("");
  const ignoredText = s.ignored > 0 ? `, ${s.ignored} ignored` : "";
  out.push(
    `${plural(s.dependencies, "dependency", "dependencies")} audited: ${plural(s.findings, "finding")} in ${plural(s.packagesWithFindings, "package")}${ignoredText} (fail-on: \`${result.failOn}\`).`,
  );

  const findings = [...result.findings].sort(compareFindings);
  if (findings.length > 0) {
    out.push("");
    out.push("| Package | Version | Finding | Severity | Fix | Fails |");
    out.push("|---|---|---|---|---|---|");
    for (const f of findings) {
      const id = f.url ? `[${cell(f.id)}](${linkTarget(f.url)})` : cell(f.id);
      out.push(
        `| ${cell(f.package || f.file)} | ${cell(f.version ?? (f.specifier || "—"))} | ${id} | ${f.severity} | ${cell(fixFor(result, f))} | ${failing.has(findingKey(f)) ? "❌" : ""} |`,
      );
    }
    out.push("");
    out.push("<details><summary>Finding details</summary>");
    out.push("");
    for (const f of findings) {
      const aliases = f.aliases.length > 0 ? ` (${f.aliases.map(html).join(", ")})` : "";
      const where = f.line !== null ? `${f.file}:${f.line}` : f.file;
      out.push(`- **${html(f.id)}**${aliases} — ${html(f.package || f.file)}: ${html(oneLine(f.summary))}`);
      out.push(`  <br>declared in <code>${html(where)}</code>`);
      const expired = f.evidence?.expiredIgnore as { until?: string; reason?: string } | undefined;
      if (expired?.until)
        out.push(`  <br>⚠️ ignore expired on ${html(expired.until)}: ${html(expired.reason ?? "")}`);
    }
    out.push("");
    out.push("</details>");
  }

  if (result.ignored.length > 0) {
    out.push("");
    out.push(`<details><summary>${plural(result.ignored.length, "finding")} ignored by policy</summary>`);
    out.push("");
    for (const i of result.ignored) {
      const until = i.until ? ` (until ${html(i.until)})` : "";
      out.push(
        `- **${html(i.finding.id)}** in ${html(i.finding.package || i.finding.file)}: ${html(i.reason)}${until}`,
      );
    }
    out.push("");
    out.push("</details>");
  }
  if (result.staleIgnores.length > 0) {
    out.push("");
    out.push("**Stale ignores** (they match no finding; remove them):");
    for (const i of result.staleIgnores) out.push(`- ${html(i.id)}: ${html(i.reason)}`);
  }
  if (result.skipped.length > 0) {
    out.push("");
    out.push("**Skipped checks:**");
    for (const k of skippedByReason(result.skipped))
      out.push(`- ${html(k.checks.join(", "))}: ${html(k.reason)}`);
  }
  if (result.errors.length > 0) {
    out.push("");
    out.push("**Errors:**");
    for (const e of result.errors) {
      const where = e.line !== undefined ? `${e.file}:${e.line}` : e.file;
      out.push(`- <code>${html(where)}</code>: ${html(e.message)}`);
    }
  }
  if (result.database.stale) {
    out.push("");
    out.push(
      `> ⚠️ The advisory database is stale (last updated: ${html(result.database.lastUpdate ?? "never")}).`,
    );
  }
  out.push("");
  out.push(`<sub>${html(result.tool.name)} ${html(result.tool.version)}</sub>`);
  return `${out.join("\n")}\n`;
}

function fixFor(result: AuditResult, f: Finding): string {
  if (f.kind === "malicious") return "remove it (malicious)";
  const fix = f.package !== "" ? result.fixes[f.package] : undefined;
  const version = fix?.version ?? f.fixedIn;
  if (!version) return "—";
  if (specifierAllows(f.specifier, version) === false)
    return `${version} (not allowed by ${f.specifier || "your specifier"})`;
  return version;
}

/** A table cell: one line, with pipes, backticks and HTML escaped. */
export function cell(text: string): string {
  return html(oneLine(text));
}

/** Text for markdown prose, tables or inline HTML: backslash escapes for markup characters, entities for tags. */
function html(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([`*_|[\]])/g, "\\$1");
}

function linkTarget(url: string): string {
  return url.replace(/[()\s<>]/g, (c) => encodeURIComponent(c));
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
