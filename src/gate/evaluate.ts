// The gate's verdict on one upstream project: per release, serve, hide, block, hold (cooldown) or wait for
// approval (allowlist), from the same checks and the same policy (`fail-on`, `[checks]`, `[[ignore]]`) as `audit`.
//
// Decisions (every one but "allow" removes the release from the index page and refuses its files):
// - "block": refused whatever version a resolver picks — the project is malicious, quarantined upstream, a
//   typosquat, or an administrator denied access. Only an exception naming the exact finding id lifts a
//   malicious or typosquat block; nothing lifts a quarantine (the index itself serves no files then).
// - "hide": this release fails a check under the policy (a vulnerability at or above `fail-on`, a size anomaly,
//   a provenance regression); other releases stay, so resolvers pick an allowed one instead of failing.
// - "pending": allowlist mode and no approval covers the release.
// - "hold": younger than `min-release-age` (or of unknown age), and no cooldown exception covers it. A file added
//   to a release past the cooldown is held on its own while it is younger (`heldFiles`): the release's other files
//   stay served.
// Findings below `fail-on` are kept as notices and do not hide anything. Yanked releases are served with their
// PEP 592 marker (installers honour it themselves); an archived or deprecated project stays installable, flagged.
//
// Speed: checks that look at "the project" are given only the files they need (the release itself, or the
// release and the earlier ones up to its comparison point), so a project with thousands of releases is
// evaluated in one pass instead of thousands of whole-project scans.
import { createHash } from "node:crypto";
import type { Advisory } from "../advisories/types.js";
import { checkAdvisories } from "../checks/advisories.js";
import { checkProjectStatus } from "../checks/project-status.js";
import { checkReleaseAge } from "../checks/release-age.js";
import {
  DAY_MS,
  isPrerelease,
  localLabel,
  type Release,
  releasesOf,
  uploadTimeMs,
} from "../checks/releases.js";
import { checkSizeAnomaly } from "../checks/size-anomaly.js";
import type { Finding } from "../checks/types.js";
import { checkTyposquat, type PopularIndex } from "../checks/typosquat.js";
import { checkYanked } from "../checks/yanked.js";
import { makeDependency } from "../inventory/dependency.js";
import type { Dependency } from "../inventory/types.js";
import type { Config } from "../policy/config.js";
import { applyPolicy, failsPolicy } from "../policy/decide.js";
import { isInternalName } from "../registry/confusion.js";
import { normalizeName } from "../standards/names.js";
import { compare, satisfies, valid } from "../standards/pep440.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";

export type ServeMode = "open" | "allowlist";

export type VersionDecision = "allow" | "hide" | "block" | "hold" | "pending";

/**
 * The whole project in one word: every release served ("allow"), some ("partial"), none because each failed a
 * check or is held ("hidden"), none because the project is refused ("block"), or none approved yet ("pending").
 */
export type ProjectDecision = "allow" | "partial" | "hidden" | "block" | "pending";

/** An administrator's answer to an access request: approves or denies the releases a specifier admits. */
export interface AccessDecision {
  project: string;
  /** PEP 440 specifier; "" covers every release. */
  specifier: string;
  status: "approved" | "denied";
  decidedBy: string;
  /** ISO time; when decisions overlap, the latest one holds. */
  decidedAt: string;
  reason: string;
}

/**
 * A reviewed exception that lets releases through despite a finding. `kind` is "cooldown" (release age),
 * "any" (every finding but malicious ones), or a finding id or alias (GHSA-…, CVE-…, MAL-…, typosquat,
 * size-anomaly, PC-PROVENANCE-REGRESSION).
 */
export interface GateException {
  id?: number;
  project: string;
  specifier: string;
  kind: string;
  reason: string;
  /** ISO time after which the exception no longer holds; null never expires. */
  expiresAt: string | null;
  createdBy: string;
}

export interface VersionVerdict {
  decision: VersionDecision;
  /** The latest access decision covering this release ("unreviewed" when none). */
  access: "approved" | "denied" | "unreviewed";
  /** Short phrases, worst first, for the one-line refusal (`GHSA-…, CVSS 8.1`); empty when allowed. */
  reasons: string[];
  /** The active findings (after `[[ignore]]`) behind the decision, and the notices. */
  findings: Finding[];
  /** What is worth knowing about a served release: findings below `fail-on`, yanks, lifted findings. */
  notices: string[];
  /** Files of the release held back while the rest is served (a file added within the cooldown), with the reason. */
  heldFiles?: Record<string, string>;
}

