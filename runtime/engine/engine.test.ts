import { afterEach, describe, expect, it } from 'vitest';
import { decodeStamp, i420Planes, registry, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { ManualClock, realClock } from '../clock';
import { compile, defaultCapabilities, diff, type Plan } from '../compile';
import { Engine } from './engine';
import { engineMetrics } from './metrics';
import { spareWorkers } from './worker-host';

const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});
const edge = (from: string, to: string) => ({
  id: `${from}->${to}`,
  from: { node: from.split('.')[0]!, port: from.split('.')[1]! },
  to: { node: to.split('.')[0]!, port: to.split('.')[1]! },
});
const patch = (nodes: Patch['nodes'], edges: Patch['edges']): Patch => ({
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 't', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
  nodes,
  edges,
});

function plan(p: Patch): Plan {
  const r = compile(p, registry, { capabilities: defaultCapabilities() });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.plan;
}

const cam = node('cam', 'camera', { source_mode: 'test_pattern', width: 64, height: 64, fps: 30 });
const out = node('out', 'output', {});
const gray = node('fx', 'pipeline', { pipeline_id: 'gray' });

function isGray(f: VideoFrame): boolean {
  const p = i420Planes(f.width, f.height);
  return f.data.subarray(p.u).every((v) => v === 128);
}

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

const PROBE = new URL('./testing/probe-processor.ts', import.meta.url).href;

function make(p: Plan, fixed = true, processorModule?: string) {
  const events: { type: string; payload: unknown }[] = [];
  const e = new Engine({
    plan: p,
    clock: fixed ? new ManualClock() : realClock,
    fixed,
    modelsDir: '/tmp',
    log: () => undefined,
    emit: (type, payload) => events.push({ type, payload }),
    ...(processorModule ? { processorModule } : {}),
  });
  engines.push(e);
  return { e, events };
}

function collect(e: Engine, n: number): Promise<VideoFrame[]> {
  return new Promise((resolve) => {
    const frames: VideoFrame[] = [];
    const off = e.onOutputFrame((_i, f) => {
      frames.push(f);
      if (frames.length === n) {
        off();
        resolve(frames);
      }
    });
  });
}

describe('Engine', () => {
  it('runs test pattern → gray worker → output, frame by frame', async () => {
    const { e } = make(
      plan(patch([cam, gray, out], [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')])),
    );
    const got = collect(e, 10);
    e.start();
    const frames = await got;
    expect(frames.every(isGray)).toBe(true);
    expect(frames.map((f) => decodeStamp(f)?.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e.stats().fx!.frames_out).toBeGreaterThanOrEqual(10);
    expect(engineMetrics().workersAlive).toBe(1);
    await e.stop();
    expect(engineMetrics().workersAlive).toBe(0);
  });

  it('inserts gray while running and removes it again, frames never stop', async () => {
    const direct = plan(patch([cam, out], [edge('cam.video', 'out.video')]));
    const withGray = plan(
      patch([cam, gray, out], [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')]),
    );
    const { e } = make(direct);
    e.start();
    const before = await collect(e, 3);
    expect(before.some(isGray)).toBe(false);
    await e.apply(withGray, diff(direct, withGray));
    const during = await collect(e, 5);
    expect(during.every(isGray)).toBe(true);
    await e.apply(direct, diff(withGray, direct));
    const after = await collect(e, 3);
    expect(after.some(isGray)).toBe(false);
    const seqs = [...before, ...during, ...after].map((f) => decodeStamp(f)!.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  });

  it('reports warming until the processor is ready, then running; a recycled worker starts clean', async () => {
    const cam128 = node('cam', 'camera', { source_mode: 'test_pattern', width: 128, height: 128, fps: 30 });
    const probe = (params: Record<string, unknown>) =>
      plan(
        patch(
          [cam128, node('fx', 'pipeline', { pipeline_id: 'passthrough', ...params }), out],
          [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')],
        ),
      );
    // The probe writes round(strength·255) into luma rows 100+ and 128 into chroma.
    const lumaMark = (f: VideoFrame) => f.data[110 * f.width]!;
    const processed = (f: VideoFrame) =>
      f.data.subarray(i420Planes(f.width, f.height).u).every((v) => v === 128);

    // First engine: strength changed live to 0.9, then stopped — its worker goes back to the spares.
    const first = make(probe({ strength: 0.2 }), false, PROBE).e;
    first.start();
    await first.whenLoaded();
    first.updateNode('fx', { strength: 0.9 });
    const marked = await new Promise<number>((resolve) => {
      const off = first.onOutputFrame((_i, f) => {
        if (processed(f) && lumaMark(f) === 230) {
          off();
          resolve(lumaMark(f));
        }
      });
    });
    expect(marked).toBe(230);
    await first.stop();
    expect(engineMetrics().workersAlive).toBe(0);
    expect(spareWorkers()).toBeGreaterThanOrEqual(1);
    expect(spareWorkers()).toBeLessThanOrEqual(2);

    // Second engine on a (recycled) worker: the probe takes 700 ms to load.
    const { e } = make(probe({ seed: 1_000_000 + 700 }), false, PROBE);
    const frames: { status: string; frame: VideoFrame }[] = [];
    e.onOutputFrame((_i, f) => frames.push({ status: e.stats().fx!.status, frame: f }));
    e.start();
    expect(e.stats().fx!.status).toBe('warming');
    await e.whenLoaded();
    const t = Date.now();
    while (!frames.some((x) => processed(x.frame)) && Date.now() - t < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(e.stats().fx!.status).toBe('running');
    const warmFrames = frames.filter((x) => !processed(x.frame));
    expect(warmFrames.length).toBeGreaterThan(5); // ≈ 700 ms of pass-through at 30 fps
    expect(warmFrames.every((x) => x.status === 'warming')).toBe(true);
    expect(frames.filter((x) => processed(x.frame)).every((x) => x.status === 'running')).toBe(true);
    // Its own default strength (0.5 → 128), not the 0.9 sent to the worker's previous processor.
    expect(lumaMark(frames.find((x) => processed(x.frame))!.frame)).toBe(128);
  });
});
