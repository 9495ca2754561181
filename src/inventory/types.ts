// The inventory's plain data: what a manifest, lock file, environment or SBOM declares.

/** Where a dependency comes from, when the manifest says. */
export type Source =
  | { kind: "index"; url: string }
  | { kind: "vcs"; vcs: "git" | "hg" | "svn" | "bzr"; url: string; ref: string | null }
  | { kind: "url"; url: string }
  | { kind: "path"; path: string };

/** The file formats pycustoms reads. */
export type FormatId =
  | "requirements"
  | "pyproject"
  | "poetry-lock"
  | "pipfile"
  | "pipfile-lock"
  | "pdm-lock"
  | "uv-lock"
  | "pylock"
  | "cyclonedx"
  | "environment";

export interface Dependency {
  /** PEP 503-normalised name. */
  name: string;
  /** The name as written in the file. */
  rawName: string;
  /** The exact version when pinned or locked, else null. */
  version: string | null;
  /** The PEP 440/508 specifier as written ("" when none, e.g. `requests`). */
  specifier: string;
  /** True only for an exact `==`/`===` without wildcard, or a lock/environment entry. */
  pinned: boolean;
  /** Artifact hashes as `algorithm:hexdigest`, lower-case algorithm. */
  hashes: string[];
  extras: string[];
  /** PEP 508 environment markers as written, or null. */
  markers: string | null;
  /** "main", "dev", "optional:<extra>" or a group name. */
  groups: string[];
  /** Declared by the project itself (true), pulled in transitively (false), or unknown (null). */
  direct: boolean | null;
  source: Source | null;
  /** Which format produced this record. */
  format: FormatId;
  file: string;
  /** 1-based line of the declaration, or null where the format has none (JSON SBOM, environment). */
  line: number | null;
  /** `-e` / editable install. */
  editable?: boolean;
  /** Came from a `-c` constraints file: restricts versions but installs nothing by itself. */
  constraint?: boolean;
}

/** A located input error: bad input is a value, never an exception. */
export interface InputError {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface ParseResult {
  dependencies: Dependency[];
  errors: InputError[];
}

/** Every parser has this shape: text in, data out. `file` is the path to report in results. */
export type Parser = (text: string, file: string) => ParseResult;