export interface ProjectVerdict {
  project: string;
  /** What the upstream said (files, digests, yanks, status): see `upstreamFingerprint`. */
  fingerprint: string;
  /** What the verdict was computed against besides upstream (advisories, policy, approvals, exceptions). */
  inputs: string;
  mode: ServeMode;
  evaluatedAt: string;
  /** When a decision changes by itself (a cooldown ends, an exception expires); null: never. */
  validUntil: string | null;
  projectDecision: ProjectDecision;
  /** Why the project as a whole is blocked or pending; empty otherwise. */
  projectReasons: string[];
  /** Project-level flags for served projects: archived, deprecated, a typosquat below `fail-on`. */
  notices: string[];
  /** Project-level findings: status marker, typosquat, malicious. */
  findings: Finding[];
  /** Keyed by each version text the index uses (`1.0` and `1.0.0` both present when both are written). */
  versions: Map<string, VersionVerdict>;
}

export interface EvaluationContext {
  config: Config;
  /** The advisories naming this project. */
  advisories: readonly Advisory[];
  popular: PopularIndex | null;
  now: Date;
  approvals: readonly AccessDecision[];
  exceptions: readonly GateException[];
}

export const PENDING_REASON = "not approved for use (allowlist): an access request is recorded for review";

const RANK: Record<VersionDecision, number> = { allow: 0, hold: 1, pending: 2, hide: 3, block: 4 };

/** The upstream page's content that decisions depend on, hashed: equal pages give equal fingerprints. */
export function upstreamFingerprint(project: ProjectInfo): string {
  const files = project.files
    .map((f) => [
      f.filename,
      f.version,
      f.hashes.sha256 ?? Object.entries(f.hashes).sort().join(","),
      f.yanked,
      f.size,
      f.uploadTime,
      f.provenance !== null,
    ])
    .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  const content = JSON.stringify([
    project.name,
    project.status.status,
    project.status.reason,
    [...project.versions].sort(),
    project.capabilities,
    files,
  ]);
  return createHash("sha256").update(content).digest("hex");
}

/**
 * Changes whenever the evaluation itself changes what it decides, so that verdicts remembered by an older version
 * are computed again (2: files added to an old release within the cooldown are held; unknown ages are held).
 */
const EVALUATION_REVISION = 2;

/** The non-upstream inputs of a verdict, hashed: a new advisory, policy, approval or exception changes it. */
export function inputsFingerprint(ctx: EvaluationContext, project: string): string {
  const c = ctx.config;
  const content = JSON.stringify([
    EVALUATION_REVISION,
    ctx.advisories.map((a) => [a.id, a.modified, a.withdrawn]).sort(),
    c.failOn,
    c.checks,
    c.ignore.map((r) => [r.id, r.until, r.package]),
    c.serve.mode,
    c.upstream,
    ctx.popular?.names.size ?? 0,
    ctx.approvals
      .filter((a) => normalizeName(a.project) === project)
      .map((a) => [a.specifier, a.status, a.decidedAt, a.decidedBy, a.reason]),
    ctx.exceptions
      .filter((e) => normalizeName(e.project) === project && isLive(e, ctx.now))
      .map((e) => [e.specifier, e.kind, e.expiresAt, e.reason]),
  ]);
  return createHash("sha256").update(content).digest("hex");
}

function isLive(e: GateException, now: Date): boolean {
  return e.expiresAt === null || Date.parse(e.expiresAt) > now.getTime();
}

/** Whether a specifier covers a version: "" covers all; pre-releases count (an approval is not a resolver). */
export function specifierCovers(specifier: string, version: string): boolean {
  const spec = specifier.trim();
  if (spec === "") return true;
  if (spec.startsWith("===")) return spec.slice(3).trim().toLowerCase() === version.trim().toLowerCase();
  if (valid(version) === null) return false;
  try {
    return satisfies(version, spec, { prereleases: true });
  } catch {
    return false;
  }
}

