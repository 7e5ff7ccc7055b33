import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ndiNode } from '../ndi/definition';
import { defineNode, port } from './define';
import { migrateNodeParams } from './migrate';
import type { NodeDefinition, ParamsShape } from './types';
import { portsFor } from './ports';

const base = {
  displayName: 'T',
  category: 'pipeline' as const,
  description: 't',
  inputs: [port('video', 'video', false, 'in')],
  outputs: [port('video', 'video', false, 'out')],
  paramMeta: { n: { mark: 'live' as const, label: 'n', description: 'n' } },
  requires: () => [],
  scope: { wireType: 'pipeline' as const },
  continuous: false,
};

describe('portsFor: the one derivation of ports from params', () => {
  it('derives from valid params, and falls back to the static ports for invalid ones', () => {
    expect(portsFor(ndiNode, { direction: 'send' })).toEqual({ inputs: ndiNode.inputs, outputs: [] });
    expect(portsFor(ndiNode, { direction: 'receive' })).toEqual({ inputs: [], outputs: ndiNode.outputs });
    expect(portsFor(ndiNode, { direction: 'sideways' })).toEqual({
      inputs: ndiNode.inputs,
      outputs: ndiNode.outputs,
    });
  });

  it('keeps the static ports when ports() throws', () => {
    const def = defineNode({
      ...base,
      type: 'thrower',
      version: 1,
      params: z.object({ n: z.number().default(1) }),
      migrations: [],
      ports: () => {
        throw new Error('bug');
      },
    });
    expect(portsFor(def, {}).inputs).toBe(def.inputs);
  });
});

describe('migrateNodeParams: the one place node migrations run', () => {
  const def = defineNode({
    ...base,
    type: 'migrated',
    version: 3,
    params: z.object({ n: z.number().default(1) }),
    migrations: [
      { from: 1, name: 'rename-amount', up: ({ amount, ...rest }) => ({ ...rest, n: amount }) },
      { from: 2, name: 'double', up: (p) => ({ ...p, n: Number(p.n) * 2 }) },
    ],
  }) as unknown as NodeDefinition<ParamsShape>;

  it('runs the chain in order and names the steps', () => {
    expect(migrateNodeParams(def, 1, { amount: 4, extra: true })).toEqual({
      ok: true,
      params: { n: 8, extra: true },
      version: 3,
      applied: ['migrated rename-amount (v1→v2)', 'migrated double (v2→v3)'],
    });
  });

  it('refuses a newer version, and says which step failed and why', () => {
    expect(migrateNodeParams(def, 4, {})).toMatchObject({ ok: false, code: 'NODE_VERSION_TOO_NEW' });
    const broken = {
      ...def,
      migrations: [def.migrations[0]!, { from: 2, name: 'bad', up: () => 'x' as never }],
    };
    expect(migrateNodeParams(broken, 1, { amount: 1 })).toMatchObject({
      ok: false,
      code: 'NODE_MIGRATION_FAILED',
      step: { from: 2, name: 'bad' },
      cause: 'it did not return a params object',
    });
    expect(migrateNodeParams({ ...def, migrations: [] }, 2, {})).toMatchObject({
      ok: false,
      step: { from: 2 },
    });
  });
});
