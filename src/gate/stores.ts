// The gate's state in SQLite: remembered verdicts, access requests, exceptions and the append-only audit log.
//
// The CREATE statements and the functions take a better-sqlite3 `Database` (as `advisories/popular.ts` does), so
// the server's state store can run them in its own database and transactions.
//
// The audit log is append-only twice over: triggers abort any UPDATE or DELETE, and every row carries
// `hash = sha256(prev_hash + content)`, so a row changed behind the triggers' back (or removed from the middle)
// breaks the chain at that row. A hash chain cannot see its newest rows being cut off: `auditHead` gives the
// latest hash to keep elsewhere (a log line, a ticket) when that matters.
import { createHash } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { Finding } from "../checks/types.js";
import type { AccessDecision, GateException, ProjectVerdict, VersionVerdict } from "./evaluate.js";

export const gateTablesSql: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS verdicts (
  project TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  inputs TEXT NOT NULL,
  evaluated_at TEXT NOT NULL,
  valid_until TEXT,
  verdict TEXT NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS access_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project TEXT NOT NULL,
  specifier TEXT NOT NULL DEFAULT '',
  version TEXT,
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  last_requested_at TEXT NOT NULL,
  request_count INTEGER NOT NULL DEFAULT 1,
  findings TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  decided_by TEXT,
  decided_at TEXT,
  reason TEXT
)`,
  // One open request per project and specifier: repeated installs add to its count, not to the queue.
  `CREATE UNIQUE INDEX IF NOT EXISTS access_requests_open
  ON access_requests (project, specifier) WHERE status = 'pending'`,
  "CREATE INDEX IF NOT EXISTS access_requests_project ON access_requests (project, status)",
  `CREATE TABLE IF NOT EXISTS exceptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project TEXT NOT NULL,
  specifier TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  expires_at TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
)`,
  "CREATE INDEX IF NOT EXISTS exceptions_project ON exceptions (project)",
  `CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  project TEXT,
  version TEXT,
  filename TEXT,
  reason TEXT,
  findings TEXT NOT NULL DEFAULT '[]',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
)`,
  "CREATE INDEX IF NOT EXISTS audit_log_project ON audit_log (project, id)",
  `CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
  `CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
];

/** Creates the gate's tables, indexes and triggers (idempotent). */
export function createGateTables(db: Database): void {
  db.transaction(() => {
    for (const sql of gateTablesSql) db.exec(sql);
  })();
}

// ---- verdicts ----

/** A verdict as stored: the versions map as an array of entries (JSON has no maps). */
type VerdictJson = Omit<ProjectVerdict, "versions"> & { versions: [string, VersionVerdict][] };

export function verdictToJson(v: ProjectVerdict): string {
  const json: VerdictJson = { ...v, versions: [...v.versions] };
  return JSON.stringify(json);
}

export function verdictFromJson(text: string): ProjectVerdict {
  const json = JSON.parse(text) as VerdictJson;
  return { ...json, versions: new Map(json.versions) };
}

export function saveVerdict(db: Database, verdict: ProjectVerdict): void {
  db.prepare(
    `INSERT INTO verdicts (project, fingerprint, inputs, evaluated_at, valid_until, verdict)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (project) DO UPDATE SET fingerprint = excluded.fingerprint, inputs = excluded.inputs,
       evaluated_at = excluded.evaluated_at, valid_until = excluded.valid_until, verdict = excluded.verdict`,
  ).run(
    verdict.project,
    verdict.fingerprint,
    verdict.inputs,
    verdict.evaluatedAt,
    verdict.validUntil,
    verdictToJson(verdict),
  );
}

export function loadVerdict(db: Database, project: string): ProjectVerdict | null {
  const row = db.prepare("SELECT verdict FROM verdicts WHERE project = ?").get(project) as
    | { verdict: string }
    | undefined;
  return row ? verdictFromJson(row.verdict) : null;
}

export function loadAllVerdicts(db: Database): ProjectVerdict[] {
  const rows = db.prepare("SELECT verdict FROM verdicts ORDER BY project").all() as { verdict: string }[];
  return rows.map((r) => verdictFromJson(r.verdict));
}

// ---- access requests ----

export type RequestStatus = "pending" | "approved" | "denied";

export interface AccessRequest {
  id: number;
  project: string;
  /** What access is asked for: "" the whole project, `==1.0` one release. */
  specifier: string;
  /** The release that was asked for, or null (a project page). */
  version: string | null;
  requestedBy: string;
  requestedAt: string;
  lastRequestedAt: string;
  requestCount: number;
  findings: Finding[];
  status: RequestStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

interface AccessRequestRow {
  id: number;
  project: string;
  specifier: string;
  version: string | null;
  requested_by: string;
  requested_at: string;
  last_requested_at: string;
  request_count: number;
  findings: string;
  status: RequestStatus;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

function requestFromRow(r: AccessRequestRow): AccessRequest {
  return {
    id: r.id,
    project: r.project,
    specifier: r.specifier,
    version: r.version,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    lastRequestedAt: r.last_requested_at,
    requestCount: r.request_count,
    findings: JSON.parse(r.findings) as Finding[],
    status: r.status,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    reason: r.reason,
  };
}

export interface NewAccessRequest {
  project: string;
  specifier: string;
  version: string | null;
  requestedBy: string;
  at: string;
  findings: readonly Finding[];
}

/**
 * Records an access request, or counts a repeat of the open one for the same project and specifier.
 * `created` says whether a new request entered the queue.
 */
export function recordAccessRequest(
  db: Database,
  req: NewAccessRequest,
): { request: AccessRequest; created: boolean } {
  return db
    .transaction(() => {
      const open = db
        .prepare("SELECT * FROM access_requests WHERE project = ? AND specifier = ? AND status = 'pending'")
        .get(req.project, req.specifier) as AccessRequestRow | undefined;
      if (open) {
        db.prepare(
          "UPDATE access_requests SET request_count = request_count + 1, last_requested_at = ? WHERE id = ?",
        ).run(req.at, open.id);
        return {
          request: requestFromRow({ ...open, request_count: open.request_count + 1 }),
          created: false,
        };
      }
      const info = db
        .prepare(
          `INSERT INTO access_requests (project, specifier, version, requested_by, requested_at, last_requested_at, findings)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          req.project,
          req.specifier,
          req.version,
          req.requestedBy,
          req.at,
          req.at,
          JSON.stringify(req.findings),
        );
      return { request: getAccessRequest(db, Number(info.lastInsertRowid)) as AccessRequest, created: true };
    })
    .immediate();
}

