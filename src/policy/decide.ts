// The policy decision: which findings count, which are ignored (and why), which fail the run.
import { type Finding, type Severity, severityRank } from "../checks/types.js";
import { normalizeName } from "../standards/names.js";
import type { Config, IgnoreRule } from "./config.js";

export interface IgnoredFinding {
  finding: Finding;
  ignore: IgnoreRule;
}

export interface PolicyOutcome {
  /** Findings that still count (including those whose ignore has expired). */
  active: Finding[];
  /** Findings suppressed by a valid ignore rule, with the rule. */
  ignored: IgnoredFinding[];
  /** Findings an ignore rule would have suppressed but for its `until` date (they are in `active`). */
  expiredIgnores: IgnoredFinding[];
  /** Rules that matched no finding of an enabled check: candidates for removal. */
  staleIgnores: IgnoreRule[];
  /** Active findings that fail the run: at or above `fail-on`, plus every malicious finding. */
  failing: Finding[];
  exitCode: 0 | 1;
}

export interface PolicyOptions {
  now: Date;
  /** Ids given with `--ignore` on the command line: no reason, no expiry, every package. */
  cliIgnores: string[];
}

/** `evidence.expiredIgnore` on a finding whose ignore rule has expired. */
export interface ExpiredIgnoreNote {
  until: string;
  reason: string;
  note: string;
}

export function applyPolicy(findings: Finding[], config: Config, opts: PolicyOptions): PolicyOutcome {
  const today = opts.now.toISOString().slice(0, 10);
  const rules: IgnoreRule[] = [
    ...config.ignore,
    ...opts.cliIgnores.map((id) => ({
      id,
      reason: "--ignore on the command line",
      until: null,
      package: null,
      origin: { file: "command line", line: null },
    })),
  ];
  const used = new Set<IgnoreRule>();
  const active: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  const expiredIgnores: IgnoredFinding[] = [];

  for (const finding of findings) {
    // A finding of a check the config switched off is dropped; a kind unknown to the config is kept.
    if ((config.checks as Record<string, boolean | undefined>)[finding.kind] === false) continue;
    const matching = rules.filter((rule) => ruleMatches(rule, finding));
    for (const rule of matching) used.add(rule);
    // `until` is inclusive: a rule until 2026-01-31 still holds on that day (UTC).
    const valid = matching.find((rule) => rule.until === null || rule.until >= today);
    if (valid) {
      ignored.push({ finding, ignore: valid });
      continue;
    }
    const expired = matching[0];
    if (expired?.until) {
      const note: ExpiredIgnoreNote = {
        until: expired.until,
        reason: expired.reason,
        note: `ignore expired on ${expired.until}`,
      };
      const flagged: Finding = { ...finding, evidence: { ...finding.evidence, expiredIgnore: note } };
      expiredIgnores.push({ finding: flagged, ignore: expired });
      active.push(flagged);
    } else {
      active.push(finding);
    }
  }

  const failing = active.filter((f) => failsPolicy(f, config.failOn));
  return {
    active,
    ignored,
    expiredIgnores,
    staleIgnores: rules.filter((rule) => !used.has(rule)),
    failing,
    exitCode: failing.length > 0 ? 1 : 0,
  };
}

/** Malicious findings fail whatever `fail-on` says; others fail at or above it. */
export function failsPolicy(finding: Finding, failOn: Severity): boolean {
  return finding.kind === "malicious" || severityRank(finding.severity) >= severityRank(failOn);
}

function ruleMatches(rule: IgnoreRule, finding: Finding): boolean {
  if (rule.package !== null && normalizeName(finding.package) !== normalizeName(rule.package)) return false;
  // Advisory ids are compared case-insensitively: GHSA ids are written both ways in the wild.
  const id = rule.id.toLowerCase();
  return finding.id.toLowerCase() === id || finding.aliases.some((a) => a.toLowerCase() === id);
}
