// The upstream index client: a project's simple page (JSON, else HTML) merged with the PyPI JSON API when there is one.
import { isValidName, normalizeName } from "../standards/names.js";
import { isUpstreamError, redactUrl, type UpstreamError, upstreamError } from "./errors.js";
import { createHttpClient, type HttpClient, type HttpClientOptions } from "./http.js";
import { type JsonApiFile, type JsonApiRelease, parseJsonApi } from "./json-api.js";
import { parseProjectPage, SIMPLE_ACCEPT } from "./simple.js";
import type { ProjectInfo } from "./types.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ProvenanceDocument {
  /** Where it was read from, credentials removed. */
  url: string;
  /** The PEP 740 provenance object as the index sent it (verification is another module's job). */
  provenance: JsonValue;
}

export interface IndexClientOptions {
  /** The simple index base, e.g. `https://pypi.org/simple/` (may carry `user:pass@`, sent as Basic auth). */
  indexUrl: string;
  /** Base of the JSON API (`https://pypi.org/pypi/`); null: none; default: derived from the index URL. */
  jsonApiUrl?: string | null;
  offline?: boolean;
  cacheDir?: string | null;
  timeoutMs?: number;
  concurrency?: number;
  retries?: number;
  backoffBaseMs?: number;
  /** Share one HTTP client (and its concurrency limit) between several index clients. */
  http?: HttpClient;
  /** Other HTTP settings, used when `http` is not given. */
  httpOptions?: HttpClientOptions;
}

/**
 * What the simple page may lack and only the PyPI JSON API adds: ownership (never on the page), upload times and
 * sizes (PEP 700, not in HTML), sha256 digests, and the reasons of yanked files.
 */
export type ProjectDetail = "ownership" | "upload-times" | "sizes" | "digests" | "yank-reasons";

export const PROJECT_DETAILS: readonly ProjectDetail[] = [
  "ownership",
  "upload-times",
  "sizes",
  "digests",
  "yank-reasons",
];

export interface ProjectOptions {
  /**
   * The details the caller will read. Default: all, with the JSON API asked beside the page. With a list, the
   * JSON API is asked only for ownership or when the page lacks a listed detail: PyPI's PEP 691 pages carry
   * upload times, sizes and digests, so an audit without the ownership check makes one request per project.
   */
  needs?: readonly ProjectDetail[];
}

export interface IndexClient {
  /** The index base URL, credentials removed. */
  readonly indexUrl: string;
  /** The JSON API base in use, or null. */
  readonly jsonApiUrl: string | null;
  project(name: string, options?: ProjectOptions): Promise<ProjectInfo | UpstreamError>;
  /** PyPI JSON API data of one release (files with upload times and digests, vulnerabilities, ownership). */
  release(name: string, version: string): Promise<JsonApiRelease | UpstreamError>;
  fetchProvenance(url: string): Promise<ProvenanceDocument | UpstreamError>;
  close(): Promise<void>;
}

const JSON_API_ACCEPT = "application/json";
const PROVENANCE_ACCEPT = "application/vnd.pypi.integrity.v1+json, application/json;q=0.9";
const PYPI_HOSTS: Record<string, string> = {
  "pypi.org": "https://pypi.org/pypi/",
  "www.pypi.org": "https://pypi.org/pypi/",
  "test.pypi.org": "https://test.pypi.org/pypi/",
};

const PYPI_JSON_APIS = new Set(Object.values(PYPI_HOSTS));

function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/** pypi.org's JSON API lives at /pypi/; elsewhere guess `<index root>/pypi/` (the index URL minus its `simple/`). */
export function deriveJsonApiUrl(indexUrl: string): string | null {
  let u: URL;
  try {
    u = new URL(withTrailingSlash(indexUrl));
  } catch {
    return null;
  }
  const known = PYPI_HOSTS[u.hostname.toLowerCase()];
  if (known) return known;
  const path = u.pathname.replace(/\/\+?simple\/$/, "/");
  u.pathname = path === u.pathname ? "/" : path;
  u.search = "";
  u.hash = "";
  return new URL("pypi/", u).href;
}

/** Fills what the simple page lacks (upload times, sizes, a sha256) from the JSON API's file lists. */
function mergeJsonApi(info: ProjectInfo, api: JsonApiRelease): ProjectInfo {
  const byName = new Map<string, JsonApiFile>();
  for (const file of api.files) byName.set(file.filename, file);
  for (const list of Object.values(api.releases ?? {}))
    for (const file of list) byName.set(file.filename, file);
  const files = info.files.map((file) => {
    const extra = byName.get(file.filename);
    if (!extra) return file;
    const hashes = { ...file.hashes };
    if (hashes.sha256 === undefined && extra.digests.sha256) hashes.sha256 = extra.digests.sha256;
    return {
      ...file,
      hashes,
      uploadTime: file.uploadTime ?? extra.uploadTime,
      size: file.size ?? extra.size,
      yankedReason: file.yankedReason ?? (file.yanked ? extra.yankedReason : null),
    };
  });
  return {
    ...info,
    files,
    ownership: api.ownership,
    capabilities: {
      ...info.capabilities,
      jsonApi: true,
      uploadTimes: files.some((f) => f.uploadTime !== null),
      sizes: files.length > 0 && files.every((f) => f.size !== null),
    },
  };
}

