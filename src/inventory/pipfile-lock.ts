// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parsePipfileLock(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "pipfile-lock parser not implemented yet" }] };
}
