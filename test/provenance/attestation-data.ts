// The real PEP 740 vectors in ../shared/data/attestations, their distributions' digests and the two trust roots.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  productionTrustRoot,
  readTrustRootFile,
  type TrustMaterial,
} from "../../src/provenance/trust-root.js";
import { sharedData } from "../paths.js";

export const attestationsDir = join(sharedData, "attestations");

export function readVector(file: string): unknown {
  return JSON.parse(readFileSync(join(attestationsDir, file), "utf8"));
}

/**
 * sha256 of each attested distribution: from SOURCE.md's table where the file is described there, else (dists not
 * kept anywhere) the statement's own subject digest, which SOURCE.md gives abbreviated (`0ace7980…627c6b`, ...).
 */
export const SHA256: Record<string, string> = {
  "gitlab_oidc_project-0.0.3.tar.gz": "c1ca9b0d85df1606451098233018534497bf584362e10e4a8c21dfaea92c02a8",
  "pypi_attestation_models-0.0.4a2.tar.gz":
    "c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef",
  "pypi_attestations-0.0.19.tar.gz": "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3",
  "sampleproject-3.0.0.tar.gz": "117ed88e5db073bb92969a7545745fd977ee85b7019706dd256a64058f70963d",
  "sigstore-3.6.1.tar.gz": "ee60fdc9236fd6709271ad53b44027461360c3fde155d2af15482e4c451ff865",
  "rfc8785-0.1.2-py3-none-any.whl": "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201",
  "sampleproject-4.0.0.tar.gz": "0ace7980f82c5815ede4cd7bf9f6693684cec2ae47b9b7ade9add533b8627c6b",
  "pep740-sampleproject-1.0.0.tar.gz": "6cdd4a1a0a49aeef47265e7bf8ec1667257b397d34d731dc7b7af349deca1cd8",
  "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl":
    "d2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8",
};

export function dist(filename: string): { filename: string; sha256: string } {
  const sha256 = SHA256[filename];
  if (!sha256) throw new Error(`no digest for ${filename}`);
  return { filename, sha256 };
}

export const production: TrustMaterial = productionTrustRoot();

const stagingResult = readTrustRootFile(join(attestationsDir, "trusted_root.staging.json"));
if (!stagingResult.ok) throw new Error(stagingResult.message);
export const staging: TrustMaterial = stagingResult.trustRoot;

export const GITHUB_ACTIONS = "https://token.actions.githubusercontent.com";
