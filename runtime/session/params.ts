import { registry, type WeightedPrompt } from '../../nodes';
import type { Plan } from '../compile';
import type { PromptControl, VaceControl } from '../pipelines/types';

/**
 * Scope's data-channel parameters, routed to nodes: `node_id` picks one node, otherwise every
 * pipeline. Known params are validated with the node's own schema; `load` params are refused
 * (they need a patch edit, which restarts the node); unknown keys go to remote pipelines by name (a local one reads none: reported as ignored).
 */

/** What routing decided, for the engine to carry out. */
export interface ParamRouting {
  applied: Record<string, unknown>;
  ignored: Record<string, string>;
  nodeParams: { node: string; params: Record<string, unknown> }[];
  prompts: { node: string; control: PromptControl }[];
  vace: { node: string; vace: Partial<VaceControl> & { enabled?: boolean } }[];
  paused?: boolean;
}

const MAX_DEPTH = 32;
const MAX_VALUES = 10_000;

/** True when a value is small and shallow enough to post to a worker (checked without recursion). */
export function isSafeValue(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  let seen = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++seen > MAX_VALUES || depth > MAX_DEPTH) return false;
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return false;
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

function prompts(value: unknown): WeightedPrompt[] | string {
  if (!Array.isArray(value) || value.length === 0 || value.length > 16)
    return 'expected 1–16 prompts like {text, weight}';
  const out: WeightedPrompt[] = [];
  for (const p of value) {
    if (!p || typeof p !== 'object' || typeof (p as { text?: unknown }).text !== 'string')
      return 'every prompt needs a text';
    const w = (p as { weight?: unknown }).weight ?? 1;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) return 'prompt weights must be numbers ≥ 0';
    out.push({ text: (p as { text: string }).text.slice(0, 4000), weight: w });
  }
  return out;
}

const interp = (v: unknown): 'linear' | 'slerp' => (v === 'slerp' ? 'slerp' : 'linear');

const VACE_KEYS: Record<string, keyof VaceControl | 'enabled'> = {
  vace_enabled: 'enabled',
  vace_ref_images: 'ref_images',
  vace_use_input_video: 'use_input_video',
  vace_context_scale: 'context_scale',
  first_frame_image: 'first_frame_image',
  last_frame_image: 'last_frame_image',
};

/** Session-level keys the engine does not apply (the server's WebRTC and sink layers own them). */
const NOT_ENGINE = new Set(['input_mode', 'output_sinks', 'input_source', 'recording']);

/** Decides where each data-channel key goes. Pure: reads the plan and the node definitions. */
export function routeParameters(params: Record<string, unknown>, plan: Plan): ParamRouting {
  const r: ParamRouting = { applied: {}, ignored: {}, nodeParams: [], prompts: [], vace: [] };
  const { node_id: nodeId, ...rest } = params;
  let targets = plan.nodes.filter((n) => !n.disabled);
  if (nodeId !== undefined) {
    targets = targets.filter((n) => n.id === nodeId);
    if (!targets.length) {
      for (const key of Object.keys(rest)) r.ignored[key] = `no running node "${String(nodeId)}"`;
      return r;
    }
  } else {
    targets = targets.filter((n) => n.pipeline);
  }
  // Scope's data channel addresses pipelines: the nodes that resolved to a catalog entry or model.
  const pipelines = targets.filter((n) => n.pipeline);
  const perNode = new Map<string, Record<string, unknown>>();
  const setParam = (node: string, key: string, value: unknown): void => {
    const p = perNode.get(node) ?? {};
    p[key] = value;
    perNode.set(node, p);
  };

  for (const [key, value] of Object.entries(rest)) {
    if (!isSafeValue(value)) {
      r.ignored[key] = 'value too large or too deeply nested';
      continue;
    }
    if (key === 'paused') {
      if (typeof value === 'boolean') {
        r.paused = value;
        r.applied[key] = value;
      } else r.ignored[key] = 'expected true or false';
      continue;
    }
    if (key === 'prompts' || key === 'transition') {
      let control: PromptControl | string;
      if (key === 'prompts') {
        const list = prompts(value);
        control =
          typeof list === 'string'
            ? list
            : { kind: 'prompts', prompts: list, interpolation: interp(rest.prompt_interpolation_method) };
      } else {
        const t = (value ?? {}) as Record<string, unknown>;
        const list = prompts(t.target_prompts);
        const steps = t.num_steps;
        control =
          typeof list === 'string'
            ? `target_prompts: ${list}`
            : typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0 || steps > 1000
              ? 'num_steps must be an integer 0–1000'
              : {
                  kind: 'transition',
                  target_prompts: list,
                  num_steps: steps,
                  temporal_interpolation_method: interp(t.temporal_interpolation_method),
                };
      }
      if (typeof control === 'string') r.ignored[key] = control;
      else if (!pipelines.length) r.ignored[key] = 'no pipeline to send prompts to';
      else {
        for (const n of pipelines) r.prompts.push({ node: n.id, control });
        r.applied[key] = value;
      }
      continue;
    }
    if (key in VACE_KEYS) {
      const field = VACE_KEYS[key]!;
      const ok =
        field === 'enabled' || field === 'use_input_video'
          ? typeof value === 'boolean'
          : field === 'context_scale'
            ? typeof value === 'number' && value >= 0 && value <= 2
            : field === 'ref_images'
              ? Array.isArray(value) && value.every((v) => typeof v === 'string')
              : typeof value === 'string';
      if (!ok) r.ignored[key] = `invalid value for ${key}`;
      else if (!pipelines.length) r.ignored[key] = 'no pipeline to send VACE settings to';
      else {
        for (const n of pipelines) r.vace.push({ node: n.id, vace: { [field]: value } });
        r.applied[key] = value;
      }
      continue;
    }
    if (NOT_ENGINE.has(key)) {
      r.ignored[key] = 'a session setting the engine does not apply';
      continue;
    }
    let used = false;
    let reason = '';
    for (const n of targets) {
      const def = registry.get(n.type);
      const meta = (def?.paramMeta as Record<string, { mark: string }> | undefined)?.[key];
      if (def && meta) {
        if (meta.mark === 'load') {
          reason = `"${key}" is a load param of ${n.type}: change it in the patch (the node restarts)`;
          continue;
        }
        // Validate one field against its own schema (with the node's constraints), not the whole object.
        const parsed = def.params.pick({ [key]: true } as Record<string, true>).safeParse({ [key]: value });
        if (!parsed.success) {
          reason = `invalid ${key}: ${parsed.error?.issues[0]?.message ?? 'rejected by the schema'}`;
          continue;
        }
        setParam(n.id, key, (parsed.data as Record<string, unknown>)[key]);
        used = true;
      } else if (n.pipeline && n.params.backend === 'remote') {
        // Scope passes keys it does not know to the pipeline by name: a remote one may read it.
        setParam(n.id, key, value);
        used = true;
      } else
        reason = n.pipeline
          ? `pipeline "${n.id}" (${String(n.params.pipeline_id)}) has no param "${key}" and runs here, where nothing reads it`
          : `${n.type} node "${n.id}" has no param "${key}"`;
    }
    if (used) r.applied[key] = value;
    else r.ignored[key] = reason || 'no node takes this parameter';
  }
  for (const [node, p] of perNode) r.nodeParams.push({ node, params: p });
  return r;
}
