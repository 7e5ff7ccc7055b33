import { z } from 'zod';
import { PATCH_FORMAT, PATCH_FORMAT_VERSION } from './types';

/**
 * The zod schema of a `.patch` file at the current format version. Objects are loose
 * (`z.looseObject`): fields this build does not know are kept, so a file written by a newer
 * Patchbay survives a load/save round trip. Params are a record keyed by name; they are checked
 * against each node type's own schema separately (parse.ts), because an unknown node type is
 * not a file error.
 */

/** Node and edge ids: letters, digits, `_ . -`; used in JSON paths, URLs and track names. */
export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const id = z
  .string()
  .min(1, 'an id must not be empty')
  .max(128, 'an id is at most 128 characters')
  .regex(ID_PATTERN, 'an id uses letters, digits, "_", "." and "-" only, and does not start with "." or "-"');

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const positionSchema = z.looseObject({ x: finite, y: finite });

export const portRefSchema = z.looseObject({
  node: id,
  port: z.string().min(1).max(128),
});

export const patchNodeSchema = z.looseObject({
  id,
  type: z.string().min(1).max(128),
  version: z.number().int().min(1),
  params: z.record(z.string(), z.unknown()),
  position: positionSchema,
  ui: z.record(z.string(), z.unknown()).optional(),
});

export const patchEdgeSchema = z.looseObject({
  id,
  from: portRefSchema,
  to: portRefSchema,
});

export const patchMetadataSchema = z.looseObject({
  name: z.string().max(256),
  created_at: z.string().max(64),
  app_version: z.string().max(64),
  description: z.string().max(4000).optional(),
});

/** Limits on how big a graph may be; far beyond any live patch, low enough to keep compile cheap. */
export const MAX_NODES = 2000;
export const MAX_EDGES = 8000;

export const patchSchema = z.looseObject({
  format: z.literal(PATCH_FORMAT),
  format_version: z.literal(PATCH_FORMAT_VERSION),
  metadata: patchMetadataSchema,
  nodes: z.array(patchNodeSchema).max(MAX_NODES),
  edges: z.array(patchEdgeSchema).max(MAX_EDGES),
});
