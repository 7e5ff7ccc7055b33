/**
 * The browser-facing security checks (FIELD-NOTES "Reliability and security facts"): an exact
 * Host check against DNS rebinding, an Origin allow-list for CORS and WebSocket upgrades (never
 * `*`), and a per-launch token for the runtime WebSocket.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { printable } from '../guards';

export { printable };

/** Host names that always mean this machine. */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

export interface SecurityPolicy {
  /** The port the server listens on (Host headers must name it). */
  port: () => number;
  /** Extra host names accepted in `Host` (the bind address when it is not loopback, `--allow-host`). */
  allowHosts: readonly string[];
  /**
   * Extra exact origins accepted (`--allow-origin`), e.g. `https://my-vj-site.example`. `null`
   * (and `file://`) must be named here to be accepted: every sandboxed iframe sends `Origin: null`.
   */
  allowOrigins: readonly string[];
}

/** Origins that do not name a site: file pages, sandboxed iframes, data: URLs, some redirects. */
export function isOpaqueOrigin(origin: string): boolean {
  return origin === 'null' || origin.startsWith('file:');
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
 * True when a browser origin may use the API: any loopback origin on any port (Scope clients are
 * served from other local ports), or one named in `allowOrigins` exactly. `null` and `file://`
 * are refused unless `allowOrigins` names them (`--allow-origin null`): any website can send
 * `Origin: null` from a sandboxed iframe, so accepting it hands the runtime to every page.
 */
export function originAllowed(origin: string, policy: SecurityPolicy): boolean {
  if (policy.allowOrigins.includes(origin)) return true;
  // Chromium sends `null` for file pages and sandboxed iframes, `file://` when file access is widened.
  // `--allow-origin null` stands for both.
  if (isOpaqueOrigin(origin)) return policy.allowOrigins.includes('null');
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

/**
 * True when a page that embeds the launch token may be served to this request: never to a
 * request whose `Origin` is not allowed (checked before, for every request) or that the browser
 * marks as `Sec-Fetch-Site: cross-site` (another site loading or framing the page). A user typing
 * the address sends `none`; the editor's own links send `same-origin`.
 */
export function tokenPageAllowed(headers: Record<string, string | string[] | undefined>): boolean {
  const site = headers['sec-fetch-site'];
  return site !== 'cross-site';
}

/** A request URL for a log line, with any `token=` query value replaced by `***`. */
export function redactedUrl(url: string, max = 100): string {
  return printable(url.replace(/([?&](?:token|access_token)=)[^&#]*/gi, '$1***'), max);
}
