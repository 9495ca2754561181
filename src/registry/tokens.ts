// API tokens for uploads: created with `pycustoms token create`, shown once, stored only as a hash, scoped to projects.
import crypto from "node:crypto";
import type { Database } from "better-sqlite3";
import { isValidName, normalizeName } from "../standards/names.js";

/** The scope that allows every project, including creating new ones (an administrator's token). */
export const ALL_PROJECTS = "*";

const PREFIX = "pycustoms_";
const ID_BYTES = 8;
const SECRET_BYTES = 32;
// id: 16 lower-case hex characters; secret: 43 base64url characters (32 bytes, unpadded).
const TOKEN_SHAPE = /^pycustoms_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenRecord {
  id: string;
  /** Normalised project names, or `["*"]`. */
  projects: string[];
  description: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedToken {
  record: TokenRecord;
  /** The whole token, `pycustoms_<id>_<secret>`: shown once and never stored. */
  token: string;
}

interface TokenRow {
  id: string;
  secret_sha256: string;
  projects: string;
  description: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const recordFromRow = (r: TokenRow): TokenRecord => ({
  id: r.id,
  projects: JSON.parse(r.projects) as string[],
  description: r.description,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/**
 * The stored form of a secret. A plain SHA-256 is enough here, unlike for passwords: the secret is 256 random bits,
 * so there is no dictionary to try and a slow hash would only cost every upload time without making a stolen
 * database any easier to reverse (2^256 guesses either way).
 */
export function hashSecret(secret: string): string {
  return crypto.createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Does the presented secret hash to the stored hash? Both sides are 32-byte digests, so `timingSafeEqual` always
 * compares equal lengths: the time taken says nothing about how much of a guess was right, nor about its length.
 */
export function secretMatches(presented: string, storedSha256Hex: string): boolean {
  const presentedDigest = crypto.createHash("sha256").update(presented, "utf8").digest();
  const stored = Buffer.from(storedSha256Hex, "hex");
  if (stored.length !== presentedDigest.length) return false;
  return crypto.timingSafeEqual(presentedDigest, stored);
}

/** Scope entries as stored: normalised names, `*` kept as is; the reason when one is not a project name. */
export function normalizeScopes(projects: readonly string[]): string[] | { error: string } {
  if (projects.length === 0)
    return { error: "a token needs at least one --project (or '*' for every project)" };
  const out = new Set<string>();
  for (const p of projects) {
    const name = p.trim();
    if (name === ALL_PROJECTS) out.add(ALL_PROJECTS);
    else if (isValidName(name)) out.add(normalizeName(name));
    else return { error: `'${name}' is not a valid project name` };
  }
  return [...out].sort();
}

/** Creates a token for these projects and returns it whole, the only time its secret exists outside a client. */
export function createToken(
  db: Database,
  options: { projects: readonly string[]; description?: string | null; now?: Date },
): CreatedToken | { error: string } {
  const projects = normalizeScopes(options.projects);
  if (!Array.isArray(projects)) return projects;
  const id = crypto.randomBytes(ID_BYTES).toString("hex");
  const secret = crypto.randomBytes(SECRET_BYTES).toString("base64url");
  const createdAt = (options.now ?? new Date()).toISOString();
  const description = options.description?.trim() ? options.description.trim() : null;
  db.prepare(
    "INSERT INTO registry_tokens (id, secret_sha256, projects, description, created_at) VALUES (?, ?, ?, ?, ?)",
  ).run(id, hashSecret(secret), JSON.stringify(projects), description, createdAt);
  return {
    token: `${PREFIX}${id}_${secret}`,
    record: { id, projects, description, createdAt, lastUsedAt: null, revokedAt: null },
  };
}

export function listTokens(db: Database): TokenRecord[] {
  return (db.prepare("SELECT * FROM registry_tokens ORDER BY created_at, id").all() as TokenRow[]).map(
    recordFromRow,
  );
}

export function getToken(db: Database, id: string): TokenRecord | null {
  const row = db.prepare("SELECT * FROM registry_tokens WHERE id = ?").get(id) as TokenRow | undefined;
  return row ? recordFromRow(row) : null;
}

/** Revokes a token from now on; false when there is no such token or it was revoked already. */
export function revokeToken(db: Database, id: string, now: Date = new Date()): boolean {
  const result = db
    .prepare("UPDATE registry_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
    .run(now.toISOString(), id);
  return result.changes === 1;
}

// Compared against when the id is unknown, so a miss costs the same hash and comparison as a wrong secret.
const UNKNOWN_ID_HASH = hashSecret("pycustoms: no such token");

/**
 * The live (not revoked) token a client presented, or null. The id part only selects the row, like a user name;
 * the secret decides, compared in constant time. Any string is accepted as input and never throws.
 */
export function verifyToken(db: Database, presented: string, now: Date = new Date()): TokenRecord | null {
  const shape = TOKEN_SHAPE.exec(presented);
  const id = shape?.[1] ?? "";
  const secret = shape?.[2] ?? presented;
  const row =
    shape === null
      ? undefined
      : (db.prepare("SELECT * FROM registry_tokens WHERE id = ?").get(id) as TokenRow | undefined);
  const matches = secretMatches(secret, row?.secret_sha256 ?? UNKNOWN_ID_HASH);
  if (row === undefined || !matches || row.revoked_at !== null) return null;
  db.prepare("UPDATE registry_tokens SET last_used_at = ? WHERE id = ?").run(now.toISOString(), id);
  return recordFromRow({ ...row, last_used_at: now.toISOString() });
}

/** May this token upload to (and, when new, create) this normalised project? */
export function tokenAllows(token: TokenRecord, project: string): boolean {
  return token.projects.includes(ALL_PROJECTS) || token.projects.includes(normalizeName(project));
}
