// BLAKE2b-256, the `blake2_256_digest` PyPI and twine use: node:crypto has only blake2b512 (not truncatable on
// Node 20), so it comes from @noble/hashes.
import { blake2b } from "@noble/hashes/blake2.js";

/** Hex BLAKE2b with a 32-byte digest (not a truncated BLAKE2b-512: the digest length is a parameter). */
export function blake2b256Hex(data: Uint8Array): string {
  return Buffer.from(blake2b(data, { dkLen: 32 })).toString("hex");
}

/** Incremental BLAKE2b-256 for streamed uploads. */
export function createBlake2b256(): { update(chunk: Uint8Array): void; digestHex(): string } {
  const h = blake2b.create({ dkLen: 32 });
  return {
    update: (chunk) => {
      h.update(chunk);
    },
    digestHex: () => Buffer.from(h.digest()).toString("hex"),
  };
}
