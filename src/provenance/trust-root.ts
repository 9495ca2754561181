// The Sigstore trust roots attestations are verified against: the production root shipped offline, or a supplied one.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { type TrustMaterial, toTrustMaterial } from "@sigstore/verify";

export type { TrustMaterial } from "@sigstore/verify";

export type TrustRootResult = { ok: true; trustRoot: TrustMaterial } | { ok: false; message: string };

const PRODUCTION_TUF_MIRROR = "https://tuf-repo-cdn.sigstore.dev";

let production: TrustMaterial | null = null;

/**
 * The Sigstore production trust root, read from the TUF seed @sigstore/tuf ships (`seeds.json`).
 * It is a fixed snapshot taken when that package was published: we never call @sigstore/tuf's
 * `getTrustedRoot()`, which would go to the network (and fails offline, its seed cache holding only root.json).
 */
export function productionTrustRoot(): TrustMaterial {
  if (production) return production;
  const require = createRequire(import.meta.url);
  const seeds = JSON.parse(readFileSync(require.resolve("@sigstore/tuf/seeds.json"), "utf8")) as Record<
    string,
    { targets?: Record<string, string> }
  >;
  const encoded = seeds[PRODUCTION_TUF_MIRROR]?.targets?.["trusted_root.json"];
  // A missing seed is a broken installation (a bug), not bad user input.
  if (!encoded)
    throw new Error(`@sigstore/tuf seeds.json has no trusted_root.json for ${PRODUCTION_TUF_MIRROR}`);
  const result = trustRootFromJSON(JSON.parse(Buffer.from(encoded, "base64").toString("utf8")));
  if (!result.ok) throw new Error(`@sigstore/tuf seeds.json trusted_root.json: ${result.message}`);
  production = result.trustRoot;
  return production;
}

/** A Sigstore `TrustedRoot` JSON value (e.g. the staging root, or a private instance's) as trust material. */
export function trustRootFromJSON(json: unknown): TrustRootResult {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, message: "a trusted root must be a JSON object" };
  }
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== "string" || !mediaType.startsWith("application/vnd.dev.sigstore.trustedroot")) {
    return {
      ok: false,
      message: `not a Sigstore trusted root (mediaType ${JSON.stringify(mediaType ?? null)})`,
    };
  }
  try {
    const trustRoot = toTrustMaterial(TrustedRoot.fromJSON(json));
    if (trustRoot.certificateAuthorities.length === 0 || trustRoot.tlogs.length === 0) {
      return { ok: false, message: "the trusted root names no certificate authority or no transparency log" };
    }
    return { ok: true, trustRoot };
  } catch (err) {
    return { ok: false, message: `the trusted root does not parse: ${(err as Error).message}` };
  }
}

/** Reads a trusted root file (`trusted_root.json`); a missing or malformed file is a message, not an exception. */
export function readTrustRootFile(path: string): TrustRootResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return {
      ok: false,
      message: `${path}: cannot read the trusted root (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `${path}: not JSON (${(err as Error).message})` };
  }
  const result = trustRootFromJSON(json);
  return result.ok ? result : { ok: false, message: `${path}: ${result.message}` };
}
