// How one finding is written, the same in every report: its JSON shape and its lines in a table.
import type { Finding, Severity } from "../checks/types.js";
import type { Style } from "./style.js";

export const INDENT = "  ";
export const SEVERITY_WIDTH = 9;

/** A finding in the shape of `pycustoms.audit/1` (inspect uses the same, so one consumer reads both). */
export function findingJson(f: Finding, fails: boolean): Record<string, unknown> {
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

/** camelCase identifier keys become snake_case; other keys (data such as digests) are left as they are. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      /^[a-z][a-zA-Z0-9]*$/.test(k) ? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : k,
      snakeKeys(v),
    ]),
  );
}

/** A finding's lines in a table: severity and ids, then summary, fix and an expired ignore. */
export function findingLines(f: Finding, st: Style, fit: (s: string) => string = (s) => s): string[] {
  const pad = " ".repeat(INDENT.length + SEVERITY_WIDTH);
  const ids = f.aliases.length > 0 ? `${f.id} (${f.aliases.join(", ")})` : f.id;
  const lines = [fit(`${INDENT}${paintSeverity(f.severity, st)}${ids}`)];
  if (f.summary) lines.push(fit(`${pad}${oneLine(f.summary)}`));
  if (f.fixedIn) lines.push(fit(`${pad}fixed in ${f.fixedIn}`));
  const expired = f.evidence?.expiredIgnore as { until?: string; reason?: string } | undefined;
  if (expired?.until) {
    lines.push(fit(`${pad}${st.yellow(`ignore expired on ${expired.until}`)} (${expired.reason ?? ""})`));
  }
  return lines;
}

export function paintSeverity(severity: Severity, st: Style): string {
  const label = severity.toUpperCase().padEnd(SEVERITY_WIDTH);
  switch (severity) {
    case "critical":
      return st.bold(st.red(label));
    case "high":
      return st.red(label);
    case "medium":
      return st.yellow(label);
    case "low":
      return st.cyan(label);
    case "info":
      return st.dim(label);
  }
}

export function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Cuts a line to `width` visible characters; a cut line loses its colour rather than leaking an open escape. */
export function truncate(line: string, width: number | undefined): string {
  if (width === undefined || width < 10) return line;
  const visible = line.replace(/\u001b\[[0-9;]*m/g, "");
  if (visible.length <= width) return line;
  return `${visible.slice(0, width - 1)}…`;
}
