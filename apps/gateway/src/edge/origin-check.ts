/**
 * The `ALLOWED_ORIGINS` allowlist for WebSocket upgrades. Browsers always send `Origin` on
 * an upgrade, and a page on another site is exactly what the list keeps out (cross-site
 * WebSocket hijacking). A request without `Origin` is not from a browser page: such a
 * client could send any `Origin` it likes, so refusing it would add no protection and would
 * break wscat and load tests; it is allowed.
 *
 * `allowed` undefined = every origin is allowed. Both sides are compared as serialized
 * origins (`scheme://host[:port]`, lower-case, default port and trailing slash dropped);
 * `*` allows all.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || allowed.includes('*')) return true;
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  return allowed.some((entry) => normalizeOrigin(entry) === normalized);
}

export function normalizeOrigin(origin: string): string {
  const trimmed = origin.trim().toLowerCase();
  try {
    const url = new URL(trimmed);
    // `null` and other opaque origins have no host; they never match a configured entry.
    return url.origin === 'null' ? trimmed : url.origin;
  } catch {
    return trimmed;
  }
}
