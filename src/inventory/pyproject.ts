// Reads the dependencies a pyproject.toml declares: PEP 621, PEP 735 groups, Poetry, PDM, uv and build-system.

import { fileUrlPath } from "../standards/direct-url.js";
import { normalizeName } from "../standards/names.js";
import { parseMarker, parseRequirement } from "../standards/pep508.js";
import { poetryConstraintToPep440, poetryPythonToMarker } from "../standards/poetry-constraints.js";
import { makeDependency } from "./dependency.js";
import { splitLines } from "./read.js";
import { isTomlTable, parseTomlWithLayout, type TomlLayoutEntry } from "./toml-lines.js";
import type { Dependency, InputError, ParseResult, Source } from "./types.js";

type Table = Record<string, unknown>;

/** A string's place in the file: the line it starts on and the 1-based column of its first character. */
interface StringPosition {
  line: number;
  column: number;
}

/** Own property lookup: TOML keys such as `constructor` must never reach Object.prototype. */
function own(table: Table, key: string): unknown {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function tableAt(root: Table, path: string[]): Table | undefined {
  let cur: unknown = root;
  for (const key of path) {
    if (!isTomlTable(cur)) return undefined;
    cur = own(cur, key);
  }
  return isTomlTable(cur) ? cur : undefined;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

/**
 * Finds where keys and strings sit in a TOML document, on top of toml-lines' layout scan
 * (smol-toml gives values without positions).
 */
export class TomlPositions {
  private readonly lines: string[];
  private readonly index = new Map<string, number>();

  constructor(
    text: string,
    private readonly layout: TomlLayoutEntry[],
  ) {
    this.lines = splitLines(text);
    layout.forEach((entry, i) => {
      const key = JSON.stringify(entry.path);
      if (!this.index.has(key)) this.index.set(key, i);
    });
  }

  /** The line of the header or key with exactly this path, or of its nearest written ancestor; null if none. */
  keyLine(path: string[]): number | null {
    for (let n = path.length; n > 0; n--) {
      const i = this.index.get(JSON.stringify(path.slice(0, n)));
      if (i !== undefined) return this.layout[i]!.line;
    }
    return null;
  }

  /**
   * Where each of `values` is written inside the value of the key at `path`, matched in order (so repeated
   * identical strings get successive places); null for a string not found as written (e.g. escaped differently).
   */
  stringsIn(path: string[], values: string[]): (StringPosition | null)[] {
    const i = this.index.get(JSON.stringify(path));
    if (i === undefined) return values.map(() => null);
    const start = this.layout[i]!.line;
    const next = this.layout[i + 1];
    const end = next ? next.line - 1 : this.lines.length;
    const region = this.lines.slice(start - 1, end);
    let row = 0;
    let col = 0;
    return values.map((value) => {
      const needles = [JSON.stringify(value), `'${value}'`];
      for (let r = row; r < region.length; r++) {
        const lineText = region[r]!;
        let best = -1;
        let bestLength = 0;
        for (const needle of needles) {
          const at = lineText.indexOf(needle, r === row ? col : 0);
          if (at >= 0 && (best < 0 || at < best)) {
            best = at;
            bestLength = needle.length;
          }
        }
        if (best >= 0) {
          row = r;
          col = best + bestLength;
          return { line: start + r, column: best + 2 };
        }
      }
      return null;
    });
  }
}

/** The Source a PEP 508 direct reference (`name @ url`) points at. */
export function sourceFromUrl(url: string): Source {
  const vcs = /^(git|hg|svn|bzr)\+(.+)$/i.exec(url);
  if (vcs) {
    const withoutFragment = vcs[2]!.replace(/#.*$/, "");
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/]*)?(.*)$/i.exec(withoutFragment)!;
    const authority = m[1] ?? "";
    const path = m[2] ?? "";
    const at = path.lastIndexOf("@");
    const ref = at >= 0 ? path.slice(at + 1) : "";
    const hasRef = ref !== "" && !ref.includes(":");
    return {
      kind: "vcs",
      vcs: vcs[1]!.toLowerCase() as "git" | "hg" | "svn" | "bzr",
      url: hasRef ? authority + path.slice(0, at) : withoutFragment,
      ref: hasRef ? ref : null,
    };
  }
  // PDM writes project-relative paths as `file:///${PROJECT_ROOT}/sub`.
  const local = url.replace(/#.*$/, "");
  const projectRelative = /^file:\/\/\/?\$\{PROJECT_ROOT\}\/?/.exec(local);
  if (projectRelative) return { kind: "path", path: `./${local.slice(projectRelative[0].length)}` };
  const path = fileUrlPath(local);
  if (path !== null) return { kind: "path", path };
  return { kind: "url", url };
}

interface Context {
  file: string;
  root: Table;
  positions: TomlPositions;
  dependencies: Dependency[];
  errors: InputError[];
  /** `[tool.uv.sources]`, by normalised name. */
  uvSources: Map<string, { source: Source; editable: boolean }>;
}

interface Declaration {
  groups: string[];
  /** Apply `[tool.uv.sources]` (only to the PEP 621 / PEP 735 / uv declarations uv itself reads). */
  uv?: boolean;
  constraint?: boolean;
}

/** Reads a pyproject.toml. Never throws for bad input: problems come back as located errors. */
export function parsePyproject(text: string, file: string): ParseResult {
  const parsed = parseTomlWithLayout(text, file);
  if (!parsed.ok) return { dependencies: [], errors: [parsed.error] };
  const ctx: Context = {
    file,
    root: parsed.data,
    positions: new TomlPositions(text, parsed.layout),
    dependencies: [],
    errors: [],
    uvSources: new Map(),
  };
  readUvSources(ctx);
  const project = tableAt(ctx.root, ["project"]);
  const projectDeps = readProject(ctx, project);
  readDependencyGroups(ctx);
  readPoetry(ctx, projectDeps);
  readPdm(ctx);
  readUv(ctx);
  readStringArray(ctx, ["build-system", "requires"], "[build-system] requires", { groups: ["build"] });
  return { dependencies: ctx.dependencies, errors: ctx.errors };
}

function error(ctx: Context, line: number | null, message: string, column?: number): void {
  const e: InputError = { file: ctx.file, message };
  if (line !== null) e.line = line;
  if (column !== undefined) e.column = column;
  ctx.errors.push(e);
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: PDM's literal placeholder, not a template.
const PROJECT_ROOT = "${PROJECT_ROOT}";
const PROJECT_ROOT_STAND_IN = "$_PROJECT_ROOT_";

/** Adds the record for one PEP 508 string, or a located error. */
function addRequirement(
  ctx: Context,
  text: string,
  at: StringPosition | null,
  fallbackLine: number | null,
  decl: Declaration,
  editable = false,
): Dependency | null {
  const line = at?.line ?? fallbackLine;
  // PDM writes `file:///${PROJECT_ROOT}/x`; braces are not URL characters, so parse a same-length stand-in.
  const parsed = parseRequirement(text.replaceAll(PROJECT_ROOT, PROJECT_ROOT_STAND_IN));
  if (!parsed.ok) {
    error(
      ctx,
      line,
      `invalid requirement "${text}": ${parsed.message}`,
      at ? at.column + parsed.column - 1 : undefined,
    );
    return null;
  }
  const req = parsed.requirement;
  let source: Source | null =
    req.url !== null ? sourceFromUrl(req.url.replaceAll(PROJECT_ROOT_STAND_IN, PROJECT_ROOT)) : null;
  let isEditable = editable;
  if (decl.uv && source === null) {
    const uv = ctx.uvSources.get(normalizeName(req.name));
    if (uv) {
      source = uv.source;
      isEditable ||= uv.editable;
    }
  }
  const dep = makeDependency({
    rawName: req.name,
    format: "pyproject",
    file: ctx.file,
    line,
    specifier: req.specifier,
    extras: req.extras,
    markers: req.marker,
    groups: decl.groups,
    direct: true,
    source,
    editable: isEditable,
    constraint: decl.constraint ?? false,
  });
  ctx.dependencies.push(dep);
  return dep;
}

/** Reads an array of PEP 508 strings at `path`; `label` names the key in errors. */
function readStringArray(ctx: Context, path: string[], label: string, decl: Declaration): Dependency[] {
  const parent = tableAt(ctx.root, path.slice(0, -1));
  const value = parent ? own(parent, path.at(-1)!) : undefined;
  if (value === undefined) return [];
  const keyLine = ctx.positions.keyLine(path);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    error(ctx, keyLine, `${label} must be an array of strings`);
    return [];
  }
  const strings = value as string[];
  const places = ctx.positions.stringsIn(path, strings);
  const added: Dependency[] = [];
  strings.forEach((s, i) => {
    const dep = addRequirement(ctx, s, places[i] ?? null, keyLine, decl);
    if (dep) added.push(dep);
  });
  return added;
}

/** PEP 621 `[project]`; returns the `dependencies` records (Poetry 2 enriches them rather than repeating them). */
function readProject(ctx: Context, project: Table | undefined): Dependency[] | null {
  if (!project) return null;
  const isStatic = own(project, "dependencies") !== undefined;
  const main = readStringArray(ctx, ["project", "dependencies"], "[project] dependencies", {
    groups: ["main"],
    uv: true,
  });
  const optional = own(project, "optional-dependencies");
  if (optional !== undefined) {
    if (!isTomlTable(optional)) {
      error(
        ctx,
        ctx.positions.keyLine(["project", "optional-dependencies"]),
        "[project.optional-dependencies] must be a table of arrays",
      );
    } else {
      for (const extra of Object.keys(optional)) {
        readStringArray(
          ctx,
          ["project", "optional-dependencies", extra],
          `[project.optional-dependencies] ${extra}`,
          {
            groups: [`optional:${extra}`],
            uv: true,
          },
        );
      }
    }
  }
  return isStatic ? main : null;
}

type GroupEntry = { kind: "requirement"; text: string } | { kind: "include"; group: string };

/** PEP 735 `[dependency-groups]`: one record per listed string, named by its group and every group including it. */
function readDependencyGroups(ctx: Context): void {
  const value = own(ctx.root, "dependency-groups");
  if (value === undefined) return;
  const tableLine = ctx.positions.keyLine(["dependency-groups"]);
  if (!isTomlTable(value)) {
    error(ctx, tableLine, "[dependency-groups] must be a table of arrays");
    return;
  }
  const groups = new Map<
    string,
    { name: string; entries: GroupEntry[]; places: (StringPosition | null)[] }
  >();
  for (const [name, list] of Object.entries(value)) {
    const path = ["dependency-groups", name];
    const keyLine = ctx.positions.keyLine(path);
    if (!Array.isArray(list)) {
      error(ctx, keyLine, `[dependency-groups] ${name} must be an array`);
      continue;
    }
    const entries: GroupEntry[] = [];
    for (const item of list) {
      if (typeof item === "string") entries.push({ kind: "requirement", text: item });
      else if (
        isTomlTable(item) &&
        typeof own(item, "include-group") === "string" &&
        Object.keys(item).length === 1
      ) {
        entries.push({ kind: "include", group: own(item, "include-group") as string });
      } else {
        error(
          ctx,
          keyLine,
          `[dependency-groups] ${name}: each entry must be a string or {include-group = "..."}`,
        );
      }
    }
    const places = ctx.positions.stringsIn(
      path,
      entries.map((e) => (e.kind === "requirement" ? e.text : e.group)),
    );
    const key = normalizeName(name);
    if (groups.has(key))
      error(ctx, keyLine, `[dependency-groups] ${name} repeats group ${groups.get(key)!.name}`);
    else groups.set(key, { name, entries, places });
  }

  // Include edges, with unknown groups reported where the include is written.
  const edges = new Map<string, string[]>();
  for (const [key, group] of groups) {
    const targets: string[] = [];
    group.entries.forEach((entry, i) => {
      if (entry.kind !== "include") return;
      const target = normalizeName(entry.group);
      if (groups.has(target)) targets.push(target);
      else {
        const at = group.places[i] ?? null;
        error(
          ctx,
          at?.line ?? ctx.positions.keyLine(["dependency-groups", group.name]),
          `[dependency-groups] ${group.name} includes unknown group "${entry.group}"`,
          at?.column,
        );
      }
    });
    edges.set(key, targets);
  }
  reportIncludeCycles(ctx, groups, edges);

  // Every group that reaches a group through includes also installs its entries.
  const includers = new Map<string, string[]>();
  for (const key of groups.keys()) includers.set(key, []);
  for (const [from, group] of groups) {
    const seen = new Set<string>([from]);
    const stack = [...(edges.get(from) ?? [])];
    while (stack.length > 0) {
      const to = stack.pop()!;
      if (seen.has(to)) continue;
      seen.add(to);
      includers.get(to)!.push(group.name);
      stack.push(...(edges.get(to) ?? []));
    }
  }

  for (const [key, group] of groups) {
    const names = [group.name, ...includers.get(key)!];
    const keyLine = ctx.positions.keyLine(["dependency-groups", group.name]);
    group.entries.forEach((entry, i) => {
      if (entry.kind === "requirement") {
        addRequirement(ctx, entry.text, group.places[i] ?? null, keyLine, { groups: names, uv: true });
      }
    });
  }
}

/** Reports each include cycle once, naming its groups in include order. */
function reportIncludeCycles(
  ctx: Context,
  groups: Map<string, { name: string }>,
  edges: Map<string, string[]>,
): void {
  const state = new Map<string, "active" | "done">();
  const path: string[] = [];
  const visit = (key: string): void => {
    state.set(key, "active");
    path.push(key);
    for (const to of edges.get(key) ?? []) {
      const s = state.get(to);
      if (s === "active") {
        const cycle = [...path.slice(path.indexOf(to)), to].map((k) => groups.get(k)!.name);
        const first = groups.get(to)!.name;
        error(
          ctx,
          ctx.positions.keyLine(["dependency-groups", first]),
          `[dependency-groups] include cycle: ${cycle.join(" -> ")}`,
        );
      } else if (s === undefined) visit(to);
    }
    path.pop();
    state.set(key, "done");
  };
  for (const key of groups.keys()) if (!state.has(key)) visit(key);
}

// ---------------------------------------------------------------------------------------------- Poetry

/** Poetry's named package sources (`[[tool.poetry.source]]`), by name. */
function poetrySources(ctx: Context): Map<string, string> {
  const sources = new Map<string, string>();
  const list = own(tableAt(ctx.root, ["tool", "poetry"]) ?? {}, "source");
  if (!Array.isArray(list)) return sources;
  for (const s of list) {
    if (!isTomlTable(s)) continue;
    const name = stringOrNull(own(s, "name"));
    const url = stringOrNull(own(s, "url"));
    if (name !== null && url !== null) sources.set(name.toLowerCase(), url);
  }
  return sources;
}

/** Which extras name each optional Poetry dependency (`[tool.poetry.extras]` and PEP 621 optional-dependencies). */
function poetryExtras(ctx: Context): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  const add = (extra: string, requirement: string): void => {
    const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement);
    if (!m) return;
    const name = normalizeName(m[1]!);
    const list = byName.get(name) ?? [];
    if (!list.includes(`optional:${extra}`)) list.push(`optional:${extra}`);
    byName.set(name, list);
  };
  for (const table of [
    tableAt(ctx.root, ["tool", "poetry", "extras"]),
    tableAt(ctx.root, ["project", "optional-dependencies"]),
  ]) {
    if (!table) continue;
    for (const [extra, list] of Object.entries(table)) {
      if (Array.isArray(list)) for (const r of list) if (typeof r === "string") add(extra, r);
    }
  }
  return byName;
}

