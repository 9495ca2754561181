// Converts Poetry's version-constraint syntax (pyproject `[tool.poetry]` tables) to PEP 440 specifiers.
//
// Rules, from Poetry's "Dependency specification" docs and poetry-core's constraint parser:
//   caret     ^1.2.3 -> >=1.2.3,<2.0.0   ^1.2 -> >=1.2,<2.0   ^1 -> >=1,<2
//             ^0.2.3 -> >=0.2.3,<0.3.0   ^0.0.3 -> >=0.0.3,<0.0.4   ^0.0 -> >=0.0,<0.1   ^0 -> >=0,<1
//             (the left-most non-zero component may not change; a version given with fewer
//             components bumps the last one given)
//   tilde     ~1.2.3 -> >=1.2.3,<1.3.0   ~1.2 -> >=1.2,<1.3   ~1 -> >=1,<2
//   wildcard  * -> ""   1.* -> ==1.*   1.2.* -> ==1.2.*   (`x`/`X` work like `*`)
//   exact     1.2.3 -> ==1.2.3 (a bare version is an exact pin in Poetry)   =1.2.3 -> ==1.2.3
//   PEP 440   >=, <=, >, <, ==, !=, ~=, === pass through (`<>` is Poetry's old spelling of !=)
//   and       ">=1.2, <1.5" or ">=1.2 <1.5" -> >=1.2,<1.5
//   or        "^1.2 || ^2.0" -> one PEP 440 specifier per alternative (PEP 440 has no union)
// The upper bound of a caret or tilde range is written with as many components as the version given.
// Written by hand because no maintained JS library implements Poetry's constraint grammar.
import { explain, valid } from "./pep440.js";
import { parseSpecifier } from "./pep508.js";

export type PoetryConstraintResult =
  | { ok: true /** One PEP 440 specifier per `||` alternative ("" = any version). */; specifiers: string[] }
  | { ok: false; message: string };

const OPERATOR = /^(===|==|!=|<>|<=|>=|~=|<|>|=|\^|~)?\s*(.*)$/;
const WILDCARD = /^v?((?:\d+\.)*)[*xX]$/;

/** Converts one Poetry constraint (possibly with `||` alternatives) to PEP 440 specifiers. */
export function poetryConstraintToPep440(constraint: string): PoetryConstraintResult {
  const text = constraint.trim();
  if (text === "") return { ok: true, specifiers: [""] };
  const specifiers: string[] = [];
  for (const alternative of text.split(/\s*\|\|?\s*/)) {
    const clauses = splitClauses(alternative);
    if (clauses.length === 0) {
      return { ok: false, message: `empty alternative in Poetry constraint "${constraint}"` };
    }
    const converted: string[] = [];
    for (const clause of clauses) {
      const result = convertClause(clause);
      if (typeof result !== "string") {
        return { ok: false, message: `${result.error} in Poetry constraint "${constraint}"` };
      }
      if (result !== "") converted.push(result);
    }
    const specifier = converted.join(",");
    // Pass-through clauses can still break PEP 440 rules (`~=1` needs two components): check the result.
    const check = parseSpecifier(specifier);
    if (!check.ok) return { ok: false, message: `${check.message} in Poetry constraint "${constraint}"` };
    specifiers.push(check.specifier);
  }
  return { ok: true, specifiers };
}

/** Splits an AND-list on commas or whitespace, keeping an operator with the version after it. */
function splitClauses(alternative: string): string[] {
  const joined = alternative.replace(/(===|==|!=|<>|<=|>=|~=|<|>|=|\^|~)\s+/g, "$1");
  return joined.split(/[\s,]+/).filter((c) => c !== "");
}

function convertClause(clause: string): string | { error: string } {
  const m = OPERATOR.exec(clause)!;
  const op = m[1] ?? "";
  const version = m[2] ?? "";
  if (version === "") return { error: `operator "${op}" without a version` };

  const wildcard = WILDCARD.exec(version);
  if (wildcard) {
    const prefix = (wildcard[1] ?? "").replace(/\.$/, "");
    if (prefix === "")
      return op === "" || op === "==" || op === "=" ? "" : { error: `"${clause}" matches nothing` };
    if (op === "" || op === "==" || op === "=") return `==${prefix}.*`;
    if (op === "!=" || op === "<>") return `!=${prefix}.*`;
    return { error: `wildcard "${version}" cannot follow "${op}"` };
  }
  if (op === "===") return `===${version}`;
  if (!valid(version)) return { error: `"${version}" is not a valid version` };

  switch (op) {
    case "":
    case "=":
    case "==":
      return `==${version}`;
    case "<>":
      return `!=${version}`;
    case "^":
      return `>=${version},<${upperBound(version, "caret")}`;
    case "~":
      return `>=${version},<${upperBound(version, "tilde")}`;
    default:
      return `${op}${version}`;
  }
}

/** The exclusive upper bound of a caret or tilde range, with as many components as `version`'s release. */
function upperBound(version: string, kind: "caret" | "tilde"): string {
  const release = explain(version)?.release ?? [0];
  const bumpAt = kind === "tilde" ? (release.length === 1 ? 0 : 1) : caretBumpIndex(release);
  const upper = release.map((n, i) => (i < bumpAt ? n : i === bumpAt ? n + 1 : 0));
  return upper.join(".");
}

/** Poetry's `next_breaking`: bump the left-most non-zero component, or the last one given. */
function caretBumpIndex(release: number[]): number {
  for (let i = 0; i < release.length; i++) {
    if (release[i] !== 0 || i === release.length - 1 || i === 2) return i;
  }
  return 0;
}

export type PoetryMarkerResult = { ok: true; marker: string | null } | { ok: false; message: string };

/**
 * Converts a Poetry `python = "..."` restriction to a PEP 508 marker (null when it allows every version).
 * Versions with three or more components compare against `python_full_version`, as Poetry does.
 */
export function poetryPythonToMarker(constraint: string): PoetryMarkerResult {
  const converted = poetryConstraintToPep440(constraint);
  if (!converted.ok) return converted;
  const alternatives: string[] = [];
  for (const specifier of converted.specifiers) {
    if (specifier === "") return { ok: true, marker: null };
    const parts = specifier.split(",").map((clause) => {
      const m = /^(===|==|!=|<=|>=|~=|<|>)(.*)$/.exec(clause)!;
      const v = m[2]!;
      const components = v.replace(/\.\*$/, "").split(".").length;
      const variable = components >= 3 && !v.endsWith(".*") ? "python_full_version" : "python_version";
      return `${variable} ${m[1]} "${v}"`;
    });
    alternatives.push(parts.join(" and "));
  }
  if (alternatives.length === 1) return { ok: true, marker: alternatives[0]! };
  return { ok: true, marker: alternatives.map((a) => `(${a})`).join(" or ") };
}
