import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as CDX from "@cyclonedx/cyclonedx-library";
import fc from "fast-check";
import { findJsonSyntaxError, parseCycloneDx } from "../../src/inventory/cyclonedx.js";
import type { Dependency } from "../../src/inventory/types.js";
import { fixture } from "../paths.js";

const ENV_SBOM = fixture("inventory", "fixtures", "cyclonedx", "cyclonedx-py-environment.cdx.json");
const NESTED_SBOM = fixture("inventory", "fixtures", "cyclonedx", "nested-1.4.cdx.json");
const envText = readFileSync(ENV_SBOM, "utf8");

function byName(deps: Dependency[], name: string): Dependency {
  const found = deps.filter((d) => d.name === name);
  assert.equal(found.length, 1, `exactly one ${name} in ${deps.map((d) => d.name).join(", ")}`);
  return found[0]!;
}

test("a cyclonedx-py environment SBOM yields its pkg:pypi components, not the root or purl-less ones", () => {
  const { dependencies, errors } = parseCycloneDx(envText, "sbom.json");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => `${d.name}==${d.version}`),
    [
      "charset-normalizer==3.3.2",
      "packaging==23.2",
      "requests==2.31.0",
      "six==1.16.0",
      "tomli==2.0.1",
      "urllib3==2.2.0",
    ],
  );
});

test("each component carries the line of its purl, its name as written and a pinned version", () => {
  const six = byName(parseCycloneDx(envText, "sbom.json").dependencies, "six");
  assert.deepEqual(six, {
    name: "six",
    rawName: "six",
    version: "1.16.0",
    specifier: "",
    pinned: true,
    hashes: ["sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"],
    extras: [],
    markers: null,
    groups: ["main"],
    direct: true,
    source: null,
    format: "cyclonedx",
    file: "sbom.json",
    line: 105,
  });
  const requests = byName(parseCycloneDx(envText, "sbom.json").dependencies, "requests");
  assert.equal(requests.rawName, "Requests");
  assert.equal(requests.line, 79);
});

test("direct means listed in the root component's dependsOn; other components are transitive", () => {
  const deps = parseCycloneDx(envText, "sbom.json").dependencies;
  const direct = Object.fromEntries(deps.map((d) => [d.name, d.direct]));
  assert.deepEqual(direct, {
    "charset-normalizer": false,
    packaging: true,
    requests: true,
    six: true,
    tomli: true,
    urllib3: false,
  });
});

test("hash algorithms map to hashlib names with lower-case digests", () => {
  const charset = byName(parseCycloneDx(envText, "sbom.json").dependencies, "charset-normalizer");
  assert.equal(charset.hashes.length, 2);
  assert.match(charset.hashes[0]!, /^sha512:4b4b3a2e[0-9a-f]+$/);
  assert.equal(
    charset.hashes[1],
    "blake2b_256:63097cfb2b2f3e1a6f5a94f7b3a4c3e9e0a4b8e1a2f2b3c4d5e6f708192a3b4c",
  );
});

test("purl qualifiers give the source: vcs_url with its commit, download_url, repository_url", () => {
  const deps = parseCycloneDx(envText, "sbom.json").dependencies;
  assert.deepEqual(byName(deps, "packaging").source, {
    kind: "vcs",
    vcs: "git",
    url: "https://github.com/pypa/packaging.git",
    ref: "b3a5d7d68991c040615d5345bb55f61de53ba176",
  });
  assert.deepEqual(byName(deps, "urllib3").source, {
    kind: "url",
    url: "https://github.com/urllib3/urllib3/archive/refs/tags/2.2.0.zip",
  });
  const nested = parseCycloneDx(readFileSync(NESTED_SBOM, "utf8"), "nested.json").dependencies;
  assert.deepEqual(byName(nested, "jinja2").source, {
    kind: "index",
    url: "https://pypi.internal.example/simple",
  });
});

