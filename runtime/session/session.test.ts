import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStamp, i420Planes, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { defaultCapabilities } from '../compile';
import { engineMetrics } from '../engine';
import { createSession, type EngineSession } from './session';

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

const cam = (fps = 30) =>
  node('cam', 'camera', { source_mode: 'test_pattern', width: 128, height: 128, fps });
const out = node('out', 'output', { name: 'main' });
const direct = patch([cam(), out], [edge('cam.video', 'out.video')]);
const withPipeline = (pipeline_id: string, params: Record<string, unknown> = {}, fps = 30) =>
  patch(
    [cam(fps), node('fx', 'pipeline', { pipeline_id, ...params }), out],
    [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')],
  );

const PROBE = new URL('../engine/testing/probe-processor.ts', import.meta.url).href;
const sessions: EngineSession[] = [];
function session(p: Patch, extra: Partial<Parameters<typeof createSession>[0]> = {}): EngineSession {
  const s = createSession({ patch: p, capabilities: defaultCapabilities(), ...extra });
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.dispose()));
});

const chromaIsGray = (f: VideoFrame): boolean =>
  f.data.subarray(i420Planes(f.width, f.height).u).every((v) => v === 128);
const hash = (f: VideoFrame): string => createHash('sha1').update(f.data).digest('hex');

