// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parsePoetryLock(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "poetry-lock parser not implemented yet" }] };
}
