// Which package index the upstream checks ask: the one place that knows the order of precedence.
import { DEFAULT_PUBLIC_INDEX_URL } from "../policy/config.js";
import { isHttpUrl } from "../standards/urls.js";
import type { PipIndexConfig } from "../upstream/pip-config.js";

export interface ResolvedIndexUrl {
  /** The index URL, credentials included when given (never print it: see `redactUrl`). */
  url: string;
  /** Where it came from, for messages: "--index-url", "pycustoms.toml", a requirements file, pip's, "default". */
  source: string;
}

export interface IndexUrlInputs {
  /** `--index-url` on the command line. */
  flag?: string | undefined;
  /** `[index] url` of the configuration. */
  configured?: string | undefined;
  /** `--index-url` lines of the requirements files, in inventory order. */
  requirementsFiles?: readonly { file: string; indexUrl: string | null }[];
  /** pip's own configuration, read only when nothing above decided (it reads files). */
  pip?: () => PipIndexConfig;
}

/**
 * The precedence, highest first: `--index-url`, `[index] url`, the first requirements file with an
 * `--index-url` (pip applies it to the whole install), pip's configuration (PIP_INDEX_URL, pip.conf), PyPI.
 * A requirements-file or pip value that is not an http(s) URL (a local folder, say) is passed over.
 */
export function resolveIndexUrl(inputs: IndexUrlInputs): ResolvedIndexUrl {
  const flag = inputs.flag?.trim();
  if (flag) return { url: flag, source: "--index-url" };
  const configured = inputs.configured?.trim();
  if (configured) return { url: configured, source: "[index] url" };
  for (const r of inputs.requirementsFiles ?? []) {
    if (r.indexUrl && isHttpUrl(r.indexUrl.trim())) return { url: r.indexUrl.trim(), source: r.file };
  }
  const pip = inputs.pip?.();
  if (pip && pip.source !== "default" && isHttpUrl(pip.indexUrl)) {
    return { url: pip.indexUrl, source: pip.source === "env" ? "PIP_INDEX_URL" : pip.source };
  }
  return { url: DEFAULT_PUBLIC_INDEX_URL, source: "default" };
}

const PYPI_HOSTS = new Set(["pypi.org", "www.pypi.org", "pypi.python.org"]);

/** A comparable form of an index URL: no credentials, lower-case host, one trailing slash; PyPI's spellings as one. */
export function indexKey(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.hash = "";
    u.search = "";
    const host = u.hostname.toLowerCase();
    if (PYPI_HOSTS.has(host) && /^\/simple\/?$/.test(u.pathname)) return "https://pypi.org/simple/";
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/*$/, "/")}`;
  } catch {
    return url.trim().replace(/\/*$/, "/");
  }
}

/** Whether an index URL is PyPI's own simple index (any spelling). */
export function isPypiIndex(url: string): boolean {
  return indexKey(url) === "https://pypi.org/simple/";
}