function readPoetry(ctx: Context, projectDeps: Dependency[] | null): void {
  const poetry = tableAt(ctx.root, ["tool", "poetry"]);
  if (!poetry) return;
  const sources = poetrySources(ctx);
  const extras = poetryExtras(ctx);
  const enrich = new Map<string, Dependency[]>();
  for (const d of projectDeps ?? []) enrich.set(d.name, [...(enrich.get(d.name) ?? []), d]);

  readPoetryTable(ctx, ["tool", "poetry", "dependencies"], "main", sources, extras, enrich);
  readPoetryTable(ctx, ["tool", "poetry", "dev-dependencies"], "dev", sources, extras, null);
  const groups = own(poetry, "group");
  if (groups === undefined) return;
  if (!isTomlTable(groups)) {
    error(
      ctx,
      ctx.positions.keyLine(["tool", "poetry", "group"]),
      "[tool.poetry.group] must be a table of groups",
    );
    return;
  }
  for (const [name, group] of Object.entries(groups)) {
    if (!isTomlTable(group)) {
      error(
        ctx,
        ctx.positions.keyLine(["tool", "poetry", "group", name]),
        `[tool.poetry.group.${name}] must be a table`,
      );
      continue;
    }
    readPoetryTable(ctx, ["tool", "poetry", "group", name, "dependencies"], name, sources, extras, null);
  }
}

