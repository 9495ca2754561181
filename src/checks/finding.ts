// The one way a check builds a Finding from the dependency it is about.
import type { Dependency } from "../inventory/types.js";
import type { Finding, FindingKind, Severity } from "./types.js";

/** The location and identity fields a finding copies from its dependency. */
export type FindingSubject = Pick<Dependency, "name" | "version" | "specifier" | "file" | "line">;

export interface FindingExtra {
  /** The rule id, when it is not the kind itself. */
  id?: string;
  fixedIn?: string | null;
  url?: string | null;
  evidence?: Record<string, unknown>;
}

export function makeFinding(
  kind: FindingKind,
  severity: Severity,
  subject: FindingSubject,
  summary: string,
  extra: FindingExtra = {},
): Finding {
  const f: Finding = {
    kind,
    id: extra.id ?? kind,
    aliases: [],
    severity,
    score: null,
    package: subject.name,
    version: subject.version,
    specifier: subject.specifier,
    file: subject.file,
    line: subject.line,
    summary,
    fixedIn: extra.fixedIn ?? null,
    url: extra.url ?? null,
  };
  if (extra.evidence) f.evidence = extra.evidence;
  return f;
}
