import type { z } from 'zod';
import type { NodeDefinition, ParamsShape, PortDefinition, PortType } from './types';

/**
 * Declares a node type. Checks at type level that paramMeta names exactly the schema's params,
 * and at load time that ports and migrations are well formed.
 *
 * @example
 * export const grayNode = defineNode({ type: 'gray', version: 1, params: z.object({...}), ... });
 */
export function defineNode<S extends ParamsShape>(def: NodeDefinition<S>): NodeDefinition<S> {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]*$/.test(def.type)) problems.push(`type id "${def.type}" must be kebab-case`);
  if (!Number.isInteger(def.version) || def.version < 1) problems.push('version must be an integer ≥ 1');
  const names = new Set<string>();
  for (const p of [...def.inputs, ...def.outputs]) {
    const key = `${def.inputs.includes(p) ? 'in' : 'out'}:${p.name}`;
    if (names.has(key)) problems.push(`duplicate port ${key}`);
    names.add(key);
  }
  const shapeKeys = Object.keys(def.params.shape).sort();
  const metaKeys = Object.keys(def.paramMeta).sort();
  if (shapeKeys.join() !== metaKeys.join()) {
    problems.push(`paramMeta keys (${metaKeys.join(', ')}) differ from params (${shapeKeys.join(', ')})`);
  }
  const froms = def.migrations.map((m) => m.from);
  for (let v = 1; v < def.version; v++) {
    if (!froms.includes(v)) problems.push(`missing migration from version ${v}`);
  }
  const parsed = def.params.safeParse({});
  if (!parsed.success) problems.push('every param needs a default (params.parse({}) failed)');
  if (problems.length) throw new Error(`node definition "${def.type}": ${problems.join('; ')}`);
  return def;
}

/** Shorthand for a port. */
export function port(name: string, type: PortType, required: boolean, description: string): PortDefinition {
  return { name, type, required, description };
}

/**
 * True for a node that shows the patch's result (an Output; Scope calls it a sink): a patch
 * needs one, and "the output" of a session means the first of them.
 */
export function showsResult(def: NodeDefinition<ParamsShape> | undefined): boolean {
  return def?.scope.wireType === 'sink';
}

/** The default params of a definition. */
export function defaultParams<S extends ParamsShape>(def: NodeDefinition<S>): z.infer<S> {
  return def.params.parse({});
}
