// The baseline the inventory is compared with: read one file and parse it, nothing else. TOML and JSON files are
// parsed with the library the inventory uses (smol-toml, JSON.parse). No library parses pip's requirements syntax
// (options, includes, hashes, markers, PEP 508), so a requirements file is parsed by pycustoms's own parser, called
// directly: the comparison then measures what the command adds to its parser (start-up, discovery, the records,
// the JSON document), as it does for the lock files.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// Loaded the way pycustoms loads it (the single-file CommonJS build: src/inventory/toml-lines.ts), so that both
// sides of the comparison pay the same for the library.
const { parse } = createRequire(import.meta.url)("smol-toml") as typeof import("smol-toml");

const file = process.argv[2]!;
const text = readFileSync(file, "utf8");
if (file.endsWith(".toml") || file.endsWith(".lock")) {
  parse(text);
} else if (file.endsWith(".json")) {
  JSON.parse(text);
} else {
  const { parseRequirements } = await import("../src/inventory/requirements.js");
  parseRequirements(text, file);
}