test("scope optional becomes the optional group; excluded is kept, in the excluded group", () => {
  const tomli = byName(parseCycloneDx(envText, "sbom.json").dependencies, "tomli");
  assert.deepEqual(tomli.groups, ["optional"]);
  const nested = parseCycloneDx(readFileSync(NESTED_SBOM, "utf8"), "nested.json").dependencies;
  assert.deepEqual(byName(nested, "pytest").groups, ["excluded"]);
  assert.deepEqual(byName(nested, "flask").groups, ["main"]);
});

test("nested components are walked; other ecosystems are ignored; without a root graph direct is unknown", () => {
  const { dependencies, errors } = parseCycloneDx(readFileSync(NESTED_SBOM, "utf8"), "nested.json");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => [d.name, d.version, d.direct, d.line]),
    [
      ["flask", "3.0.0", null, 18],
      ["jinja2", "3.1.2", null, 25],
      ["pytest", "8.0.0", null, 32],
    ],
  );
});

test("an SBOM written by @cyclonedx/cyclonedx-library (spec 1.6) reads back", () => {
  const bom = new CDX.Models.Bom();
  bom.metadata.component = new CDX.Models.Component(CDX.Enums.ComponentType.Application, "demo", {
    bomRef: "demo-root",
  });
  const attrs = new CDX.Models.Component(CDX.Enums.ComponentType.Library, "attrs", {
    bomRef: "attrs",
    version: "23.1.0",
    purl: "pkg:pypi/attrs@23.1.0",
  });
  attrs.hashes.set(CDX.Enums.HashAlgorithm["SHA-256"], "AB".repeat(32));
  const idna = new CDX.Models.Component(CDX.Enums.ComponentType.Library, "idna", {
    bomRef: "idna",
    version: "3.4",
    purl: "pkg:pypi/idna@3.4",
    scope: CDX.Enums.ComponentScope.Optional,
  });
  bom.components.add(attrs);
  bom.components.add(idna);
  bom.metadata.component.dependencies.add(attrs.bomRef);
  attrs.dependencies.add(idna.bomRef);
  const serializer = new CDX.Serialize.JsonSerializer(
    new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6),
  );
  const text = serializer.serialize(bom, { sortLists: true, space: 2 });

  const { dependencies, errors } = parseCycloneDx(text, "lib.cdx.json");
  assert.deepEqual(errors, []);
  assert.deepEqual(
    dependencies.map((d) => ({
      name: d.name,
      version: d.version,
      direct: d.direct,
      groups: d.groups,
      hashes: d.hashes,
    })),
    [
      {
        name: "attrs",
        version: "23.1.0",
        direct: true,
        groups: ["main"],
        hashes: [`sha256:${"ab".repeat(32)}`],
      },
      { name: "idna", version: "3.4", direct: false, groups: ["optional"], hashes: [] },
    ],
  );
  const lines = text.split("\n");
  for (const d of dependencies) assert.match(lines[d.line! - 1]!, new RegExp(`"purl": "pkg:pypi/${d.name}@`));
});

test("a JSON syntax error is reported with its line and column", () => {
  const broken =
    '{\n  "bomFormat": "CycloneDX",\n  "components": [\n    { "name": "x" }\n    { "name": "y" }\n  ]\n}';
  const { dependencies, errors } = parseCycloneDx(broken, "bad.json");
  assert.deepEqual(dependencies, []);
  assert.deepEqual(errors, [
    { file: "bad.json", line: 5, column: 5, message: `not valid JSON: unexpected "{"; expected ',' or ']'` },
  ]);
  assert.deepEqual(parseCycloneDx("", "empty.json").errors, [
    { file: "empty.json", line: 1, column: 1, message: "not valid JSON: unexpected end of input" },
  ]);
});

test("valid JSON that is not CycloneDX is rejected with the reason", () => {
  assert.deepEqual(parseCycloneDx("[]", "a.json").errors, [
    { file: "a.json", message: "not a CycloneDX SBOM: expected a JSON object at the top" },
  ]);
  assert.deepEqual(parseCycloneDx('{"bomFormat": "SPDX"}', "b.json").errors, [
    { file: "b.json", message: `not a CycloneDX SBOM: "bomFormat" is "SPDX", expected "CycloneDX"` },
  ]);
  assert.match(
    parseCycloneDx('{"spdxVersion": "SPDX-2.3"}', "c.json").errors[0]!.message,
    /"bomFormat" is missing/,
  );
});

