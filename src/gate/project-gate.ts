// The proxy's gate: evaluates each upstream project once per change, remembers the verdict, filters pages,
// refuses files with a one-line reason, records access requests, and writes every decision to the audit log.
//
// A verdict is reused while three things hold: the upstream page is the same (fingerprint), the other inputs
// are the same (advisories, policy, approvals, exceptions), and no decision has come due (a cooldown ending,
// an exception expiring). The inputs are looked up again at most every `recheckAfterMs` per page object, so
// a busy page costs a WeakMap lookup; an approval from another process shows within that interval, or at once
// after `invalidate`.
import type { Database } from "better-sqlite3";
import type { Advisory } from "../advisories/types.js";
import type { PopularIndex } from "../checks/typosquat.js";
import type { Config } from "../policy/config.js";
import type { FileDecision, FilteredProject, GateContext, ProjectGate } from "../server/gate-hook.js";
import { normalizeName } from "../standards/names.js";
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";
import {
  decideFile,
  type EvaluationContext,
  evaluateProject,
  filterProjectInfo,
  inputsFingerprint,
  type ProjectVerdict,
  specifierCovers,
  upstreamFingerprint,
} from "./evaluate.js";
import { applyProvenanceStep, type ProvenanceStepOptions } from "./provenance.js";
import {
  type AuditEntry,
  accessDecisionsFor,
  appendAudit,
  createGateTables,
  exceptionsFor,
  listAccessRequests,
  loadVerdict,
  recordAccessRequest,
  saveVerdict,
} from "./stores.js";

export interface StoredGateOptions {
  /** The state database (tables are created if missing). */
  db: Database;
  config: Config;
  /** The advisories naming a (normalised) project, e.g. from the advisory store. */
  advisoriesFor: (project: string) => readonly Advisory[];
  /** The popular-projects index for the typosquat check; null leaves the check out. */
  popular: PopularIndex | null;
  now?: () => Date;
  /** Replaces the evaluation (tests count calls with it). */
  evaluate?: (project: ProjectInfo, ctx: EvaluationContext) => ProjectVerdict;
  /** How long a page object's verdict is used without looking at the inputs again. Default 2000 ms. */
  recheckAfterMs?: number;
  /** Log every file served (default true); refusals are always logged. */
  logServed?: boolean;
  /** Off unless given: the PEP 740 provenance step. */
  provenance?: ProvenanceStepOptions;
}

interface Memo {
  fingerprint: string;
  verdict: ProjectVerdict;
  checkedAt: number;
  /** `verdict.validUntil` as a time (parsed once: the server asks for every cached page request). */
  validUntilMs: number | null;
  filtered: FilteredProject;
}

const SYSTEM_ACTOR = "pycustoms";
/** Verdicts kept in memory (most recently used); the rest are read back from the database. */
const MEMORY_VERDICTS = 1000;

export class StoredProjectGate implements ProjectGate {
  private readonly memo = new WeakMap<ProjectInfo, Memo>();
  private readonly recent = new Map<string, ProjectVerdict>();
  private readonly now: () => Date;
  private readonly evaluate: (project: ProjectInfo, ctx: EvaluationContext) => ProjectVerdict;
  private readonly recheckAfterMs: number;
  /** Projects whose memoised verdicts must be looked at again (after `invalidate`). */
  private readonly stale = new Set<string>();
  private staleAll = 0;

  constructor(private readonly options: StoredGateOptions) {
    createGateTables(options.db);
    this.now = options.now ?? (() => new Date());
    this.evaluate = options.evaluate ?? evaluateProject;
    this.recheckAfterMs = options.recheckAfterMs ?? 2000;
  }

  /** Makes the next request look at approvals, exceptions and advisories again (one project, or all). */
  invalidate(project?: string): void {
    if (project === undefined) {
      this.staleAll = this.now().getTime();
      this.recent.clear();
    } else {
      this.stale.add(normalizeName(project));
      this.recent.delete(normalizeName(project));
    }
  }

  async filterProject(project: ProjectInfo, ctx: GateContext): Promise<FilteredProject> {
    return this.filtered(await this.current(project), ctx);
  }

  /** The answer from the verdict remembered for this page object while it needs no new look (the hot path). */
  filterProjectRemembered(project: ProjectInfo, ctx: GateContext): FilteredProject | null {
    const memo = this.remembered(project);
    return memo === null ? null : this.filtered(memo, ctx);
  }

  private filtered(memo: Memo, ctx: GateContext): FilteredProject {
    if (memo.verdict.projectDecision === "pending") {
      const newest = [...memo.verdict.versions.values()].at(-1);
      this.requestAccess(memo.verdict, null, ctx.client, [
        ...memo.verdict.findings,
        ...(newest?.findings ?? []),
      ]);
    }
    return memo.filtered;
  }

  async checkFile(project: ProjectInfo, file: ProjectFile, ctx: GateContext): Promise<FileDecision> {
    const { verdict } = await this.current(project);
    const decision = decideFile(verdict, file);
    const time = this.now().toISOString();
    const base = {
      time,
      actor: ctx.client,
      project: verdict.project,
      version: decision.version,
      filename: file.filename,
    };
    if (decision.allow) {
      if (this.options.logServed ?? true) {
        appendAudit(this.options.db, [{ ...base, action: "served", reason: null, findings: [] }]);
      }
      return { allow: true };
    }
    const v = decision.version === null ? undefined : verdict.versions.get(decision.version);
    let reason = decision.reason;
    if (decision.decision === "pending" && decision.version !== null) {
      const id = this.requestAccess(verdict, decision.version, ctx.client, v?.findings ?? []);
      reason = `${reason} (request #${id})`;
    }
    appendAudit(this.options.db, [{ ...base, action: "blocked", reason, findings: v?.findings ?? [] }]);
    return { allow: false, reason };
  }

