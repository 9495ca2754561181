// Chooses the simple-API representation (PEP 691): `?format=` first, else the Accept header with q-values.

export const JSON_V1 = "application/vnd.pypi.simple.v1+json";
export const HTML_V1 = "application/vnd.pypi.simple.v1+html";
export const TEXT_HTML = "text/html";

export type SimpleFormat = "json" | "html-v1" | "text-html";

/** The Content-Type sent for each representation (the spec requires a concrete v1 type, never `latest`). */
export const CONTENT_TYPES: Record<SimpleFormat, string> = {
  json: JSON_V1,
  "html-v1": HTML_V1,
  "text-html": "text/html; charset=utf-8",
};

// Offer order breaks q-value ties: text/html first, as PyPI does, so a browser or a bare `*/*` gets HTML.
const OFFERS: { format: SimpleFormat; types: string[] }[] = [
  { format: "text-html", types: [TEXT_HTML] },
  { format: "html-v1", types: [HTML_V1, "application/vnd.pypi.simple.latest+html"] },
  { format: "json", types: [JSON_V1, "application/vnd.pypi.simple.latest+json"] },
];

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/** Parses an Accept header; ranges that do not parse are skipped (a broken header is not an error). */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [range, ...params] = part.split(";").map((s) => s.trim());
    const m = /^([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)$/i.exec(range ?? "");
    if (!m) continue;
    let q = 1;
    for (const param of params) {
      const qm = /^q\s*=\s*([0-9.]+)$/i.exec(param);
      if (qm) {
        const value = Number(qm[1]);
        q = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
      }
    }
    ranges.push({ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), q });
  }
  return ranges;
}

/** The q of one concrete type: the most specific matching range decides (RFC 9110 §12.5.1). */
function qualityOf(mediaType: string, ranges: MediaRange[]): number {
  const [type, subtype] = mediaType.split("/") as [string, string];
  let best = -1;
  let q = 0;
  for (const r of ranges) {
    const specificity =
      r.type === type && r.subtype === subtype
        ? 2
        : r.type === type && r.subtype === "*"
          ? 1
          : r.type === "*"
            ? 0
            : -1;
    if (specificity > best) {
      best = specificity;
      q = r.q;
    }
  }
  return best < 0 ? 0 : q;
}

export type Negotiated = { ok: true; format: SimpleFormat } | { ok: false; message: string };

const ACCEPTABLE = `acceptable: ${JSON_V1}, ${HTML_V1}, ${TEXT_HTML}`;

/**
 * `?format=` (one exact content type, PEP 691) wins over Accept; an absent Accept is `*` / `*`.
 * Nothing acceptable gives `ok: false` (the caller answers 406, as the spec recommends).
 */
export function negotiateFormat(accept: string | undefined, formatParam: string | undefined): Negotiated {
  if (formatParam !== undefined) {
    const wanted = formatParam.trim().toLowerCase();
    const offer = OFFERS.find((o) => o.types.includes(wanted));
    if (offer) return { ok: true, format: offer.format };
    return { ok: false, message: `unsupported format '${formatParam}'; ${ACCEPTABLE}` };
  }
  const ranges = accept === undefined || accept.trim() === "" ? parseAccept("*/*") : parseAccept(accept);
  let chosen: { format: SimpleFormat; q: number } | null = null;
  for (const offer of OFFERS) {
    const q = Math.max(...offer.types.map((t) => qualityOf(t, ranges)));
    if (q > 0 && (chosen === null || q > chosen.q)) chosen = { format: offer.format, q };
  }
  if (chosen) return { ok: true, format: chosen.format };
  return { ok: false, message: `nothing in the Accept header can be served; ${ACCEPTABLE}` };
}
