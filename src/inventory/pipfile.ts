// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parsePipfile(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "pipfile parser not implemented yet" }] };
}
