import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VideoFrame } from '../../nodes';
import type { Patch, PatchChange } from '../../patches';
import { compile, defaultCapabilities } from '../compile';
import type { SessionEvents } from '../engine';
import { createSession, type EngineSession } from './session';

// Every compile the session makes goes through this spy (the session imports compile from here).
vi.mock('../compile', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../compile')>();
  return { ...actual, compile: vi.fn(actual.compile) };
});
const compileCalls = (): number => vi.mocked(compile).mock.calls.length;

const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});
const edge = (from: string, to: string) => {
  const [fn, fp] = from.split('.') as [string, string];
  const [tn, tp] = to.split('.') as [string, string];
  return { id: `${fn}-${tn}`, from: { node: fn, port: fp }, to: { node: tn, port: tp } };
};
const patch = (nodes: Patch['nodes'], edges: Patch['edges']): Patch => ({
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 't', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
  nodes,
  edges,
});
const probePatch = (strength = 0.5) =>
  patch(
    [
      node('cam', 'camera', { source_mode: 'test_pattern', width: 128, height: 128, fps: 30 }),
      node('fx', 'pipeline', { pipeline_id: 'passthrough', strength }),
      node('out', 'output', { name: 'main' }),
    ],
    [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')],
  );

// The probe processor fills luma rows 100+ with round(strength · 255).
const PROBE = new URL('../engine/testing/probe-processor.ts', import.meta.url).href;
const luma = (f: VideoFrame): number => f.data[120 * f.width + 5]!;

const sessions: EngineSession[] = [];
function session(p: Patch): EngineSession {
  const s = createSession({
    patch: p,
    capabilities: defaultCapabilities(),
    clockMode: 'fixed',
    processorModule: PROBE,
    log: () => undefined,
  });
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.dispose()));
});

/** Resolves with the first output frame for which `pred` holds (rejects after `ms`). */
function frameWhere(s: EngineSession, pred: (f: VideoFrame) => boolean, ms = 10_000): Promise<VideoFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no such frame came'));
    }, ms);
    const off = s.onOutputFrame((_i, f) => {
      if (!pred(f)) return;
      clearTimeout(timer);
      off();
      resolve(f);
    });
  });
}

