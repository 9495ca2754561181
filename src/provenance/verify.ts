// Verifies PEP 740 attestations (and PyPI provenance objects) offline: Sigstore signature, log and identity via
// @sigstore/verify, plus what that library leaves to us — the in-toto statement, the subject, the publisher.
//
// Outcomes are three, because they mean different things to a user:
// - ok: the attestation is genuine and says this file was published by this identity;
// - "invalid": something that should match does not (signature, log entry, digest, name, identity): tampering;
// - "unverifiable": we cannot decide (another Sigstore instance, a Rekor v2 entry without a signed entry
//   timestamp, a format version we do not know): reported as "could not verify", never a pass nor tampering.
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleFromJSON,
} from "@sigstore/bundle";
import { ASN1Obj, type X509Certificate } from "@sigstore/core";
import {
  PolicyError,
  type SignedEntity,
  type Signer,
  toSignedEntity,
  VerificationError,
  type VerificationPolicy,
  Verifier,
} from "@sigstore/verify";
import { sameDistribution } from "./dist-name.js";
import { matchPublisher, type Publisher, parsePublisher, type SignerIdentity } from "./publisher.js";
import type { TrustMaterial } from "./trust-root.js";

export const PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const KNOWN_PREDICATE_TYPES: readonly string[] = [PUBLISH_V1, SLSA_PROVENANCE_V1];
const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
const KNOWN_BUNDLE_MEDIA_TYPES = [
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
];

/** Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
export const OID_SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12";
export const OID_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18";

/** The distribution file an attestation is checked against: its name and the sha256 the index published. */
export interface DistFile {
  filename: string;
  sha256: string;
}

export interface VerifyOptions {
  trustRoot: TrustMaterial;
  /** The trusted publisher the signer must be (checked from the certificate's extensions). */
  publisher?: Publisher;
  /** An exact identity the signer must have: SAN and OIDC issuer. */
  identity?: { san: string; issuer: string };
}

export type VerificationFailureReason = "unverifiable" | "invalid";

export type AttestationVerification =
  | {
      ok: true;
      predicateType: string;
      signer: SignerIdentity;
      /** When the transparency log integrated the entry (ISO 8601 UTC). */
      integratedTime: string;
    }
  | { ok: false; reason: VerificationFailureReason; message: string };

type Failure = Extract<AttestationVerification, { ok: false }>;

const invalid = (message: string): Failure => ({ ok: false, reason: "invalid", message });
const unverifiable = (message: string): Failure => ({ ok: false, reason: "unverifiable", message });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A PEP 740 attestation as a Sigstore bundle v0.3 (JSON form): the certificate and the transparency entries
 * carry over as they are, the statement and signature become a DSSE envelope with the in-toto payload type.
 */
export function attestationToBundle(attestation: unknown): { ok: true; bundle: unknown } | Failure {
  if (!isRecord(attestation)) return invalid("the attestation is not a JSON object");
  if (attestation.version !== 1) {
    return unverifiable(
      `attestation version ${JSON.stringify(attestation.version ?? null)} is not supported`,
    );
  }
  const material = attestation.verification_material;
  const envelope = attestation.envelope;
  if (!isRecord(material) || typeof material.certificate !== "string") {
    return invalid("the attestation has no verification_material.certificate");
  }
  if (!Array.isArray(material.transparency_entries)) {
    return invalid("the attestation has no verification_material.transparency_entries");
  }
  if (
    !isRecord(envelope) ||
    typeof envelope.statement !== "string" ||
    typeof envelope.signature !== "string"
  ) {
    return invalid("the attestation has no envelope statement and signature");
  }
  return {
    ok: true,
    bundle: {
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: {
        certificate: { rawBytes: material.certificate },
        tlogEntries: material.transparency_entries,
      },
      dsseEnvelope: {
        payload: envelope.statement,
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: [{ sig: envelope.signature, keyid: "" }],
      },
    },
  };
}

