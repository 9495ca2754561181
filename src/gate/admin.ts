// What administrators do with the gate, as functions over its database: decide access requests, add exceptions,
// list what is refused, read the audit log. The admin HTTP API and the CLI are thin layers over these.
//
// Every decision is written to the audit log in the same transaction as the change itself. A running gate sees
// the change within its recheck interval (or at once after its `invalidate`).

import type { Database } from "better-sqlite3";
import { isValidName, normalizeName } from "../standards/names.js";
import { validRange } from "../standards/pep440.js";
import type { VersionDecision } from "./evaluate.js";
import {
  type AccessRequest,
  type AuditQuery,
  type AuditRecord,
  appendAudit,
  createGateTables,
  decideAccessRequest,
  expireException,
  getAccessRequest,
  insertException,
  listAccessRequests,
  loadAllVerdicts,
  type RequestStatus,
  readAudit,
  type StoredException,
} from "./stores.js";

export type AdminResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface DecisionOptions {
  /** Widen or narrow what the decision covers: "" the whole project, `>=2,<3` a range. Default: as requested. */
  specifier?: string;
  now?: Date;
}

function badSpecifier(specifier: string): string | null {
  const s = specifier.trim();
  if (s === "" || s.startsWith("===")) return null;
  return validRange(s) ? null : `"${specifier}" is not a PEP 440 version specifier`;
}

export function listRequests(db: Database, status?: RequestStatus): AccessRequest[] {
  createGateTables(db);
  return listAccessRequests(db, status);
}

function decide(
  db: Database,
  id: number,
  status: "approved" | "denied",
  by: string,
  reason: string,
  options: DecisionOptions,
): AdminResult<AccessRequest> {
  createGateTables(db);
  if (by.trim() === "") return { ok: false, error: "say who decides" };
  if (status === "denied" && reason.trim() === "") return { ok: false, error: "a denial needs a reason" };
  if (options.specifier !== undefined) {
    const bad = badSpecifier(options.specifier);
    if (bad) return { ok: false, error: bad };
  }
  if (getAccessRequest(db, id) === null) return { ok: false, error: `no access request #${id}` };
  const at = (options.now ?? new Date()).toISOString();
  const decided = db.transaction(() => {
    const request = decideAccessRequest(db, id, {
      status,
      by,
      at,
      reason,
      ...(options.specifier !== undefined ? { specifier: options.specifier.trim() } : {}),
    }) as AccessRequest;
    appendAudit(db, [
      {
        time: at,
        actor: by,
        action: status,
        project: request.project,
        version: request.version,
        filename: null,
        reason: `request #${id} for ${request.project}${request.specifier}: ${reason}`,
        findings: request.findings,
      },
    ]);
    return request;
  })();
  return { ok: true, value: decided };
}

/** Approves an access request: the releases its specifier covers are served (if the checks clear them). */
export function approve(
  db: Database,
  id: number,
  by: string,
  reason: string,
  options: DecisionOptions = {},
): AdminResult<AccessRequest> {
  return decide(db, id, "approved", by, reason, options);
}

/** Denies an access request: the releases its specifier covers stay blocked, with this reason. */
export function deny(
  db: Database,
  id: number,
  by: string,
  reason: string,
  options: DecisionOptions = {},
): AdminResult<AccessRequest> {
  return decide(db, id, "denied", by, reason, options);
}

export interface NewException {
  project: string;
  /** "" for every release. */
  specifier: string;
  /** "cooldown", "any", or a finding id or alias (GHSA-…, CVE-…, MAL-…, typosquat, size-anomaly). */
  kind: string;
  reason: string;
  /** ISO time; required, so that no exception outlives its review by accident. */
  expiresAt: string;
  createdBy: string;
  now?: Date;
}

export function addException(db: Database, e: NewException): AdminResult<StoredException> {
  createGateTables(db);
  if (!isValidName(e.project.trim())) return { ok: false, error: `"${e.project}" is not a project name` };
  const bad = badSpecifier(e.specifier);
  if (bad) return { ok: false, error: bad };
  if (e.kind.trim() === "")
    return { ok: false, error: "say what the exception is for (cooldown, any, or an id)" };
  if (e.reason.trim() === "") return { ok: false, error: "an exception needs a reason" };
  if (e.createdBy.trim() === "") return { ok: false, error: "say who adds the exception" };
  const now = e.now ?? new Date();
  const expires = Date.parse(e.expiresAt);
  if (!Number.isFinite(expires)) return { ok: false, error: `"${e.expiresAt}" is not a date and time` };
  if (expires <= now.getTime()) return { ok: false, error: "the expiry is in the past" };
  const createdAt = now.toISOString();
  const project = normalizeName(e.project.trim());
  const stored = db.transaction(() => {
    const row = insertException(db, {
      project,
      specifier: e.specifier.trim(),
      kind: e.kind.trim(),
      reason: e.reason.trim(),
      expiresAt: new Date(expires).toISOString(),
      createdBy: e.createdBy.trim(),
      createdAt,
    });
    appendAudit(db, [
      {
        time: createdAt,
        actor: row.createdBy,
        action: "exception-added",
        project,
        version: row.specifier === "" ? null : row.specifier,
        filename: null,
        reason: `#${row.id} ${row.kind} until ${row.expiresAt}: ${row.reason}`,
        findings: [],
      },
    ]);
    return row;
  })();
  return { ok: true, value: stored };
}

/** Ends an exception now; the row stays for the record and the audit log says who ended it. */
export function endException(
  db: Database,
  id: number,
  by: string,
  now = new Date(),
): AdminResult<StoredException> {
  createGateTables(db);
  const at = now.toISOString();
  const ended = db.transaction(() => {
    const row = expireException(db, id, at);
    if (row === null) return null;
    appendAudit(db, [
      {
        time: at,
        actor: by,
        action: "exception-expired",
        project: row.project,
        version: row.specifier === "" ? null : row.specifier,
        filename: null,
        reason: `#${row.id} ${row.kind} ended`,
        findings: [],
      },
    ]);
    return row;
  })();
  return ended === null ? { ok: false, error: `no exception #${id}` } : { ok: true, value: ended };
}

export interface BlockedRelease {
  project: string;
  version: string;
  decision: Exclude<VersionDecision, "allow">;
  reasons: string[];
  evaluatedAt: string;
}

/** Every refused release in the current verdicts, by project and version. */
export function listBlocked(db: Database): BlockedRelease[] {
  createGateTables(db);
  const out: BlockedRelease[] = [];
  for (const verdict of loadAllVerdicts(db)) {
    for (const [version, v] of verdict.versions) {
      if (v.decision === "allow") continue;
      out.push({
        project: verdict.project,
        version,
        decision: v.decision,
        reasons: v.reasons,
        evaluatedAt: verdict.evaluatedAt,
      });
    }
  }
  return out;
}

export function readAuditLog(db: Database, query: AuditQuery = {}): AuditRecord[] {
  createGateTables(db);
  return readAudit(
    db,
    query.project === undefined ? query : { ...query, project: normalizeName(query.project) },
  );
}

export { verifyAuditChain } from "./stores.js";
