// PEP 440 versions and specifiers: @renovatebot/pep440, the one implementation every module uses.
// Loaded with require(): it is a CommonJS package, and importing one from an ES module makes Node scan its
// sources for export names first, a cost paid at the start of every run.
import { createRequire } from "node:module";

const pep440 = createRequire(import.meta.url)("@renovatebot/pep440") as typeof import("@renovatebot/pep440");

export const { compare, eq, explain, maxSatisfying, parse, satisfies, valid, validRange } = pep440;
