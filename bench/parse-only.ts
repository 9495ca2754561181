// The baseline the inventory is compared with: read one file and parse it with the same library, nothing else.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";

const file = process.argv[2]!;
const text = readFileSync(file, "utf8");
if (file.endsWith(".toml") || file.endsWith(".lock")) {
  parse(text);
} else if (file.endsWith(".json")) {
  JSON.parse(text);
} else {
  // requirements files have no library parser: the floor is reading and splitting lines
  text.split(/\r?\n/).length;
}
