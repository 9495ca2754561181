// Turns one OSV record (JSON or YAML text) into an Advisory for the PyPI ecosystem, or into located warnings.
import { Ajv, type ErrorObject } from "ajv";
import { parseDocument, parse as parseYaml, YAMLParseError } from "yaml";
import { decodeText } from "../inventory/read.js";
import { normalizeName } from "../standards/names.js";
import type { Advisory, AffectedPackage, OsvEvent, OsvRange, SeverityVector } from "./types.js";

/** A problem with one record or one source file; `file` names it (`archive:entry` inside archives). */
export interface ImportWarning {
  file: string;
  /** The record id, when the record got far enough to have one. */
  record?: string;
  line?: number;
  column?: number;
  message: string;
}

export type RecordFormat = "json" | "yaml";

/** What a record's place in its source says about it (the OSSF tree keeps withdrawn and malicious reports in folders). */
export interface RecordPathHints {
  underMalicious: boolean;
  underWithdrawn: boolean;
}

export type OsvParseResult =
  | { status: "ok"; advisory: Advisory }
  /** A valid record with no PyPI affected entry: skipped silently (only counted). */
  | { status: "not-pypi"; id: string }
  | { status: "invalid"; warnings: ImportWarning[] };

/** The OSV ecosystem name this tool cares about (exact, as OSV spells it). */
export const PYPI_ECOSYSTEM = "PyPI";

/** Which files in a source are OSV records: by extension, so `.id-allocator`, READMEs and the like are ignored. */
export function recordFormatOf(path: string): RecordFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  return null;
}

/** Reads the `malicious/` and `withdrawn/` folder conventions of ossf/malicious-packages from a record's path. */
export function pathHints(path: string): RecordPathHints {
  const segments = path.split(/[\\/]+/);
  // The last segment is the file name itself, which never counts as a folder.
  const folders = segments.slice(0, -1);
  return { underMalicious: folders.includes("malicious"), underWithdrawn: folders.includes("withdrawn") };
}