export function getAccessRequest(db: Database, id: number): AccessRequest | null {
  const row = db.prepare("SELECT * FROM access_requests WHERE id = ?").get(id) as
    | AccessRequestRow
    | undefined;
  return row ? requestFromRow(row) : null;
}

export function listAccessRequests(db: Database, status?: RequestStatus): AccessRequest[] {
  const rows = (
    status === undefined
      ? db.prepare("SELECT * FROM access_requests ORDER BY id").all()
      : db.prepare("SELECT * FROM access_requests WHERE status = ? ORDER BY id").all(status)
  ) as AccessRequestRow[];
  return rows.map(requestFromRow);
}

/** Sets a request's decision; `specifier` widens or narrows what the decision covers. */
export function decideAccessRequest(
  db: Database,
  id: number,
  decision: { status: "approved" | "denied"; by: string; at: string; reason: string; specifier?: string },
): AccessRequest | null {
  const row = getAccessRequest(db, id);
  if (row === null) return null;
  const specifier = decision.specifier ?? row.specifier;
  // Another open request for the widened scope would clash with the unique index: it is answered by this one.
  db.transaction(() => {
    if (specifier !== row.specifier) {
      db.prepare(
        `UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, reason = ?
         WHERE project = ? AND specifier = ? AND status = 'pending' AND id != ?`,
      ).run(decision.status, decision.by, decision.at, decision.reason, row.project, specifier, id);
    }
    db.prepare(
      "UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, reason = ?, specifier = ? WHERE id = ?",
    ).run(decision.status, decision.by, decision.at, decision.reason, specifier, id);
  }).immediate();
  return getAccessRequest(db, id);
}

