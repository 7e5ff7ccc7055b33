import type { PatchIssue, PatchIssueSeverity } from './types';

/**
 * The catalog of issue codes a `.patch` can produce, with what each means. Codes are stable
 * (tests, the editor and the CLI match on them); messages say what is wrong and what to do.
 */
export const PATCH_ISSUE_CODES = {
  TOO_LARGE: 'The file is larger than the size limit.',
  TOO_DEEP: 'Values are nested deeper than the limit (or an object refers to itself).',
  TOO_MANY_VALUES: 'The document holds more values than the limit.',
  INVALID_JSON: 'The text is not valid JSON.',
  NOT_JSON: 'A value cannot be written as JSON (function, undefined, NaN, bigint, symbol).',
  FORBIDDEN_KEY: 'A key such as "__proto__" that could change object prototypes.',
  NOT_AN_OBJECT: 'The document is not a JSON object.',
  WRONG_FORMAT: 'The "format" field is not "patchbay".',
  INVALID_FORMAT_VERSION: 'The "format_version" field is missing or not a whole number.',
  FORMAT_TOO_NEW: 'The file was written by a newer Patchbay.',
  MIGRATION_FAILED: 'An older file could not be brought up to the current format.',
  INVALID_FIELD: 'A field of the file has the wrong type or value.',
  DUPLICATE_NODE_ID: 'Two nodes share an id.',
  DUPLICATE_EDGE_ID: 'Two edges share an id.',
  UNKNOWN_EDGE_NODE: 'An edge names a node that is not in the patch.',
  UNKNOWN_PORT: 'An edge names a port the node does not have.',
  UNKNOWN_NODE_TYPE: 'No node type with this id is installed; the node is kept as a disabled placeholder.',
  NODE_VERSION_TOO_NEW: "The node's params were written by a newer version of its node type.",
  NODE_MIGRATION_FAILED: "A node's params could not be migrated to the current version.",
  INVALID_PARAM: 'A node param has the wrong type or is out of range.',
  UNKNOWN_PARAM: 'A param the node type does not define; it is kept in the file and ignored.',
} as const;

export type PatchIssueCode = keyof typeof PATCH_ISSUE_CODES;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Prints a JSON path the way a person reads it: `nodes[2].params.fps`, `metadata["odd key"]`,
 * `(root)` for the document itself.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (IDENT.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out || '(root)';
}

/** Builds an issue with its printable path. */
export function issue(
  code: PatchIssueCode,
  message: string,
  path: readonly (string | number)[] = [],
  severity: PatchIssueSeverity = 'error',
): PatchIssue {
  return { code, message, path: [...path], pathText: formatPath(path), severity };
}

/** The issues that make a patch unusable as written (everything but warnings). */
export function patchErrors(issues: readonly PatchIssue[]): PatchIssue[] {
  return issues.filter((i) => i.severity !== 'warning');
}