/** One release: its version texts (equal by PEP 440) and files; versions listed without files have none. */
interface ReleaseGroup {
  /** Position in the PEP 440 ordering of releases with files, or -1 (legacy versions, versions without files). */
  order: number;
  texts: string[];
  version: string;
  files: ProjectFile[];
}

function releaseGroups(project: ProjectInfo): { groups: ReleaseGroup[]; ordered: Release[] } {
  const ordered = releasesOf(project);
  const groups: ReleaseGroup[] = ordered.map((r, order) => ({
    order,
    texts: [...new Set(r.files.map((f) => f.version as string))],
    version: r.version,
    files: r.files,
  }));
  const known = new Set(groups.flatMap((g) => g.texts));
  // Versions that are not PEP 440 (legacy `===` releases) only match their own text.
  const legacy = new Map<string, ReleaseGroup>();
  for (const f of project.files) {
    if (f.version === null || valid(f.version) !== null) continue;
    const key = f.version.trim().toLowerCase();
    const group = legacy.get(key) ?? { order: -1, texts: [], version: f.version, files: [] };
    if (!group.texts.includes(f.version)) group.texts.push(f.version);
    group.files.push(f);
    legacy.set(key, group);
    known.add(f.version);
  }
  groups.push(...legacy.values());
  for (const v of project.versions) {
    if (known.has(v)) continue;
    const same = groups.find(
      (g) => valid(v) !== null && valid(g.version) !== null && compare(g.version, v) === 0,
    );
    if (same) same.texts.push(v);
    else groups.push({ order: -1, texts: [v], version: v, files: [] });
    known.add(v);
  }
  return { groups, ordered };
}

function publicPart(version: string): string {
  const plus = version.indexOf("+");
  return plus === -1 ? version : version.slice(0, plus);
}

/**
 * The earlier releases the size check needs: walking back from the release, up to and including the first one
 * it would compare with (same local label, a pre-release only for a pre-release, with sized files).
 */
function sizeWindow(ordered: readonly Release[], index: number): ProjectFile[] {
  const current = ordered[index];
  if (current === undefined) return [];
  const pre = isPrerelease(current.version);
  const local = localLabel(current.version);
  const files: ProjectFile[] = [];
  for (let i = index - 1; i >= 0; i--) {
    const r = ordered[i] as Release;
    files.push(...r.files);
    if (
      compare(publicPart(r.version), publicPart(current.version)) < 0 &&
      localLabel(r.version) === local &&
      (pre || !isPrerelease(r.version)) &&
      r.files.some((f) => f.size !== null)
    )
      break;
  }
  return files;
}

function withFiles(project: ProjectInfo, files: ProjectFile[], versions: string[]): ProjectInfo {
  return { ...project, files, versions };
}

function versionDependency(project: ProjectInfo, version: string | null): Dependency {
  return makeDependency({
    rawName: project.name,
    // FormatId has no "index" member: a request through the gate is what a `name==version` line asks for.
    format: "requirements",
    file: `${project.index.replace(/\/+$/, "")}/${project.name}/`,
    line: null,
    lockedVersion: version,
    source: { kind: "index", url: project.index },
    direct: true,
  });
}

/** `GHSA-…, CVSS 8.1`: the advisory id and how bad it is, as pip shows it in the refusal. */
function vulnerabilityPhrase(f: Finding): string {
  return f.score !== null ? `${f.id}, CVSS ${f.score.toFixed(1)}` : `${f.id}, ${f.severity}`;
}

function phraseOf(f: Finding): string {
  const e = f.evidence ?? {};
  switch (f.kind) {
    case "vulnerability":
      return vulnerabilityPhrase(f);
    case "malicious":
      return `${f.id}, known malicious package`;
    case "typosquat":
      return `possible typosquat of "${String(e.target)}" (rank ${String(e.rank)})`;
    case "release-age":
      if (e.uploadTime === null) {
        return `upload time unknown: cannot be shown to be past the ${String(e.minReleaseAgeDays)}-day cooldown`;
      }
      return typeof e.file === "string"
        ? `${e.file} added ${String(e.ageHours)} hours ago, within the ${String(e.minReleaseAgeDays)}-day cooldown`
        : `released ${String(e.ageHours)} hours ago, within the ${String(e.minReleaseAgeDays)}-day cooldown`;
    case "size-anomaly":
      return `size anomaly: ${e.ratio === null ? "grew from an empty file" : `${String(e.ratio)}× the size`} of ${String(e.previousVersion)}`;
    case "provenance-regression":
      return "provenance regression: earlier releases were attested, this one is not";
    case "provenance":
      return `provenance does not verify (${f.id})`;
    default:
      return `${f.id}: ${f.summary}`.replace(/\s+/g, " ").slice(0, 120);
  }
}

