import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  parseMarker,
  parseRequirement,
  parseSpecifier,
  type Requirement,
} from "../../src/standards/pep508.js";

function ok(text: string): Requirement {
  const r = parseRequirement(text);
  if (!r.ok) assert.fail(`${JSON.stringify(text)} should parse, got: ${r.message} (column ${r.column})`);
  return r.requirement;
}

function bad(text: string): { message: string; column: number } {
  const r = parseRequirement(text);
  if (r.ok) assert.fail(`${JSON.stringify(text)} should not parse, got ${JSON.stringify(r.requirement)}`);
  return r;
}

test("the PEP's own test cases parse", () => {
  const cases: Array<[string, Partial<Requirement>]> = [
    ["A", { name: "A" }],
    ["A.B-C_D", { name: "A.B-C_D" }],
    ["aa", { name: "aa" }],
    ["name", { name: "name", specifier: "", url: null, marker: null }],
    ["name<=1", { specifier: "<=1" }],
    ["name>=3", { specifier: ">=3" }],
    ["name>=3,<2", { specifier: ">=3,<2" }],
    ["name@http://foo.com", { url: "http://foo.com", specifier: "" }],
    [
      "name [fred,bar] @ http://foo.com ; python_version=='2.7'",
      { extras: ["fred", "bar"], url: "http://foo.com", marker: "python_version=='2.7'" },
    ],
    [
      "name[quux, strange];python_version<'2.7' and platform_version=='2'",
      { extras: ["quux", "strange"], marker: "python_version<'2.7' and platform_version=='2'" },
    ],
    ["name; os_name=='a' or os_name=='b'", { marker: "os_name=='a' or os_name=='b'" }],
    [
      "name; os_name=='a' and os_name=='b' or os_name=='c'",
      { marker: "os_name=='a' and os_name=='b' or os_name=='c'" },
    ],
    [
      "name; os_name=='a' and (os_name=='b' or os_name=='c')",
      { marker: "os_name=='a' and (os_name=='b' or os_name=='c')" },
    ],
    [
      "name; os_name=='a' or os_name=='b' and os_name=='c'",
      { marker: "os_name=='a' or os_name=='b' and os_name=='c'" },
    ],
    [
      "name; (os_name=='a' or os_name=='b') and os_name=='c'",
      { marker: "(os_name=='a' or os_name=='b') and os_name=='c'" },
    ],
  ];
  for (const [text, expected] of cases) {
    const req = ok(text);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(req[key as keyof Requirement], value, `${text}: ${key}`);
    }
  }
});

test("the PEP's introductory examples parse into all their parts", () => {
  assert.deepEqual(ok('requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"'), {
    name: "requests",
    extras: ["security", "tests"],
    specifier: ">=2.8.1,==2.8.*",
    url: null,
    marker: 'python_version < "2.7"',
  });
  assert.deepEqual(
    ok("pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686"),
    {
      name: "pip",
      extras: [],
      specifier: "",
      url: "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
      marker: null,
    },
  );
});

test("the specifier is normalised without spaces, and the parenthesised form is accepted", () => {
  assert.equal(ok("name (>= 1.0 , < 2)").specifier, ">=1.0,<2");
  assert.equal(ok("name(==1.0)").specifier, "==1.0");
  assert.equal(ok("  name  >=1.0 ,!=1.5.*  ").specifier, ">=1.0,!=1.5.*");
  assert.equal(ok("name ~= 1.4.2").specifier, "~=1.4.2");
  assert.equal(ok("name===1.0-some_thing").specifier, "===1.0-some_thing");
  assert.equal(ok("name==1.0+local.7").specifier, "==1.0+local.7");
  assert.equal(ok("name>=1!2.0.post1.dev3").specifier, ">=1!2.0.post1.dev3");
  assert.equal(ok("name\t>=1;python_version>'3'").marker, "python_version>'3'");
});

test("marker operators include in, not in, === and ~=, and both sides may be strings or variables", () => {
  assert.ok(ok("name; 'linux' in sys_platform").marker);
  assert.ok(ok("name; sys_platform not in 'win32 cygwin'").marker);
  assert.ok(ok("name; python_full_version === '3.8.0'").marker);
  assert.ok(ok("name; python_version ~= '3.8'").marker);
  assert.ok(ok('name; extra == "test" and implementation_name == "cpython"').marker);
  assert.ok(ok("name; platform_machine=='x86_64'and(os_name=='posix')").marker);
  assert.ok(ok("name; '3.8' <= python_version").marker);
  assert.ok(ok("name; os.name == 'posix'").marker, "legacy dotted names are still accepted by packaging");
  assert.deepEqual(
    parseMarker("python_version >= '3.8' and (sys_platform == 'linux' or sys_platform == 'darwin')"),
    {
      ok: true,
    },
  );
});

test("a URL requirement needs whitespace before its marker; without it the ';' belongs to the URL", () => {
  assert.equal(ok("name @ http://x.example/a.zip ; os_name=='nt'").marker, "os_name=='nt'");
  const glued = ok("name @ http://x.example/a.zip;os_name=='nt'");
  assert.equal(glued.url, "http://x.example/a.zip;os_name=='nt'");
  assert.equal(glued.marker, null);
});