/** The listed details this page lacks (the JSON API could fill them); ownership is never on a page. */
export function missingDetails(info: ProjectInfo, needs: readonly ProjectDetail[]): ProjectDetail[] {
  const lacks: Record<ProjectDetail, () => boolean> = {
    ownership: () => true,
    "upload-times": () => info.files.some((f) => f.uploadTime === null),
    sizes: () => info.files.some((f) => f.size === null),
    digests: () => info.files.some((f) => f.hashes.sha256 === undefined),
    "yank-reasons": () => info.files.some((f) => f.yanked && f.yankedReason === null),
  };
  return needs.filter((need) => lacks[need]());
}

export function createIndexClient(options: IndexClientOptions): IndexClient {
  const indexWithAuth = withTrailingSlash(options.indexUrl);
  const indexUrl = redactUrl(indexWithAuth);
  const derived = options.jsonApiUrl === undefined;
  const jsonApiRaw = derived ? deriveJsonApiUrl(indexWithAuth) : options.jsonApiUrl;
  const jsonApiUrl = jsonApiRaw ? withTrailingSlash(redactUrl(jsonApiRaw)) : null;
  const ownsHttp = options.http === undefined;
  const http =
    options.http ??
    createHttpClient({
      ...options.httpOptions,
      ...(options.offline !== undefined ? { offline: options.offline } : {}),
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
    });
  // Credentials in the index URL also open its files and JSON API on the same host (as pip does).
  http.addCredentials(indexWithAuth);
  if (jsonApiRaw) http.addCredentials(jsonApiRaw);
  // A guessed JSON API that 404s for a project the index has is taken as absent for this client's life.
  let jsonApiAbsent = false;
  // Set once a page lacked a detail a caller asked for: later projects then ask the JSON API beside the page.
  let pagesLackDetails = false;

  async function jsonApi(path: string): Promise<JsonApiRelease | UpstreamError> {
    if (!jsonApiUrl || jsonApiAbsent) {
      return upstreamError("not-found", indexUrl, `${indexUrl}: no PyPI JSON API for this index`);
    }
    const url = new URL(path, jsonApiUrl).href;
    const response = await http.get(url, { accept: JSON_API_ACCEPT });
    if (isUpstreamError(response)) return response;
    return parseJsonApi(response.body.toString("utf8"), response.url);
  }

  return {
    indexUrl,
    jsonApiUrl,
    async project(name, projectOptions = {}) {
      if (!isValidName(name)) {
        return upstreamError(
          "not-found",
          indexUrl,
          `'${name}' is not a valid project name (asked of ${indexUrl})`,
        );
      }
      const normalized = normalizeName(name);
      const pageUrl = new URL(`${encodeURIComponent(normalized)}/`, indexUrl).href;
      const apiPath = `${encodeURIComponent(normalized)}/json`;
      const needs = projectOptions.needs ?? PROJECT_DETAILS;
      const all = projectOptions.needs === undefined;
      // Beside the page (one round trip) when the API will surely be wanted: for ownership, or on an index whose
      // pages were already found lacking; otherwise only after the page, if it lacks something asked for.
      const together = all || needs.includes("ownership") || pagesLackDetails;
      const [page, early] = await Promise.all([
        http.get(pageUrl, { accept: SIMPLE_ACCEPT }),
        together ? jsonApi(apiPath) : null,
      ]);
      if (isUpstreamError(page)) {
        if (page.kind === "not-found") {
          return {
            ...page,
            message: `project '${normalized}' not found on ${indexUrl} (HTTP ${page.status})`,
          };
        }
        return page;
      }
      const info = parseProjectPage(page.body, page.headers["content-type"], {
        url: page.url,
        project: normalized,
        index: indexUrl,
        headers: page.headers,
      });
      if (isUpstreamError(info)) return info;
      let api = early;
      if (api === null) {
        const missing = missingDetails(info, needs);
        if (missing.length === 0) return info;
        pagesLackDetails = true;
        api = await jsonApi(apiPath);
      }
      if (isUpstreamError(api)) {
        if (api.kind === "not-found" && derived && !PYPI_JSON_APIS.has(jsonApiUrl ?? ""))
          jsonApiAbsent = true;
        return info;
      }
      return mergeJsonApi(info, api);
    },
    async release(name, version) {
      if (!isValidName(name)) {
        return upstreamError(
          "not-found",
          indexUrl,
          `'${name}' is not a valid project name (asked of ${indexUrl})`,
        );
      }
      const normalized = normalizeName(name);
      return jsonApi(`${encodeURIComponent(normalized)}/${encodeURIComponent(version)}/json`);
    },
    async fetchProvenance(url) {
      const response = await http.get(url, { accept: PROVENANCE_ACCEPT });
      if (isUpstreamError(response)) return response;
      try {
        return { url: response.url, provenance: JSON.parse(response.body.toString("utf8")) as JsonValue };
      } catch (e) {
        return upstreamError(
          "invalid-response",
          response.url,
          `${response.url}: malformed provenance JSON (${(e as Error).message})`,
          { status: response.status, attempts: response.attempts },
        );
      }
    },
    async close() {
      if (ownsHttp) await http.close();
    },
  };
}
