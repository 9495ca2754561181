// PEP 440 versions and specifiers: @renovatebot/pep440, the one implementation every module uses.
// Loaded with require() on the first call: it is a CommonJS package (importing one from an ES module makes Node
// scan its sources for export names first), and a run that only reads lock files or environments never needs it.
import { createRequire } from "node:module";

type Pep440 = typeof import("@renovatebot/pep440");
let loaded: Pep440 | null = null;

function lib(): Pep440 {
  loaded ??= createRequire(import.meta.url)("@renovatebot/pep440") as Pep440;
  return loaded;
}

export const compare: Pep440["compare"] = (a, b) => lib().compare(a, b);
export const eq: Pep440["eq"] = (a, b) => lib().eq(a, b);
export const explain: Pep440["explain"] = (version) => lib().explain(version);
export const maxSatisfying: Pep440["maxSatisfying"] = (versions, range, options) =>
  lib().maxSatisfying(versions, range, options);
export const parse: Pep440["parse"] = (version, regex) => lib().parse(version, regex);
export const satisfies: Pep440["satisfies"] = (version, specifier, options) =>
  lib().satisfies(version, specifier, options);
export const valid: Pep440["valid"] = (version) => lib().valid(version);
export const validRange: Pep440["validRange"] = (specifier) => lib().validRange(specifier);
