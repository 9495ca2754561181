// Dependency confusion: private package names that a public index can shadow.
//
// Two findings. A requirements file with `--extra-index-url` (and no `--no-index`) is high: pip merges every
// index into one pool and installs the highest version from any of them, so anyone who publishes a private
// name on the public index with a higher version wins. A dependency configured as internal (exact name or name
// prefix, both PEP 503-normalised) that exists on the public index is critical: the name is already taken there.
// Only internal names are looked up publicly; a look-up that fails (null) makes the check report itself skipped
// for those names. With no internal names configured, only the first finding can be made: that is a setting, not
// a failure, so it is not reported as skipped.
import type { Dependency } from "../inventory/types.js";
import { normalizeName } from "../standards/names.js";
import { type CheckResult, upstreamFinding } from "./releases.js";
import type { Finding } from "./types.js";

/** The index options of one requirements file (structurally `RequirementsFileOptions` of inventory/requirements). */
export interface RequirementsIndexOptions {
  extraIndexUrls: string[];
  noIndex?: boolean;
  /** 1-based line of the first `--extra-index-url`, when the parser knows it. */
  extraIndexUrlLine?: number | null;
}

export interface DependencyConfusionOptions {
  internalNames: string[];
  internalPrefixes: string[];
}

/** Whether a project of this (normalised) name exists on the public index; null when that could not be learnt. */
export type PublicProjectExists = (name: string) => boolean | null;

function isInternal(name: string, options: DependencyConfusionOptions): boolean {
  return (
    options.internalNames.some((n) => normalizeName(n) === name) ||
    options.internalPrefixes.some((p) => p.trim() !== "" && name.startsWith(normalizeName(p.trim())))
  );
}

function extraIndexFindings(
  deps: readonly Dependency[],
  optionsByFile: ReadonlyMap<string, RequirementsIndexOptions>,
): Finding[] {
  return [...optionsByFile.entries()]
    .filter(([, o]) => o.extraIndexUrls.length > 0 && !o.noIndex)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, o]) => {
      const firstDep = deps
        .filter((d) => d.file === file && d.line !== null)
        .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))[0];
      const line = o.extraIndexUrlLine ?? firstDep?.line ?? null;
      return upstreamFinding(
        "dependency-confusion",
        "high",
        { name: "", version: null, specifier: "", file, line },
        `${file} uses --extra-index-url: pip merges all indexes and takes the highest version from any, so a ` +
          "public package can shadow a private one; use one index that proxies the public one (or uv with an explicit index)",
        { extraIndexUrls: o.extraIndexUrls, lineIsOption: o.extraIndexUrlLine != null },
      );
    });
}

/** Reports requirements files that merge indexes, and internal package names taken on the public index. */
export function checkDependencyConfusion(
  deps: readonly Dependency[],
  requirementsOptionsByFile: ReadonlyMap<string, RequirementsIndexOptions>,
  options: DependencyConfusionOptions,
  publicProjectExists: PublicProjectExists,
): CheckResult {
  const findings = extraIndexFindings(deps, requirementsOptionsByFile);
  const unknown = new Set<string>();
  const answers = new Map<string, boolean | null>();
  for (const dep of deps) {
    if (!isInternal(dep.name, options)) continue;
    if (!answers.has(dep.name)) answers.set(dep.name, publicProjectExists(dep.name));
    const exists = answers.get(dep.name);
    if (exists === null) unknown.add(dep.name);
    if (exists !== true) continue;
    findings.push(
      upstreamFinding(
        "dependency-confusion",
        "critical",
        dep,
        `${dep.rawName} is an internal package, but a project of that name exists on the public index: ` +
          "an installer that sees both can install the public one",
        { internal: true, publicProjectExists: true, source: dep.source },
      ),
    );
  }
  const skipped =
    unknown.size > 0
      ? `the public index could not be asked about internal packages ${[...unknown].sort().join(", ")}`
      : null;
  return { findings, skipped };
}