function liftedBy(
  f: Finding,
  version: string,
  exceptions: readonly GateException[],
  now: Date,
): GateException | undefined {
  const ids = [f.id, ...f.aliases].map((i) => i.toLowerCase());
  return exceptions.find((ex) => {
    if (!isLive(ex, now) || !specifierCovers(ex.specifier, version)) return false;
    const kind = ex.kind.toLowerCase();
    if (ids.includes(kind)) return true;
    if (f.kind === "malicious") return false;
    if (kind === "any") return true;
    return kind === "cooldown" && f.kind === "release-age";
  });
}

function latestDecision(approvals: readonly AccessDecision[], version: string): AccessDecision | undefined {
  return approvals
    .filter((a) => specifierCovers(a.specifier, version))
    .reduce<AccessDecision | undefined>(
      (latest, a) => (latest === undefined || a.decidedAt >= latest.decidedAt ? a : latest),
      undefined,
    );
}

interface Outcome {
  decision: VersionDecision;
  reasons: { decision: VersionDecision; text: string }[];
  notices: string[];
  heldFiles: Record<string, string>;
}

function raise(o: Outcome, decision: VersionDecision, text: string): void {
  o.reasons.push({ decision, text });
  if (RANK[decision] > RANK[o.decision]) o.decision = decision;
}

/** The end of a held release's cooldown, from its finding's evidence, in epoch ms. */
function cooldownEndMs(f: Finding): number | null {
  const time = uploadTimeMs(typeof f.evidence?.uploadTime === "string" ? f.evidence.uploadTime : null);
  const days = f.evidence?.minReleaseAgeDays;
  return time === null || typeof days !== "number" ? null : time + days * DAY_MS;
}

