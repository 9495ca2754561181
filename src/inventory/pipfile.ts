// Reads the dependencies a Pipfile declares: [packages], [dev-packages] and pipenv's custom categories.
import { parseMarker, parseSpecifier } from "../standards/pep508.js";
import { makeDependency } from "./dependency.js";
import { joinMarkers, sourceFromUrl, TomlPositions } from "./pyproject.js";
import { isTomlTable, parseTomlWithLayout } from "./toml-lines.js";
import type { Dependency, InputError, ParseResult, Source } from "./types.js";

type Table = Record<string, unknown>;

/** Top-level tables that configure pipenv rather than list packages; every other table is a category. */
const NOT_CATEGORIES = new Set(["source", "requires", "scripts", "pipenv"]);

/** Marker variables pipenv accepts as keys of a package table (`sys_platform = "== 'linux'"`). */
const MARKER_KEYS = [
  "os_name",
  "sys_platform",
  "platform_machine",
  "platform_python_implementation",
  "platform_release",
  "platform_system",
  "platform_version",
  "python_version",
  "python_full_version",
  "implementation_name",
  "implementation_version",
];

const VCS_KEYS = ["git", "hg", "svn", "bzr"] as const;

function own(table: Table, key: string): unknown {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

/** The group name pipenv's category stands for in the inventory. */
function groupOf(category: string): string {
  if (category === "packages") return "main";
  if (category === "dev-packages") return "dev";
  return category;
}

/** Reads a Pipfile. Never throws for bad input: problems come back as located errors. */
export function parsePipfile(text: string, file: string): ParseResult {
  const parsed = parseTomlWithLayout(text, file);
  if (!parsed.ok) return { dependencies: [], errors: [parsed.error] };
  const positions = new TomlPositions(text, parsed.layout);
  const root = parsed.data;
  const dependencies: Dependency[] = [];
  const errors: InputError[] = [];
  const error = (line: number | null, message: string): void => {
    errors.push(line === null ? { file, message } : { file, line, message });
  };

  const sources = new Map<string, string>();
  let defaultIndex: string | null = null;
  const sourceList = own(root, "source");
  if (sourceList !== undefined && !Array.isArray(sourceList)) {
    error(positions.keyLine(["source"]), "[[source]] must be an array of tables");
  } else if (Array.isArray(sourceList)) {
    for (const s of sourceList) {
      if (!isTomlTable(s)) continue;
      const url = stringOrNull(own(s, "url"));
      const name = stringOrNull(own(s, "name"));
      if (url === null) continue;
      defaultIndex ??= url;
      if (name !== null) sources.set(name, url);
    }
  }

  for (const [category, packages] of Object.entries(root)) {
    if (NOT_CATEGORIES.has(category) || !isTomlTable(packages)) continue;
    const group = groupOf(category);
    for (const [rawName, value] of Object.entries(packages)) {
      const line = positions.keyLine([category, rawName]);
      const problem = (message: string): void => error(line, `[${category}] ${rawName}: ${message}`);
      if (typeof value !== "string" && !isTomlTable(value)) {
        problem("must be a version string or a table");
        continue;
      }
      const entry: Table = typeof value === "string" ? { version: value } : value;

      let specifier = "";
      const version = own(entry, "version");
      if (typeof version === "string") {
        const spec = pipfileSpecifier(version);
        if (spec.ok) specifier = spec.specifier;
        else problem(`invalid version "${version}": ${spec.message}`);
      } else if (version !== undefined) problem("version must be a string");

      let extras: string[] = [];
      const extrasValue = own(entry, "extras");
      if (Array.isArray(extrasValue) && extrasValue.every((e) => typeof e === "string"))
        extras = extrasValue as string[];
      else if (extrasValue !== undefined) problem("extras must be an array of strings");

      const markerParts: string[] = [];
      const markers = own(entry, "markers");
      if (typeof markers === "string") markerParts.push(markers);
      else if (markers !== undefined) problem("markers must be a string");
      for (const key of MARKER_KEYS) {
        const v = own(entry, key);
        if (typeof v !== "string") continue;
        // pipenv writes `sys_platform = "== 'linux'"`; a bare value means equality.
        markerParts.push(
          /^\s*(===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)/.test(v)
            ? `${key} ${v.trim()}`
            : `${key} == ${JSON.stringify(v)}`,
        );
      }
      const marker = joinMarkers(markerParts);
      if (marker !== null) {
        const check = parseMarker(marker);
        if (!check.ok) problem(`invalid markers "${marker}": ${check.message}`);
      }

      let source: Source | null = null;
      const vcs = VCS_KEYS.find((k) => typeof own(entry, k) === "string");
      const path = stringOrNull(own(entry, "path"));
      const fileRef = stringOrNull(own(entry, "file"));
      const index = stringOrNull(own(entry, "index"));
      if (vcs !== undefined) {
        source = { kind: "vcs", vcs, url: own(entry, vcs) as string, ref: stringOrNull(own(entry, "ref")) };
      } else if (path !== null) source = { kind: "path", path };
      else if (fileRef !== null) {
        source = /^[a-z][a-z0-9+.-]*:/i.test(fileRef)
          ? sourceFromUrl(fileRef)
          : { kind: "path", path: fileRef };
      } else if (index !== null) {
        const url = sources.get(index);
        if (url === undefined) problem(`index "${index}" is not the name of a [[source]]`);
        else source = { kind: "index", url };
      } else if (defaultIndex !== null) source = { kind: "index", url: defaultIndex };

      dependencies.push(
        makeDependency({
          rawName,
          format: "pipfile",
          file,
          line,
          specifier,
          extras,
          markers: marker,
          groups: [group],
          direct: true,
          source,
          editable: own(entry, "editable") === true,
        }),
      );
    }
  }
  return { dependencies, errors };
}

/**
 * A Pipfile version as a PEP 440 specifier: `*` is any version, and a version without an operator
 * (`"1.2"`, `"3.*"`) means `==`, as pipenv reads it.
 */
function pipfileSpecifier(version: string): { ok: true; specifier: string } | { ok: false; message: string } {
  const v = version.trim();
  if (v === "" || v === "*") return { ok: true, specifier: "" };
  const withOperator = /^[<>=!~]/.test(v) ? v : `==${v}`;
  const parsed = parseSpecifier(withOperator);
  return parsed.ok ? parsed : { ok: false, message: parsed.message };
}