/** Verifies one PEP 740 attestation for a distribution file. */
export function verifyAttestation(
  attestation: unknown,
  dist: DistFile,
  options: VerifyOptions,
): AttestationVerification {
  const converted = attestationToBundle(attestation);
  if (!converted.ok) return converted;
  return verifySigstoreBundle(converted.bundle, dist, options);
}

/** Verifies a Sigstore bundle (JSON) whose DSSE envelope carries an attestation statement for a distribution file. */
export function verifySigstoreBundle(
  bundleJson: unknown,
  dist: DistFile,
  options: VerifyOptions,
): AttestationVerification {
  if (!isRecord(bundleJson)) return invalid("the bundle is not a JSON object");
  const mediaType = bundleJson.mediaType;
  if (typeof mediaType !== "string" || !KNOWN_BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    return unverifiable(`Sigstore bundle media type ${JSON.stringify(mediaType ?? null)} is not supported`);
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (err) {
    return invalid(`not a well-formed Sigstore bundle: ${(err as Error).message}`);
  }
  if (bundle.content.$case !== "dsseEnvelope") {
    return invalid("the bundle signs a message, not an attestation statement (no DSSE envelope)");
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return invalid(`DSSE payload type ${envelope.payloadType} is not ${IN_TOTO_PAYLOAD_TYPE}`);
  }

  const statement = checkStatement(envelope.payload, dist);
  if (!statement.ok) return statement;

  const logs = checkLogEntries(bundle, options.trustRoot);
  if (!logs.ok) return logs;

  let entity: SignedEntity;
  let signer: Signer;
  try {
    entity = toSignedEntity(bundle);
    signer = new Verifier(options.trustRoot, {
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 1,
    }).verify(entity, identityPolicy(options.identity));
  } catch (err) {
    return classifyLibraryError(err, bundle, options.trustRoot);
  }

  const identity = signerIdentity(signer, entity);
  if (options.publisher) {
    const match = matchPublisher(options.publisher, identity);
    if (!match.ok) return match.supported ? invalid(match.message) : unverifiable(match.message);
  }
  // Only once signature and signer hold: a forged statement must not pass as merely "unverifiable".
  if (!KNOWN_PREDICATE_TYPES.includes(statement.predicateType)) {
    return unverifiable(`predicate type ${statement.predicateType} is not one pycustoms knows`);
  }
  return {
    ok: true,
    predicateType: statement.predicateType,
    signer: identity,
    integratedTime: new Date(logs.integratedTime * 1000).toISOString(),
  };
}

/** Our checks on the statement: in-toto v1, exactly one subject naming this file with its sha256, a predicate type. */
function checkStatement(payload: Buffer, dist: DistFile): { ok: true; predicateType: string } | Failure {
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString("utf8"));
  } catch {
    return invalid("the signed statement is not JSON");
  }
  if (!isRecord(statement)) return invalid("the signed statement is not a JSON object");
  if (statement._type !== IN_TOTO_STATEMENT_V1) {
    return invalid(`the statement is not an in-toto v1 statement (_type ${JSON.stringify(statement._type)})`);
  }
  const subjects = statement.subject;
  if (!Array.isArray(subjects) || subjects.length !== 1) {
    return invalid(
      `the statement must have exactly one subject, it has ${Array.isArray(subjects) ? subjects.length : 0}`,
    );
  }
  const subject: unknown = subjects[0];
  if (!isRecord(subject) || typeof subject.name !== "string" || !isRecord(subject.digest)) {
    return invalid("the statement's subject has no name or digest");
  }
  const sha256 = subject.digest.sha256;
  if (typeof sha256 !== "string") return invalid("the statement's subject has no sha256 digest");
  if (sha256.toLowerCase() !== dist.sha256.toLowerCase()) {
    return invalid(`subject digest sha256:${sha256} is not the file's sha256:${dist.sha256}`);
  }
  if (!sameDistribution(subject.name, dist.filename)) {
    return invalid(`subject ${subject.name} does not name the file ${dist.filename}`);
  }
  const predicateType = statement.predicateType;
  if (typeof predicateType !== "string") return invalid("the statement has no predicateType");
  return { ok: true, predicateType };
}