function readPoetryTable(
  ctx: Context,
  path: string[],
  group: string,
  sources: Map<string, string>,
  extras: Map<string, string[]>,
  enrich: Map<string, Dependency[]> | null,
): void {
  const parent = tableAt(ctx.root, path.slice(0, -1));
  const table = parent ? own(parent, path.at(-1)!) : undefined;
  if (table === undefined) return;
  const label = `[${path.join(".")}]`;
  if (!isTomlTable(table)) {
    error(ctx, ctx.positions.keyLine(path), `${label} must be a table of name = constraint`);
    return;
  }
  for (const [rawName, spec] of Object.entries(table)) {
    if (group === "main" && rawName.toLowerCase() === "python") continue;
    const line = ctx.positions.keyLine([...path, rawName]);
    const items = Array.isArray(spec) ? spec : [spec];
    if (items.length === 0) error(ctx, line, `${label} ${rawName}: an empty list of constraints`);
    for (const item of items) {
      const entry = poetryEntry(item, sources);
      for (const message of entry.errors) error(ctx, line, `${label} ${rawName}: ${message}`);
      if (entry.specifiers === null) continue;
      const name = normalizeName(rawName);
      const existing = enrich?.get(name);
      if (existing) {
        // Poetry 2: with a static [project] dependencies list, this table only adds details to those entries.
        for (const d of existing) {
          if (d.source === null) d.source = entry.source;
          if (entry.editable) d.editable = true;
        }
        continue;
      }
      const groups = group === "main" && entry.optional ? (extras.get(name) ?? ["optional"]) : [group];
      for (const specifier of entry.specifiers) {
        ctx.dependencies.push(
          makeDependency({
            rawName,
            format: "pyproject",
            file: ctx.file,
            line,
            specifier,
            extras: entry.extras,
            markers: entry.markers,
            groups,
            direct: true,
            source: entry.source,
            editable: entry.editable,
          }),
        );
      }
    }
  }
}