  /** Records (or counts again) an access request; an open request whose specifier covers the version answers. */
  private requestAccess(
    verdict: ProjectVerdict,
    version: string | null,
    client: string,
    findings: ProjectVerdict["findings"],
  ): number {
    const db = this.options.db;
    const open = listAccessRequests(db, "pending").filter((r) => r.project === verdict.project);
    const covering = open.find((r) =>
      version === null ? r.specifier === "" : specifierCovers(r.specifier, version),
    );
    const at = this.now().toISOString();
    const { request, created } = recordAccessRequest(db, {
      project: verdict.project,
      specifier: covering?.specifier ?? (version === null ? "" : `==${version}`),
      version,
      requestedBy: client,
      at,
      findings,
    });
    if (created) {
      appendAudit(db, [
        {
          time: at,
          actor: client,
          action: "requested",
          project: verdict.project,
          version,
          filename: null,
          reason: `access request #${request.id} for ${verdict.project}${request.specifier}`,
          findings,
        },
      ]);
    }
    return request.id;
  }

  /** The memo of this page object while it is recent, not invalidated and its verdict still valid; else null. */
  private remembered(project: ProjectInfo): Memo | null {
    const memo = this.memo.get(project);
    if (memo === undefined) return null;
    const now = this.now().getTime();
    return now - memo.checkedAt < this.recheckAfterMs &&
      memo.checkedAt > this.staleAll &&
      !this.stale.has(normalizeName(project.name)) &&
      (memo.validUntilMs === null || now < memo.validUntilMs)
      ? memo
      : null;
  }

  /** The verdict for this page, evaluated only when the upstream page or the other inputs changed. */
  private async current(project: ProjectInfo): Promise<Memo> {
    const held = this.remembered(project);
    if (held !== null) return held;
    const nowDate = this.now();
    const now = nowDate.getTime();
    const name = normalizeName(project.name);
    const memo = this.memo.get(project);
    this.stale.delete(name);
    const fingerprint = memo?.fingerprint ?? upstreamFingerprint(project);
    const db = this.options.db;
    const ctx: EvaluationContext = {
      config: this.options.config,
      advisories: this.options.advisoriesFor(name),
      popular: this.options.popular,
      now: nowDate,
      approvals: accessDecisionsFor(db, name),
      exceptions: exceptionsFor(db, name),
    };
    const inputs = inputsFingerprint(ctx, name);
    const fits = (v: ProjectVerdict | null | undefined): v is ProjectVerdict =>
      v != null &&
      v.fingerprint === fingerprint &&
      v.inputs === inputs &&
      (v.validUntil === null || now < Date.parse(v.validUntil));

    let verdict: ProjectVerdict | undefined;
    let previous: ProjectVerdict | null | undefined = this.recent.get(name);
    if (fits(memo?.verdict)) verdict = memo.verdict;
    else if (fits(previous)) verdict = previous;
    else {
      previous = loadVerdict(db, name);
      if (fits(previous)) verdict = previous;
    }
    if (verdict === undefined) {
      let fresh = this.evaluate(project, ctx);
      if (this.options.provenance) {
        fresh = await applyProvenanceStep(project, fresh, ctx, this.options.provenance);
      }
      // The stored fingerprints are the ones looked up here, whatever an injected evaluation computed.
      verdict = { ...fresh, fingerprint, inputs };
      db.transaction(() => {
        saveVerdict(db, verdict as ProjectVerdict);
        appendAudit(db, changes(previous ?? null, verdict as ProjectVerdict, nowDate.toISOString()));
      }).immediate();
    }
    this.recent.delete(name);
    this.recent.set(name, verdict);
    if (this.recent.size > MEMORY_VERDICTS) this.recent.delete(this.recent.keys().next().value as string);

    // Same page and same verdict: the same filtered object, so the server's rendered-page cache holds.
    const filtered =
      memo && memo.verdict.evaluatedAt === verdict.evaluatedAt && memo.verdict.inputs === verdict.inputs
        ? memo.filtered
        : filterProjectInfo(project, verdict);
    const validUntilMs = verdict.validUntil === null ? null : Date.parse(verdict.validUntil);
    const next: Memo = { fingerprint, verdict, checkedAt: now, validUntilMs, filtered };
    this.memo.set(project, next);
    return next;
  }
}

/** Audit entries for what a new verdict changes: releases newly hidden (or hidden for new reasons), and cleared. */
function changes(previous: ProjectVerdict | null, next: ProjectVerdict, time: string): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const [version, v] of next.versions) {
    const before = previous?.versions.get(version);
    const base = { time, actor: SYSTEM_ACTOR, project: next.project, version, filename: null };
    if (v.decision !== "allow") {
      if (before && before.decision === v.decision && before.reasons.join("\n") === v.reasons.join("\n"))
        continue;
      entries.push({
        ...base,
        action: "hidden",
        reason: `${v.decision}: ${v.reasons.join("; ")}`,
        findings: v.findings,
      });
    } else if (before && before.decision !== "allow") {
      entries.push({
        ...base,
        action: "cleared",
        reason: `no longer ${before.decision}: ${before.reasons.join("; ")}`,
        findings: v.findings,
      });
    }
  }
  return entries;
}
