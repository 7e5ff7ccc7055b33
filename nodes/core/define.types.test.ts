import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cameraNode } from '../camera/definition';
import { CameraRuntime } from '../camera/runtime';
import { outputNode } from '../output/definition';
import { defineNode } from './define';
import { nodeType } from './runtime';

/**
 * Type-level tests: each `@ts-expect-error` must be an error, or `npm run typecheck` fails.
 * The definitions are never built at run time (the function is not called).
 */
function badDefinitions(): void {
  const params = z.object({ gain: z.number().default(1) });
  const common = {
    type: 'bad',
    version: 1,
    displayName: 'Bad',
    category: 'pipeline' as const,
    description: '',
    inputs: [],
    outputs: [],
    params,
    migrations: [],
    scope: { wireType: 'node' as const },
    continuous: false,
  };
  defineNode({
    ...common,
    // @ts-expect-error paramMeta must name every param: "gain" is missing
    paramMeta: {},
    requires: () => [],
  });
  defineNode({
    ...common,
    // @ts-expect-error a mark is live or load
    paramMeta: { gain: { mark: 'sometimes', label: 'g', description: '' } },
    requires: () => [],
  });
  defineNode({
    ...common,
    paramMeta: { gain: { mark: 'live', label: 'g', description: '' } },
    // @ts-expect-error requires() sees typed params: "gian" does not exist
    requires: (p) => (p.gian > 1 ? [] : []),
  });
  defineNode({
    ...common,
    // @ts-expect-error a port type must be one of PORT_TYPES
    inputs: [{ name: 'x', type: 'audio', required: false, description: '' }],
    paramMeta: { gain: { mark: 'live', label: 'g', description: '' } },
    requires: () => [],
  });
}

/** A runtime's params are its definition's (ParamsOf): a node type cannot pair mismatched ones. */
function badNodeTypes(): void {
  nodeType(cameraNode, (node, ctx) => {
    const fps: number = node.params.fps;
    // @ts-expect-error Camera params have no "pipeline_id"
    void node.params.pipeline_id;
    void fps;
    return new CameraRuntime(node, ctx);
  });
  // @ts-expect-error a Camera runtime does not run Output nodes
  nodeType(outputNode, (node, ctx) => new CameraRuntime(node, ctx));
}

describe('node definition types', () => {
  it('are checked by the compiler (see the @ts-expect-error lines above)', () => {
    expect(typeof badDefinitions).toBe('function');
    expect(typeof badNodeTypes).toBe('function');
  });
});