function frames(
  s: EngineSession,
  n: number,
  each?: (f: VideoFrame, i: number) => void,
): Promise<VideoFrame[]> {
  return new Promise((resolve) => {
    const got: VideoFrame[] = [];
    const off = s.onOutputFrame((_index, f) => {
      if (got.length >= n) return;
      got.push(f);
      each?.(f, got.length - 1);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

describe('session', () => {
  it('goes idle → running → idle and reports diagnostics for a bad patch', async () => {
    const s = session(withPipeline('gray'));
    const states: string[] = [];
    s.on('state', (e) => states.push(e.state));
    expect(s.state()).toBe('idle');
    await s.start();
    expect(s.state()).toBe('running');
    // Running means the gray processor has loaded (before that the node passes frames through).
    expect((await frames(s, 3)).every(chromaIsGray)).toBe(true);
    await s.stop();
    expect(states).toEqual(['compiling', 'loading', 'running', 'stopping', 'idle']);
    // A stopped session starts again with a fresh engine.
    await s.start();
    expect((await frames(s, 2)).every(chromaIsGray)).toBe(true);
    await s.stop();

    const bad = session(patch([node('out', 'output')], []));
    await expect(bad.start()).rejects.toThrow(/does not compile/);
    expect(bad.state()).toBe('error');
    expect(bad.diagnostics().some((e) => e.fatal)).toBe(true);
    const r = await bad.load(direct);
    expect(r.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(bad.state()).toBe('running');
  });

  it('applies a live param on the next frame', async () => {
    const s = session(withPipeline('passthrough', { strength: 0.5 }), {
      clockMode: 'fixed',
      processorModule: PROBE,
    });
    const changedAt = 3;
    const got = frames(s, 8, (_f, i) => {
      if (i === changedAt)
        expect(s.setParameters({ strength: 0.2, node_id: 'fx' }).applied).toEqual({ strength: 0.2 });
    });
    await s.start();
    const lumaAt = (f: VideoFrame) => f.data[120 * f.width + 5];
    const seqs = (await got).map((f) => [decodeStamp(f)?.seq, lumaAt(f)]);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((seq) => [seq, seq <= changedAt ? 128 : 51]));
    expect(s.setParameters({ pipeline_id: 'gray', node_id: 'fx' }).ignored.pipeline_id).toMatch(/load param/);
    expect(s.setParameters({ strength: 7 }).ignored.strength).toMatch(/invalid strength/);
  });

  it('sends data-channel prompts with each frame', async () => {
    const s = session(withPipeline('passthrough'), { clockMode: 'fixed', processorModule: PROBE });
    const got = frames(s, 6, (_f, i) => {
      if (i === 1)
        s.setParameters({
          prompts: [
            { text: 'a', weight: 1 },
            { text: 'b', weight: 0.5 },
          ],
        });
    });
    await s.start();
    const u = (f: VideoFrame) => f.data[i420Planes(f.width, f.height).u];
    expect((await got).map(u)).toEqual([128, 128, 130, 130, 130, 130]);
  });

  it('inserts gray while running, then removes it: frames never stop', async () => {
    const s = session(direct, { clockMode: 'fixed' });
    const log: { seq: number; gray: boolean }[] = [];
    s.onOutputFrame((_i, f) => log.push({ seq: decodeStamp(f)!.seq, gray: chromaIsGray(f) }));
    await s.start();
    await frames(s, 3);
    const insert = await s.applyChanges([
      { op: 'node.add', node: node('fx', 'pipeline', { pipeline_id: 'gray' }) },
      { op: 'edge.remove', id: 'cam-out' },
      { op: 'edge.add', edge: edge('cam.video', 'fx.video') },
      { op: 'edge.add', edge: edge('fx.video', 'out.video') },
    ]);
    expect(insert.ok).toBe(true);
    await frames(s, 5);
    const remove = await s.applyChanges([
      { op: 'node.remove', id: 'fx' },
      { op: 'edge.add', edge: edge('cam.video', 'out.video') },
    ]);
    expect(remove).toMatchObject({ ok: true, revision: 2 });
    await frames(s, 3);
    // Colour, then gray, then colour again, with no gap in the frame numbers.
    const runs = log
      .map((l) => (l.gray ? 'g' : 'c'))
      .join('')
      .replace(/(.)\1+/g, '$1');
    expect(runs).toBe('cgc');
    log.forEach((l, i) => i && expect(l.seq).toBe(log[i - 1]!.seq + 1));
    expect(s.plan()!.outputTracks).toEqual([{ node: 'out', index: 0, name: 'main' }]);
    const bad = await s.applyChanges([{ op: 'node.remove', id: 'nope' }]);
    expect(bad.ok).toBe(false);
  });

  it('plays deterministically with a fixed clock', async () => {
    const run = async () => {
      const s = session(withPipeline('gray'), { clockMode: 'fixed' });
      const got = frames(s, 20);
      await s.start();
      const hashes = (await got).map(hash);
      await s.dispose();
      return hashes;
    };
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(20);
  });

  it('restarts a killed worker: the node shows the error, the output holds, then it recovers', async () => {
    const s = session(withPipeline('gray', {}, 60));
    const errors: string[] = [];
    s.on('node.error', (e) => errors.push(`${e.node}: ${e.message}`));
    await s.start();
    await frames(s, 3);
    const before = engineMetrics().workerRestarts;
    await s.engine()!.workerOf('fx')!.worker.terminate();
    expect(s.stats().fx!.status).toBe('error');
    expect(errors[0]).toMatch(/^fx: worker stopped .*restarting/);
    expect(s.latestFrame()).not.toBeNull();
    const after = await frames(s, 5);
    expect(after.every(chromaIsGray)).toBe(true);
    expect(s.stats().fx!.status).toBe('running');
    expect(engineMetrics().workerRestarts).toBe(before + 1);
  });

  it('leaves no worker, session or slot behind after 100 create/dispose cycles', async () => {
    const base = engineMetrics();
    // Most cycles dispose while the worker is still booting (the hard case); every tenth runs first.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const s = createSession({ patch: withPipeline('gray'), capabilities: defaultCapabilities() });
          const started = s.start();
          if (i === 0) await started;
          else started.catch(() => undefined);
          await s.dispose();
        }),
      );
    }
    const m = engineMetrics();
    expect(m.workersAlive).toBe(base.workersAlive);
    expect(m.sessionsAlive).toBe(base.sessionsAlive);
    expect(m.poolSlots).toBe(base.poolSlots);
  }, 60_000);
});

describe('session edits and consumers', () => {
  it('applies a live param from a patch edit on the next frame, and survives a throwing consumer', async () => {
    const s = session(withPipeline('passthrough', { strength: 0.5 }), {
      clockMode: 'fixed',
      processorModule: PROBE,
      log: () => undefined,
    });
    s.onOutputFrame(() => {
      throw new Error('encoder bug');
    });
    let edit: Promise<unknown> | null = null;
    const got = frames(s, 6, (_f, i) => {
      if (i === 2) edit = s.applyChanges([{ op: 'node.params', id: 'fx', params: { strength: 1 } }]);
    });
    await s.start();
    const luma = (await got).map((f) => f.data[120 * f.width + 5]);
    expect(luma).toEqual([128, 128, 128, 255, 255, 255]);
    expect(await edit).toMatchObject({ ok: true, revision: 1 });
    expect(s.patch().nodes.find((n) => n.id === 'fx')!.params.strength).toBe(1);
  });
});

describe('recordings folder', () => {
  it('node recordings go to recordingsDir, not beside the assets folder', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pb-recdir-'));
    try {
      mkdirSync(join(tmp, 'a', 'assets'), { recursive: true });
      const s = session(
        patch(
          [cam(), node('out', 'output', { name: 'take', record: true })],
          [edge('cam.video', 'out.video')],
        ),
        {
          clockMode: 'fixed',
          assetsDir: join(tmp, 'a', 'assets'),
          recordingsDir: join(tmp, 'elsewhere', 'recs'),
        },
      );
      const got = frames(s, 10);
      await s.start();
      await got;
      await s.stop();
      expect(
        readdirSync(join(tmp, 'elsewhere', 'recs')).filter((f) => /^take-.*\.webm$/.test(f)),
      ).toHaveLength(1);
      expect(existsSync(join(tmp, 'a', 'recordings'))).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
