import { afterEach, describe, expect, it } from 'vitest';
import { decodeStamp, i420Planes, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { defaultCapabilities } from '../compile';
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
  return { id: `${fn}.${fp}-${tn}.${tp}`, from: { node: fn, port: fp }, to: { node: tn, port: tp } };
};
const patch = (nodes: Patch['nodes'], edges: Patch['edges']): Patch => ({
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 't', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
  nodes,
  edges,
});
const cam = (params: Record<string, unknown> = {}) =>
  node('cam', 'camera', { source_mode: 'test_pattern', width: 128, height: 128, fps: 30, ...params });
const PROBE = new URL('../engine/testing/probe-processor.ts', import.meta.url).href;
const u0 = (f: VideoFrame) => f.data[i420Planes(f.width, f.height).u]!;
const chromaFlat = (f: VideoFrame) =>
  f.data.subarray(i420Planes(f.width, f.height).u).every((v) => v === u0(f));

const sessions: EngineSession[] = [];
function session(p: Patch, extra: Partial<Parameters<typeof createSession>[0]> = {}): EngineSession {
  const s = createSession({
    patch: p,
    capabilities: defaultCapabilities(),
    processorModule: PROBE,
    ...extra,
  });
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.dispose()));
});

function until<T>(
  s: EngineSession,
  n: number,
  pick: (index: number, f: VideoFrame) => T | undefined,
): Promise<T[]> {
  return new Promise((resolve) => {
    const got: T[] = [];
    const off = s.onOutputFrame((i, f) => {
      const v = pick(i, f);
      if (v === undefined || got.length >= n) return;
      got.push(v);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

describe('live engine behaviour', () => {
  it('drives prompts from a timeline on the session clock, with play, pause and seek', async () => {
    const entries = [
      { start_time: 0, end_time: 1, prompts: [{ text: 'one', weight: 1 }] },
      {
        start_time: 1,
        end_time: 2,
        prompts: [
          { text: 'a', weight: 1 },
          { text: 'b', weight: 1 },
        ],
      },
    ];
    const s = session(
      patch(
        [
          cam(),
          node('tl', 'prompt-timeline', { entries, loop: true }),
          node('fx', 'pipeline', { pipeline_id: 'passthrough' }),
          node('out', 'output'),
        ],
        [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video'), edge('tl.prompts', 'fx.prompts')],
      ),
      { clockMode: 'fixed' },
    );
    const events: (number | null)[] = [];
    s.on('timeline', (e) => events.push(e.entry));
    const got = until(s, 75, (_i, f) => [decodeStamp(f)!.seq, u0(f)] as const);
    await s.start();
    const frames = await got;
    // 30 fps: frames 0–29 in entry 0 (one prompt), 30–59 in entry 1 (two), then the loop.
    for (const [seq, u] of frames) expect([seq, u]).toEqual([seq, seq % 60 < 30 ? 129 : 130]);
    expect(events.slice(0, 3)).toEqual([0, 1, 0]);
    s.timelinePause('tl');
    s.timelineSeek('tl', 1.5);
    const paused = await until(s, 40, (_i, f) => u0(f));
    expect(new Set(paused)).toEqual(new Set([130]));
    expect(s.stats().tl!.message).toBe('paused at 1.5 s');
    s.timelinePlay('tl');
    expect(s.stats().tl!.message).toMatch(/^playing/);
  });

  it('fans one source out to two outputs with stable track indices', async () => {
    const s = session(
      patch(
        [
          cam(),
          node('fx', 'pipeline', { pipeline_id: 'gray' }),
          node('raw', 'output', { name: 'raw' }),
          node('gray', 'output', { name: 'gray' }),
        ],
        [edge('cam.video', 'fx.video'), edge('cam.video', 'raw.video'), edge('fx.video', 'gray.video')],
      ),
      { clockMode: 'fixed', processorModule: undefined },
    );
    const byTrack = new Map<number, VideoFrame[]>();
    s.onOutputFrame((i, f) => byTrack.set(i, [...(byTrack.get(i) ?? []), f]));
    const got = until(s, 10, (i, f) => (i === 1 ? f : undefined));
    await s.start();
    await got;
    const tracks = s.plan()!.outputTracks;
    expect(tracks.map((t) => [t.node, t.index])).toEqual([
      ['raw', 0],
      ['gray', 1],
    ]);
    expect(byTrack.get(0)!.some((f) => !chromaFlat(f))).toBe(true);
    expect(byTrack.get(1)!.every((f) => chromaFlat(f) && u0(f) === 128)).toBe(true);
    expect(s.latestFrame('gray')).not.toBeNull();
    // Removing the first output keeps the second on index 1.
    await s.applyChanges([{ op: 'node.remove', id: 'raw' }]);
    expect(s.plan()!.outputTracks).toEqual([{ node: 'gray', index: 1, name: 'gray' }]);
    const after = await until(s, 3, (i, f) => (i === 1 ? f : undefined));
    expect(after).toHaveLength(3);
  });

  it('passes frames through while a pipeline warms up, then processes them', async () => {
    const s = session(
      patch(
        [
          cam(),
          node('fx', 'pipeline', { pipeline_id: 'passthrough', seed: 1_000_000 + 1500 }),
          node('out', 'output'),
        ],
        [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')],
      ),
      { loadTimeoutMs: 100 },
    );
    await s.start();
    expect(s.stats().fx!.status).toBe('warming');
    const early = await until(s, 3, (_i, f) => f);
    expect(early.some((f) => !chromaFlat(f))).toBe(true);
    const processed = await until(s, 3, (_i, f) => (chromaFlat(f) && u0(f) === 128 ? f : undefined));
    expect(processed).toHaveLength(3);
    expect(s.stats().fx!.status).toBe('running');
  });

  it('never blocks the source on a slow pipeline: drop-oldest, counted', async () => {
    const s = session(
      patch(
        [
          cam({ fps: 60 }),
          node('fx', 'pipeline', { pipeline_id: 'passthrough', seed: 2_000_000 + 50 }),
          node('out', 'output'),
        ],
        [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')],
      ),
    );
    await s.start();
    const seqs = await until(s, 25, (_i, f) => decodeStamp(f)!.seq);
    const st = s.stats();
    expect(st.fx!.drops).toBeGreaterThan(0);
    expect(st.fx!.queue_depth).toBeLessThanOrEqual(2);
    // The source keeps its 60 fps while the pipeline manages about 20.
    expect(st.cam!.fps_out).toBeGreaterThan(45);
    expect(st.fx!.fps_out).toBeLessThan(30);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    expect(st.fx!.ms_p50).toBeGreaterThanOrEqual(45);
  });

  it('takes camera frames from the client track and emits stats once a second', async () => {
    const s = session(
      patch(
        [node('cam', 'camera', { source_mode: 'camera' }), node('out', 'output')],
        [edge('cam.video', 'out.video')],
      ),
    );
    const stats: number[] = [];
    s.on('stats', (e) => stats.push(e.nodes.out!.frames_in));
    await s.start();
    expect(s.plan()!.inputTracks).toEqual([{ node: 'cam', index: 0 }]);
    expect(s.stats().cam!.status).toBe('idle');
    const frame = { width: 16, height: 16, data: new Uint8Array(384).fill(77), timestampMs: 5, seq: 9 };
    const got = until(s, 1, (_i, f) => f);
    s.pushInputFrame(0, frame);
    const [f] = await got;
    expect(f).toMatchObject({ width: 16, height: 16, seq: 9 });
    expect(f!.data.every((v) => v === 77)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect(stats[0]).toBe(1);
    expect(s.stats().cam!.status).toBe('running');
  });
});

describe('video file source', () => {
  it('loops a VP8 file from the assets folder, deterministically in fixed mode, and refuses paths outside it', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { makeTestMedia } = await import('../io');
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-assets-'));
    try {
      makeTestMedia({ dir, seconds: 1, width: 128, height: 128, fps: 10, name: 'clip' });
      const file = (video_file: string) =>
        patch(
          [node('cam', 'camera', { source_mode: 'video_file', video_file }), node('out', 'output')],
          [edge('cam.video', 'out.video')],
        );
      const s = session(file('clip.webm'), { clockMode: 'fixed', assetsDir: dir });
      const got = until(s, 15, (_i, f) => decodeStamp(f)?.seq);
      await s.start();
      // 10 frames a second, looping after the tenth.
      expect(await got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
      const outside = session(file('../etc/passwd'), { assetsDir: dir });
      await outside.start();
      expect(outside.stats().cam).toMatchObject({
        status: 'error',
        message: expect.stringMatching(/outside the assets folder/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('worker crashes', () => {
  it('keeps the stream going through repeated uncaught errors, reporting each', async () => {
    const s = session(
      patch(
        [
          cam({ fps: 60 }),
          node('fx', 'pipeline', { pipeline_id: 'passthrough', seed: 3_000_000 + 10 }),
          node('out', 'output'),
        ],
        [edge('cam.video', 'fx.video'), edge('fx.video', 'out.video')],
      ),
    );
    const errors: string[] = [];
    s.on('node.error', (e) => errors.push(e.message));
    await s.start();
    // 10 frames per worker life: 15 processed frames need a restart, and the next one follows.
    const frames = await until(s, 15, (_i, f) => (u0(f) === 128 ? decodeStamp(f)!.seq : undefined));
    expect(errors[0]).toMatch(/worker stopped \(probe crashed on purpose\); restarting in 100 ms/);
    await new Promise<void>((resolve) => s.on('node.error', () => resolve()));
    expect(errors[1]).toMatch(/restarting in 200 ms/);
    for (let i = 1; i < frames.length; i++) expect(frames[i]).toBeGreaterThan(frames[i - 1]!);
  });
});

describe('VACE', () => {
  it('sends VACE conditioning and input frames with each frame, keeping asset references inside the assets folder', async () => {
    const s = session(
      patch(
        [
          cam(),
          node('vace', 'vace', { ref_images: ['cat.png', '../../etc/passwd'] }),
          node('fx', 'pipeline', { pipeline_id: 'passthrough' }),
          node('out', 'output'),
        ],
        [
          edge('cam.video', 'fx.video'),
          edge('cam.video', 'fx.vace_input_frames'),
          edge('fx.video', 'out.video'),
          edge('vace.vace', 'fx.vace'),
        ],
      ),
      { clockMode: 'fixed' },
    );
    const tail = (f: VideoFrame) => {
      const u = i420Planes(f.width, f.height).u;
      return [f.data[u - 2], f.data[u - 1]];
    };
    const got = until(s, 4, (_i, f) => tail(f));
    await s.start();
    // One reference image survives; the input frame came along.
    expect(await got).toEqual([
      [1, 201],
      [1, 201],
      [1, 201],
      [1, 201],
    ]);
    expect(s.stats().fx!.message).toMatch(/not an asset in the assets folder/);
    expect(s.setParameters({ vace_enabled: false }).applied).toEqual({ vace_enabled: false });
    const off = await until(s, 2, (_i, f) => tail(f)[1]);
    expect(off.every((v) => v !== 201)).toBe(true);
  });
});
