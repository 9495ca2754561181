// What can go wrong talking to an index, as plain values with one-line messages (never thrown, never a stack).

export type UpstreamErrorKind =
  | "timeout"
  | "http-status"
  | "network"
  | "invalid-response"
  | "offline-miss"
  | "not-found";

export interface UpstreamError {
  /** Tells an error apart from the result it stands in for. */
  type: "upstream-error";
  kind: UpstreamErrorKind;
  /** The URL concerned, credentials removed. */
  url: string;
  /** One line, naming the (redacted) URL and the cause. */
  message: string;
  /** The last HTTP status seen, when there was one. */
  status: number | null;
  /** How many requests were made before giving up (0 when none was: offline, bad input). */
  attempts: number;
}

export function upstreamError(
  kind: UpstreamErrorKind,
  url: string,
  message: string,
  extra: { status?: number | null; attempts?: number } = {},
): UpstreamError {
  return {
    type: "upstream-error",
    kind,
    url,
    message: message.replace(/\s*[\r\n]+\s*/g, " "),
    status: extra.status ?? null,
    attempts: extra.attempts ?? 0,
  };
}

export function isUpstreamError(value: unknown): value is UpstreamError {
  return (
    typeof value === "object" && value !== null && (value as { type?: unknown }).type === "upstream-error"
  );
}

/**
 * A URL without its user-info (and with `user:pass@` text scrubbed if the URL does not parse), safe to print.
 * Every message in this module tree goes through it.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === "" && u.password === "") return u.href;
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url.replace(/\/\/[^/@\s]*@/g, "//");
  }
}
