import { describe, expect, it } from 'vitest';
import { registry } from '../../../nodes';
import { ID_PATTERN, type Patch, type PatchChange } from '../../../patches';
import {
  applyOrThrow,
  autoLayout,
  checkConnection,
  clipboardText,
  commit,
  copySelection,
  createHistory,
  createNode,
  edgeId,
  emptyPatch,
  generateChainsPatch,
  invertChanges,
  keyParams,
  mediaLayout,
  moveChanges,
  nodePorts,
  paletteItems,
  parseClipboard,
  pasteChanges,
  PatchChangeError,
  redo,
  removeNodesChanges,
  searchPalette,
  toFlowEdges,
  toFlowNodes,
  undo,
} from './index';

/** Camera → gray Pipeline → Output, plus a Prompt timeline, all unconnected unless asked. */
function basePatch(connect = true): Patch {
  let p = emptyPatch('test', new Date(0));
  const add = (type: string, x: number, params: Record<string, unknown> = {}) => {
    const node = createNode(p, registry, type, { x, y: 0 }, params);
    p = applyOrThrow(p, [{ op: 'node.add', node }]);
    return node.id;
  };
  const cam = add('camera', 0);
  const pipe = add('pipeline', 300, { pipeline_id: 'gray' });
  const out = add('output', 600);
  add('prompt-timeline', 0);
  if (connect) {
    p = applyOrThrow(p, [
      {
        op: 'edge.add',
        edge: { id: 'e1', from: { node: cam, port: 'video' }, to: { node: pipe, port: 'video' } },
      },
      {
        op: 'edge.add',
        edge: { id: 'e2', from: { node: pipe, port: 'video' }, to: { node: out, port: 'video' } },
      },
    ]);
  }
  return p;
}

describe('createNode and palette', () => {
  it('gives readable unique ids and default params', () => {
    const p = basePatch();
    expect(p.nodes.map((n) => n.id)).toEqual(['camera-1', 'pipeline-1', 'output-1', 'prompt-timeline-1']);
    const second = createNode(p, registry, 'pipeline', { x: 1.4, y: 2.6 });
    expect(second.id).toBe('pipeline-2');
    expect(second.position).toEqual({ x: 1, y: 3 });
    expect(second.params.pipeline_id).toBe('passthrough');
    expect(() => createNode(p, registry, 'nope', { x: 0, y: 0 })).toThrow(/unknown node type "nope"/);
  });

  it('finds the gray pipeline preset, camera and output by search', () => {
    const items = paletteItems(registry);
    expect(searchPalette(items, 'gray')[0]).toMatchObject({
      type: 'pipeline',
      params: { pipeline_id: 'gray' },
    });
    expect(searchPalette(items, 'cam')[0]!.type).toBe('camera');
    expect(searchPalette(items, 'output')[0]!.type).toBe('output');
    expect(searchPalette(items, 'zzzz')).toEqual([]);
    expect(searchPalette(items, '').length).toBe(items.length);
  });
});