/**
 * Before handing over to the library: a signed entry timestamp (SET) is the only time source a PEP 740
 * attestation can carry, and the entry's log must be one the trust root knows. Returns the SET'd entry's time.
 */
function checkLogEntries(
  bundle: Bundle,
  trustRoot: TrustMaterial,
): { ok: true; integratedTime: number } | Failure {
  const entries = bundle.verificationMaterial.tlogEntries;
  if (entries.length === 0) return invalid("the attestation has no transparency log entry");
  const known = entries.filter((entry) => {
    const keyId = entry.logId?.keyId;
    return keyId !== undefined && trustRoot.tlogs.some((log) => log.logID.equals(keyId));
  });
  if (known.length === 0) {
    const ids = entries.map((entry) => entry.logId?.keyId.toString("base64") ?? "(none)").join(", ");
    return unverifiable(
      `transparency log ${ids} is not in the trust root (an attestation from another Sigstore instance?)`,
    );
  }
  const timed = known.find((entry) => entry.inclusionPromise !== undefined);
  if (!timed) {
    return unverifiable(
      "the log entry has no signed entry timestamp (a Rekor v2 entry?): it needs an RFC 3161 timestamp, which a PEP 740 attestation cannot carry",
    );
  }
  return { ok: true, integratedTime: Number(timed.integratedTime) };
}

/** The library treats the SAN as an unanchored regular expression: anchor and escape it, or a prefix would match. */
function identityPolicy(identity: VerifyOptions["identity"]): VerificationPolicy | undefined {
  if (!identity) return undefined;
  const escaped = identity.san.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return { subjectAlternativeName: `^${escaped}$`, extensions: { issuer: identity.issuer } };
}

/** Sorts the library's failures into tampering signals and things we cannot decide. */
function classifyLibraryError(err: unknown, bundle: Bundle, trustRoot: TrustMaterial): Failure {
  if (err instanceof PolicyError) return invalid(`signer identity does not match: ${err.message}`);
  if (err instanceof VerificationError) {
    const message = `${err.code}: ${err.message}`;
    if (err.code === "TIMESTAMP_ERROR" || err.code === "NOT_IMPLEMENTED_ERROR") return unverifiable(message);
    if (/^unsupported/i.test(err.message)) return unverifiable(message);
    if (err.code === "CERTIFICATE_ERROR" && err.message === "Failed to verify certificate chain") {
      const leaf = leafCertificate(bundle);
      if (leaf && !issuedByTrustRoot(leaf, trustRoot)) {
        return unverifiable(
          `the certificate was not issued by a certificate authority of this trust root (another Sigstore instance, such as staging?): ${message}`,
        );
      }
    }
    return invalid(message);
  }
  return invalid(`the attestation could not be verified: ${(err as Error).message ?? String(err)}`);
}

function leafCertificate(bundle: Bundle): X509Certificate | null {
  try {
    const key = toSignedEntity(bundle).key;
    return key.$case === "certificate" ? key.certificate : null;
  } catch {
    return null;
  }
}

/**
 * Does the leaf name an issuing CA of this trust root? By key identifier, because Sigstore's production and
 * staging intermediates share a subject name. A leaf that claims a trusted CA yet fails the chain is a forgery.
 */
function issuedByTrustRoot(leaf: X509Certificate, trustRoot: TrustMaterial): boolean {
  const authorityKey = leaf.extAuthorityKeyID?.keyIdentifier;
  return trustRoot.certificateAuthorities.some((ca) =>
    ca.certChain.some((cert) => {
      if (authorityKey) {
        return cert.extSubjectKeyID?.keyIdentifier.equals(authorityKey) === true;
      }
      return cert.subject.equals(leaf.issuer);
    }),
  );
}

