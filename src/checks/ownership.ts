// Who controls a project on the index (PyPI JSON API `ownership`): facts for `inspect`, and the single-owner check.
//
// A project is single-owner when exactly one user holds the Owner role and no organisation holds it: one
// compromised account can then publish anything. Maintainers do not change this (they cannot remove an owner).
// Roles other than Owner count as maintainers. Team-granted access is not in PyPI's data, so an organisation is
// taken as the safeguard it is meant to be.
import type { Dependency } from "../inventory/types.js";
import type { ProjectInfo } from "../upstream/types.js";
import {
  type CheckResult,
  cannotRun,
  notFromIndex,
  projectPageUrl,
  ran,
  upstreamFinding,
} from "./releases.js";

export interface OwnershipFacts {
  owners: string[];
  maintainers: string[];
  organization: string | null;
}

/** Owners and maintainers (sorted, each once) and the organisation, or null when the index gave no ownership. */
export function ownershipFacts(project: ProjectInfo): OwnershipFacts | null {
  if (project.ownership === null) return null;
  const owners = new Set<string>();
  const maintainers = new Set<string>();
  for (const { role, user } of project.ownership.roles) {
    (role.trim().toLowerCase() === "owner" ? owners : maintainers).add(user);
  }
  return {
    owners: [...owners].sort(),
    maintainers: [...maintainers].filter((u) => !owners.has(u)).sort(),
    organization: project.ownership.organization,
  };
}

/** Reports a project owned by a single account with no organisation behind it. */
export function checkOwnership(dep: Dependency, project: ProjectInfo): CheckResult {
  const elsewhere = notFromIndex(dep);
  if (elsewhere) return cannotRun(elsewhere);
  const facts = ownershipFacts(project);
  if (facts === null) {
    return cannotRun(
      project.capabilities.jsonApi
        ? `${project.index} gave no ownership data for ${project.name}`
        : `${project.index} has no PyPI JSON API, which is where ownership comes from`,
    );
  }
  if (facts.owners.length !== 1 || facts.organization !== null) return ran([]);
  return ran([
    upstreamFinding(
      "ownership",
      "info",
      dep,
      `${dep.rawName} has a single owner (${facts.owners[0]}) and no organisation: one account compromise away`,
      { ...facts, roles: project.ownership?.roles ?? [] },
      { url: projectPageUrl(project) },
    ),
  ]);
}