/** Evaluates every release of an upstream project against the checks and the policy. Pure and synchronous. */
export function evaluateProject(project: ProjectInfo, ctx: EvaluationContext): ProjectVerdict {
  const { config, now } = ctx;
  const name = normalizeName(project.name);
  const mode: ServeMode = config.serve.mode === "allowlist" ? "allowlist" : "open";
  const policy = config.upstream;
  const exceptions = ctx.exceptions.filter((e) => normalizeName(e.project) === name);
  const approvals = ctx.approvals.filter((a) => normalizeName(a.project) === name);
  const wakeUps: number[] = [];

  // Project-level checks, once.
  const projectDep = versionDependency(project, null);
  const projectFindings: Finding[] = [...checkProjectStatus(projectDep, project).findings];
  if (ctx.popular) {
    const internal = isInternalName(name, {
      internalProjects: new Set(policy.internalNames),
      internalPrefixes: policy.internalPrefixes,
    });
    if (!internal) {
      projectFindings.push(...checkTyposquat([projectDep], ctx.popular, { allow: policy.typosquatAllow }));
    }
  }

  const { groups, ordered } = releaseGroups(project);
  const deps = groups.map((g) => versionDependency(project, g.version));
  const advisoryFindings = new Map<string | null, Finding[]>();
  for (const f of checkAdvisories(deps, new Map([[name, [...ctx.advisories]]]))) {
    advisoryFindings.set(f.version, [...(advisoryFindings.get(f.version) ?? []), f]);
  }

  // Per release: every check's findings, then the policy.
  const perRelease = groups.map((group, i) => {
    const dep = deps[i] as Dependency;
    const own = withFiles(project, group.files, group.texts);
    const found: Finding[] = [...(advisoryFindings.get(group.version) ?? [])];
    found.push(...checkYanked(dep, own).findings);
    found.push(
      ...checkReleaseAge(
        dep,
        own,
        {
          minReleaseAgeDays: policy.minReleaseAgeDays,
          exceptions: policy.releaseAgeExceptions,
          unknownCountsAsYoung: true,
          reportYoungFiles: true,
        },
        now,
      ).findings,
    );
    const earlier = group.order >= 0 ? sizeWindow(ordered, group.order) : [];
    found.push(
      ...checkSizeAnomaly(dep, withFiles(project, [...earlier, ...group.files], group.texts), {
        maxSizeRatio: policy.maxSizeRatio,
      }).findings,
    );
    const outcome = applyPolicy([...projectFindings, ...found], config, { now, cliIgnores: [] });
    return { group, active: outcome.active };
  });

  // A malicious release taints the project: its other releases come from the same hands.
  const malicious = new Map<string, Finding>();
  for (const { group, active } of perRelease) {
    for (const f of active) {
      if (f.kind === "malicious" && !liftedBy(f, group.version, exceptions, now)) malicious.set(f.id, f);
    }
  }

  const versions = new Map<string, VersionVerdict>();
  for (const { group, active } of perRelease) {
    const o: Outcome = { decision: "allow", reasons: [], notices: [], heldFiles: {} };
    const findings = [...active];
    for (const f of malicious.values()) {
      if (!findings.some((g) => g.kind === "malicious" && g.id === f.id)) findings.push(f);
    }
    for (const f of findings) decideFinding(f, group.version, o, exceptions, config, now, wakeUps);
    const access = latestDecision(approvals, group.version);
    if (access?.status === "denied") {
      raise(o, "block", `access denied by ${access.decidedBy}${access.reason ? `: ${access.reason}` : ""}`);
    } else if (mode === "allowlist" && access === undefined) {
      raise(o, "pending", PENDING_REASON);
    }
    const reasons = o.reasons
      .sort((a, b) => RANK[b.decision] - RANK[a.decision])
      .map((r) => r.text)
      .filter((t, i, all) => all.indexOf(t) === i);
    const verdict: VersionVerdict = {
      decision: o.decision,
      access: access === undefined ? "unreviewed" : access.status,
      reasons: o.decision === "allow" ? [] : reasons,
      findings,
      notices: [...new Set(o.notices)],
    };
    if (Object.keys(o.heldFiles).length > 0) verdict.heldFiles = o.heldFiles;
    for (const text of group.texts) versions.set(text, verdict);
  }

  for (const e of exceptions) {
    if (e.expiresAt !== null && isLive(e, now)) wakeUps.push(Date.parse(e.expiresAt));
  }
  const today = now.toISOString().slice(0, 10);
  for (const rule of config.ignore) {
    if (rule.until !== null && rule.until >= today)
      wakeUps.push(Date.parse(`${rule.until}T00:00:00Z`) + DAY_MS);
  }
  const future = wakeUps.filter((t) => Number.isFinite(t) && t > now.getTime());

  const notices: string[] = [];
  for (const f of projectFindings) {
    if (f.kind === "project-status" && f.evidence?.status !== "quarantined") notices.push(f.summary);
    if (f.kind === "typosquat" && !failsPolicy(f, config.failOn)) notices.push(f.summary);
  }
  const all = [...new Set(versions.values())];
  const served = all.filter((v) => v.decision === "allow").length;
  const approved =
    all.some((v) => v.access === "approved") || latestDecision(approvals, "")?.status === "approved";
  let projectDecision: ProjectDecision;
  if (served > 0) projectDecision = served === all.length ? "allow" : "partial";
  else if (all.length > 0 && all.every((v) => v.decision === "block")) projectDecision = "block";
  else if (mode === "allowlist" && !approved) projectDecision = "pending";
  else projectDecision = all.length === 0 ? "allow" : "hidden";
  // The reasons of the most refused release stand for the project.
  const worst = all.reduce<VersionVerdict | undefined>(
    (w, v) => (w === undefined || RANK[v.decision] > RANK[w.decision] ? v : w),
    undefined,
  );
  const projectReasons =
    projectDecision === "pending"
      ? [PENDING_REASON]
      : projectDecision === "allow" || projectDecision === "partial"
        ? []
        : (worst?.reasons ?? []);

  return {
    project: name,
    fingerprint: upstreamFingerprint(project),
    inputs: inputsFingerprint(ctx, name),
    mode,
    evaluatedAt: now.toISOString(),
    validUntil: future.length > 0 ? new Date(Math.min(...future)).toISOString() : null,
    projectDecision,
    projectReasons,
    notices,
    findings: [...projectFindings, ...malicious.values()],
    versions,
  };
}

