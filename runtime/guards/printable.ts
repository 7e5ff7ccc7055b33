/**
 * A string from a client made safe for one log or terminal line: control characters (newlines,
 * ANSI escapes, NUL) shown as `\xNN` / `\n`, cut to `max` characters.
 *
 * @example
 * log(`refused Host "${printable(req.headers.host)}"`);
 */
export function printable(value: unknown, max = 200): string {
  const s = typeof value === 'string' ? value : String(value ?? '');
  // eslint-disable-next-line no-control-regex
  const out = s.slice(0, max).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return s.length > max ? `${out}…` : out;
}
