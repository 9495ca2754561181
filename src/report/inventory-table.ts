// The inventory as a table for people: grouped by file, with a summary line.
import type { Inventory } from "../inventory/collect.js";
import type { Dependency, InputError } from "../inventory/types.js";
import { pad, style } from "./style.js";

export function formatError(e: InputError): string {
  const where = [e.file, e.line, e.line !== undefined ? e.column : undefined].filter((x) => x !== undefined);
  return `${where.join(":")}: ${e.message}`;
}

function sourceText(dep: Dependency): string {
  const s = dep.source;
  if (!s) return "";
  switch (s.kind) {
    case "index":
      return s.url;
    case "vcs":
      return `${s.vcs}+${s.url}${s.ref ? `@${s.ref}` : ""}`;
    case "url":
      return s.url;
    case "path":
      return s.path;
  }
}

export function formatInventoryTable(inv: Inventory, opts: { color: boolean }): string {
  const st = style(opts.color);
  const out: string[] = [];
  const byFile = new Map<string, Dependency[]>();
  for (const d of inv.dependencies) {
    const list = byFile.get(d.file) ?? [];
    byFile.set(d.file, list);
    list.push(d);
  }
  for (const [file, deps] of byFile) {
    out.push(st.bold(`${file}  (${deps[0]!.format}, ${deps.length} dependencies)`));
    const nameW = Math.min(
      40,
      Math.max(...deps.map((d) => d.rawName.length + (d.extras.length ? 2 + d.extras.join(",").length : 0))),
    );
    for (const d of deps) {
      const name = d.extras.length ? `${d.rawName}[${d.extras.join(",")}]` : d.rawName;
      const version = d.version ?? (d.specifier || "*");
      const flags = [
        d.pinned ? st.green("pinned") : st.yellow("unpinned"),
        d.hashes.length ? `${d.hashes.length} hash${d.hashes.length > 1 ? "es" : ""}` : st.dim("no hash"),
        d.groups.join(","),
        d.direct === true ? "direct" : d.direct === false ? st.dim("transitive") : "",
        d.editable ? "editable" : "",
        d.constraint ? "constraint" : "",
        sourceText(d),
        d.markers ? st.dim(`; ${d.markers}`) : "",
      ].filter(Boolean);
      const line = d.line !== null ? st.dim(`${String(d.line).padStart(5)}  `) : "       ";
      out.push(`${line}${pad(name, nameW)}  ${pad(version, 16)}  ${flags.join("  ")}`);
    }
    out.push("");
  }
  if (inv.errors.length) {
    out.push(st.red(st.bold(`${inv.errors.length} error${inv.errors.length > 1 ? "s" : ""}:`)));
    for (const e of inv.errors) out.push(`  ${formatError(e)}`);
    out.push("");
  }
  const deps = inv.dependencies;
  const files = inv.files.filter((f) => f.read).length;
  out.push(
    `${files} file${files === 1 ? "" : "s"}, ${deps.length} dependencies, ${deps.filter((d) => d.pinned).length} pinned, ${deps.filter((d) => d.hashes.length > 0).length} hashed${inv.errors.length ? `, ${inv.errors.length} errors` : ""}`,
  );
  return out.join("\n");
}