function decideFinding(
  f: Finding,
  version: string,
  o: Outcome,
  exceptions: readonly GateException[],
  config: Config,
  now: Date,
  wakeUps: number[],
): void {
  if (f.kind === "yanked") {
    o.notices.push(f.summary);
    return;
  }
  if (f.kind === "project-status") {
    if (f.evidence?.status === "quarantined") {
      const reason = typeof f.evidence.reason === "string" ? ` (${f.evidence.reason})` : "";
      raise(o, "block", `project quarantined upstream${reason}`);
    }
    return;
  }
  const lifted = liftedBy(f, version, exceptions, now);
  if (lifted) {
    o.notices.push(`${phraseOf(f)}: allowed by an exception from ${lifted.createdBy} (${lifted.reason})`);
    return;
  }
  if (f.kind === "release-age") {
    const file = f.evidence?.file;
    const phrase = phraseOf(f);
    if (typeof file === "string") {
      o.heldFiles[file] = phrase;
      o.notices.push(`held: ${phrase}`);
    } else {
      raise(o, "hold", phrase);
    }
    const end = cooldownEndMs(f);
    if (end !== null) wakeUps.push(end);
    return;
  }
  if (!failsPolicy(f, config.failOn)) {
    o.notices.push(f.summary);
    return;
  }
  raise(o, f.kind === "malicious" || f.kind === "typosquat" ? "block" : "hide", phraseOf(f));
}

/** The one line pip prints for a refused file: `pycustoms: requests 2.31.0 blocked: GHSA-…, CVSS 8.1`. */
export function refusalLine(project: string, version: string | null, reasons: readonly string[]): string {
  const shown = reasons.slice(0, 3).join("; ");
  const more = reasons.length > 3 ? `; and ${reasons.length - 3} more` : "";
  const what = version === null ? project : `${project} ${version}`;
  return `pycustoms: ${what} blocked: ${shown}${more}`.replace(/[\r\n]+/g, " ");
}

export type FileDecision =
  | { allow: true; version: string }
  | { allow: false; decision: VersionDecision; version: string | null; reason: string };

/** What the verdict says about one file of the project page. */
export function decideFile(verdict: ProjectVerdict, file: ProjectFile): FileDecision {
  if (file.version === null) {
    return {
      allow: false,
      decision: "block",
      version: null,
      reason: refusalLine(file.filename, null, [
        "its name gives no version, so no release check can clear it",
      ]),
    };
  }
  const v = verdict.versions.get(file.version);
  if (v === undefined) {
    // A file the verdict has not seen: the page changed since; refuse rather than guess.
    return {
      allow: false,
      decision: "block",
      version: file.version,
      reason: refusalLine(verdict.project, file.version, ["not evaluated yet: retry"]),
    };
  }
  if (v.decision === "allow") {
    // A file added to the release within the cooldown is held while the release's other files are served.
    const held = v.heldFiles?.[file.filename];
    if (held === undefined) return { allow: true, version: file.version };
    return {
      allow: false,
      decision: "hold",
      version: file.version,
      reason: refusalLine(verdict.project, file.version, [held]),
    };
  }
  return {
    allow: false,
    decision: v.decision,
    version: file.version,
    reason: refusalLine(verdict.project, file.version, v.reasons),
  };
}

/** The project page as the gate serves it: refused releases and their files removed, each refusal with its line. */
export function filterProjectInfo(
  project: ProjectInfo,
  verdict: ProjectVerdict,
): { project: ProjectInfo; blocked: Map<string, string> } {
  const blocked = new Map<string, string>();
  const files: ProjectFile[] = [];
  for (const file of project.files) {
    const d = decideFile(verdict, file);
    if (d.allow) files.push(file);
    else blocked.set(file.filename, d.reason);
  }
  const versions = project.versions.filter((v) => verdict.versions.get(v)?.decision === "allow");
  return { project: { ...project, files, versions }, blocked };
}
