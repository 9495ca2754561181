// CycloneDX JSON SBOMs (spec 1.4-1.6, as cyclonedx-py, syft, trivy write them): their pkg:pypi components.
import { PackageURL } from "packageurl-js";
import { fileUrlPath } from "../standards/direct-url.js";
import { isValidName, normalizeName } from "../standards/names.js";
import { makeDependency } from "./dependency.js";
import type { Dependency, InputError, ParseResult, Source } from "./types.js";

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** CycloneDX hash algorithm names -> Python hashlib names, as `Dependency.hashes` spells them. */
const HASH_ALGORITHMS: Record<string, string> = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
  "SHA3-256": "sha3_256",
  "SHA3-384": "sha3_384",
  "SHA3-512": "sha3_512",
  "BLAKE2b-256": "blake2b_256",
  "BLAKE2b-384": "blake2b_384",
  "BLAKE2b-512": "blake2b_512",
  BLAKE3: "blake3",
};

const KNOWN_VCS = new Set(["git", "hg", "svn", "bzr"]);

/** Parses a CycloneDX JSON document into the pkg:pypi components it lists (never throws for bad input). */
export function parseCycloneDx(text: string, file: string): ParseResult {
  const dependencies: Dependency[] = [];
  const errors: InputError[] = [];
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;

  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    const found = findJsonSyntaxError(body);
    if (found) {
      const { line, column } = lineAndColumn(body, found.offset);
      errors.push({ file, line, column, message: `not valid JSON: ${found.message}` });
    } else {
      errors.push({ file, message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` });
    }
    return { dependencies, errors };
  }
  if (!isObject(doc)) {
    errors.push({ file, message: "not a CycloneDX SBOM: expected a JSON object at the top" });
    return { dependencies, errors };
  }
  if (doc.bomFormat !== "CycloneDX") {
    const was = doc.bomFormat === undefined ? "missing" : JSON.stringify(doc.bomFormat);
    errors.push({ file, message: `not a CycloneDX SBOM: "bomFormat" is ${was}, expected "CycloneDX"` });
    return { dependencies, errors };
  }
  if (typeof doc.specVersion !== "string" || !/^1\.\d+$/.test(doc.specVersion)) {
    errors.push({
      file,
      message: `unsupported "specVersion" ${JSON.stringify(doc.specVersion) ?? "(missing)"}; reading it as CycloneDX 1.x`,
    });
  }

  const directRefs = rootDependencies(doc);
  const lines = new PurlLines(body);

  // Depth-first in document order with an explicit stack: nesting depth is the input's to choose.
  const stack: { value: unknown; path: string }[] = [];
  const pushChildren = (list: unknown, path: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      errors.push({ file, message: `${path} is not an array; ignored` });
      return;
    }
    for (let i = list.length - 1; i >= 0; i--) stack.push({ value: list[i], path: `${path}[${i}]` });
  };
  pushChildren(doc.components, "components");
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (!isObject(value)) {
      errors.push({ file, message: `${path} is not an object; ignored` });
      continue;
    }
    const dep = readComponent(value, path, file, directRefs, lines, errors);
    if (dep) dependencies.push(dep);
    pushChildren(value.components, `${path}.components`);
  }
  return { dependencies, errors };
}

/**
 * The bom-refs the root component (metadata.component) depends on directly, or null when the document has no
 * dependency entry for the root (then whether a component is direct is unknown).
 */
function rootDependencies(doc: JsonObject): Set<string> | null {
  const metadata = doc.metadata;
  if (!isObject(metadata) || !isObject(metadata.component)) return null;
  const rootRef = metadata.component["bom-ref"];
  if (typeof rootRef !== "string" || !Array.isArray(doc.dependencies)) return null;
  let refs: Set<string> | null = null;
  for (const entry of doc.dependencies) {
    if (!isObject(entry) || entry.ref !== rootRef) continue;
    refs ??= new Set();
    if (Array.isArray(entry.dependsOn)) {
      for (const ref of entry.dependsOn) if (typeof ref === "string") refs.add(ref);
    }
  }
  return refs;
}

function readComponent(
  component: JsonObject,
  path: string,
  file: string,
  directRefs: Set<string> | null,
  lines: PurlLines,
  errors: InputError[],
): Dependency | null {
  const purlText = component.purl;
  if (purlText === undefined) return null; // not a package (a file, a firmware, a local checkout): not ours
  if (typeof purlText !== "string") {
    errors.push({ file, message: `${path}.purl is not a string; component ignored` });
    return null;
  }
  // Other ecosystems share SBOMs with Python (syft, trivy): only pkg:pypi is inventory here.
  if (!/^pkg:\/*pypi\//i.test(purlText)) return null;
  const line = lines.take(purlText);
  const at = (message: string): InputError => (line === null ? { file, message } : { file, line, message });

  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(purlText);
  } catch (e) {
    errors.push(
      at(`invalid package URL ${JSON.stringify(purlText)}: ${e instanceof Error ? e.message : String(e)}`),
    );
    return null;
  }

  if (!isValidName(purl.name)) {
    errors.push(at(`package URL ${JSON.stringify(purlText)} does not name a valid Python project`));
    return null;
  }

  const componentName = typeof component.name === "string" ? component.name : null;
  let rawName = purl.name;
  if (componentName !== null) {
    if (normalizeName(componentName) === normalizeName(purl.name)) rawName = componentName;
    else
      errors.push(
        at(`component name "${componentName}" differs from its purl's "${purl.name}"; using the purl`),
      );
  }

  const componentVersion =
    typeof component.version === "string" && component.version ? component.version : null;
  // `pkg:pypi/django@` has an empty version: no version at all, not a version "" that matches no advisory.
  const purlVersion = purl.version ? purl.version : null;
  const version = purlVersion ?? componentVersion;
  if (purlVersion && componentVersion && purlVersion !== componentVersion) {
    errors.push(
      at(`component version "${componentVersion}" differs from its purl's "${purl.version}"; using the purl`),
    );
  }

  let groups = ["main"];
  const scope = component.scope;
  if (scope === "optional") groups = ["optional"];
  // Excluded means "not in the runtime": still in the build, so still inventoried (a build tool can be malicious).
  else if (scope === "excluded") groups = ["excluded"];
  else if (scope !== undefined && scope !== "required") {
    errors.push(at(`unknown scope ${JSON.stringify(scope)}; read as "required"`));
  }

  const ref = component["bom-ref"];
  const direct = directRefs === null || typeof ref !== "string" ? null : directRefs.has(ref);

  return makeDependency({
    rawName,
    format: "cyclonedx",
    file,
    line,
    lockedVersion: version,
    hashes: componentHashes(component, purl, path, at, errors),
    groups,
    direct,
    source: qualifierSource(purl.qualifiers ?? {}),
  });
}

/** Hashes from the component, its distribution external references and the purl's `checksum` qualifier. */
function componentHashes(
  component: JsonObject,
  purl: PackageURL,
  path: string,
  at: (message: string) => InputError,
  errors: InputError[],
): string[] {
  const hashes = new Set<string>();
  const addList = (list: unknown, where: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      errors.push(at(`${where} is not an array; ignored`));
      return;
    }
    for (const h of list) {
      if (!isObject(h) || typeof h.alg !== "string" || typeof h.content !== "string") {
        errors.push(at(`${where}: a hash without "alg" and "content" strings; ignored`));
        continue;
      }
      const alg = HASH_ALGORITHMS[h.alg];
      if (!alg) errors.push(at(`${where}: unknown hash algorithm ${JSON.stringify(h.alg)}; ignored`));
      else if (!/^[0-9a-f]+$/i.test(h.content))
        errors.push(at(`${where}: ${h.alg} value is not hexadecimal; ignored`));
      else hashes.add(`${alg}:${h.content.toLowerCase()}`);
    }
  };
  addList(component.hashes, `${path}.hashes`);
  const refs = component.externalReferences;
  if (Array.isArray(refs)) {
    refs.forEach((r, i) => {
      if (isObject(r) && r.type === "distribution")
        addList(r.hashes, `${path}.externalReferences[${i}].hashes`);
    });
  }
  const checksum = purl.qualifiers?.checksum;
  if (checksum) {
    for (const item of checksum.split(",")) {
      const m = /^([A-Za-z0-9_-]+):([0-9a-fA-F]+)$/.exec(item.trim());
      if (m) hashes.add(`${m[1]!.toLowerCase().replace(/-/g, "")}:${m[2]!.toLowerCase()}`);
      else errors.push(at(`purl checksum ${JSON.stringify(item)} is not "<algorithm>:<hex>"; ignored`));
    }
  }
  return [...hashes];
}

