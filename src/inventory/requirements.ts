// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parseRequirements(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "requirements parser not implemented yet" }] };
}
