import { afterEach, describe, expect, it } from 'vitest';
import { registry, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { ManualClock } from '../clock';
import { compile, defaultCapabilities, type Plan } from '../compile';
import { Engine } from './engine';
import { FramePorts } from './ports';

const frame = (seq: number): VideoFrame => ({
  width: 2,
  height: 2,
  data: new Uint8Array(6),
  seq,
  timestampMs: seq,
});

describe('FramePorts', () => {
  it('gives each frame to every consumer; one that throws is logged and the others still get it', () => {
    const lines: string[] = [];
    const ports = new FramePorts((l) => lines.push(l));
    const got: number[] = [];
    ports.onOutput(() => {
      throw new Error('encoder broke');
    });
    const off = ports.onOutput((i, f) => got.push(i * 100 + f.seq));
    ports.output('out', 1, frame(7));
    expect(got).toEqual([107]);
    expect(lines).toEqual(['[out] a frame consumer threw: encoder broke']);
    off();
    ports.output('out', 1, frame(8));
    expect(got).toEqual([107]);
  });

  it('says whether a sink frame had a listener; clear drops every consumer', () => {
    const ports = new FramePorts(() => undefined);
    expect(ports.sink('rec', frame(0))).toBe(false);
    const seen: string[] = [];
    ports.onSink((node) => seen.push(node));
    expect(ports.sink('rec', frame(1))).toBe(true);
    ports.clear();
    expect(ports.sink('rec', frame(2))).toBe(false);
    expect(seen).toEqual(['rec']);
  });
});

const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});
const passthrough: Patch = {
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 't', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
  nodes: [
    node('cam', 'camera', { source_mode: 'test_pattern', width: 64, height: 64, fps: 30 }),
    node('out', 'output', {}),
  ],
  edges: [{ id: 'e', from: { node: 'cam', port: 'video' }, to: { node: 'out', port: 'video' } }],
};

function plan(): Plan {
  const r = compile(passthrough, registry, { capabilities: defaultCapabilities() });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.plan;
}

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

function engine(ports?: FramePorts): Engine {
  const e = new Engine({
    plan: plan(),
    clock: new ManualClock(),
    fixed: true,
    modelsDir: '/tmp',
    log: () => undefined,
    emit: () => undefined,
    ...(ports ? { ports } : {}),
  });
  engines.push(e);
  return e;
}

const frames = (ports: FramePorts, n: number) =>
  new Promise<number>((resolve) => {
    let count = 0;
    const off = ports.onOutput(() => {
      if (++count === n) {
        off();
        resolve(count);
      }
    });
  });

describe('Engine and FramePorts', () => {
  it('delivers to ports it was given, which outlive it: one subscription sees two engines in turn', async () => {
    const ports = new FramePorts(() => undefined);
    const sinks: string[] = [];
    ports.onSink((n) => sinks.push(n));
    const first = engine(ports);
    const a = frames(ports, 3);
    first.start();
    expect(await a).toBe(3);
    await first.stop();
    // The shared ports were not cleared by the first engine's stop: the same consumers get the next one's frames.
    const second = engine(ports);
    const b = frames(ports, 3);
    second.start();
    expect(await b).toBe(3);
    expect(sinks.length).toBeGreaterThanOrEqual(6);
    expect(new Set(sinks)).toEqual(new Set(['out']));
  });

  it('clears its own ports on stop', async () => {
    const e = engine();
    let n = 0;
    e.onOutputFrame(() => n++);
    const got = frames(e.ports, 2);
    e.start();
    await got;
    await e.stop();
    expect(e.ports.sink('out', frame(0))).toBe(false);
    expect(n).toBeGreaterThanOrEqual(2);
  });
});
