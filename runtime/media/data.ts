/**
 * Safe parsing of data-channel messages. `JSON.parse` accepts any depth, and at depth ≈ 10,000
 * stringify/structuredClone/postMessage and recursive walks throw; `"__proto__"` survives as a
 * plain key and pollutes prototypes through Object.assign or a deep merge (FIELD-NOTES.md).
 * So: cap the size, cap the depth by scanning the text (no recursion) before parsing, accept
 * only plain objects, and drop `__proto__` keys.
 */

/** Limits for {@link parseDataMessage}. */
export interface DataLimits {
  /** Largest message in bytes (default 64 KiB). */
  maxBytes?: number;
  /** Deepest nesting of objects/arrays (default 32). */
  maxDepth?: number;
}

/** What a data-channel message parsed to. */
export type ParsedData = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

/** Nesting depth of a JSON text, counted without recursion; strings are skipped correctly. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * Parses one message into a plain JSON object, or says why not. Never throws.
 *
 * @example
 * const r = parseDataMessage('{"prompts":[{"text":"fog","weight":1}]}');
 * if (r.ok) apply(r.value);
 */
export function parseDataMessage(raw: string | Uint8Array, limits: DataLimits = {}): ParsedData {
  const maxBytes = limits.maxBytes ?? 64 * 1024;
  const maxDepth = limits.maxDepth ?? 32;
  let text: string;
  if (typeof raw === 'string') {
    // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length: check cheaply, then exactly when close.
    if (raw.length > maxBytes || (raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes)) {
      return { ok: false, reason: `message larger than ${maxBytes} bytes` };
    }
    text = raw;
  } else if (raw instanceof Uint8Array) {
    if (raw.length > maxBytes) return { ok: false, reason: `message larger than ${maxBytes} bytes` };
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return { ok: false, reason: 'binary message is not UTF-8 text' };
    }
  } else {
    return { ok: false, reason: `unsupported message type ${typeof raw}` };
  }
  const depth = jsonDepth(text);
  if (depth > maxDepth) return { ok: false, reason: `JSON nested ${depth} deep, limit ${maxDepth}` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      reason: `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  return { ok: true, value: withoutProtoKeys(value) as Record<string, unknown> };
}

/** Copies a parsed JSON value without `__proto__` keys (depth already capped, so recursion is safe). */
function withoutProtoKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutProtoKeys);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue;
    out[key] = withoutProtoKeys((value as Record<string, unknown>)[key]);
  }
  return out;
}
