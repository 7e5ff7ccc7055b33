/**
 * JSON from the network, parsed defensively: size and nesting depth are capped before
 * `JSON.parse` (a 10,000-deep document makes later recursive code throw RangeError), and
 * `__proto__` keys are refused (FIELD-NOTES: prototype pollution through naive merges).
 */

export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024;
export const DEFAULT_MAX_JSON_DEPTH = 64;

export class JsonInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonInputError';
  }
}

/**
 * Measures the nesting depth of a JSON text without recursion (brackets outside strings).
 * Stops early once `limit` is passed and returns a value above it.
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/**
 * Parses untrusted JSON text with caps; throws JsonInputError naming what is wrong.
 * Example: `parseUntrustedJson('{"a":1}')` → `{a: 1}`.
 */
export function parseUntrustedJson(
  text: string,
  opts: { maxBytes?: number; maxDepth?: number; what?: string } = {},
): unknown {
  const what = opts.what ?? 'body';
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_JSON_BYTES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (Buffer.byteLength(text) > maxBytes)
    throw new JsonInputError(`the ${what} is larger than ${maxBytes} bytes`);
  if (jsonDepth(text, maxDepth) > maxDepth)
    throw new JsonInputError(`the ${what} is nested deeper than ${maxDepth} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonInputError(`the ${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (hasProtoKey(value))
    throw new JsonInputError(`the ${what} contains a "__proto__" key, which is not allowed`);
  return value;
}

/** Iterative walk (depth is already capped, but recursion is avoided on principle). */
function hasProtoKey(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') return true;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