interface PoetryEntry {
  /** One PEP 440 specifier per `||` alternative; null when the entry has the wrong type (no record). */
  specifiers: string[] | null;
  extras: string[];
  markers: string | null;
  source: Source | null;
  editable: boolean;
  optional: boolean;
  errors: string[];
}

/** Converts one Poetry dependency value (a constraint string or a table) to record fields. */
function poetryEntry(value: unknown, sources: Map<string, string>): PoetryEntry {
  const entry: PoetryEntry = {
    specifiers: [""],
    extras: [],
    markers: null,
    source: null,
    editable: false,
    optional: false,
    errors: [],
  };
  const setConstraint = (constraint: string): void => {
    const converted = poetryConstraintToPep440(constraint);
    // An unparseable constraint keeps the record (the name still matters) with no specifier.
    if (converted.ok) entry.specifiers = converted.specifiers;
    else entry.errors.push(converted.message);
  };
  if (typeof value === "string") {
    setConstraint(value);
    return entry;
  }
  if (!isTomlTable(value)) {
    entry.specifiers = null;
    entry.errors.push("must be a version string, a table or an array of tables");
    return entry;
  }
  const version = own(value, "version");
  if (typeof version === "string") setConstraint(version);
  else if (version !== undefined) entry.errors.push("version must be a string");

  const extras = own(value, "extras");
  if (Array.isArray(extras) && extras.every((e) => typeof e === "string")) entry.extras = extras as string[];
  else if (extras !== undefined) entry.errors.push("extras must be an array of strings");

  const markers: string[] = [];
  const written = own(value, "markers");
  if (typeof written === "string") {
    const check = parseMarker(written);
    if (check.ok) markers.push(written);
    else entry.errors.push(`invalid markers "${written}": ${check.message}`);
  } else if (written !== undefined) entry.errors.push("markers must be a string");
  const python = own(value, "python");
  if (typeof python === "string") {
    const m = poetryPythonToMarker(python);
    if (!m.ok) entry.errors.push(`python: ${m.message}`);
    else if (m.marker !== null) markers.push(m.marker);
  } else if (python !== undefined) entry.errors.push("python must be a string");
  const platform = own(value, "platform");
  if (typeof platform === "string") markers.push(`sys_platform == ${JSON.stringify(platform)}`);
  entry.markers = joinMarkers(markers);

  entry.optional = own(value, "optional") === true;
  entry.editable = own(value, "develop") === true;

  const git = stringOrNull(own(value, "git"));
  const path = stringOrNull(own(value, "path"));
  const url = stringOrNull(own(value, "url"));
  const sourceName = stringOrNull(own(value, "source"));
  if (git !== null) {
    const ref =
      stringOrNull(own(value, "branch")) ??
      stringOrNull(own(value, "tag")) ??
      stringOrNull(own(value, "rev"));
    entry.source = { kind: "vcs", vcs: "git", url: git, ref };
  } else if (path !== null) entry.source = { kind: "path", path };
  else if (url !== null) entry.source = { kind: "url", url };
  else if (sourceName !== null) {
    const indexUrl = sources.get(sourceName.toLowerCase());
    if (indexUrl !== undefined) entry.source = { kind: "index", url: indexUrl };
    else entry.errors.push(`source "${sourceName}" is not a [[tool.poetry.source]]`);
  }
  return entry;
}

