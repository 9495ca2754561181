import { describeCounts, plural, type SeverityCounts } from "./audit-result.js";
import { findingLines, INDENT, oneLine, paintSeverity, SEVERITY_WIDTH, truncate } from "./finding-format.js";
import type { AdvisoryRow, InspectCard, ReleaseRow } from "./inspect-card.js";
import { ageInDays } from "./inspect-json.js";
import { pad, type Style, style } from "./style.js";

export interface InspectTableOptions {
  color: boolean;
  /** Terminal width: longer lines are cut to it. Unset: no cutting. */
  width?: number;
}

const LABEL_WIDTH = 14;

export function formatInspectTable(card: InspectCard, opts: InspectTableOptions): string {
  const st = style(opts.color);
  const out: string[] = [];
  const fit = (s: string): string => truncate(s, opts.width);
  const field = (label: string, value: string) =>
    out.push(fit(`${INDENT}${pad(label, LABEL_WIDTH)}${value}`));

  const latest =
    card.latestVersion && card.latestVersion !== card.inspectedVersion
      ? `  (latest: ${card.latestVersion})`
      : card.latestVersion
        ? "  (latest)"
        : "";
  out.push(fit(`${st.bold(card.name)} ${card.inspectedVersion ?? "(no release)"}${latest}`));
  field("index", card.index);
  field("status", statusText(card, st));
  if (card.ownership) {
    field("owners", card.ownership.owners.join(", ") || "(none listed)");
    field("maintainers", card.ownership.maintainers.join(", ") || "(none)");
    field("organisation", card.ownership.organization ?? "(none)");
  } else {
    field("owners", st.dim("unknown: the index gives no ownership data"));
  }
  if (card.popularRank !== null) field("popularity", `rank ${card.popularRank} among popular projects`);
  out.push("");

  const count =
    card.releases.length >= card.releaseCount
      ? `${card.releaseCount}`
      : `${card.releases.length} of ${card.releaseCount}`;
  if (card.releases.length === 0) {
    out.push(st.bold("Releases"));
    out.push(`${INDENT}${st.dim("none: the index serves no files for this project")}`);
  } else {
    out.push(st.bold(`Releases (${count}, newest first)`));
    out.push(...releaseTable(card, st).map(fit));
  }
  out.push("");

  if (card.inspectedVersion !== null) {
    out.push(st.bold(`Advisories affecting ${card.inspectedVersion}`));
    out.push(...advisoryLines(card.advisories.inspected, st).map(fit));
    out.push("");
  }
  if (card.latestVersion !== null && card.latestVersion !== card.inspectedVersion) {
    out.push(st.bold(`Advisories affecting the latest release, ${card.latestVersion}`));
    out.push(...advisoryLines(card.advisories.latest, st).map(fit));
    out.push("");
  }

  if (card.typosquat) {
    out.push(st.bold("Typosquat suspicion"));
    out.push(fit(`${INDENT}${st.red(card.typosquat.summary)}`));
    out.push("");
  }

  out.push(st.bold("Findings"));
  if (card.findings.length === 0) out.push(`${INDENT}none`);
  for (const f of card.findings) out.push(...findingLines(f, st).map(fit));
  out.push("");

  if (card.skipped.length > 0) {
    out.push(st.bold("Checks that could not run"));
    for (const s of card.skipped) out.push(fit(`${INDENT}${s.check}: ${s.reason}`));
    out.push("");
  }
  if (card.ignored.length > 0) {
    out.push(fit(`${plural(card.ignored.length, "finding")} ignored by policy.`));
    out.push("");
  }

  out.push(fit(summaryLine(card)));
  if (card.failing.length > 0) {
    const verdict = `FAIL: ${plural(card.failing.length, "finding")} at or above ${card.failOn} or malicious`;
    out.push(fit(st.red(st.bold(verdict))));
  }
  // Every line, headings included, is cut to the terminal (cutting is idempotent: already-cut lines pass).
  return `${out.map(fit).join("\n")}\n`;
}

function statusText(card: InspectCard, st: Style): string {
  if (!card.status.published)
    return `${card.status.status} ${st.dim("(the index publishes no PEP 792 status)")}`;
  const reason = card.status.reason ? ` (reason: ${card.status.reason})` : "";
  const text = `${card.status.status}${reason}`;
  switch (card.status.status) {
    case "active":
      return st.green(text);
    case "quarantined":
      return st.bold(st.red(text));
    case "archived":
      return st.red(text);
    default:
      return st.yellow(text);
  }
}