/** Where the purl's qualifiers say the package came from: vcs_url, then download_url, then repository_url. */
function qualifierSource(q: Record<string, string>): Source | null {
  const vcsUrl = q.vcs_url;
  if (vcsUrl) {
    // `git+https://host/repo.git@<ref>`: the ref follows the last "@" after the last "/".
    const m = /^([a-z]+)\+(.*)$/i.exec(vcsUrl);
    const tool = m ? m[1]!.toLowerCase() : /^git:/i.test(vcsUrl) ? "git" : null;
    let url = m ? m[2]! : vcsUrl;
    let ref: string | null = null;
    const atSign = url.lastIndexOf("@");
    if (atSign > url.lastIndexOf("/")) {
      ref = url.slice(atSign + 1) || null;
      url = url.slice(0, atSign);
    }
    if (tool && KNOWN_VCS.has(tool))
      return { kind: "vcs", vcs: tool as "git" | "hg" | "svn" | "bzr", url, ref };
    return { kind: "url", url: vcsUrl };
  }
  const downloadUrl = q.download_url;
  if (downloadUrl) {
    const path = fileUrlPath(downloadUrl);
    return path === null ? { kind: "url", url: downloadUrl } : { kind: "path", path };
  }
  if (q.repository_url) return { kind: "index", url: q.repository_url };
  return null;
}