/** Joins marker expressions with `and`, bracketing any that contain `or`. */
export function joinMarkers(markers: string[]): string | null {
  if (markers.length === 0) return null;
  if (markers.length === 1) return markers[0]!;
  return markers.map((m) => (/\bor\b/.test(m) ? `(${m})` : m)).join(" and ");
}

// ---------------------------------------------------------------------------------------------- PDM and uv

/** `[tool.pdm.dev-dependencies]`: PEP 508 strings per group, or `-e <url or path>` editable entries. */
function readPdm(ctx: Context): void {
  const path = ["tool", "pdm", "dev-dependencies"];
  const parent = tableAt(ctx.root, path.slice(0, -1));
  const table = parent ? own(parent, "dev-dependencies") : undefined;
  if (table === undefined) return;
  if (!isTomlTable(table)) {
    error(ctx, ctx.positions.keyLine(path), "[tool.pdm.dev-dependencies] must be a table of arrays");
    return;
  }
  for (const [group, list] of Object.entries(table)) {
    const keyPath = [...path, group];
    const keyLine = ctx.positions.keyLine(keyPath);
    if (!Array.isArray(list) || !list.every((v) => typeof v === "string")) {
      error(ctx, keyLine, `[tool.pdm.dev-dependencies] ${group} must be an array of strings`);
      continue;
    }
    const strings = list as string[];
    const places = ctx.positions.stringsIn(keyPath, strings);
    strings.forEach((s, i) => {
      const at = places[i] ?? null;
      const editable = /^\s*-e\s+/.exec(s);
      if (!editable) {
        addRequirement(ctx, s, at, keyLine, { groups: [group] });
        return;
      }
      const rest = s.slice(editable[0].length);
      const shifted = at ? { line: at.line, column: at.column + editable[0].length } : null;
      if (/^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(rest)) {
        addRequirement(ctx, rest, shifted, keyLine, { groups: [group] }, true);
        return;
      }
      addEditableLocation(ctx, rest.trim(), at?.line ?? keyLine, [group]);
    });
  }
}