describe('checkConnection', () => {
  it('accepts video to video and refuses a type mismatch with a hint naming both ports', () => {
    const p = basePatch(false);
    expect(
      checkConnection(
        p,
        registry,
        { node: 'camera-1', port: 'video' },
        { node: 'pipeline-1', port: 'video' },
      ),
    ).toEqual({
      ok: true,
      replaces: [],
    });
    const bad = checkConnection(
      p,
      registry,
      { node: 'camera-1', port: 'video' },
      { node: 'pipeline-1', port: 'prompts' },
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.reason).toBe('type mismatch');
      expect(bad.hint).toContain('carries video');
      expect(bad.hint).toContain('takes prompts');
      expect(bad.hint).toContain('Prompt timeline');
    }
  });

  it('replaces the edge already on an input (one stream edge per input)', () => {
    const p = applyOrThrow(basePatch(), [
      { op: 'node.add', node: createNode(basePatch(), registry, 'camera', { x: 0, y: 200 }) },
    ]);
    const c = checkConnection(
      p,
      registry,
      { node: 'camera-2', port: 'video' },
      { node: 'pipeline-1', port: 'video' },
    );
    expect(c).toEqual({ ok: true, replaces: ['e1'] });
  });

  it('refuses stream cycles, self loops, duplicates and unknown ports', () => {
    let p = basePatch();
    p = applyOrThrow(p, [{ op: 'node.add', node: createNode(p, registry, 'pipeline', { x: 0, y: 0 }) }]);
    p = applyOrThrow(p, [
      {
        op: 'edge.add',
        edge: {
          id: 'e3',
          from: { node: 'pipeline-1', port: 'video' },
          to: { node: 'pipeline-2', port: 'video' },
        },
      },
    ]);
    const cyc = checkConnection(
      p,
      registry,
      { node: 'pipeline-2', port: 'video' },
      { node: 'pipeline-1', port: 'vace_input_frames' },
    );
    expect(cyc).toMatchObject({ ok: false, reason: 'cycle' });
    expect(
      checkConnection(
        p,
        registry,
        { node: 'pipeline-1', port: 'video' },
        { node: 'pipeline-1', port: 'video' },
      ),
    ).toMatchObject({ ok: false, reason: 'self connection' });
    expect(
      checkConnection(
        p,
        registry,
        { node: 'camera-1', port: 'video' },
        { node: 'pipeline-1', port: 'video' },
      ),
    ).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(
      checkConnection(p, registry, { node: 'camera-1', port: 'nope' }, { node: 'output-1', port: 'video' }),
    ).toMatchObject({ ok: false, reason: 'unknown port' });
    expect(
      checkConnection(p, registry, { node: 'ghost', port: 'video' }, { node: 'output-1', port: 'video' }),
    ).toMatchObject({ ok: false, reason: 'unknown node' });
  });

  it('uses ports(params): an NDI node in send mode has an input and no output', () => {
    let p = basePatch();
    const ndi = createNode(p, registry, 'ndi', { x: 0, y: 0 }, { direction: 'send' });
    p = applyOrThrow(p, [{ op: 'node.add', node: ndi }]);
    expect(nodePorts(ndi, registry).outputs).toEqual([]);
    expect(
      checkConnection(p, registry, { node: 'pipeline-1', port: 'video' }, { node: ndi.id, port: 'video' }).ok,
    ).toBe(true);
    expect(
      checkConnection(p, registry, { node: ndi.id, port: 'video' }, { node: 'output-1', port: 'video' }),
    ).toMatchObject({ ok: false, reason: 'unknown port' });
  });
});

