// Core metadata (METADATA, PKG-INFO) in its email-header form, read the way Python's email parser reads it.
//
// Hand-written rather than a library: no maintained npm package parses RFC 822 headers with the quirks of
// Python's `email.feedparser` (compat32), and reading a file differently from the installer that reads it
// would let a crafted METADATA show one name to us and another to pip.

export interface CoreMetadataError {
  /** 1-based line in the metadata text. */
  line: number;
  message: string;
}

export interface CoreMetadata {
  /** Header name, lower-cased -> every value in file order (multiple-use fields keep all of them). */
  fields: Map<string, string[]>;
  /** The message body after the first blank line: the long description in Metadata-Version 2.1+. */
  body: string;
  errors: CoreMetadataError[];
}

/** Python's `feedparser.headerRE`: printable ASCII except colon, then a colon; or a continuation line. */
const HEADER_LINE = /^([\x21-\x39\x3b-\x7e]*):(.*)$/s;
const CONTINUATION = /^[ \t]/;
/** Single-use fields where a second copy is suspicious: Python's `msg["Name"]` silently takes the first. */
const SINGLE_USE = ["metadata-version", "name", "version"];

/**
 * Parses core metadata text. Never throws: lines Python would not read as headers are reported with their
 * line number, and — as in Python — the first such line ends the headers and starts the body.
 */
export function parseCoreMetadata(text: string): CoreMetadata {
  const fields = new Map<string, string[]>();
  const errors: CoreMetadataError[] = [];
  const lines = (text.startsWith("\ufeff") ? text.slice(1) : text).split(/\r\n|\n|\r/);
  // A final newline leaves one empty string that is not a line of its own.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();

  const add = (name: string, parts: string[]) => {
    const value = joinHeaderValue(name, parts);
    const values = fields.get(name);
    if (values) values.push(value);
    else fields.set(name, [value]);
  };

  let currentName: string | null = null;
  let currentParts: string[] = [];
  let bodyStart = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") {
      bodyStart = i + 1;
      break;
    }
    if (CONTINUATION.test(line)) {
      if (currentName !== null) currentParts.push(line);
      else errors.push({ line: i + 1, message: "continuation line before any header; ignored" });
      continue;
    }
    if (line.startsWith("From ")) {
      // Python takes this as an mbox envelope line, not a header.
      errors.push({ line: i + 1, message: `"From " envelope line among the headers; ignored` });
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (!m) {
      errors.push({
        line: i + 1,
        message: `not a "Name: value" header line; headers end here and the rest is read as the description`,
      });
      bodyStart = i;
      break;
    }
    if (currentName !== null) add(currentName, currentParts);
    currentName = m[1]!.toLowerCase();
    currentParts = [m[2]!.replace(/^[ \t]+/, "")];
    if (currentName === "") errors.push({ line: i + 1, message: "header with an empty name" });
  }
  if (currentName !== null) add(currentName, currentParts);

  for (const name of SINGLE_USE) {
    const values = fields.get(name);
    if (values && values.length > 1) {
      errors.push({
        line: lineOfHeader(lines, name, 2, bodyStart),
        message: `${name} appears ${values.length} times; the first (${JSON.stringify(values[0])}) is the one Python reads`,
      });
    }
  }

  return { fields, body: lines.slice(bodyStart).join("\n"), errors };
}

/** Unfolds a header: continuation lines join with a newline, their folding indentation removed. */
function joinHeaderValue(name: string, parts: string[]): string {
  if (parts.length === 1) return parts[0]!.trim();
  const [first, ...rest] = parts;
  // setuptools folds Description with 7 spaces and "|" (older tools: 8 spaces); keep reST indentation beyond it.
  const unfold =
    name === "description"
      ? (l: string) => l.replace(/^(?: {7}\||\t\||\t| {1,8})/, "")
      : (l: string) => l.replace(/^[ \t]+/, "");
  return [first!.trim(), ...rest.map(unfold)].join("\n").trimEnd();
}

/** The line of the nth occurrence of a header, for errors about repeated fields. */
function lineOfHeader(lines: string[], name: string, nth: number, end: number): number {
  let seen = 0;
  for (let i = 0; i < end && i < lines.length; i++) {
    const m = HEADER_LINE.exec(lines[i]!);
    if (m && m[1]!.toLowerCase() === name && ++seen === nth) return i + 1;
  }
  return 1;
}

/** The first value of a field (as Python's `msg[name]`), or null when absent or empty. */
export function metadataField(meta: CoreMetadata, name: string): string | null {
  const value = meta.fields.get(name.toLowerCase())?.[0];
  return value === undefined || value === "" ? null : value;
}

/** Every value of a multiple-use field (Requires-Dist, Classifier, ...), in file order. */
export function metadataFields(meta: CoreMetadata, name: string): string[] {
  return meta.fields.get(name.toLowerCase()) ?? [];
}

export function metadataName(meta: CoreMetadata): string | null {
  return metadataField(meta, "name");
}

export function metadataVersion(meta: CoreMetadata): string | null {
  return metadataField(meta, "version");
}

/** The long description: the Description header if present, else the body (Metadata-Version 2.1+). */
export function metadataDescription(meta: CoreMetadata): string | null {
  return metadataField(meta, "description") ?? (meta.body === "" ? null : meta.body);
}
