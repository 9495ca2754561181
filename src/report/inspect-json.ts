// The inspect report card as stable machine-readable JSON (`pycustoms.inspect/1`, documented in docs/schemas/inspect.md).
import { DAY_MS, uploadTimeMs } from "../checks/releases.js";
import { SEVERITIES } from "../checks/types.js";
import { findingKey } from "./audit-result.js";
import { findingJson } from "./finding-format.js";
import type { AdvisoryRow, InspectCard, ReleaseProvenance, ReleaseRow } from "./inspect-card.js";
import { type JsonTextOptions, jsonText } from "./json-text.js";

export const INSPECT_SCHEMA = "pycustoms.inspect/1";

/** Whole days between an upload and the card's time, or null when the upload time is unknown. */
export function ageInDays(uploadTime: string | null, generatedAt: string): number | null {
  const at = uploadTimeMs(uploadTime);
  const now = Date.parse(generatedAt);
  if (at === null || Number.isNaN(now)) return null;
  return Math.max(0, Math.floor((now - at) / DAY_MS));
}

/** The document as a value (snake_case keys, fields in a fixed order). */
export function inspectJsonDocument(card: InspectCard): Record<string, unknown> {
  const failing = new Set(card.failing.map(findingKey));
  const bySeverity = Object.fromEntries(
    [...SEVERITIES].reverse().map((s) => [s, card.findings.filter((f) => f.severity === s).length]),
  );
  return {
    schema: INSPECT_SCHEMA,
    tool: { name: card.tool.name, version: card.tool.version },
    generated_at: card.generatedAt,
    project: {
      name: card.name,
      index: card.index,
      status: card.status.status,
      status_reason: card.status.reason,
      status_published: card.status.published,
      popular_rank: card.popularRank,
    },
    version: {
      requested: card.requestedVersion,
      inspected: card.inspectedVersion,
      latest: card.latestVersion,
    },
    ownership: card.ownership
      ? {
          owners: [...card.ownership.owners],
          maintainers: [...card.ownership.maintainers],
          organization: card.ownership.organization,
        }
      : null,
    releases: {
      total: card.releaseCount,
      shown: card.releases.map((r) => releaseJson(r, card.generatedAt)),
    },
    advisories: {
      inspected: card.advisories.inspected?.map(advisoryJson) ?? null,
      latest: card.advisories.latest?.map(advisoryJson) ?? null,
    },
    typosquat: card.typosquat
      ? {
          target: card.typosquat.target,
          rank: card.typosquat.rank,
          technique: card.typosquat.technique,
          distance: card.typosquat.distance,
          summary: card.typosquat.summary,
        }
      : null,
    findings: card.findings.map((f) => findingJson(f, failing.has(findingKey(f)))),
    ignored: card.ignored.map((i) => ({ reason: i.reason, finding: findingJson(i.finding, false) })),
    skipped: card.skipped.map((s) => ({ check: s.check, reason: s.reason })),
    index_capabilities: {
      json: card.capabilities.json,
      json_api: card.capabilities.jsonApi,
      upload_times: card.capabilities.uploadTimes,
      sizes: card.capabilities.sizes,
      project_status: card.capabilities.projectStatus,
      provenance: card.capabilities.provenance,
    },
    summary: {
      verdict: card.failing.length > 0 ? "fail" : "pass",
      fail_on: card.failOn,
      findings: card.findings.length,
      by_severity: bySeverity,
      failing: card.failing.length,
      ignored: card.ignored.length,
      skipped: card.skipped.length,
    },
  };
}

export function formatInspectJson(card: InspectCard, options: JsonTextOptions = {}): string {
  return jsonText(inspectJsonDocument(card), options);
}

function releaseJson(r: ReleaseRow, generatedAt: string): Record<string, unknown> {
  return {
    version: r.version,
    upload_time: r.uploadTime,
    age_days: ageInDays(r.uploadTime, generatedAt),
    files: r.files,
    size: r.size,
    yanked: r.yanked,
    yanked_reason: r.yankedReason,
    prerelease: r.prerelease,
    inspected: r.inspected,
    latest: r.latest,
    provenance: r.provenance ? provenanceJson(r.provenance) : null,
  };
}

function provenanceJson(p: ReleaseProvenance): Record<string, unknown> {
  return {
    status: p.status,
    verified_publishers: [...p.verifiedPublishers],
    files: p.files.map((f) => ({
      filename: f.filename,
      status: f.status,
      publisher: f.publisher,
      message: f.message,
    })),
  };
}

function advisoryJson(a: AdvisoryRow): Record<string, unknown> {
  return {
    id: a.id,
    aliases: [...a.aliases],
    kind: a.kind,
    severity: a.severity,
    score: a.score,
    summary: a.summary,
    fixed_in: a.fixedIn,
    url: a.url,
  };
}
