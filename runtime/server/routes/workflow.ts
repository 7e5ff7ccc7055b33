/**
 * `POST /api/v1/workflow/resolve`: Scope's side-effect-free check of what an imported workflow
 * needs (scope/core/workflows/resolve.py). The body is a whole workflow file (extra keys
 * ignored); `pipelines` (older files, Perform exports) and `nodes` both list entries
 * `{node_type_id | pipeline_id, source:{type, plugin_name?, plugin_version?}, loras?}`.
 * The answer is `{can_apply, items:[{kind, name, status, detail, action, can_auto_resolve}],
 * warnings}`; Scope's frontend applies a workflow directly only when every item is ok and there
 * are no warnings, else it shows the review dialog with these details.
 */
import type { FastifyInstance } from 'fastify';
import { findPipeline, isOnnxPath, registry, type HostCapabilities } from '../../../nodes';
import { pipelineAvailability } from '../../pipelines';
import { HttpError, jsonBody, type ServerContext } from '../context';
import { isJsonObject } from '../../json';
import { resolveUserPipeline } from '../models';

/** The Scope version whose API Patchbay speaks (compared with a workflow's min_scope_version). */
export const SCOPE_API_VERSION = '0.2.4';

export interface ResolutionItem {
  kind: 'pipeline' | 'node' | 'plugin' | 'lora';
  name: string;
  status: 'ok' | 'missing' | 'version_mismatch';
  detail: string | null;
  action: string | null;
  can_auto_resolve: boolean;
}

export interface WorkflowResolutionPlan {
  can_apply: boolean;
  items: ResolutionItem[];
  warnings: string[];
}

const SOURCE_TYPES = new Set(['builtin', 'pypi', 'git', 'local']);

const item = (
  kind: ResolutionItem['kind'],
  name: string,
  status: ResolutionItem['status'],
  detail: string | null = null,
): ResolutionItem => ({ kind, name, status, detail, action: null, can_auto_resolve: false });

/** Compares dotted versions numerically; null when either is not `N(.N)*` (pre-release tails ignored). */
export function compareVersions(a: string, b: string): number | null {
  const parse = (v: string) => {
    const m = /^v?(\d+(?:\.\d+)*)/.exec(v.trim());
    return m ? m[1]!.split('.').map(Number) : null;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/**
 * Resolves a workflow body against this runtime: catalog pipelines (available here or on the
 * remote backend), node types, the user's ONNX models; plugins and LoRAs do not exist in
 * Patchbay. Throws HttpError(422) for a body Scope's pydantic model would refuse.
 */
export function resolveWorkflow(
  body: Record<string, unknown>,
  caps: HostCapabilities,
  modelsDir: string,
): WorkflowResolutionPlan {
  const list = (key: string): unknown[] => {
    const v = body[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new HttpError(422, `"${key}" must be a list`);
    return v;
  };
  const entries = [...list('pipelines'), ...list('nodes')];
  if (entries.length > 150) throw new HttpError(422, 'a workflow may list at most 150 nodes');
  const items: ResolutionItem[] = [];
  const warnings: string[] = [];
  let ok = true;

  entries.forEach((raw, i) => {
    if (!isJsonObject(raw)) throw new HttpError(422, `nodes[${i}] must be an object`);
    const id = raw.node_type_id ?? raw.pipeline_id;
    if (typeof id !== 'string' || !id || id.length > 1024)
      throw new HttpError(422, `nodes[${i}] needs "node_type_id" (or "pipeline_id"), a non-empty string`);
    const source = raw.source;
    if (!isJsonObject(source) || typeof source.type !== 'string' || !SOURCE_TYPES.has(source.type))
      throw new HttpError(422, `nodes[${i}].source.type must be one of builtin, pypi, git, local`);
    const loras = raw.loras ?? [];
    if (!Array.isArray(loras) || loras.length > 100)
      throw new HttpError(422, `nodes[${i}].loras must be a list of at most 100 LoRAs`);

    let entry: ResolutionItem;
    const pipeline = findPipeline(id);
    if (pipeline) {
      const a = pipelineAvailability(pipeline, caps);
      entry = a.available
        ? item('pipeline', id, 'ok', a.reason ?? null)
        : item('pipeline', id, 'missing', a.reason ?? `"${id}" cannot run here`);
    } else if (isOnnxPath(id)) {
      try {
        resolveUserPipeline(id, modelsDir);
        entry = item('pipeline', id, 'ok');
      } catch (error) {
        entry = item('pipeline', id, 'missing', (error as Error).message);
      }
    } else if (registry.get(id)) {
      entry = item('node', id, 'ok');
    } else if (source.type !== 'builtin') {
      const plugin = typeof source.plugin_name === 'string' && source.plugin_name ? source.plugin_name : id;
      entry = item(
        'plugin',
        plugin,
        'missing',
        `Plugin '${plugin}' is not installed: Patchbay does not run Scope plugins, and none of its pipelines or nodes is named "${id}"`,
      );
    } else {
      entry = item(
        'pipeline',
        id,
        'missing',
        `Built-in pipeline '${id}' not found: Patchbay has no pipeline or node of that name`,
      );
    }
    items.push(entry);
    if (entry.status !== 'ok') ok = false;

    loras.forEach((lora, j) => {
      const name =
        isJsonObject(lora) && typeof lora.filename === 'string' ? lora.filename.slice(0, 255) : `loras[${j}]`;
      items.push(
        item(
          'lora',
          name,
          'missing',
          `LoRA '${name}' not found locally: Patchbay's pipelines do not take LoRAs`,
        ),
      );
    });
  });

  const min = body.min_scope_version;
  if (typeof min === 'string' && min) {
    const cmp = compareVersions(SCOPE_API_VERSION, min);
    if (cmp === null) warnings.push(`Could not verify min_scope_version '${min.slice(0, 50)}'`);
    else if (cmp < 0)
      warnings.push(
        `This workflow requires Scope >= ${min.slice(0, 50)} (Patchbay speaks Scope ${SCOPE_API_VERSION}'s API)`,
      );
  }
  return { can_apply: ok, items, warnings };
}

export function workflowRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/v1/workflow/resolve', async (req) => {
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    return resolveWorkflow(body, (await ctx.probe()).capabilities, ctx.opts.modelsDir);
  });
}
