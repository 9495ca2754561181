// CycloneDX 1.6 JSON: the inventory as an SBOM, optionally with the audit's vulnerabilities.
import * as CDX from "@cyclonedx/cyclonedx-library";
import { PackageURL } from "packageurl-js";
import type { Finding } from "../checks/types.js";
import type { Dependency } from "../inventory/types.js";

const HASH_ALGORITHMS: Record<string, CDX.Enums.HashAlgorithm> = {
  md5: CDX.Enums.HashAlgorithm.MD5,
  sha1: CDX.Enums.HashAlgorithm["SHA-1"],
  sha256: CDX.Enums.HashAlgorithm["SHA-256"],
  sha384: CDX.Enums.HashAlgorithm["SHA-384"],
  sha512: CDX.Enums.HashAlgorithm["SHA-512"],
  blake2b_256: CDX.Enums.HashAlgorithm["BLAKE2b-256"],
};

const SEVERITY: Record<Finding["severity"], CDX.Enums.Vulnerability.Severity> = {
  info: CDX.Enums.Vulnerability.Severity.Info,
  low: CDX.Enums.Vulnerability.Severity.Low,
  medium: CDX.Enums.Vulnerability.Severity.Medium,
  high: CDX.Enums.Vulnerability.Severity.High,
  critical: CDX.Enums.Vulnerability.Severity.Critical,
};

export function purlOf(dep: Pick<Dependency, "name" | "version">): string {
  return new PackageURL(
    "pypi",
    undefined,
    dep.name,
    dep.version ?? undefined,
    undefined,
    undefined,
  ).toString();
}

export interface CycloneDxOptions {
  toolVersion: string;
  /** Findings of kind vulnerability/malicious become the BOM's `vulnerabilities`. */
  findings?: Finding[];
  /** Fixed timestamp and serial number for reproducible output (tests). */
  reproducible?: boolean;
}

/** Serialises dependencies (deduplicated by purl and specifier) as a CycloneDX 1.6 JSON document. */
export function formatCycloneDx(deps: Dependency[], options: CycloneDxOptions): string {
  const bom = new CDX.Models.Bom();
  if (!options.reproducible) {
    bom.serialNumber = CDX.Contrib.Bom.Utils.randomSerialNumber();
    bom.metadata.timestamp = new Date();
  }
  bom.metadata.tools.components.add(
    new CDX.Models.Component(CDX.Enums.ComponentType.Application, "pycustoms", {
      version: options.toolVersion,
    }),
  );
  const byRef = new Map<string, CDX.Models.Component>();
  for (const dep of deps) {
    const purl = purlOf(dep);
    const ref = dep.version === null && dep.specifier ? `${purl}?specifier=${dep.specifier}` : purl;
    let component = byRef.get(ref);
    if (!component) {
      component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, dep.rawName, {
        bomRef: ref,
        purl,
        version: dep.version ?? undefined,
      });
      if (dep.groups.every((g) => g !== "main")) component.scope = CDX.Enums.ComponentScope.Optional;
      if (dep.version === null && dep.specifier) {
        component.properties.add(new CDX.Models.Property("pycustoms:specifier", dep.specifier));
      }
      byRef.set(ref, component);
      bom.components.add(component);
    }
    component.properties.add(
      new CDX.Models.Property("pycustoms:declared-in", dep.line ? `${dep.file}:${dep.line}` : dep.file),
    );
    for (const hash of dep.hashes) {
      const [alg, hex] = hash.split(":", 2);
      const cdxAlg = alg ? HASH_ALGORITHMS[alg] : undefined;
      if (cdxAlg && hex) component.hashes.set(cdxAlg, hex);
    }
  }
  for (const finding of options.findings ?? []) {
    if (finding.kind !== "vulnerability" && finding.kind !== "malicious") continue;
    const vuln = new CDX.Models.Vulnerability.Vulnerability({
      bomRef: `${finding.id}/${finding.package}@${finding.version ?? finding.specifier}`,
      id: finding.id,
      description: finding.summary,
      source: finding.url ? new CDX.Models.Vulnerability.Source({ url: finding.url }) : undefined,
      recommendation: finding.fixedIn
        ? `Upgrade ${finding.package} to ${finding.fixedIn} or later.`
        : undefined,
    });
    for (const alias of finding.aliases) {
      vuln.references.add(
        new CDX.Models.Vulnerability.Reference(alias, new CDX.Models.Vulnerability.Source({ name: alias })),
      );
    }
    vuln.ratings.add(
      new CDX.Models.Vulnerability.Rating({
        severity: SEVERITY[finding.severity],
        score: finding.score ?? undefined,
      }),
    );
    for (const component of byRef.values()) {
      if (component.purl === purlOf({ name: finding.package, version: finding.version })) {
        vuln.affects.add(new CDX.Models.Vulnerability.Affect(component.bomRef));
      }
    }
    bom.vulnerabilities.add(vuln);
  }
  const serializer = new CDX.Serialize.JsonSerializer(
    new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6),
  );
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
