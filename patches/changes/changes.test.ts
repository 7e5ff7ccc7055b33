import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Patch, PatchNode } from '../format/types';
import { applyChanges, invertChanges, removeNodesChanges, type PatchChange } from './index';

const node = (id: string, type: string, params: Record<string, unknown> = {}): PatchNode => ({
  id,
  type,
  version: 1,
  position: { x: 0, y: 0 },
  params,
});

function base(): Patch {
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: 'p', created_at: '', app_version: '0' },
    nodes: [node('cam', 'camera'), node('fx', 'pipeline', { strength: 0.5 }), node('out', 'output')],
    edges: [
      { id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'fx', port: 'video' } },
      { id: 'e2', from: { node: 'fx', port: 'video' }, to: { node: 'out', port: 'video' } },
    ],
  };
}

describe('applyChanges', () => {
  it('applies every op and leaves the input untouched (unchanged nodes are shared)', () => {
    const p = base();
    const before = structuredClone(p);
    const r = applyChanges(p, [
      { op: 'node.params', id: 'fx', params: { strength: 0.9, seed: 1 }, unset: ['nothing'] },
      { op: 'node.move', id: 'out', position: { x: 5, y: 6 } },
      { op: 'node.ui', id: 'out', ui: { color: 'red' } },
      { op: 'metadata', metadata: { name: 'renamed' } },
      { op: 'edge.remove', id: 'e2' },
      { op: 'node.add', node: node('gray', 'pipeline'), at: 1 },
      {
        op: 'edge.add',
        edge: { id: 'e3', from: { node: 'gray', port: 'video' }, to: { node: 'out', port: 'video' } },
      },
    ]);
    expect(r.refused).toEqual([]);
    expect(r.applied).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r.patch.nodes.map((n) => n.id)).toEqual(['cam', 'gray', 'fx', 'out']);
    expect(r.patch.nodes[2]!.params).toEqual({ strength: 0.9, seed: 1 });
    expect(r.patch.nodes[3]!.position).toEqual({ x: 5, y: 6 });
    expect(r.patch.nodes[3]!.ui).toEqual({ color: 'red' });
    expect(r.patch.metadata.name).toBe('renamed');
    expect(r.patch.edges.map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(r.patch.nodes[0]).toBe(p.nodes[0]);
    expect(p).toEqual(before);
  });

  it('refuses what does not fit with a reason naming the node or edge, and applies the rest', () => {
    const p = base();
    const r = applyChanges(p, [
      { op: 'node.remove', id: 'ghost' },
      { op: 'node.add', node: node('fx', 'pipeline') },
      {
        op: 'edge.add',
        edge: { id: 'x', from: { node: 'nope', port: 'video' }, to: { node: 'out', port: 'video' } },
      },
      {
        op: 'edge.add',
        edge: { id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'out', port: 'video' } },
      },
      { op: 'edge.remove', id: 'e9' },
      { op: 'node.params', id: 'fx', params: { strength: 1 } },
      { op: 'node.remove', id: 'cam' },
    ]);
    expect(r.applied).toEqual([5, 6]);
    expect(r.refused).toEqual([
      { index: 0, op: 'node.remove', reason: 'no node "ghost"', node: 'ghost' },
      { index: 1, op: 'node.add', reason: 'a node "fx" already exists', node: 'fx' },
      { index: 2, op: 'edge.add', reason: 'edge "x": source node "nope" does not exist', edge: 'x' },
      { index: 3, op: 'edge.add', reason: 'an edge "e1" already exists', edge: 'e1' },
      { index: 4, op: 'edge.remove', reason: 'no edge "e9"', edge: 'e9' },
    ]);
    // Removing a node takes its edges with it.
    expect(r.patch.edges.map((e) => e.id)).toEqual(['e2']);
    expect(r.patch.nodes.find((n) => n.id === 'fx')!.params.strength).toBe(1);
  });

  it('is total: junk from a socket is refused, never thrown', () => {
    const p = base();
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 200; i++) cur = cur.x = {};
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const junk: unknown[] = [
      null,
      42,
      'node.add',
      [],
      { op: 'bogus' },
      { op: 'node.add' },
      {
        op: 'node.add',
        node: { id: 'bad id!', type: 'x', version: 1, params: {}, position: { x: 0, y: 0 } },
      },
      { op: 'node.add', node: { ...node('n', 'x'), params: { f: () => 1 } } },
      { op: 'node.params', id: 'fx', params: 'strength=1' },
      { op: 'node.params', id: 'fx', params: { deep } },
      { op: 'node.params', id: 'fx', params: { cyclic } },
      { op: 'node.params', id: 'fx', params: { n: NaN } },
      { op: 'node.params', id: 'fx', params: {}, unset: 'strength' },
      { op: 'node.params', id: 7, params: {} },
      { op: 'node.move', id: 'fx', position: { x: Infinity, y: 0 } },
      { op: 'metadata', metadata: { name: 3 } },
      { op: 'metadata', metadata: {}, unset: ['name'] },
      { op: 'edge.add', edge: { id: 'z' } },
      { op: 'node.add', node: node('n2', 'x'), at: -1 },
    ];
    const r = applyChanges(p, junk);
    expect(r.applied).toEqual([]);
    expect(r.refused.map((x) => x.index)).toEqual(junk.map((_, i) => i));
    for (const x of r.refused) expect(x.reason.length).toBeGreaterThan(5);
    expect(r.patch).toBe(p);
    expect(applyChanges(p, 'x' as unknown as unknown[]).refused[0]!.reason).toBe('changes must be a list');
    fc.assert(
      fc.property(fc.array(fc.anything()), (changes) => {
        applyChanges(p, changes);
      }),
      { numRuns: 300 },
    );
  });

  it('skips __proto__ at the top of merged params and refuses one deeper', () => {
    const params = JSON.parse('{"__proto__": {"polluted": true}, "strength": 0.3}') as Record<
      string,
      unknown
    >;
    const r = applyChanges(base(), [{ op: 'node.params', id: 'fx', params }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.patch.nodes[1]!.params).toEqual({ strength: 0.3 });
    const nested = JSON.parse('{"a": {"__proto__": {"polluted": true}}}') as Record<string, unknown>;
    const r2 = applyChanges(base(), [{ op: 'node.params', id: 'fx', params: nested }]);
    expect(r2.refused[0]).toMatchObject({ node: 'fx' });
    expect(r2.refused[0]!.reason).toMatch(/__proto__/);
  });

  it('copies values in: mutating a change afterwards does not reach the patch', () => {
    const list = [1, 2];
    const r = applyChanges(base(), [{ op: 'node.params', id: 'fx', params: { list } }]);
    list.push(3);
    expect(r.patch.nodes[1]!.params.list).toEqual([1, 2]);
  });
});

