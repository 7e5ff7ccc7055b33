import type { NodeDefinition, ParamsShape, PortDefinition } from './types';

/** The ports a node has for its params. */
export interface NodePorts {
  inputs: readonly PortDefinition[];
  outputs: readonly PortDefinition[];
}

/**
 * The ports of a node of type `def` with these params: the definition's `ports(params)` when it
 * declares one, else its static ports. Params that fail the schema, or a `ports()` that throws,
 * give the static ports (for direction-dependent types the union, so a half-edited node keeps
 * its handles and no edge that could be right is refused). The one derivation the compiler,
 * the editor and the Scope converter use. `validated`: the params already passed the schema.
 *
 * @example portsFor(ndiNode, { direction: 'send' }).inputs // [video]
 */
export function portsFor(
  def: NodeDefinition<ParamsShape>,
  params: unknown,
  options: { validated?: boolean } = {},
): NodePorts {
  const fallback = { inputs: def.inputs, outputs: def.outputs };
  if (!def.ports) return fallback;
  let valid = params as Record<string, unknown>;
  if (!options.validated) {
    const parsed = def.params.safeParse(params);
    if (!parsed.success) return fallback;
    valid = parsed.data;
  }
  try {
    return def.ports(valid);
  } catch {
    return fallback;
  }
}
