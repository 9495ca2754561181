// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parsePylock(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "pylock parser not implemented yet" }] };
}
