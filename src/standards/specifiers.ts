// PEP 440 specifier facts the inventory needs (the comparison itself is @renovatebot/pep440's).
import { valid } from "./pep440.js";

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
  return valid(version) !== null ? version : null;
}
