/**
 * The shape of a `.patch` file (format "patchbay"). The zod schema in ./schema.ts validates it;
 * these types are what the rest of the code reads. Unknown fields are kept (passthrough) so a
 * newer file survives a load/save round trip in an older Patchbay.
 */

export const PATCH_FORMAT = 'patchbay' as const;
/** The format version this build writes; migrations lead older files up to it. */
export const PATCH_FORMAT_VERSION = 1;

export interface PatchNode {
  /** Unique within the patch; stable across edits (edges and live edits refer to it). */
  id: string;
  /** Node type id from the registry (e.g. "pipeline"). */
  type: string;
  /** The node type's params version these params are in. */
  version: number;
  /** Params keyed by name (never by position). Missing ones take the definition's defaults. */
  params: Record<string, unknown>;
  position: { x: number; y: number };
  /** Editor-only state (size, collapsed, colour); the runtime ignores it. */
  ui?: Record<string, unknown>;
  [unknown: string]: unknown;
}

export interface PortRef {
  node: string;
  port: string;
}

export interface PatchEdge {
  id: string;
  from: PortRef;
  to: PortRef;
  [unknown: string]: unknown;
}

export interface PatchMetadata {
  name: string;
  created_at: string;
  app_version: string;
  description?: string;
  [unknown: string]: unknown;
}

export interface Patch {
  format: typeof PATCH_FORMAT;
  format_version: number;
  metadata: PatchMetadata;
  nodes: PatchNode[];
  edges: PatchEdge[];
  [unknown: string]: unknown;
}

/**
 * `error`: the file or a node in it is wrong (the validate command fails; the compiler refuses
 * or disables the node). `warning`: kept and worked around (an unknown node type or param).
 */
export type PatchIssueSeverity = 'error' | 'warning';

/** A problem found in a file, with the JSON path where it is (e.g. `nodes[2].params.fps`). */
export interface PatchIssue {
  /** A stable code from PATCH_ISSUE_CODES (e.g. "INVALID_PARAM"). */
  code: string;
  message: string;
  /** JSON path as an array of keys, and as a printable string. */
  path: (string | number)[];
  pathText: string;
  /** Absent means `error` (issues built before severities existed). */
  severity?: PatchIssueSeverity;
}
