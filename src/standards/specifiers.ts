// PEP 440 specifier facts the inventory needs (the comparison itself is @renovatebot/pep440's).
import { createRequire } from "node:module";

type Pep440 = typeof import("@renovatebot/pep440");
let pep440: Pep440 | null = null;

/**
 * PEP 440 validity, with the library loaded on first use: lock files and environments give versions, not
 * specifiers, and an inventory of one need not pay the library's ~6 ms of loading.
 */
function valid(version: string): boolean {
  pep440 ??= createRequire(import.meta.url)("@renovatebot/pep440") as Pep440;
  return pep440.valid(version) !== null;
}

/**
 * The version a specifier pins exactly, or null: `==1.2.3` or `===1.2.3`, alone, without a wildcard.
 * `==1.2.*`, ranges and combinations (`==1.2,!=1.3`) are not exact pins.
 */
export function exactVersion(specifier: string): string | null {
  const s = specifier.trim();
  const m = /^(===?)\s*([^\s,;]+)$/.exec(s);
  if (!m) return null;
  const op = m[1]!;
  const version = m[2]!;
  if (op === "===") return version;
  if (version.includes("*")) return null;
  return valid(version) ? version : null;
}
