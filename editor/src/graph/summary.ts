import { findPipeline, type NodeDefinition, type ParamsShape } from '../../../nodes';
import type { Patch, PatchNode } from '../../../patches';

/** One line on a node body: a key param's label and its value as short text. */
export interface KeyParam {
  name: string;
  label: string;
  value: string;
}

function short(value: unknown, name: string): string {
  if (name === 'pipeline_id' && typeof value === 'string') return findPipeline(value)?.name ?? value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'string') return value.length > 28 ? `${value.slice(0, 27)}…` : value || '—';
  if (Array.isArray(value)) {
    if (name === 'entries') return `${value.length} ${value.length === 1 ? 'entry' : 'entries'}`;
    return `${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (value && typeof value === 'object') {
    const on = Object.entries(value as Record<string, { enabled?: boolean }>)
      .filter(([, v]) => v && typeof v === 'object' && v.enabled)
      .map(([k]) => k.toUpperCase());
    return on.length ? on.join(', ') : 'none';
  }
  return '—';
}

/** The params marked `key` in the definition, as short text for the node body. */
export function keyParams(node: PatchNode, def: NodeDefinition<ParamsShape> | undefined): KeyParam[] {
  if (!def) return [];
  const defaults = def.params.parse({}) as Record<string, unknown>;
  return Object.entries(def.paramMeta)
    .filter(
      ([name, meta]) =>
        meta.key && visible(meta.visibleWhen, { ...defaults, ...node.params }) && name in defaults,
    )
    .map(([name, meta]) => ({
      name,
      label: meta.label,
      value: short(node.params[name] ?? defaults[name], name),
    }));
}

/** True when a param's visibleWhen condition holds for the given params. */
export function visible(
  cond:
    { param: string; equals: string | number | boolean | readonly (string | number | boolean)[] } | undefined,
  params: Record<string, unknown>,
): boolean {
  if (!cond) return true;
  const v = params[cond.param] as string | number | boolean;
  return Array.isArray(cond.equals) ? (cond.equals as readonly unknown[]).includes(v) : cond.equals === v;
}

/**
 * Which client media tracks a patch needs, in the order the runtime allocates them: Camera
 * nodes in camera mode send tracks (patch order), Output nodes with preview receive tracks.
 */
export function mediaLayout(patch: Patch): { cameras: string[]; outputs: string[] } {
  const cameras = patch.nodes
    .filter((n) => n.type === 'camera' && (n.params.source_mode ?? 'camera') === 'camera')
    .map((n) => n.id);
  const outputs = patch.nodes
    .filter((n) => n.type === 'output' && n.params.preview !== false)
    .map((n) => n.id);
  return { cameras, outputs };
}