test("bad components are reported at their purl's line and skipped; the rest still read", () => {
  const text = [
    "{",
    '  "bomFormat": "CycloneDX", "specVersion": "1.5",',
    '  "components": [',
    '    { "name": "ok", "purl": "pkg:pypi/ok@1.0" },',
    '    { "name": "bad", "purl": "pkg:pypi/@1.0" },',
    '    { "purl": "pkg:pypi/" },',
    '    { "name": "h", "purl": "pkg:pypi/h@2", "hashes": [{ "alg": "CRC32", "content": "00" }, { "alg": "SHA-256", "content": "xyz" }] },',
    '    { "name": "other", "version": "9", "purl": "pkg:pypi/v@1" },',
    "    42",
    "  ]",
    "}",
  ].join("\n");
  const { dependencies, errors } = parseCycloneDx(text, "s.json");
  assert.deepEqual(
    dependencies.map((d) => `${d.name}@${d.version}`),
    ["ok@1.0", "h@2", "v@1"],
  );
  assert.deepEqual(
    errors.map((e) => [e.line, e.message.slice(0, 40)]),
    [
      [5, 'package URL "pkg:pypi/@1.0" does not nam'],
      [6, 'invalid package URL "pkg:pypi/": Invalid'],
      [7, "components[3].hashes: unknown hash algor"],
      [7, "components[3].hashes: SHA-256 value is n"],
      [8, 'component name "other" differs from its '],
      [8, 'component version "9" differs from its p'],
      [undefined, "components[5] is not an object; ignored"],
    ],
  );
});

test("the JSON syntax scanner agrees with JSON.parse on valid and invalid documents", () => {
  fc.assert(
    fc.property(fc.json(), (json) => {
      assert.equal(findJsonSyntaxError(json), null);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(findJsonSyntaxError(text) === null, valid, JSON.stringify(text));
    }),
    { numRuns: 1000 },
  );
  assert.ok(findJsonSyntaxError("[".repeat(200_000)), "deep nesting is an error, not a stack overflow");
});

test("random mutations of an SBOM never throw; errors stay inside the text", () => {
  const lineCount = envText.split("\n").length + 40;
  fc.assert(
    fc.property(
      fc.string({ maxLength: 20 }),
      fc.nat({ max: envText.length }),
      fc.nat({ max: 30 }),
      (insert, at, del) => {
        const text = envText.slice(0, at) + insert + envText.slice(at + del);
        const { dependencies, errors } = parseCycloneDx(text, "m.json");
        for (const e of errors) {
          assert.equal(e.file, "m.json");
          if (e.line !== undefined) assert.ok(e.line >= 1 && e.line <= lineCount);
        }
        for (const d of dependencies) assert.equal(d.format, "cyclonedx");
      },
    ),
    { numRuns: 400 },
  );
  // Structurally valid JSON of the wrong shapes in every slot.
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (components, deps, metadata) => {
      const text = JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        components: [
          components,
          { purl: "pkg:pypi/x@1", hashes: components, scope: deps, "bom-ref": metadata },
        ],
        dependencies: deps,
        metadata,
      });
      parseCycloneDx(text, "shape.json");
    }),
    { numRuns: 300 },
  );
});

test('a purl with an empty version (pkg:pypi/django@) is not pinned to a version ""', () => {
  const bom = (component: Record<string, unknown>) =>
    JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", components: [component] });
  const bare = parseCycloneDx(bom({ type: "library", name: "django", purl: "pkg:pypi/django@" }), "bom.json");
  assert.equal(bare.dependencies[0]?.version, null);
  assert.equal(bare.dependencies[0]?.pinned, false);
  const fromComponent = parseCycloneDx(
    bom({ type: "library", name: "django", version: "4.2.1", purl: "pkg:pypi/django@" }),
    "bom.json",
  );
  assert.equal(fromComponent.dependencies[0]?.version, "4.2.1");
  assert.deepEqual(fromComponent.errors, []);
});
