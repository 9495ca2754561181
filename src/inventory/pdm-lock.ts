// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parsePdmLock(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "pdm-lock parser not implemented yet" }] };
}
