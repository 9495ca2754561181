// Upstream project pages for the proxy: a TTL cache in memory and in the state store, served stale in an outage.
import { createHash } from "node:crypto";
import type { IndexClient } from "../upstream/client.js";
import { isUpstreamError } from "../upstream/errors.js";
import type { ProjectInfo } from "../upstream/types.js";
import { publishedSha256 } from "./render.js";
import type { StateStore } from "./storage/state-store.js";

export type PageLookup =
  | { kind: "page"; info: ProjectInfo; upstream: string; fetchedAt: number; stale: boolean }
  | { kind: "not-found"; message: string }
  | { kind: "unavailable"; message: string };

export interface PageCacheLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface UpstreamPageCacheOptions {
  /** In order of preference: a project comes from the first upstream that has it. */
  clients: IndexClient[];
  state: StateStore;
  /** How long a page is served without asking upstream again. */
  ttlMs: number;
  /** How long "no such project" is remembered. Default 60 s. */
  notFoundTtlMs?: number;
  /** After a failed refresh, upstream is not asked again for this long (the stale page is served). Default 30 s. */
  retryAfterFailureMs?: number;
  /** Pages kept in memory (the state store keeps all). Default 5000. */
  maxEntries?: number;
  log: PageCacheLog;
  now?: () => number;
}

interface Entry {
  info: ProjectInfo;
  /** Identifies the upstream content: an unchanged page keeps its ProjectInfo object (and its rendered bytes). */
  fingerprint: string;
  upstream: string;
  fetchedAt: number;
  failedAt: number | null;
}

function fingerprintOf(info: ProjectInfo): string {
  return createHash("sha256").update(JSON.stringify(info)).digest("base64url");
}

/** Files without a published sha256 cannot be verified, so they are not offered at all. */
function servable(info: ProjectInfo): { info: ProjectInfo; dropped: number } {
  const files = info.files.filter((f) => publishedSha256(f) !== null);
  return {
    info: files.length === info.files.length ? info : { ...info, files },
    dropped: info.files.length - files.length,
  };
}

export class UpstreamPageCache {
  private readonly entries = new Map<string, Entry>();
  private readonly notFound = new Map<string, { until: number; message: string }>();
  private readonly inflight = new Map<string, Promise<PageLookup>>();
  private readonly now: () => number;

  constructor(private readonly options: UpstreamPageCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The page of a normalised project name: fresh, refreshed, or stale when upstream cannot be reached. */
  async get(project: string): Promise<PageLookup> {
    const now = this.now();
    const entry = this.entries.get(project) ?? (await this.load(project));
    const held = entry ? this.servedAsIs(entry, now) : null;
    if (held !== null) return held;
    const negative = this.notFound.get(project);
    if (negative && negative.until > now && !entry) return { kind: "not-found", message: negative.message };
    let pending = this.inflight.get(project);
    if (!pending) {
      pending = this.refresh(project, entry ?? null).finally(() => this.inflight.delete(project));
      this.inflight.set(project, pending);
    }
    return pending;
  }

  /**
   * The answer `get` would give without waiting, when it needs neither the state store nor upstream: a page held
   * in memory that is fresh, or stale inside the window after a failed refresh. Null: call `get`.
   */
  peek(project: string): PageLookup | null {
    const entry = this.entries.get(project);
    return entry === undefined ? null : this.servedAsIs(entry, this.now());
  }

  /** The entry as it is: while fresh, or stale inside the window after a failed refresh; else null (refresh). */
  private servedAsIs(entry: Entry, now: number): PageLookup | null {
    if (now - entry.fetchedAt < this.options.ttlMs) return this.hit(entry, false);
    if (entry.failedAt !== null && now - entry.failedAt < (this.options.retryAfterFailureMs ?? 30_000))
      return this.hit(entry, true);
    return null;
  }

  private hit(entry: Entry, stale: boolean): PageLookup {
    return { kind: "page", info: entry.info, upstream: entry.upstream, fetchedAt: entry.fetchedAt, stale };
  }

  private async load(project: string): Promise<Entry | null> {
    const stored = await this.options.state.getPage(project);
    if (!stored) return null;
    const entry: Entry = {
      info: stored.info,
      fingerprint: fingerprintOf(stored.info),
      upstream: stored.upstream,
      fetchedAt: stored.fetchedAt,
      failedAt: null,
    };
    this.remember(project, entry);
    return entry;
  }

  private remember(project: string, entry: Entry): void {
    this.entries.delete(project);
    this.entries.set(project, entry);
    const max = this.options.maxEntries ?? 5000;
    while (this.entries.size > max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private async refresh(project: string, previous: Entry | null): Promise<PageLookup> {
    const notFoundMessages: string[] = [];
    let failure: string | null = null;
    for (const client of this.options.clients) {
      const result = await client.project(project);
      if (isUpstreamError(result)) {
        if (result.kind === "not-found") {
          notFoundMessages.push(result.message);
          continue;
        }
        // An earlier upstream that is down is not skipped: a later one could serve a different project of the same name.
        failure = result.message;
        break;
      }
      const { info: fresh, dropped } = servable(result);
      if (dropped > 0) {
        this.options.log.warn(
          { project, upstream: client.indexUrl, dropped },
          "files without a published sha256 are not offered",
        );
      }
      const fingerprint = fingerprintOf(fresh);
      const now = this.now();
      const unchanged = previous !== null && previous.fingerprint === fingerprint;
      const entry: Entry = {
        info: unchanged ? previous.info : fresh,
        fingerprint,
        upstream: client.indexUrl,
        fetchedAt: now,
        failedAt: null,
      };
      this.remember(project, entry);
      this.notFound.delete(project);
      await this.options.state.putPage({
        project,
        upstream: entry.upstream,
        fetchedAt: now,
        info: entry.info,
      });
      return this.hit(entry, false);
    }
    if (failure === null) {
      const message = notFoundMessages.join("; ") || `project '${project}' not found upstream`;
      this.notFound.set(project, { until: this.now() + (this.options.notFoundTtlMs ?? 60_000), message });
      return { kind: "not-found", message };
    }
    if (previous) {
      previous.failedAt = this.now();
      this.options.log.warn(
        {
          project,
          upstream: previous.upstream,
          cause: failure,
          fetchedAt: new Date(previous.fetchedAt).toISOString(),
        },
        "upstream unavailable: serving the cached page stale",
      );
      await this.options.state.recordEvent({ kind: "stale-page", project, filename: null, detail: failure });
      return this.hit(previous, true);
    }
    return { kind: "unavailable", message: failure };
  }
}
