// The inventory as stable machine output: schema pycustoms.inventory/1 (docs/schemas/inventory.md).
import type { Inventory } from "../inventory/collect.js";
import type { Dependency, InputError } from "../inventory/types.js";
import { type JsonTextOptions, jsonText } from "./json-text.js";

/** One dependency in snake_case, every field always present (null where unknown). */
export function dependencyJson(d: Dependency): Record<string, unknown> {
  return {
    name: d.name,
    raw_name: d.rawName,
    version: d.version,
    specifier: d.specifier,
    pinned: d.pinned,
    hashes: d.hashes,
    extras: d.extras,
    markers: d.markers,
    groups: d.groups,
    direct: d.direct,
    source: d.source,
    editable: d.editable ?? false,
    constraint: d.constraint ?? false,
    format: d.format,
    file: d.file,
    line: d.line,
  };
}

export function errorJson(e: InputError): Record<string, unknown> {
  const out: Record<string, unknown> = { file: e.file, line: e.line ?? null };
  if (e.column !== undefined) out.column = e.column;
  out.message = e.message;
  return out;
}

export function formatInventoryJson(inv: Inventory, options: JsonTextOptions = {}): string {
  return jsonText(
    {
      schema: "pycustoms.inventory/1",
      files: inv.files.map((f) => ({ path: f.path, format: f.format, dependencies: f.dependencies })),
      dependencies: inv.dependencies.map(dependencyJson),
      errors: inv.errors.map(errorJson),
    },
    options,
  );
}
