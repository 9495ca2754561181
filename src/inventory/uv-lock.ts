// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parseUvLock(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "uv-lock parser not implemented yet" }] };
}