/** Lines of `"purl": "..."` values, handed out in document order per value (JSON.parse keeps no positions). */
class PurlLines {
  private readonly byValue = new Map<string, number[]>();

  constructor(text: string) {
    const starts = lineStarts(text);
    for (const m of text.matchAll(/"purl"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g)) {
      let value: string;
      try {
        value = JSON.parse(`"${m[1]}"`) as string;
      } catch {
        continue;
      }
      const line = lineAt(starts, m.index);
      const list = this.byValue.get(value);
      if (list) list.push(line);
      else this.byValue.set(value, [line]);
    }
  }

  /** The line of the next unclaimed occurrence of this purl value, or null. */
  take(value: string): number | null {
    return this.byValue.get(value)?.shift() ?? null;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset, by binary search over line starts. */
function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const starts = lineStarts(text);
  const line = lineAt(starts, offset);
  return { line, column: offset - starts[line - 1]! + 1 };
}

/**
 * The first JSON syntax error in a text, as an offset and a message, or null when it is valid JSON.
 * Node 20's JSON.parse often names no position, and no installed library parses strict JSON with locations
 * (the YAML parser accepts what JSON does not), so this small scanner finds it. Iterative: any depth is safe.
 */
export function findJsonSyntaxError(text: string): { offset: number; message: string } | null {
  type Expect = "value" | "valueOrClose" | "key" | "keyOrClose" | "colon" | "commaOrClose" | "end";
  const stack: ("{" | "[")[] = [];
  let expect = "value" as Expect;
  let i = 0;
  const n = text.length;
  const afterValue = (): Expect => (stack.length > 0 ? "commaOrClose" : "end");
  const fail = (offset: number, message: string) => ({ offset, message });
  const describe = (c: string) => JSON.stringify(c);

  while (true) {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
    if (i >= n) return expect === "end" ? null : fail(n, "unexpected end of input");
    const ch = text[i]!;
    switch (expect) {
      case "value":
      case "valueOrClose": {
        if (expect === "valueOrClose" && ch === "]") {
          stack.pop();
          i++;
          expect = afterValue();
          break;
        }
        if (ch === "{") {
          stack.push("{");
          expect = "keyOrClose";
          i++;
        } else if (ch === "[") {
          stack.push("[");
          expect = "valueOrClose";
          i++;
        } else if (ch === '"') {
          const end = scanString(text, i);
          if (typeof end !== "number") return end;
          i = end;
          expect = afterValue();
        } else {
          const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
          literal.lastIndex = i;
          const m = literal.exec(text);
          if (!m) return fail(i, `unexpected ${describe(ch)} where a value was expected`);
          i += m[0].length;
          expect = afterValue();
        }
        break;
      }
      case "key":
      case "keyOrClose": {
        if (expect === "keyOrClose" && ch === "}") {
          stack.pop();
          i++;
          expect = afterValue();
          break;
        }
        if (ch !== '"')
          return fail(i, `unexpected ${describe(ch)}; expected a property name in double quotes`);
        const end = scanString(text, i);
        if (typeof end !== "number") return end;
        i = end;
        expect = "colon";
        break;
      }
      case "colon":
        if (ch !== ":") return fail(i, `unexpected ${describe(ch)}; expected ':' after the property name`);
        i++;
        expect = "value";
        break;
      case "commaOrClose": {
        const top = stack[stack.length - 1];
        const close = top === "{" ? "}" : "]";
        if (ch === ",") {
          expect = top === "{" ? "key" : "value";
          i++;
        } else if (ch === close) {
          stack.pop();
          i++;
          expect = afterValue();
        } else {
          return fail(i, `unexpected ${describe(ch)}; expected ',' or '${close}'`);
        }
        break;
      }
      case "end":
        return fail(i, `unexpected ${describe(ch)} after the end of the JSON document`);
    }
  }
}

/** The offset just past a JSON string starting at `start` (a quote), or the error in it. */
function scanString(text: string, start: number): number | { offset: number; message: string } {
  let j = start + 1;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c === 0x5c) {
      const e = text[j + 1];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
          return { offset: j, message: "invalid \\u escape in a string" };
        }
        j += 6;
        continue;
      }
      if (e === undefined || !'"\\/bfnrt'.includes(e)) {
        return { offset: j, message: "invalid escape in a string" };
      }
      j += 2;
      continue;
    }
    if (c < 0x20) return { offset: j, message: "control character (e.g. a raw newline) inside a string" };
    j++;
  }
  return { offset: start, message: "unterminated string" };
}
