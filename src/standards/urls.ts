// Credentials in URLs written in manifests (`https://user:token@host/...`): never shown, never stored.

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i;

/**
 * Replaces the user-info of a URL with `***` while keeping everything else exactly as written. A bare `git@`
 * (the conventional SSH user) is kept; a bare user elsewhere is often a token (`https://<token>@github.com`).
 */
export function redactCredentials(url: string): string {
  return url.replace(USERINFO, (whole, scheme: string, userinfo: string) =>
    userinfo === "git" || userinfo === "" ? whole : `${scheme}***@`,
  );
}

/** Whether `x` is an absolute http(s) URL that Node's URL parser accepts (anything else cannot be fetched). */
export function isHttpUrl(x: unknown): boolean {
  if (typeof x !== "string") return false;
  try {
    const u = new URL(x.trim());
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
