// The entry module of a Patchbay node package (see README.md).
import { invertDefinition } from './definition.mjs';
import { invertRuntime } from './runtime.mjs';

/** The node API this package is written for (Patchbay's NODE_API_VERSION). */
export const nodeApiVersion = 1;

/**
 * The node types this package adds. `api` is Patchbay's node API (nodes/index.ts) plus `z`
 * (zod): the same functions the built-in node folders use.
 * @param {import('../../runtime/host/node-packages').NodePackageApi} api
 */
export function nodeTypes(api) {
  return [api.nodeType(invertDefinition(api), invertRuntime(api))];
}