describe('invertChanges', () => {
  it('undoes a batch exactly (order included), and the inverse survives JSON', () => {
    const p = base();
    const changes: PatchChange[] = [
      ...removeNodesChanges(p, ['fx']),
      { op: 'node.params', id: 'cam', params: { fps: 15, device: undefined } },
      { op: 'node.ui', id: 'out', ui: { color: 'red' } },
      { op: 'metadata', metadata: { name: 'x', description: 'added' } },
      {
        op: 'edge.add',
        edge: { id: 'e9', from: { node: 'cam', port: 'video' }, to: { node: 'out', port: 'video' } },
      },
    ];
    const next = applyChanges(p, changes);
    expect(next.refused).toEqual([]);
    const inverse = JSON.parse(JSON.stringify(invertChanges(p, changes))) as PatchChange[];
    const back = applyChanges(next.patch, inverse);
    expect(back.refused).toEqual([]);
    // node.ui on a node without ui leaves an empty ui object: the only trace an undo leaves.
    expect({ ...back.patch, nodes: back.patch.nodes.map(({ ui: _ui, ...n }) => n) }).toEqual(p);
  });

  it('skips changes that did not apply (they changed nothing)', () => {
    const p = base();
    expect(invertChanges(p, [{ op: 'node.remove', id: 'ghost' }])).toEqual([]);
  });
});
