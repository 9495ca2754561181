// The gate's optional async step: PEP 740 provenance of the newest served releases, folded into a verdict.
//
// Separate from `evaluateProject` because it fetches (one provenance object per file, plus earlier releases')
// and loads the Sigstore verifier; only the newest few served releases are examined, as those are what
// resolvers pick and where a stolen upload token shows first.
import { checkProvenance, type FetchProvenance } from "../checks/provenance.js";
import { makeDependency } from "../inventory/dependency.js";
import type { Config } from "../policy/config.js";
import { applyPolicy, failsPolicy } from "../policy/decide.js";
import type { TrustMaterial } from "../provenance/trust-root.js";
import { compare, valid } from "../standards/pep440.js";
import type { ProjectInfo } from "../upstream/types.js";
import type { GateException, ProjectVerdict, VersionVerdict } from "./evaluate.js";
import { specifierCovers } from "./evaluate.js";

export interface ProvenanceStepOptions {
  fetchProvenance: FetchProvenance;
  trustRoot: TrustMaterial;
  /** How many of the newest served releases to examine (default 3). */
  newest?: number;
}

/**
 * Runs the provenance check on the newest served releases and hides those whose findings fail the policy
 * (an invalid attestation, an attested project that stopped attesting), unless an exception names the finding.
 * Returns a new verdict; the one given is not changed.
 */
export async function applyProvenanceStep(
  project: ProjectInfo,
  verdict: ProjectVerdict,
  context: { config: Config; exceptions: readonly GateException[]; now: Date },
  options: ProvenanceStepOptions,
): Promise<ProjectVerdict> {
  const served = [...new Set([...verdict.versions].filter(([, v]) => v.decision === "allow").map(([t]) => t))]
    .filter((t) => valid(t) !== null)
    .sort((a, b) => compare(b, a))
    .slice(0, options.newest ?? 3);
  const versions = new Map(verdict.versions);
  for (const version of served) {
    const dep = makeDependency({
      rawName: project.name,
      format: "requirements",
      file: `${project.index.replace(/\/+$/, "")}/${project.name}/`,
      line: null,
      lockedVersion: version,
      source: { kind: "index", url: project.index },
    });
    const result = await checkProvenance(dep, project, options.fetchProvenance, {
      trustRoot: options.trustRoot,
    });
    const active = applyPolicy(result.findings, context.config, { now: context.now, cliIgnores: [] }).active;
    if (active.length === 0) continue;
    const before = versions.get(version) as VersionVerdict;
    const next: VersionVerdict = {
      ...before,
      findings: [...before.findings, ...active],
      notices: [...before.notices],
    };
    for (const f of active) {
      const ids = [f.id, ...f.aliases].map((i) => i.toLowerCase());
      const lifted = context.exceptions.some(
        (e) =>
          (e.expiresAt === null || Date.parse(e.expiresAt) > context.now.getTime()) &&
          specifierCovers(e.specifier, version) &&
          (e.kind.toLowerCase() === "any" || ids.includes(e.kind.toLowerCase())),
      );
      if (lifted || !failsPolicy(f, context.config.failOn)) {
        next.notices.push(f.summary);
      } else {
        next.decision = "hide";
        next.reasons = [
          ...next.reasons,
          f.kind === "provenance-regression"
            ? "provenance regression: earlier releases were attested, this one is not"
            : `provenance does not verify (${f.id})`,
        ];
      }
    }
    for (const [text, v] of verdict.versions) if (v === before) versions.set(text, next);
  }
  const all = [...new Set(versions.values())];
  const allowed = all.filter((v) => v.decision === "allow").length;
  const projectDecision =
    verdict.projectDecision === "allow" && allowed < all.length
      ? allowed > 0
        ? "partial"
        : "hidden"
      : verdict.projectDecision === "partial" && allowed === 0
        ? "hidden"
        : verdict.projectDecision;
  return { ...verdict, versions, projectDecision };
}