/** A PDM `-e <url or path>` without `name @`: the name comes from `#egg=` or the last path segment. */
function addEditableLocation(ctx: Context, location: string, line: number | null, groups: string[]): void {
  const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(location)?.[1];
  const withoutFragment = location.replace(/#.*$/, "");
  const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(withoutFragment);
  const source: Source = isUrl ? sourceFromUrl(location) : { kind: "path", path: withoutFragment };
  const lastSegment = withoutFragment
    .replace(/@[^/@]*$/, "")
    .replace(/[/\\]+$/, "")
    .split(/[/\\]/)
    .at(-1)
    ?.replace(/\.git$/, "");
  const name = egg ?? lastSegment ?? "";
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    error(ctx, line, `cannot tell the package name of editable "${location}" (add #egg=<name>)`);
    return;
  }
  ctx.dependencies.push(
    makeDependency({
      rawName: name,
      format: "pyproject",
      file: ctx.file,
      line,
      groups,
      direct: true,
      source,
      editable: true,
    }),
  );
}

/** `[tool.uv] dev-dependencies` (group "dev") and `constraint-dependencies` (constraints, install nothing). */
function readUv(ctx: Context): void {
  readStringArray(ctx, ["tool", "uv", "dev-dependencies"], "[tool.uv] dev-dependencies", {
    groups: ["dev"],
    uv: true,
  });
  readStringArray(ctx, ["tool", "uv", "constraint-dependencies"], "[tool.uv] constraint-dependencies", {
    groups: ["constraint"],
    constraint: true,
  });
}