test("errors name what was expected, at a 1-based column", () => {
  assert.deepEqual(bad("name>="), {
    ok: false,
    message: "expected a version after '>=', found the end",
    column: 7,
  });
  assert.deepEqual(bad("name >= ,2"), {
    ok: false,
    message: "expected a version after '>=', found ','",
    column: 9,
  });
  assert.match(bad("name=1").message, /expected a version operator/);
  assert.equal(bad("name=1").column, 5);
  assert.deepEqual(bad(""), { ok: false, message: "expected a package name", column: 1 });
  assert.equal(bad("-name").column, 1);
  assert.match(bad("name[a,").message, /expected an extra name and '\]'/);
  assert.match(bad("name[a b]").message, /expected ',' or '\]' after the extra 'a'/);
  assert.match(bad("name[a,]").message, /expected an extra name/);
  assert.match(bad("name @").message, /expected a URL after '@'/);
  assert.match(bad("name @ http://x y").message, /after the URL/);
  assert.equal(bad("name @ http://x y").column, 17);
  assert.match(bad("name==1.0 extra").message, /expected ',', ';' or the end after the version specifier/);
  assert.match(bad("name (>=1.0").message, /to close the '\(' at column 6/);
  assert.match(bad("name;").message, /expected a marker after ';'/);
  assert.match(
    bad("name$").message,
    /expected a version specifier, '\[', '@', ';' or the end after the name/,
  );
});

test("marker errors point at the offending token", () => {
  const unknown = bad("name; pythonversion == '3'");
  assert.match(unknown.message, /unknown marker variable 'pythonversion'/);
  assert.equal(unknown.column, 7);
  const noOp = bad("name; python_version '3'");
  assert.match(noOp.message, /expected a marker operator .* after 'python_version'/);
  assert.equal(noOp.column, 22);
  assert.match(
    bad("name; python_version == ").message,
    /expected a marker variable or a quoted string after '=='/,
  );
  const unterminated = bad("name; os_name == 'posix");
  assert.match(unterminated.message, /unterminated string/);
  assert.equal(unterminated.column, 18);
  assert.match(bad("name; (os_name == 'a'").message, /to close the '\(' at column 7/);
  assert.match(
    bad("name; os_name == 'a' xor os_name == 'b'").message,
    /expected 'and', 'or' or the end of the marker/,
  );
  assert.match(bad("name; os_name = 'a'").message, /expected a marker operator/);
  assert.match(bad("name; os_name not 'a'").message, /expected a marker operator/);
  assert.match(bad("name; os_name == 'a' and").message, /expected a marker variable/);
});

test("versions are checked against PEP 440 for their operator", () => {
  assert.match(bad("name>=banana").message, /'banana' is not a valid PEP 440 version/);
  assert.equal(bad("name>=banana").column, 7);
  assert.match(bad("name>=1.*").message, /only allowed with == and !=/);
  assert.match(bad("name==1.*.3").message, /trailing '\.\*'/);
  assert.match(bad("name==1.0+local.*").message, /local label/);
  assert.match(bad("name<1.0+local").message, /local version label \('\+local'\) is not allowed with '<'/);
  assert.match(bad("name~=1").message, /at least two parts/);
  assert.equal(ok("name!=1.2.*").specifier, "!=1.2.*");
  assert.equal(ok("name===anything-at_all.1").specifier, "===anything-at_all.1");
});

test("names follow the identifier rule: letters and digits at both ends, - _ . inside", () => {
  assert.equal(ok("zope.interface").name, "zope.interface");
  assert.equal(ok("a").name, "a");
  assert.equal(ok("a--b").name, "a--b");
  // A trailing separator is not part of the name, so what follows it is unexpected.
  assert.match(bad("name-").message, /after the name/);
  assert.match(bad("_name").message, /expected a package name/);
});

test("parseSpecifier validates a bare specifier list", () => {
  assert.deepEqual(parseSpecifier(" >= 1.0 , < 2 "), { ok: true, specifier: ">=1.0,<2" });
  assert.deepEqual(parseSpecifier(""), { ok: true, specifier: "" });
  assert.equal(parseSpecifier(">=1.0 <2").ok, false);
});

const validRequirements = [
  "requests",
  "requests[security,tests]>=2.8.1,==2.8.*;python_version<'2.7'",
  "name @ https://example.com/name-1.0.tar.gz ; sys_platform == 'linux'",
  "Django (>=4.2, <5)",
  "pkg; (os_name=='a' or os_name=='b') and extra=='x'",
  "pkg===1.0.weird",
];

test("random strings never throw, and errors always have a column inside the input (+1)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => {
      const r = parseRequirement(s);
      if (!r.ok) {
        assert.ok(r.column >= 1 && r.column <= s.length + 1, `column ${r.column} for ${JSON.stringify(s)}`);
        assert.ok(r.message.length > 0);
      }
      parseMarker(s);
      parseSpecifier(s);
    }),
    { numRuns: 2000 },
  );
});

test("random mutations of valid requirements never throw", () => {
  const alphabet = fc.constantFrom(..."[](),;@'\" \t=<>!~*.-_+#abcxyz019".split(""));
  const mutation = fc.record({
    base: fc.constantFrom(...validRequirements),
    at: fc.nat(),
    remove: fc.nat({ max: 4 }),
    insert: fc.array(alphabet, { maxLength: 4 }),
  });
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      let text = mutations[0]!.base;
      for (const m of mutations) {
        const at = text.length === 0 ? 0 : m.at % (text.length + 1);
        text = text.slice(0, at) + m.insert.join("") + text.slice(at + m.remove);
      }
      const r = parseRequirement(text);
      if (!r.ok) assert.ok(r.column >= 1 && r.column <= text.length + 1);
    }),
    { numRuns: 3000 },
  );
});

test("a direct reference URL may be relative (URI_reference) but only holds RFC 3986 characters", () => {
  assert.equal(ok("name @ ./local/dir").url, "./local/dir");
  const quote = bad('name @ https://x.example/a"b');
  assert.match(quote.message, /'"' is not allowed in a URL/);
  assert.equal(quote.column, 27);
});
