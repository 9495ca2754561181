// Writes a ProjectInfo as a simple-API project page: PEP 691 JSON or PEP 503 HTML, API version 1.4.
import type { ProjectFile, ProjectInfo } from "../upstream/types.js";

/** The version we speak: 1.1 sizes/upload times/versions, 1.3 provenance, 1.4 project status are all passed through. */
export const API_VERSION = "1.4";

/** Where a client fetches a file: a URL relative to the project page, so the proxy works under any path prefix. */
export type FileUrl = (file: ProjectFile) => string;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** PEP 658 metadata is advertised only with a sha256 we can verify the upstream bytes against. */
export function servableMetadataSha256(file: ProjectFile): string | null {
  if (typeof file.coreMetadata !== "object") return null;
  const hex = file.coreMetadata.sha256;
  return hex !== undefined && /^[0-9a-f]{64}$/i.test(hex) ? hex.toLowerCase() : null;
}

/** The file's published sha256 (lower case), or null: files without one are never served. */
export function publishedSha256(file: ProjectFile): string | null {
  const hex = file.hashes.sha256;
  return hex !== undefined && /^[0-9a-f]{64}$/i.test(hex) ? hex.toLowerCase() : null;
}

function jsonFile(file: ProjectFile, url: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    filename: file.filename,
    url,
    hashes: file.hashes,
  };
  if (file.requiresPython !== null) out["requires-python"] = file.requiresPython;
  const metadata = servableMetadataSha256(file);
  // Only the PEP 714 name: PEP 714 allows the old `dist-info-metadata` name in HTML alone, because any use of it in
  // JSON makes pip 22.3-22.3.1 (vendored by pipenv 2022.x) crash with "unhashable type: 'dict'".
  out["core-metadata"] = metadata === null ? false : { sha256: metadata };
  out.yanked = file.yanked ? (file.yankedReason ? file.yankedReason : true) : false;
  if (file.size !== null) out.size = file.size;
  if (file.uploadTime !== null) out["upload-time"] = file.uploadTime;
  out.provenance = file.provenance;
  return out;
}

/** PEP 691 + 700 + 740 + 792 JSON. */
export function renderProjectJson(project: ProjectInfo, fileUrl: FileUrl): string {
  const meta: Record<string, unknown> = { "api-version": API_VERSION };
  if (project.lastSerial !== null) meta["_last-serial"] = project.lastSerial;
  const status: Record<string, string> = { status: project.status.status };
  if (project.status.reason) status.reason = project.status.reason;
  return JSON.stringify({
    meta,
    name: project.name,
    "project-status": status,
    versions: project.versions,
    files: project.files.map((f) => jsonFile(f, fileUrl(f))),
  });
}

function htmlAnchor(file: ProjectFile, url: string): string {
  const sha256 = publishedSha256(file);
  const href = sha256 === null ? url : `${url}#sha256=${sha256}`;
  const attrs = [`href="${escapeHtml(href)}"`];
  if (file.requiresPython !== null) attrs.push(`data-requires-python="${escapeHtml(file.requiresPython)}"`);
  const metadata = servableMetadataSha256(file);
  if (metadata !== null) {
    attrs.push(`data-dist-info-metadata="sha256=${metadata}"`, `data-core-metadata="sha256=${metadata}"`);
  }
  if (file.yanked) attrs.push(`data-yanked="${escapeHtml(file.yankedReason ?? "")}"`);
  if (file.provenance !== null) attrs.push(`data-provenance="${escapeHtml(file.provenance)}"`);
  return `    <a ${attrs.join(" ")}>${escapeHtml(file.filename)}</a><br />`;
}

/** PEP 503 HTML with the PEP 629 version and PEP 792 status meta tags (HTML cannot carry sizes or times). */
export function renderProjectHtml(project: ProjectInfo, fileUrl: FileUrl): string {
  const lines = [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    `    <meta name="pypi:project-status" content="${escapeHtml(project.status.status)}">`,
  ];
  if (project.status.reason) {
    lines.push(`    <meta name="pypi:project-status-reason" content="${escapeHtml(project.status.reason)}">`);
  }
  lines.push(
    `    <title>Links for ${escapeHtml(project.name)}</title>`,
    "  </head>",
    "  <body>",
    `    <h1>Links for ${escapeHtml(project.name)}</h1>`,
    ...project.files.map((f) => htmlAnchor(f, fileUrl(f))),
    "  </body>",
    "</html>",
  );
  if (project.lastSerial !== null) lines.push(`<!--SERIAL ${project.lastSerial}-->`);
  lines.push("");
  return lines.join("\n");
}

/** The root list: JSON `projects` or one anchor per project (href relative to `/simple/`). */
export function renderRootJson(projects: string[]): string {
  return JSON.stringify({
    meta: { "api-version": API_VERSION },
    projects: projects.map((name) => ({ name })),
  });
}

export function renderRootHtml(projects: string[]): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "  <head>",
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    "    <title>Simple index</title>",
    "  </head>",
    "  <body>",
    ...projects.map(
      (name) => `    <a href="${escapeHtml(encodeURIComponent(name))}/">${escapeHtml(name)}</a>`,
    ),
    "  </body>",
    "</html>",
    "",
  ].join("\n");
}
