/**
 * Invert: the definition (as nodes/<type>/definition.ts is for a built-in).
 * @param {import('../../runtime/host/node-packages').NodePackageApi} api
 */
export function invertDefinition(api) {
  const { defineNode, port, z } = api;
  return defineNode({
    type: 'invert',
    version: 1,
    displayName: 'Invert',
    category: 'pipeline',
    description: 'Inverts the colours of each frame (a photographic negative); amount blends towards it.',
    inputs: [port('video', 'video', true, 'Frames to invert.')],
    outputs: [port('video', 'video', false, 'Inverted frames.')],
    params: z.object({
      amount: z.number().min(0).max(1).default(1),
    }),
    paramMeta: {
      amount: {
        mark: 'live',
        label: 'Amount',
        description: '0: the input unchanged, 1: fully inverted.',
        widget: 'slider',
        step: 0.01,
        key: true,
      },
    },
    migrations: [],
    requires: () => [],
    scope: { wireType: 'node' },
    continuous: false,
  });
}