function signerIdentity(signer: Signer, entity: SignedEntity): SignerIdentity {
  const certificate = entity.key.$case === "certificate" ? entity.key.certificate : null;
  return {
    san: signer.identity?.subjectAlternativeName ?? "",
    issuer: signer.identity?.extensions?.issuer ?? "",
    sourceRepository: certificate ? utf8Extension(certificate, OID_SOURCE_REPOSITORY_URI) : null,
    buildConfigUri: certificate ? utf8Extension(certificate, OID_BUILD_CONFIG_URI) : null,
  };
}

const UTF8_STRING_TAG = 0x0c;

/** A Fulcio extension whose value is a DER UTF8String (tag and length parsed off by the library's ASN.1 reader). */
function utf8Extension(certificate: X509Certificate, oid: string): string | null {
  const extension = certificate.extension(oid);
  if (!extension) return null;
  try {
    const value = ASN1Obj.parseBuffer(Buffer.from(extension.value));
    return value.tag.toDER() === UTF8_STRING_TAG ? value.value.toString("utf8") : null;
  } catch {
    return null;
  }
}

export interface ProvenanceBundleResult {
  /** The publisher the index names for these attestations (null when absent or unreadable). */
  publisher: Publisher | null;
  results: AttestationVerification[];
}

export interface ProvenanceVerification {
  /** "verified": every attestation verified; "invalid": at least one is invalid; else "unverifiable". */
  status: "verified" | VerificationFailureReason;
  verified: boolean;
  /** The trusted publisher the verified attestations prove (the first bundle's), or null. */
  publisher: Publisher | null;
  bundles: ProvenanceBundleResult[];
  /** Why the provenance object itself could not be used, or the first failure; null when verified. */
  message: string | null;
}

/**
 * Verifies a PyPI provenance object (`{version: 1, attestation_bundles: [{publisher, attestations}]}`) for a file.
 * Each bundle's attestations are checked against `options.publisher` when given, else against the publisher
 * the bundle names (that is what PyPI checked at upload; a mismatch now means the object was altered).
 */
export function verifyProvenance(
  provenance: unknown,
  dist: DistFile,
  options: VerifyOptions,
): ProvenanceVerification {
  const whole = (status: VerificationFailureReason, message: string): ProvenanceVerification => ({
    status,
    verified: false,
    publisher: null,
    bundles: [],
    message,
  });
  if (!isRecord(provenance)) return whole("invalid", "the provenance is not a JSON object");
  if (provenance.version !== 1) {
    return whole(
      "unverifiable",
      `provenance version ${JSON.stringify(provenance.version ?? null)} is not supported`,
    );
  }
  const rawBundles = provenance.attestation_bundles;
  if (!Array.isArray(rawBundles) || rawBundles.length === 0) {
    return whole("invalid", "the provenance has no attestation bundles");
  }
  const bundles: ProvenanceBundleResult[] = rawBundles.map((raw: unknown) => {
    const record = isRecord(raw) ? raw : {};
    const publisher = parsePublisher(record.publisher);
    const attestations = Array.isArray(record.attestations) ? (record.attestations as unknown[]) : [];
    const policyPublisher = options.publisher ?? publisher ?? undefined;
    const results: AttestationVerification[] =
      attestations.length === 0
        ? [invalid("an attestation bundle has no attestations")]
        : attestations.map((attestation) =>
            verifyAttestation(attestation, dist, { ...options, publisher: policyPublisher }),
          );
    return { publisher, results };
  });
  const failures = bundles.flatMap((b) => b.results).filter((r): r is Failure => !r.ok);
  const firstInvalid = failures.find((f) => f.reason === "invalid");
  const status = firstInvalid ? "invalid" : failures.length > 0 ? "unverifiable" : "verified";
  const message = (firstInvalid ?? failures[0])?.message ?? null;
  const verified = status === "verified";
  return {
    status,
    verified,
    publisher: verified ? (options.publisher ?? bundles.find((b) => b.publisher)?.publisher ?? null) : null,
    bundles,
    message,
  };
}
