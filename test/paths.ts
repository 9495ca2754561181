// Where tests find the repository, their fixtures, the built CLI and ../shared/data, from src or dist alike.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
/** The real third-party data sets (read-only, beside the clone). */
export const sharedData = join(repoRoot, "..", "shared", "data");
/** The built CLI entry point (tests of the CLI run `npm run build` output). */
export const cliPath = join(repoRoot, "dist", "src", "cli", "main.js");

/** A fixture path under test/ (fixtures are not compiled, so always resolve them in the source tree). */
export function fixture(...parts: string[]): string {
  return join(repoRoot, "test", ...parts);
}
