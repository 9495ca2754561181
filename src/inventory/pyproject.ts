// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parsePyproject(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "pyproject parser not implemented yet" }] };
}
