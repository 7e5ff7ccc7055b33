import { issue } from './issues';
import type { PatchIssue } from './types';

/**
 * Limits checked before anything recursive touches a document. FIELD-NOTES: `JSON.parse`
 * accepts any depth, but at depth ≈ 10,000 `JSON.stringify`, `structuredClone`, `postMessage`
 * and recursive zod schemas throw `RangeError`; and a `"__proto__"` key, copied by assignment,
 * changes an object's prototype. Every check here is a loop, never recursion.
 */
export const PATCH_LIMITS = {
  /** Bytes of UTF-8 text. */
  maxBytes: 16 * 1024 * 1024,
  /** Levels of object/array nesting; the root object is level 1 (a patch needs about 10). */
  maxDepth: 64,
  /** Values (objects, arrays, scalars) in one document; a 2000-node patch holds about 30,000. */
  maxValues: 1_000_000,
} as const;

export type PatchLimits = { maxBytes: number; maxDepth: number; maxValues: number };

/** Keys that change prototypes when assigned (`obj[key] = v`); refused anywhere in a document. */
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** UTF-8 length without allocating when the UTF-16 length already settles the question. */
function utf8Length(text: string, limit: number): number {
  if (text.length > limit) return text.length; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= limit) return text.length; // every unit is at most three bytes
  return new TextEncoder().encode(text).length;
}

/**
 * Checks JSON text for size and nesting depth by scanning characters (strings and escapes
 * are skipped), so a hostile file is refused before `JSON.parse` builds it.
 */
export function checkJsonText(text: string, limits: PatchLimits = PATCH_LIMITS): PatchIssue[] {
  const bytes = utf8Length(text, limits.maxBytes);
  if (bytes > limits.maxBytes) {
    return [
      issue(
        'TOO_LARGE',
        `the file is ${bytes} bytes; the limit is ${limits.maxBytes} bytes (${limits.maxBytes / 1048576} MiB)`,
      ),
    ];
  }
  let depth = 0;
  let inString = false;
  // commas + containers + 1 bounds the number of values (it counts an empty container twice),
  // so a flat file of millions of numbers is refused before JSON.parse builds it.
  let values = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character (which may be a quote).
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x2c) values++;
    else if (c === 0x7b || c === 0x5b) {
      values++;
      depth++;
      if (depth > limits.maxDepth) {
        return [
          issue('TOO_DEEP', `values are nested more than ${limits.maxDepth} levels deep (at character ${i})`),
        ];
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (values > limits.maxValues) {
    return [issue('TOO_MANY_VALUES', `the document holds more than ${limits.maxValues} values`)];
  }
  return [];
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) path.push(f.key);
  return path.reverse();
}

/**
 * Walks a parsed (or handed-in) value with an explicit stack and reports: nesting deeper than
 * the limit (which also catches cycles), too many values, forbidden keys such as `__proto__`,
 * and values JSON cannot hold. Stops at the first structural limit; reports up to 20 others.
 */
export function checkJsonValue(root: unknown, limits: PatchLimits = PATCH_LIMITS): PatchIssue[] {
  const issues: PatchIssue[] = [];
  const stack: Frame[] = [{ value: root, depth: 1, parent: null, key: '' }];
  let count = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (++count > limits.maxValues) {
      issues.push(issue('TOO_MANY_VALUES', `the document holds more than ${limits.maxValues} values`));
      return issues;
    }
    if (issues.length >= 20) return issues;
    const t = typeof value;
    if (value === null || t === 'string' || t === 'boolean') continue;
    if (t === 'number') {
      if (!Number.isFinite(value))
        issues.push(issue('NOT_JSON', `${String(value)} is not a JSON number`, pathOf(frame)));
      continue;
    }
    if (t !== 'object') {
      issues.push(issue('NOT_JSON', `a ${t} cannot be stored in a patch`, pathOf(frame)));
      continue;
    }
    if (frame.depth > limits.maxDepth) {
      issues.push(
        issue(
          'TOO_DEEP',
          `values are nested more than ${limits.maxDepth} levels deep (or refer to themselves)`,
          pathOf(frame),
        ),
      );
      return issues;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], depth: frame.depth + 1, parent: frame, key: i });
      }
      continue;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      issues.push(
        issue('NOT_JSON', 'only plain objects, arrays and scalars can be stored in a patch', pathOf(frame)),
      );
      continue;
    }
    const keys = Object.keys(value as object);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child: Frame = {
        value: (value as Record<string, unknown>)[key],
        depth: frame.depth + 1,
        parent: frame,
        key,
      };
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push(
          issue(
            'FORBIDDEN_KEY',
            `the key "${key}" is not allowed (it could change object prototypes)`,
            pathOf(child),
          ),
        );
        continue;
      }
      stack.push(child);
    }
  }
  return issues;
}

/** Parses JSON text after the text checks; JSON syntax errors become an INVALID_JSON issue. */
export function parseJsonSafely(
  text: string,
  limits: PatchLimits = PATCH_LIMITS,
): { ok: true; value: unknown } | { ok: false; issues: PatchIssue[] } {
  const textIssues = checkJsonText(text, limits);
  if (textIssues.length) return { ok: false, issues: textIssues };
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    // The engine quotes the text near the error; control bytes from a binary file stay escaped.
    const message = Array.from((error as Error).message, (c) => {
      const code = c.charCodeAt(0);
      return code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    }).join('');
    return { ok: false, issues: [issue('INVALID_JSON', `not valid JSON: ${message}`)] };
  }
  const valueIssues = checkJsonValue(value, limits);
  if (valueIssues.length) return { ok: false, issues: valueIssues };
  return { ok: true, value };
}
