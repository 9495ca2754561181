// STUB: to be implemented.
import type { ParseResult } from "./types.js";

export function parseCycloneDx(_text: string, file: string): ParseResult {
  return { dependencies: [], errors: [{ file, message: "cyclonedx parser not implemented yet" }] };
}