/** `[tool.uv.sources]`: where uv fetches a declared dependency from, by normalised name. */
function readUvSources(ctx: Context): void {
  const uv = tableAt(ctx.root, ["tool", "uv"]);
  if (!uv) return;
  const sources = own(uv, "sources");
  if (sources === undefined) return;
  if (!isTomlTable(sources)) {
    error(ctx, ctx.positions.keyLine(["tool", "uv", "sources"]), "[tool.uv.sources] must be a table");
    return;
  }
  const indexes = new Map<string, string>();
  const indexList = own(uv, "index");
  if (Array.isArray(indexList)) {
    for (const index of indexList) {
      if (!isTomlTable(index)) continue;
      const name = stringOrNull(own(index, "name"));
      const url = stringOrNull(own(index, "url"));
      if (name !== null && url !== null) indexes.set(name, url);
    }
  }
  const members = own(tableAt(uv, ["workspace"]) ?? {}, "members");
  for (const [name, value] of Object.entries(sources)) {
    const line = ctx.positions.keyLine(["tool", "uv", "sources", name]);
    // uv allows a list of sources chosen by markers; the first one stands for all of them here.
    const first = Array.isArray(value) ? value[0] : value;
    if (!isTomlTable(first)) {
      error(ctx, line, `[tool.uv.sources] ${name} must be a table or an array of tables`);
      continue;
    }
    const git = stringOrNull(own(first, "git"));
    const path = stringOrNull(own(first, "path"));
    const url = stringOrNull(own(first, "url"));
    const index = stringOrNull(own(first, "index"));
    let source: Source | null = null;
    if (git !== null) {
      const ref =
        stringOrNull(own(first, "rev")) ??
        stringOrNull(own(first, "tag")) ??
        stringOrNull(own(first, "branch"));
      source = { kind: "vcs", vcs: "git", url: git, ref };
    } else if (path !== null) source = { kind: "path", path };
    else if (url !== null) source = { kind: "url", url };
    else if (index !== null) {
      const indexUrl = indexes.get(index);
      if (indexUrl === undefined)
        error(ctx, line, `[tool.uv.sources] ${name}: index "${index}" is not a [[tool.uv.index]]`);
      else source = { kind: "index", url: indexUrl };
    } else if (own(first, "workspace") === true) {
      // The Source type has no workspace kind: a member is local code, so a path (the member whose
      // directory name matches, else the workspace root) is the honest approximation.
      const member = Array.isArray(members)
        ? members.find(
            (m): m is string =>
              typeof m === "string" && normalizeName(m.split("/").at(-1) ?? "") === normalizeName(name),
          )
        : undefined;
      source = { kind: "path", path: member ?? "." };
    } else {
      error(ctx, line, `[tool.uv.sources] ${name}: expected git, path, url, index or workspace`);
    }
    if (source !== null)
      ctx.uvSources.set(normalizeName(name), { source, editable: own(first, "editable") === true });
  }
}
