/**
 * The browser-facing security checks (FIELD-NOTES "Reliability and security facts"): an exact
 * Host check against DNS rebinding, an Origin allow-list for CORS and WebSocket upgrades (never
 * `*`), and a per-launch token for the runtime WebSocket.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Host names that always mean this machine. */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

export interface SecurityPolicy {
  /** The port the server listens on (Host headers must name it). */
  port: () => number;
  /** Extra host names accepted in `Host` (the bind address when it is not loopback, `--allow-host`). */
  allowHosts: readonly string[];
  /** Extra exact origins accepted (`--allow-origin`), e.g. `https://my-vj-site.example`. */
  allowOrigins: readonly string[];
}

/** Splits a Host header into a lower-cased host name (IPv6 keeps its brackets) and a port. */
export function parseHostHeader(host: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return null;
  return { name: m[1]!.toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) };
}

/**
 * True when a request's Host header names this server exactly: a loopback name (or a configured
 * one) with the listening port. A missing or empty Host is refused: DNS rebinding pages send
 * their own name, and a request without one cannot be checked.
 */
export function hostAllowed(hostHeader: string | undefined, policy: SecurityPolicy): boolean {
  if (!hostHeader) return false;
  const parsed = parseHostHeader(hostHeader);
  if (!parsed) return false;
  const names = new Set([...LOOPBACK_HOSTNAMES, ...policy.allowHosts.map((h) => h.toLowerCase())]);
  if (!names.has(parsed.name)) return false;
  const port = policy.port();
  // A port-less Host means port 80 to the browser.
  return (parsed.port ?? 80) === port;
}

/**
 * True when a browser origin may use the API: `null` or `file://` (a page opened from a file), any loopback
 * origin on any port (Scope clients are served from other local ports), or one named in
 * `allowOrigins` exactly.
 */
export function originAllowed(origin: string, policy: SecurityPolicy): boolean {
  // Pages opened from a file: Chromium sends `null`, or `file://` when file access is widened.
  if (origin === 'null' || origin === 'file://') return true;
  if (policy.allowOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // An origin is scheme://host[:port] and nothing else.
  if (url.pathname !== '/' || url.search || url.hash || url.username || origin.endsWith('/')) return false;
  return LOOPBACK_HOSTNAMES.includes(url.hostname.toLowerCase());
}

/** A fresh random token for this launch (hex, 256 bits). */
export function createLaunchToken(): string {
  return randomBytes(32).toString('hex');
}

/** Compares a presented token with the launch token in constant time. */
export function tokenMatches(presented: string | undefined | null, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
