import type { z } from 'zod';
import { registry as builtinRegistry, type NodeRegistry, type PortDefinition } from '../../nodes';
import { checkJsonValue, parseJsonSafely, PATCH_LIMITS, type PatchLimits } from './guard';
import { issue, patchErrors } from './issues';
import { migrateFormat, migrateNodeParams } from './migrations';
import { patchSchema } from './schema';
import { PATCH_FORMAT, type Patch, type PatchIssue, type PatchNode } from './types';

export interface ParsePatchOptions {
  /** Node definitions to check params against; the built-in registry by default. */
  registry?: NodeRegistry;
  limits?: PatchLimits;
}

/**
 * `ok: true` means a patch came out: the JSON was safe, the format known, migrations ran and the
 * file's structure is right. Its `issues` can still hold node-level errors (invalid params, a
 * node version newer than this build, duplicate ids, edges to missing nodes or ports) that the
 * compiler turns into disabled placeholders or refuses; `patchErrors(issues)` lists them, and
 * the validate command fails on them. `ok: false`: no patch could be read; `issues` say why.
 */
export type ParsePatchResult =
  | { ok: true; patch: Patch; issues: PatchIssue[]; migrations: string[] }
  | { ok: false; issues: PatchIssue[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names what a document that is not a patch looks like, so the message can say what to do. */
export function detectForeignFormat(doc: Record<string, unknown>): string | null {
  if (doc.format === 'scope-workflow') return 'a Daydream Scope workflow';
  if (doc.version === '2.1' || (Array.isArray(doc.prompts) && isObject(doc.settings)))
    return 'a Daydream Scope timeline';
  if (doc.format === undefined && Array.isArray(doc.nodes) && Array.isArray(doc.edges)) {
    const first = doc.edges[0];
    if (isObject(first) && ('from_port' in first || 'to_node' in first)) return 'a Daydream Scope graph';
  }
  return null;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function zodIssues(
  error: z.ZodError,
  root: unknown,
  prefix: (string | number)[],
  code: 'INVALID_FIELD' | 'INVALID_PARAM',
): PatchIssue[] {
  return error.issues.map((zi) => {
    const rel = zi.path.filter((k): k is string | number => typeof k !== 'symbol');
    let message = zi.message;
    if (zi.code === 'invalid_type' && valueAt(root, rel) === undefined)
      message = `missing (expected ${zi.expected})`;
    return issue(code, message, [...prefix, ...rel]);
  });
}

function describePorts(ports: readonly PortDefinition[]): string {
  return ports.length ? ports.map((p) => `"${p.name}"`).join(', ') : 'none';
}

/**
 * Reads a `.patch` file (text or an already-parsed value) into a current-version Patch: checks
 * size, depth and keys without recursion, migrates older format and node versions, validates
 * the structure with zod and each known node's params against its definition. Unknown node
 * types and unknown params are kept and reported as warnings.
 *
 * @example
 * const r = parsePatch(await readFile('show.patch', 'utf8'));
 * if (!r.ok) for (const i of r.issues) console.error(`${i.pathText}: ${i.message}`);
 */
export function parsePatch(input: string | unknown, options: ParsePatchOptions = {}): ParsePatchResult {
  const reg = options.registry ?? builtinRegistry;
  const limits = options.limits ?? PATCH_LIMITS;

  let doc: unknown;
  if (typeof input === 'string') {
    const parsed = parseJsonSafely(input, limits);
    if (!parsed.ok) return parsed;
    doc = parsed.value;
  } else {
    const guardIssues = checkJsonValue(input, limits);
    if (guardIssues.length) return { ok: false, issues: guardIssues };
    doc = input;
  }

  if (!isObject(doc)) {
    return {
      ok: false,
      issues: [
        issue('NOT_AN_OBJECT', `a patch is a JSON object, not ${Array.isArray(doc) ? 'a list' : typeof doc}`),
      ],
    };
  }
  if (doc.format !== PATCH_FORMAT) {
    const foreign = detectForeignFormat(doc);
    const message = foreign
      ? `this is ${foreign}, not a patch; convert it with "patchbay import FILE -o OUT.patch"`
      : `"format" must be "${PATCH_FORMAT}", got ${JSON.stringify(doc.format) ?? 'nothing'}`;
    return { ok: false, issues: [issue('WRONG_FORMAT', message, ['format'])] };
  }

  const migrated = migrateFormat(doc);
  if (!migrated.ok) return migrated;

  const checked = patchSchema.safeParse(migrated.doc);
  if (!checked.success)
    return { ok: false, issues: zodIssues(checked.error, migrated.doc, [], 'INVALID_FIELD') };
  const patch = checked.data as unknown as Patch;

  const issues: PatchIssue[] = [];
  const migrations = [...migrated.applied];
  const portsByNode = new Map<
    string,
    { inputs: readonly PortDefinition[]; outputs: readonly PortDefinition[] } | null
  >();

  const nodeIds = new Set<string>();
  patch.nodes.forEach((node: PatchNode, i) => {
    if (nodeIds.has(node.id))
      issues.push(
        issue('DUPLICATE_NODE_ID', `node id "${node.id}" is used more than once`, ['nodes', i, 'id']),
      );
    nodeIds.add(node.id);

    const def = reg.get(node.type);
    if (!def) {
      portsByNode.set(node.id, null);
      issues.push(
        issue(
          'UNKNOWN_NODE_TYPE',
          `unknown node type "${node.type}"; the node is kept as a disabled placeholder (is a node package missing?)`,
          ['nodes', i, 'type'],
          'warning',
        ),
      );
      return;
    }
    const up = migrateNodeParams(def, node.version, node.params);
    if (!up.ok) {
      portsByNode.set(node.id, null);
      issues.push(issue(up.code, up.message, ['nodes', i, 'version']));
      return;
    }
    if (up.applied.length) {
      node.params = up.params;
      node.version = up.version;
      migrations.push(...up.applied.map((name) => `${node.id}: ${name}`));
    }
    for (const key of Object.keys(node.params)) {
      if (!Object.hasOwn(def.params.shape, key)) {
        issues.push(
          issue(
            'UNKNOWN_PARAM',
            `"${def.type}" has no param "${key}"; it is kept and ignored`,
            ['nodes', i, 'params', key],
            'warning',
          ),
        );
      }
    }
    const params = def.params.safeParse(node.params);
    if (!params.success) {
      issues.push(...zodIssues(params.error, node.params, ['nodes', i, 'params'], 'INVALID_PARAM'));
      portsByNode.set(node.id, { inputs: def.inputs, outputs: def.outputs });
      return;
    }
    portsByNode.set(
      node.id,
      def.ports ? def.ports(params.data) : { inputs: def.inputs, outputs: def.outputs },
    );
  });

  const edgeIds = new Set<string>();
  patch.edges.forEach((edge, i) => {
    if (edgeIds.has(edge.id))
      issues.push(
        issue('DUPLICATE_EDGE_ID', `edge id "${edge.id}" is used more than once`, ['edges', i, 'id']),
      );
    edgeIds.add(edge.id);
    for (const end of ['from', 'to'] as const) {
      const ref = edge[end];
      if (!nodeIds.has(ref.node)) {
        issues.push(
          issue(
            'UNKNOWN_EDGE_NODE',
            `edge "${edge.id}" ${end === 'from' ? 'starts at' : 'ends at'} node "${ref.node}", which is not in the patch`,
            ['edges', i, end, 'node'],
          ),
        );
        continue;
      }
      const ports = portsByNode.get(ref.node);
      if (!ports) continue; // unknown type or unmigrated: its ports are not known
      const list = end === 'from' ? ports.outputs : ports.inputs;
      if (!list.some((p) => p.name === ref.port)) {
        issues.push(
          issue(
            'UNKNOWN_PORT',
            `node "${ref.node}" has no ${end === 'from' ? 'output' : 'input'} port "${ref.port}" (it has: ${describePorts(list)})`,
            ['edges', i, end, 'port'],
          ),
        );
      }
    }
  });

  return { ok: true, patch, issues, migrations };
}

/** True when the result has a patch and no errors (warnings allowed). */
export function isValidPatch(result: ParsePatchResult): boolean {
  return result.ok && patchErrors(result.issues).length === 0;
}