function releaseTable(card: InspectCard, st: Style): string[] {
  const header = ["VERSION", "UPLOADED", "AGE", "FILES", "SIZE", "PROVENANCE"];
  const rows = card.releases.map((r) => [
    `${r.version}${r.inspected ? " *" : ""}`,
    r.uploadTime ? r.uploadTime.slice(0, 16).replace("T", " ") : "unknown",
    describeAge(ageInDays(r.uploadTime, card.generatedAt), r.uploadTime, card.generatedAt),
    String(r.files),
    r.size === null ? "unknown" : formatSize(r.size),
    provenanceText(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `${INDENT}${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2))).join("")}`.trimEnd();
  const out = [st.dim(line(header))];
  const notesIndent = `${INDENT}${" ".repeat(widths[0]! + 2)}`;
  card.releases.forEach((r, i) => {
    const text = line(rows[i]!);
    out.push(r.yanked ? st.yellow(text) : text);
    for (const note of releaseNotes(r)) out.push(`${notesIndent}${st.dim(note)}`);
  });
  if (card.releases.some((r) => r.inspected)) out.push(st.dim(`${INDENT}* the inspected release`));
  return out;
}

function releaseNotes(r: ReleaseRow): string[] {
  const notes: string[] = [];
  if (r.yanked) notes.push(`yanked${r.yankedReason ? `: ${r.yankedReason}` : " (no reason given)"}`);
  if (r.latest) notes.push("latest release");
  if (r.prerelease) notes.push("pre-release");
  for (const f of r.provenance?.files ?? []) {
    if (f.status === "verified" && f.publisher) notes.push(`${f.filename}: published by ${f.publisher}`);
    else if (f.status === "invalid" || f.status === "unverifiable") {
      notes.push(`${f.filename}: ${f.status}: ${f.message ?? "no reason given"}`);
    }
  }
  return notes;
}

function provenanceText(r: ReleaseRow): string {
  if (r.provenance === null) return "not checked";
  if (r.provenance.status === "verified") {
    const who = r.provenance.verifiedPublishers;
    return `verified${who.length === 1 ? ` (${who[0]})` : ""}`;
  }
  return r.provenance.status;
}

function describeAge(days: number | null, uploadTime: string | null, generatedAt: string): string {
  if (days === null) return "unknown";
  if (days < 2) {
    const hours = Math.floor((Date.parse(generatedAt) - Date.parse(uploadTime ?? "")) / 3_600_000);
    return Number.isFinite(hours) ? `${Math.max(0, hours)}h` : `${days}d`;
  }
  if (days < 90) return `${days}d`;
  if (days < 730) return `${Math.round(days / 30.44)}mo`;
  return `${Math.floor(days / 365.25)}y`;
}

/** Decimal units, as PyPI shows file sizes. */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = "B";
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

function advisoryLines(rows: AdvisoryRow[] | null, st: Style): string[] {
  if (rows === null) return [`${INDENT}${st.dim("unknown: no advisory database")}`];
  if (rows.length === 0) return [`${INDENT}none known`];
  const indent = " ".repeat(INDENT.length + SEVERITY_WIDTH);
  return rows.flatMap((a) => {
    const ids = a.aliases.length > 0 ? `${a.id} (${a.aliases.join(", ")})` : a.id;
    const lines = [`${INDENT}${paintSeverity(a.severity, st)}${ids}`];
    if (a.summary) lines.push(`${indent}${oneLine(a.summary)}`);
    lines.push(`${indent}${a.fixedIn ? `fixed in ${a.fixedIn}` : "no fixed version known"}`);
    return lines;
  });
}

function summaryLine(card: InspectCard): string {
  const counts: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of card.findings) counts[f.severity] += 1;
  const ignored = card.ignored.length > 0 ? `, ${card.ignored.length} ignored` : "";
  const skipped = card.skipped.length > 0 ? `; ${plural(card.skipped.length, "check")} could not run` : "";
  if (card.findings.length === 0) return `No findings${ignored}${skipped}`;
  return `${plural(card.findings.length, "finding")} (${describeCounts(counts)})${ignored}${skipped}`;
}