describe("applyOrThrow, the editor's all-or-nothing use of patches/changes", () => {
  it('applies a batch, or throws for the first refused change with its index and nothing applied', () => {
    const p = basePatch();
    expect(applyOrThrow(p, [{ op: 'node.remove', id: 'pipeline-1' }]).edges).toEqual([]);
    let err: unknown;
    try {
      applyOrThrow(p, [
        { op: 'node.move', id: 'output-1', position: { x: 1, y: 1 } },
        { op: 'node.remove', id: 'ghost' },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PatchChangeError);
    expect((err as Error).message).toBe('change 1 (node.remove): no node "ghost"');
    expect((err as PatchChangeError).refusal).toMatchObject({ index: 1, node: 'ghost' });
    expect(p.nodes.find((n) => n.id === 'output-1')!.position).not.toEqual({ x: 1, y: 1 });
    expect(() => applyOrThrow(p, [{ op: 'bogus' } as unknown as PatchChange])).toThrow(/unknown op "bogus"/);
  });

  it('invertChanges restores the original patch exactly, order included', () => {
    const p = basePatch();
    const changes: PatchChange[] = [
      ...removeNodesChanges(p, ['pipeline-1']),
      { op: 'node.params', id: 'camera-1', params: { fps: 15, device: undefined } },
      { op: 'metadata', metadata: { name: 'x' } },
    ];
    const next = applyOrThrow(p, changes);
    expect(applyOrThrow(next, invertChanges(p, changes))).toEqual(p);
  });
});

describe('history', () => {
  it('undoes and redoes each edit and reports the runtime changes', () => {
    const p0 = basePatch();
    let h = createHistory();
    const r1 = commit(p0, h, [{ op: 'node.params', id: 'pipeline-1', params: { strength: 0.8 } }], {
      now: 0,
    });
    const r2 = commit(r1.patch, r1.history, removeNodesChanges(r1.patch, ['output-1']), { now: 5000 });
    h = r2.history;
    expect(h.past.map((e) => e.label)).toEqual(['Edit params', 'Delete']);
    const u1 = undo(r2.patch, h)!;
    expect(u1.patch).toEqual(r1.patch);
    expect(u1.changes[0]).toMatchObject({ op: 'node.add', node: { id: 'output-1' } });
    const u2 = undo(u1.patch, u1.history)!;
    expect(u2.patch).toEqual(p0);
    expect(u2.changes).toEqual([{ op: 'node.params', id: 'pipeline-1', params: { strength: 0.5 } }]);
    expect(undo(u2.patch, u2.history)).toBeNull();
    const r = redo(u2.patch, u2.history)!;
    expect(r.patch).toEqual(r1.patch);
    expect(redo(redo(r.patch, r.history)!.patch, redo(r.patch, r.history)!.history)).toBeNull();
  });

  it('coalesces a slider drag into one step', () => {
    let res = { patch: basePatch(), history: createHistory(), changes: [] as PatchChange[] };
    for (let i = 0; i < 20; i++) {
      res = commit(
        res.patch,
        res.history,
        [{ op: 'node.params', id: 'pipeline-1', params: { strength: i / 20 } }],
        { now: i * 50, coalesceKey: 'pipeline-1.strength' },
      );
    }
    expect(res.history.past.length).toBe(1);
    expect(undo(res.patch, res.history)!.patch.nodes[1]!.params.strength).toBe(0.5);
  });

  it('keeps at least 100 steps and a new edit clears redo', () => {
    let res = { patch: basePatch(), history: createHistory(150), changes: [] as PatchChange[] };
    for (let i = 0; i < 160; i++) {
      res = commit(res.patch, res.history, [{ op: 'node.move', id: 'camera-1', position: { x: i, y: 0 } }], {
        now: i,
      });
    }
    expect(res.history.past.length).toBe(150);
    let cur: { patch: Patch; history: typeof res.history } = res;
    for (let i = 0; i < 120; i++) cur = undo(cur.patch, cur.history)!;
    expect(cur.patch.nodes[0]!.position.x).toBe(39);
    const after = commit(cur.patch, cur.history, [
      { op: 'node.move', id: 'camera-1', position: { x: -1, y: 0 } },
    ]);
    expect(after.history.future).toEqual([]);
    expect(createHistory(5).limit).toBe(100);
  });
});

describe('clipboard', () => {
  it('copies nodes with their inner edges and pastes with fresh ids and an offset', () => {
    const p = basePatch();
    const payload = copySelection(p, ['pipeline-1', 'output-1']);
    expect(payload.edges.map((e) => e.id)).toEqual(['e2']);
    const parsed = parseClipboard(clipboardText(payload));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { changes, nodeIds } = pasteChanges(p, parsed.payload, { x: 10, y: 20 });
    expect(nodeIds).toEqual(['pipeline-2', 'output-2']);
    const next = applyOrThrow(p, changes);
    expect(next.nodes.find((n) => n.id === 'output-2')!.position).toEqual({ x: 610, y: 20 });
    expect(next.edges.at(-1)).toMatchObject({ from: { node: 'pipeline-2' }, to: { node: 'output-2' } });
    const twice = applyOrThrow(next, pasteChanges(next, parsed.payload).changes);
    expect(new Set(twice.nodes.map((n) => n.id)).size).toBe(twice.nodes.length);
  });

  it('refuses text that is not Patchbay nodes, with a reason', () => {
    expect(parseClipboard('hello')).toEqual({
      ok: false,
      error: 'the clipboard does not hold Patchbay nodes (not JSON)',
    });
    expect(parseClipboard('{"format":"other"}')).toMatchObject({ ok: false });
    expect(parseClipboard('{"format":"patchbay-clipboard","nodes":[{"id":1}],"edges":[]}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('node 0'),
    });
    expect(parseClipboard('x'.repeat(2_000_001))).toMatchObject({
      ok: false,
      error: expect.stringContaining('too large'),
    });
  });
});

describe('layout and mapping', () => {
  it('lays out sources left and outputs right', () => {
    const p = basePatch();
    const next = applyOrThrow(p, autoLayout(p, { columnWidth: 100, rowHeight: 50 }));
    const x = (id: string) => next.nodes.find((n) => n.id === id)!.position.x;
    expect([x('camera-1'), x('pipeline-1'), x('output-1'), x('prompt-timeline-1')]).toEqual([0, 100, 200, 0]);
    expect(autoLayout(next, { columnWidth: 100, rowHeight: 50 })).toEqual([]);
  });

  it('maps to React Flow nodes/edges and reuses unchanged node objects', () => {
    const p = basePatch();
    const nodes = toFlowNodes(p, registry, new Set(['camera-1']));
    expect(nodes[0]).toMatchObject({ id: 'camera-1', type: 'patchbay', selected: true });
    const prev = new Map(nodes.map((n) => [n.id, n]));
    const p2 = applyOrThrow(p, [{ op: 'node.move', id: 'output-1', position: { x: 1, y: 1 } }]);
    const again = toFlowNodes(p2, registry, new Set(['camera-1']), prev);
    expect(again[0]).toBe(nodes[0]);
    expect(again[2]).not.toBe(nodes[2]);
    expect(toFlowEdges(p, registry, new Set())[0]).toMatchObject({
      source: 'camera-1',
      sourceHandle: 'video',
      targetHandle: 'video',
      className: 'edge-video',
    });
    expect(
      moveChanges(
        p,
        new Map([
          ['camera-1', { x: 0.2, y: 0 }],
          ['output-1', { x: 7, y: 8 }],
        ]),
      ),
    ).toEqual([{ op: 'node.move', id: 'output-1', position: { x: 7, y: 8 } }]);
  });

  it('summarises key params and media tracks', () => {
    const p = basePatch();
    expect(keyParams(p.nodes[1]!, registry.get('pipeline'))).toContainEqual({
      name: 'pipeline_id',
      label: 'Pipeline',
      value: 'Gray',
    });
    expect(mediaLayout(p)).toEqual({ cameras: ['camera-1'], outputs: ['output-1'] });
    expect(edgeId({ node: 'a', port: 'v' }, { node: 'b', port: 'v' }, new Set(['a.v--b.v']))).toBe(
      'a.v--b.v-2',
    );
    const id = edgeId(
      { node: 'camera-1', port: 'video' },
      { node: 'pipeline-1', port: 'vace_input_frames' },
      new Set(),
    );
    expect(ID_PATTERN.test(id)).toBe(true);
  });

  it('generates a valid 500-node patch', () => {
    const p = generateChainsPatch(registry, 500);
    expect(p.nodes.length).toBe(500);
    expect(p.edges.length).toBe(400);
    for (const e of p.edges.slice(0, 20)) {
      const rest = { ...p, edges: p.edges.filter((x) => x.id !== e.id) };
      expect(checkConnection(rest, registry, e.from, e.to).ok).toBe(true);
    }
  });
});

describe('freeSpot', () => {
  it('moves a new node below the ones it would cover', async () => {
    const { freeSpot } = await import('./index');
    const p = basePatch();
    expect(freeSpot(p, { x: 10, y: 10 })).toEqual({ x: 10, y: 160 });
    expect(freeSpot(p, { x: 2000, y: 0 })).toEqual({ x: 2000, y: 0 });
  });
});