/** The approvals and denials that apply to a project, as the evaluation takes them. */
export function accessDecisionsFor(db: Database, project: string): AccessDecision[] {
  const rows = db
    .prepare(
      `SELECT project, specifier, status, decided_by, decided_at, reason FROM access_requests
       WHERE project = ? AND status IN ('approved', 'denied') ORDER BY decided_at, id`,
    )
    .all(project) as AccessRequestRow[];
  return rows.map((r) => ({
    project: r.project,
    specifier: r.specifier,
    status: r.status as "approved" | "denied",
    decidedBy: r.decided_by ?? "",
    decidedAt: r.decided_at ?? "",
    reason: r.reason ?? "",
  }));
}

// ---- exceptions ----

export interface StoredException extends GateException {
  id: number;
  createdAt: string;
}

interface ExceptionRow {
  id: number;
  project: string;
  specifier: string;
  kind: string;
  reason: string;
  expires_at: string | null;
  created_by: string;
  created_at: string;
}

function exceptionFromRow(r: ExceptionRow): StoredException {
  return {
    id: r.id,
    project: r.project,
    specifier: r.specifier,
    kind: r.kind,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

export function insertException(
  db: Database,
  e: Omit<GateException, "id"> & { createdAt: string },
): StoredException {
  const info = db
    .prepare(
      `INSERT INTO exceptions (project, specifier, kind, reason, expires_at, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(e.project, e.specifier, e.kind, e.reason, e.expiresAt, e.createdBy, e.createdAt);
  return { ...e, id: Number(info.lastInsertRowid) };
}

/** A project's exceptions, expired ones included (the evaluation ignores those; the admin sees them). */
export function exceptionsFor(db: Database, project: string): StoredException[] {
  const rows = db
    .prepare("SELECT * FROM exceptions WHERE project = ? ORDER BY id")
    .all(project) as ExceptionRow[];
  return rows.map(exceptionFromRow);
}

export function listExceptions(db: Database): StoredException[] {
  return (db.prepare("SELECT * FROM exceptions ORDER BY id").all() as ExceptionRow[]).map(exceptionFromRow);
}

/** Ends an exception now (its row stays, with the new expiry, for the record). */
export function expireException(db: Database, id: number, at: string): StoredException | null {
  db.prepare(
    "UPDATE exceptions SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
  ).run(at, id, at);
  const row = db.prepare("SELECT * FROM exceptions WHERE id = ?").get(id) as ExceptionRow | undefined;
  return row ? exceptionFromRow(row) : null;
}

// ---- audit log ----

export type AuditAction =
  | "served"
  | "hidden"
  | "cleared"
  | "blocked"
  | "requested"
  | "approved"
  | "denied"
  | "exception-added"
  | "exception-expired";

export interface AuditEntry {
  time: string;
  actor: string;
  action: AuditAction | string;
  project: string | null;
  version: string | null;
  filename: string | null;
  reason: string | null;
  findings: readonly Finding[];
}

export interface AuditRecord extends Omit<AuditEntry, "findings"> {
  id: number;
  findings: Finding[];
  prevHash: string;
  hash: string;
}

interface AuditRow {
  id: number;
  time: string;
  actor: string;
  action: string;
  project: string | null;
  version: string | null;
  filename: string | null;
  reason: string | null;
  findings: string;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** The chained hash of a row: its predecessor's hash and its own content, in a fixed order. */
function chainHash(prevHash: string, r: Omit<AuditRow, "id" | "prev_hash" | "hash">): string {
  const content = JSON.stringify([
    r.time,
    r.actor,
    r.action,
    r.project,
    r.version,
    r.filename,
    r.reason,
    r.findings,
  ]);
  return createHash("sha256").update(prevHash).update(content).digest("hex");
}

/** Appends entries to the audit log, chained to the last row, in one transaction. */
export function appendAudit(db: Database, entries: readonly AuditEntry[]): AuditRecord[] {
  if (entries.length === 0) return [];
  const last = db.prepare("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
  const insert = db.prepare(
    `INSERT INTO audit_log (time, actor, action, project, version, filename, reason, findings, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db
    .transaction(() => {
      let prev = (last.get() as { hash: string } | undefined)?.hash ?? GENESIS_HASH;
      return entries.map((e) => {
        const row = {
          time: e.time,
          actor: e.actor,
          action: e.action,
          project: e.project,
          version: e.version,
          filename: e.filename,
          reason: e.reason,
          findings: JSON.stringify(e.findings),
        };
        const hash = chainHash(prev, row);
        const info = insert.run(
          row.time,
          row.actor,
          row.action,
          row.project,
          row.version,
          row.filename,
          row.reason,
          row.findings,
          prev,
          hash,
        );
        const record = {
          ...e,
          findings: [...e.findings],
          id: Number(info.lastInsertRowid),
          prevHash: prev,
          hash,
        };
        prev = hash;
        return record;
      });
    })
    .immediate();
}

function auditFromRow(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    time: r.time,
    actor: r.actor,
    action: r.action,
    project: r.project,
    version: r.version,
    filename: r.filename,
    reason: r.reason,
    findings: JSON.parse(r.findings) as Finding[],
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditQuery {
  /** ISO time: entries at or after it. */
  since?: string;
  project?: string;
  /** Newest entries first when limited; default 1000. */
  limit?: number;
}

/** Reads the audit log, oldest first, filtered; with a limit, the newest `limit` matching entries. */
export function readAudit(db: Database, query: AuditQuery = {}): AuditRecord[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.since !== undefined) {
    where.push("time >= ?");
    params.push(query.since);
  }
  if (query.project !== undefined) {
    where.push("project = ?");
    params.push(query.project);
  }
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const rows = db
    .prepare(`SELECT * FROM (SELECT * FROM audit_log ${clause} ORDER BY id DESC LIMIT ?) ORDER BY id`)
    .all(...params, Math.max(0, Math.floor(query.limit ?? 1000))) as AuditRow[];
  return rows.map(auditFromRow);
}

/** The newest row's hash (the genesis hash for an empty log): anchor it elsewhere to detect truncation. */
export function auditHead(db: Database): { id: number; hash: string } {
  const row = db.prepare("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").get() as
    | { id: number; hash: string }
    | undefined;
  return row ?? { id: 0, hash: GENESIS_HASH };
}

export type AuditChainResult =
  | { ok: true; rows: number; head: string }
  | { ok: false; rows: number; brokenAt: number; message: string };

/** Recomputes the hash chain from the first row; the first row that does not fit is reported. */
export function verifyAuditChain(db: Database): AuditChainResult {
  let prev = GENESIS_HASH;
  let rows = 0;
  for (const row of db.prepare("SELECT * FROM audit_log ORDER BY id").iterate() as Iterable<AuditRow>) {
    if (row.prev_hash !== prev) {
      return {
        ok: false,
        rows,
        brokenAt: row.id,
        message: `audit row ${row.id} does not follow the row before it: a row was removed or inserted`,
      };
    }
    if (chainHash(prev, row) !== row.hash) {
      return {
        ok: false,
        rows,
        brokenAt: row.id,
        message: `audit row ${row.id} was changed after it was written`,
      };
    }
    prev = row.hash;
    rows++;
  }
  return { ok: true, rows, head: prev };
}
