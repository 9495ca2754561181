// The seam between the proxy and the gate: what the server asks before it lists or serves anything.
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";

/** Who is asking: the gate may record it (access requests, audit log) or decide by it. */
export interface GateContext {
  /** The client's address, or the authenticated user when there is one. */
  client: string;
}

export interface FilteredProject {
  /**
   * The page to serve, with hidden versions and files removed (and `versions` to match). Return the SAME object
   * for the same input (memoise per upstream ProjectInfo): rendered pages are cached by object identity.
   */
  project: ProjectInfo;
  /** filename -> one-line reason, for every file removed from the page. */
  blocked: Map<string, string>;
}

export type FileDecision = { allow: true } | { allow: false; reason: string };

/**
 * Called once per project page request (filterProject) and once per file or `.metadata` request (checkFile),
 * after the upstream page is known and before anything is rendered or served. Implementations must not throw
 * for policy outcomes; a thrown error is answered with 500.
 */
export interface ProjectGate {
  filterProject(project: ProjectInfo, ctx: GateContext): Promise<FilteredProject>;
  /**
   * `filterProject`'s answer when the gate can give it at once from what it remembers (same effects: access
   * requests are recorded), else null. Optional: a cached page is then answered without awaiting anything.
   */
  filterProjectRemembered?(project: ProjectInfo, ctx: GateContext): FilteredProject | null;
  /** `reason` is sent as the 403 status text and body, so pip prints it: keep it to one line. */
  checkFile(project: ProjectInfo, file: ProjectFile, ctx: GateContext): Promise<FileDecision>;
}

const NOTHING_BLOCKED: ReadonlyMap<string, string> = new Map();

/** The gate used when none is configured: everything upstream serves is served. */
export const allowAllGate: ProjectGate = {
  async filterProject(project) {
    return { project, blocked: NOTHING_BLOCKED as Map<string, string> };
  },
  filterProjectRemembered(project) {
    return { project, blocked: NOTHING_BLOCKED as Map<string, string> };
  },
  async checkFile() {
    return { allow: true };
  },
};