describe('session edits: one revision per applied batch, live params without the compiler', () => {
  it('a live-param edit reaches the running node and the patch with no compile; a topology edit compiles once', async () => {
    const s = session(probePatch(0.5));
    await s.start();
    await frameWhere(s, (f) => luma(f) === 128);
    const before = compileCalls();
    const rev = s.revision();

    const live = await s.applyChanges([{ op: 'node.params', id: 'fx', params: { strength: 1 } }]);
    expect(live).toMatchObject({ ok: true, live: true, revision: rev + 1 });
    await frameWhere(s, (f) => luma(f) === 255);
    expect(s.patch().nodes.find((n) => n.id === 'fx')!.params.strength).toBe(1);
    expect(s.plan()!.nodes.find((n) => n.id === 'fx')!.params.strength).toBe(1);
    // Moves, ui and metadata do not reach the compiler either.
    const move = await s.applyChanges([
      { op: 'node.move', id: 'fx', position: { x: 9, y: 9 } },
      { op: 'metadata', metadata: { name: 'moved' } },
    ]);
    expect(move).toMatchObject({ ok: true, live: true, revision: rev + 2 });
    expect(compileCalls()).toBe(before);

    // A topology edit (a second pipeline in the chain) compiles, once.
    const insert = await s.applyChanges([
      { op: 'node.add', node: node('fx2', 'pipeline', { pipeline_id: 'passthrough', strength: 0.2 }) },
      { op: 'edge.remove', id: 'fx-out' },
      { op: 'edge.add', edge: edge('fx.video', 'fx2.video') },
      { op: 'edge.add', edge: edge('fx2.video', 'out.video') },
    ]);
    expect(insert.ok).toBe(true);
    expect(insert.live).toBeUndefined();
    expect(insert.revision).toBe(rev + 3);
    expect(compileCalls()).toBe(before + 1);
    await frameWhere(s, (f) => luma(f) === Math.round(0.2 * 255));
    expect(s.plan()!.nodes.find((n) => n.id === 'fx')!.params.strength).toBe(1);

    // A load param (seed) compiles too: the node restarts with it.
    const load = await s.applyChanges([{ op: 'node.params', id: 'fx2', params: { seed: 7 } }]);
    expect(load).toMatchObject({ ok: true, revision: rev + 4 });
    expect(compileCalls()).toBe(before + 2);
  }, 60_000);

  it('refuses a batch that does not fit, or does not compile while running, with the node named; nothing changes', async () => {
    const s = session(probePatch(0.5));
    await s.start();
    await frameWhere(s, () => true);
    const rev = s.revision();
    const p = s.patch();

    const ghost = await s.applyChanges([
      { op: 'node.params', id: 'fx', params: { strength: 1 } },
      { op: 'node.remove', id: 'ghost' },
    ]);
    expect(ghost.ok).toBe(false);
    expect(ghost.refused).toEqual([
      { index: 1, op: 'node.remove', reason: 'no node "ghost"', node: 'ghost' },
    ]);
    expect(ghost.revision).toBe(rev);
    expect(s.patch()).toBe(p);

    // An Output with nothing connected does not compile: refused while running, as a whole.
    const dangling = await s.applyChanges([{ op: 'node.add', node: node('out2', 'output', { name: 'b' }) }]);
    expect(dangling.ok).toBe(false);
    expect(dangling.revision).toBe(rev);
    expect(dangling.refused!.length).toBeGreaterThan(0);
    expect(dangling.refused![0]).toMatchObject({ index: -1, node: 'out2' });
    expect(s.patch()).toBe(p);
    await frameWhere(s, (f) => luma(f) === 128); // still running the patch it says it runs

    // Junk from a socket is refused with reasons, never thrown.
    const junk = await s.applyChanges([null, { op: 'bogus' }] as unknown as PatchChange[]);
    expect(junk.refused!.map((r) => r.index)).toEqual([0, 1]);
  }, 60_000);

  it('an idle session takes a patch that does not compile (nothing runs; start says why)', async () => {
    const s = session(probePatch(0.5));
    const r = await s.applyChanges([{ op: 'node.add', node: node('out2', 'output', { name: 'b' }) }]);
    expect(r.ok).toBe(false);
    expect(r.revision).toBe(1);
    expect(s.patch().nodes.map((n) => n.id)).toContain('out2');
    // The plan is not the patch's now: a live param cannot skip the compiler.
    const before = compileCalls();
    await s.applyChanges([{ op: 'node.params', id: 'fx', params: { strength: 1 } }]);
    expect(compileCalls()).toBe(before + 1);
  });

  it("Scope's data-channel parameters become patch changes: the patch says what runs, the editor hears of them", async () => {
    const s = session(probePatch(0.5));
    const heard: SessionEvents['changes'][] = [];
    s.on('changes', (c) => heard.push(c));
    // Before the stream runs (Scope sends initial parameters with the offer).
    s.setParameters({ strength: 0.2 });
    expect(s.patch().nodes.find((n) => n.id === 'fx')!.params.strength).toBe(0.2);
    expect(heard).toEqual([
      {
        changes: [{ op: 'node.params', id: 'fx', params: { strength: 0.2 } }],
        revision: 1,
        origin: 'parameters',
      },
    ]);
    await s.start();
    await frameWhere(s, (f) => luma(f) === Math.round(0.2 * 255));

    const before = compileCalls();
    const r = s.setParameters({ strength: 0.8, node_id: 'fx', kv_cache_attention_bias: 0.3 });
    expect(r.applied).toMatchObject({ strength: 0.8 });
    // A key no local node reads is reported as ignored, with the reason (only a remote pipeline
    // is sent unknown keys by name).
    expect(r.ignored.kv_cache_attention_bias).toMatch(/nothing reads it/);
    await frameWhere(s, (f) => luma(f) === Math.round(0.8 * 255));
    const fx = s.patch().nodes.find((n) => n.id === 'fx')!;
    expect(fx.params.strength).toBe(0.8);
    // Nor does it go into the patch.
    expect(fx.params).not.toHaveProperty('kv_cache_attention_bias');
    expect(s.revision()).toBe(2);
    expect(heard.at(-1)).toMatchObject({ revision: 2, origin: 'parameters' });
    expect(compileCalls()).toBe(before);
    // Load params stay refused from the data channel, and change nothing.
    expect(s.setParameters({ seed: 3 }).ignored.seed).toMatch(/load param/);
    expect(s.revision()).toBe(2);
  }, 60_000);
});
