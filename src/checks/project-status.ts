// PEP 792 project status: a quarantined, archived or deprecated project is a dependency to move away from.
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
import type { Severity } from "./types.js";

// A Map, not an object literal: a marker string from the index must not find `constructor` or `toString`.
const MARKERS = new Map<string, { severity: Severity; meaning: string }>([
  [
    "quarantined",
    {
      severity: "critical",
      meaning: "is quarantined: the index serves no files, most likely because it is malware; remove it",
    },
  ],
  ["archived", { severity: "high", meaning: "is archived: no fixes will come; plan a replacement" }],
  ["deprecated", { severity: "medium", meaning: "is deprecated by its maintainers; plan a replacement" }],
]);

/** Reports the project's status marker; `active` (or no marker on an index that supports them) is fine. */
export function checkProjectStatus(dep: Dependency, project: ProjectInfo): CheckResult {
  const elsewhere = notFromIndex(dep);
  if (elsewhere) return cannotRun(elsewhere);
  if (!project.capabilities.projectStatus) {
    return cannotRun(
      `the index (${project.index}, API ${project.apiVersion ?? "1.0"}) does not publish PEP 792 project status`,
    );
  }
  const { status, reason } = project.status;
  if (status === "active") return ran([]);
  const evidence = { status, reason, index: project.index };
  const because = reason ? ` (reason: ${reason})` : "";
  const known = MARKERS.get(status);
  const finding = known
    ? upstreamFinding(
        "project-status",
        known.severity,
        dep,
        `${dep.rawName} ${known.meaning}${because}`,
        evidence,
        { url: projectPageUrl(project) },
      )
    : upstreamFinding(
        "project-status",
        "info",
        dep,
        `${dep.rawName} has the project status "${status}", which pycustoms does not know${because}`,
        evidence,
        { url: projectPageUrl(project) },
      );
  return ran([finding]);
}
