// `pycustoms serve` as one product: the proxy, the gate (the audit's checks and policy over the advisory database)
// and the internal registry, wired from the configuration; the CLI and the end-to-end tests both start it here.
import type { FastifyInstance } from "fastify";
import { type AdvisoryStore, openAdvisoryStore } from "../advisories/store.js";
import type { Advisory } from "../advisories/types.js";
import { buildPopularIndex, type PopularIndex } from "../checks/typosquat.js";
import { StoredProjectGate } from "../gate/project-gate.js";
import type { Config, ServeMode } from "../policy/config.js";
import { createIndexClient } from "../upstream/client.js";
import { isUpstreamError } from "../upstream/errors.js";
import { buildServer, type GateResources, type ServerOptions } from "./app.js";

export interface ServeSetup extends Omit<ServerOptions, "gate" | "internal" | "now"> {
  /** The loaded pycustoms.toml (policy, `[serve] mode`, internal names and prefixes). */
  config: Config;
  /** `--mode`, over `[serve] mode`. */
  mode?: ServeMode;
  /** The advisory database (`--db`, `PYCUSTOMS_DB` or the default path); a missing file serves without it. */
  advisoryDbPath: string;
  /** The clock of the gate and the page cache (tests). */
  clock?: () => Date;
  /** How soon a decision made by another process (the admin CLI) shows; default the gate's 2 s. */
  gateRecheckAfterMs?: number;
}

/** What the server was started with, for the start-up lines. */
export interface ServeReport {
  mode: ServeMode;
  advisories:
    | { loaded: true; path: string; vulnerabilities: number; malicious: number; lastUpdate: string | null }
    | { loaded: false; path: string };
  /** Lines that must be shown loudly at start (a missing or stale advisory database, an exposed server...). */
  warnings: string[];
  /** Whether the typosquat check has a popular list. */
  popular: number;
}

const DAY_MS = 86_400_000;

/**
 * Builds the whole server. Throws (a one-line message) when the advisory database exists but cannot be read:
 * serving as though no advisory applied would be a silent downgrade of the gate.
 */
export async function createServeApp(
  setup: ServeSetup,
): Promise<{ app: FastifyInstance; report: ServeReport }> {
  const mode = setup.mode ?? setup.config.serve.mode;
  const config: Config = { ...setup.config, serve: { ...setup.config.serve, mode } };
  const warnings: string[] = [];
  const store: AdvisoryStore | null = openAdvisoryStore(setup.advisoryDbPath, { readonly: true });
  let report: ServeReport["advisories"];
  if (store === null) {
    report = { loaded: false, path: setup.advisoryDbPath };
    warnings.push(
      `NO ADVISORY DATABASE at ${setup.advisoryDbPath}: known vulnerabilities and malicious packages are NOT blocked. Run \`pycustoms db update\` (or pass --db); the other checks still apply.`,
    );
  } else {
    const status = store.status();
    report = {
      loaded: true,
      path: store.path,
      vulnerabilities: status.counts.vulnerability,
      malicious: status.counts.malicious,
      lastUpdate: status.lastUpdate,
    };
    const age = status.lastUpdate === null ? null : Date.now() - Date.parse(status.lastUpdate);
    if (age !== null && age > config.maxDbAgeMs) {
      warnings.push(
        `the advisory database was last updated ${Math.floor(age / DAY_MS)} days ago (max-db-age ${config.maxDbAge}): run \`pycustoms db update\``,
      );
    }
  }
  let popular: PopularIndex | null = null;
  let popularCount = 0;
  if (store !== null && config.checks.typosquat) {
    const names = store.popularNames();
    popularCount = names.length;
    if (names.length > 0) popular = buildPopularIndex(names);
  }
  const trustRoot = config.checks.provenance
    ? (await import("../provenance/trust-root.js")).productionTrustRoot()
    : null;

  const advisoriesFor = (project: string): readonly Advisory[] =>
    store === null ? [] : (store.advisoriesFor([project]).get(project) ?? []);

  const gateFactory = ({ db, http }: GateResources) => {
    const provenanceClient =
      trustRoot !== null ? createIndexClient({ indexUrl: setup.upstreams[0] ?? "", http }) : null;
    return new StoredProjectGate({
      db,
      config,
      advisoriesFor,
      popular,
      ...(setup.clock ? { now: setup.clock } : {}),
      ...(setup.gateRecheckAfterMs !== undefined ? { recheckAfterMs: setup.gateRecheckAfterMs } : {}),
      ...(provenanceClient !== null && trustRoot !== null
        ? {
            provenance: {
              trustRoot,
              fetchProvenance: async (url: string) => {
                const doc = await provenanceClient.fetchProvenance(url);
                if (!isUpstreamError(doc)) return doc.provenance;
                return doc.kind === "not-found" ? null : new Error(doc.message);
              },
            },
          }
        : {}),
    });
  };

  let app: FastifyInstance;
  try {
    const { config: _c, mode: _m, advisoryDbPath: _a, clock, gateRecheckAfterMs: _r, ...server } = setup;
    app = await buildServer({
      ...server,
      ...(clock ? { now: () => clock().getTime() } : {}),
      gate: gateFactory,
      internal: { names: config.upstream.internalNames, prefixes: config.upstream.internalPrefixes },
      rawFront: config.serve.rawFront ?? true,
    });
  } catch (e) {
    store?.close();
    throw e;
  }
  app.addHook("onClose", async () => store?.close());
  return { app, report: { mode, advisories: report, warnings, popular: popularCount } };
}