// The part of the OSV schema (https://ossf.github.io/osv-schema/) this tool relies on; other fields pass through unchecked.
const OSV_RECORD_SCHEMA = {
  type: "object",
  required: ["id", "modified"],
  properties: {
    id: { type: "string", minLength: 1 },
    modified: { type: "string", minLength: 1 },
    published: { type: ["string", "null"] },
    withdrawn: { type: ["string", "null"] },
    summary: { type: ["string", "null"] },
    details: { type: ["string", "null"] },
    aliases: { type: "array", items: { type: "string" } },
    severity: {
      type: "array",
      items: {
        type: "object",
        required: ["type", "score"],
        properties: { type: { type: "string" }, score: { type: "string" } },
      },
    },
    references: {
      type: "array",
      items: {
        type: "object",
        required: ["type", "url"],
        properties: { type: { type: "string" }, url: { type: "string" } },
      },
    },
    affected: {
      type: "array",
      items: {
        type: "object",
        properties: {
          package: {
            type: "object",
            required: ["ecosystem", "name"],
            properties: { ecosystem: { type: "string" }, name: { type: "string" }, purl: { type: "string" } },
          },
          versions: { type: "array", items: { type: "string" } },
          ranges: {
            type: "array",
            items: {
              type: "object",
              required: ["type", "events"],
              properties: {
                type: { enum: ["ECOSYSTEM", "SEMVER", "GIT"] },
                events: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      introduced: { type: "string" },
                      fixed: { type: "string" },
                      last_affected: { type: "string" },
                      limit: { type: "string" },
                    },
                    oneOf: [
                      { required: ["introduced"] },
                      { required: ["fixed"] },
                      { required: ["last_affected"] },
                      { required: ["limit"] },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateOsvRecord = ajv.compile(OSV_RECORD_SCHEMA);

/** The shape a record has once it passed `validateOsvRecord` (only the fields read below). */
interface ValidOsvRecord {
  id: string;
  modified: string;
  published?: string | null;
  withdrawn?: string | null;
  summary?: string | null;
  details?: string | null;
  aliases?: string[];
  severity?: { type: string; score: string }[];
  references?: { type: string; url: string }[];
  affected?: {
    package?: { ecosystem: string; name: string };
    versions?: string[];
    ranges?: { type: OsvRange["type"]; events: Record<string, string>[] }[];
  }[];
  database_specific?: unknown;
}

const EVENT_KEYS = ["introduced", "fixed", "last_affected", "limit"] as const;

/** `/affected/0/ranges/1` -> `affected[0].ranges[1]`, the way a reader of the record would point at it. */
function describePointer(pointer: string): string {
  if (pointer === "") return "record";
  let out = "";
  for (const part of pointer.split("/").slice(1)) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(key) ? `[${key}]` : out === "" ? key : `.${key}`;
  }
  return out;
}

function describeSchemaError(error: ErrorObject): string {
  const where = describePointer(error.instancePath);
  if (error.keyword === "oneOf" && /\/events\/\d+$/.test(error.instancePath)) {
    return `${where}: an event must have exactly one of ${EVENT_KEYS.join(", ")}`;
  }
  if (error.keyword === "required") {
    const missing = (error.params as { missingProperty?: string }).missingProperty ?? "?";
    return error.instancePath === "" ? `missing "${missing}"` : `${where}: missing "${missing}"`;
  }
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return `${where}: must be one of ${allowed.map(String).join(", ")}`;
  }
  return `${where}: ${error.message ?? "is invalid"}`;
}

function schemaErrorsToMessages(errors: ErrorObject[]): string[] {
  // The branches of a failed oneOf repeat what the oneOf message already says.
  const relevant = errors.filter((e) => !e.schemaPath.includes("/oneOf/"));
  const messages = [...new Set(relevant.map(describeSchemaError))];
  const shown = messages.slice(0, 3);
  if (messages.length > shown.length) shown.push(`(${messages.length - shown.length} more schema errors)`);
  return shown;
}

function recordIdOf(value: unknown): string | undefined {
  if (typeof value === "object" && value !== null && "id" in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === "string" && id !== "") return id;
  }
  return undefined;
}

function toEvent(event: Record<string, string>): OsvEvent {
  if (event.introduced !== undefined) return { introduced: event.introduced };
  if (event.fixed !== undefined) return { fixed: event.fixed };
  if (event.last_affected !== undefined) return { last_affected: event.last_affected };
  return { limit: event.limit ?? "" };
}

function databaseSeverityOf(databaseSpecific: unknown): string | null {
  if (typeof databaseSpecific !== "object" || databaseSpecific === null) return null;
  const severity = (databaseSpecific as { severity?: unknown }).severity;
  return typeof severity === "string" && severity.trim() !== "" ? severity.trim().toUpperCase() : null;
}

/** An optional text field; YAML's empty scalar and JSON null both mean "absent". */
function optionalText(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === "" ? null : value;
}

/**
 * Validates a parsed OSV record and reduces it to an Advisory holding only its PyPI affected entries.
 * `file` names the record in warnings; `hints` carry the malicious/withdrawn folder conventions.
 */
export function osvToAdvisory(value: unknown, file: string, hints: RecordPathHints): OsvParseResult {
  const id = recordIdOf(value);
  if (!validateOsvRecord(value)) {
    const messages = schemaErrorsToMessages(validateOsvRecord.errors ?? []);
    return {
      status: "invalid",
      warnings: [
        { file, ...(id ? { record: id } : {}), message: `not a valid OSV record: ${messages.join("; ")}` },
      ],
    };
  }
  const record = value as unknown as ValidOsvRecord;
  if (!Number.isFinite(Date.parse(record.modified))) {
    return {
      status: "invalid",
      warnings: [
        { file, record: record.id, message: `"modified" is not a date: ${JSON.stringify(record.modified)}` },
      ],
    };
  }
  const affected: AffectedPackage[] = [];
  for (const entry of record.affected ?? []) {
    if (entry.package?.ecosystem !== PYPI_ECOSYSTEM) continue;
    const name = normalizeName(entry.package.name.trim());
    if (name === "") continue;
    affected.push({
      name,
      ranges: (entry.ranges ?? []).map((range) => ({ type: range.type, events: range.events.map(toEvent) })),
      versions: entry.versions ?? [],
    });
  }
  if (affected.length === 0) return { status: "not-pypi", id: record.id };

  const withdrawn = optionalText(record.withdrawn) ?? (hints.underWithdrawn ? record.modified : null);
  const severity: SeverityVector[] = (record.severity ?? []).map((s) => ({ type: s.type, score: s.score }));
  return {
    status: "ok",
    advisory: {
      id: record.id,
      aliases: [...new Set(record.aliases ?? [])],
      kind: record.id.startsWith("MAL-") || hints.underMalicious ? "malicious" : "vulnerability",
      summary: record.summary ?? "",
      details: record.details ?? "",
      published: optionalText(record.published),
      modified: record.modified,
      withdrawn,
      severity,
      databaseSeverity: databaseSeverityOf(record.database_specific),
      affected,
      references: (record.references ?? []).map((r) => ({ type: r.type, url: r.url })),
    },
  };
}

/** 1-based line and column of a character offset. */
function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Where a JSON syntax error is: JSON.parse does not always say, so the YAML parser (a JSON superset) is asked. */
function locateJsonError(text: string, message: string): { line?: number; column?: number } {
  const position = /position (\d+)/.exec(message);
  if (position) return lineColumnAt(text, Number(position[1]));
  const yamlError = parseDocument(text, { schema: "failsafe" }).errors[0]?.linePos?.[0];
  return yamlError ? { line: yamlError.line, column: yamlError.col } : {};
}

function parseJsonRecord(text: string, file: string): { value: unknown } | { warning: ImportWarning } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { warning: { file, ...locateJsonError(text, message), message: `not valid JSON: ${message}` } };
  }
}

function parseYamlRecord(text: string, file: string): { value: unknown } | { warning: ImportWarning } {
  try {
    // The failsafe schema keeps every scalar a string, so versions like `1.10` are not read as the number 1.1.
    return { value: parseYaml(text, { schema: "failsafe", uniqueKeys: false, maxAliasCount: 100 }) };
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const firstLine = e.message.split("\n")[0] ?? e.message;
      return {
        warning: {
          file,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
          message: `not valid YAML: ${firstLine}`,
        },
      };
    }
    return { warning: { file, message: `not valid YAML: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

/**
 * Parses one record file's bytes (UTF-8/UTF-16, BOM tolerated) as JSON or YAML and converts it.
 * Never throws for bad input: unparseable text and schema violations come back as `invalid` with warnings.
 * `path` is the record's path used for folder hints (defaults to `file`).
 */
export function parseOsvRecord(
  bytes: Uint8Array,
  file: string,
  format: RecordFormat,
  path: string = file,
): OsvParseResult {
  const decoded = decodeText(bytes, file);
  if (!decoded.ok) return { status: "invalid", warnings: [{ file, message: decoded.error.message }] };
  const parsed =
    format === "json" ? parseJsonRecord(decoded.text, file) : parseYamlRecord(decoded.text, file);
  if ("warning" in parsed) {
    // The record did not parse, but its id line usually did: name it so the warning can be traced.
    const id = /^[ \t{]*"?id"?[ \t]*:[ \t]*["']?([A-Za-z0-9][\w.:-]*)/m.exec(decoded.text)?.[1];
    return { status: "invalid", warnings: [{ ...parsed.warning, ...(id ? { record: id } : {}) }] };
  }
  return osvToAdvisory(parsed.value, file, pathHints(path));
}
