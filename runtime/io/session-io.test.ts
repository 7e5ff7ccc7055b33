import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeStamp, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { defaultCapabilities } from '../compile';
import { createSession, type EngineSession } from '../session';
import { readClipFrames } from './av/clip-reader';
import { patchFromMediaFile } from './embed';
import { makeClip } from './test-media';

/**
 * The I/O node runtimes inside real sessions (nodes/record, nodes/output on the engine's host):
 * the Record node and the Output's `record` param write WebM/MP4/MOV beside the assets folder; an NDI node without the
 * library shows why and the rest of the patch runs; with the stand-in library, one session's
 * NDI send feeds another session's NDI receive.
 */

const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y: 0 },
});
const edge = (from: string, to: string) => ({
  id: `${from}-${to}`,
  from: { node: from, port: 'video' },
  to: { node: to, port: 'video' },
});
const patch = (nodes: Patch['nodes'], edges: Patch['edges']): Patch => ({
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 't', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
  nodes,
  edges,
});
const cam = () => node('cam', 'camera', { source_mode: 'test_pattern', width: 64, height: 64, fps: 30 });

let tmp = '';
let assets = '';
const sessions: EngineSession[] = [];
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pb-sio-'));
  assets = join(tmp, 'assets');
  mkdirSync(assets);
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.dispose()));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function session(p: Patch, extra: Partial<Parameters<typeof createSession>[0]> = {}): EngineSession {
  const s = createSession({ patch: p, capabilities: defaultCapabilities(), assetsDir: assets, ...extra });
  sessions.push(s);
  return s;
}

async function sinkFramesAfterStart(s: EngineSession, nodeId: string, n: number): Promise<VideoFrame[]> {
  const seen = sinkFrames(s, nodeId, n);
  await s.start();
  return seen;
}

function sinkFrames(s: EngineSession, nodeId: string, n: number): Promise<VideoFrame[]> {
  return new Promise((resolve) => {
    const got: VideoFrame[] = [];
    const off = s.onSinkFrame((id, f) => {
      if (id !== nodeId || got.length >= n) return;
      got.push(f);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

const recordings = (prefix: string, ext = 'webm') =>
  readdirSync(join(tmp, 'recordings'))
    .filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(`.${ext}`))
    .map((f) => join(tmp, 'recordings', f));

describe('I/O nodes in sessions', () => {
  it('a Record node writes what it saw; turning `recording` off finishes the file', async () => {
    const s = session(
      patch(
        [cam(), node('rec', 'record', { filename: 'take' }), node('out', 'output')],
        [edge('cam', 'rec'), edge('cam', 'out')],
      ),
      {
        clockMode: 'fixed',
      },
    );
    const seen = sinkFrames(s, 'rec', 45);
    await s.start();
    const frames = await seen;
    await s.applyChanges([{ op: 'node.params', id: 'rec', params: { recording: false } }]);
    const files = recordings('take');
    expect(files).toHaveLength(1);
    const file = readClipFrames(files[0]!);
    // Frames recorded before the toggle landed: at least the 45 seen, all in order, 30 fps apart.
    expect(file.frames.length).toBeGreaterThanOrEqual(45);
    expect(file.info.fps).toBeCloseTo(30, 3);
    expect(file.info.durationMs).toBeCloseTo((file.frames.length * 1000) / 30, 0);
    file.frames.forEach((f, i) => expect(f.timestampMs).toBeCloseTo((i * 1000) / 30, 0));
    expect(decodeStamp(frames[0]!)?.seq).toBe(0);
    expect(s.stats().rec).toMatchObject({ status: 'idle' });
  });

  for (const [format, codec] of [
    ['mp4', 'h264'],
    ['mov', 'prores'],
  ] as const) {
    it(`a Record node with format ${format} writes ${codec} with the right duration and frame count, carrying its patch`, async () => {
      const p = patch(
        [cam(), node('rec', 'record', { filename: `fmt-${format}`, format }), node('out', 'output')],
        [edge('cam', 'rec'), edge('cam', 'out')],
      );
      const s = session(p, { clockMode: 'fixed' });
      await sinkFramesAfterStart(s, 'rec', 40);
      await s.applyChanges([{ op: 'node.params', id: 'rec', params: { recording: false } }]);
      const files = recordings(`fmt-${format}`, format);
      expect(files).toHaveLength(1);
      const file = readClipFrames(files[0]!);
      expect(file.info.codec).toBe(codec);
      const n = file.frames.length;
      expect(n).toBeGreaterThanOrEqual(40);
      // The file's own duration is its frame count at 30 fps (fixed clock), exactly.
      expect(file.info.durationMs).toBeCloseTo((n * 1000) / 30, 0);
      const seqs = file.frames.map((f) => decodeStamp(f)?.seq ?? -1);
      for (let i = 1; i < n; i++) expect(seqs[i]).toBe(seqs[0]! + i);
      const embedded = JSON.parse(patchFromMediaFile(files[0]!)!);
      expect(embedded.nodes.map((x: { id: string }) => x.id)).toEqual(['cam', 'rec', 'out']);
      expect(embedded.nodes[1].params).toMatchObject({ format });
    });
  }

  it('Camera video_file plays an H.264 MP4 from assets; a corrupt clip beside it errors naming the file and FFmpeg, and the rest runs', async () => {
    makeClip(join(assets, 'loop.mp4'), {
      container: 'mp4',
      codec: 'h264',
      seconds: 1,
      width: 64,
      height: 64,
      fps: 10,
    });
    writeFileSync(join(assets, 'broken.mov'), Buffer.alloc(4096, 7));
    const p = patch(
      [
        node('cam', 'camera', { source_mode: 'video_file', video_file: 'loop.mp4' }),
        node('bad', 'camera', { source_mode: 'video_file', video_file: 'broken.mov' }),
        node('out', 'output'),
        node('out2', 'output'),
      ],
      [edge('cam', 'out'), edge('bad', 'out2')],
    );
    const s = session(p, { clockMode: 'fixed' });
    const seen = sinkFrames(s, 'out', 15);
    await s.start();
    const frames = await seen;
    // 10 frames a second, looping after the tenth.
    expect(frames.map((f) => decodeStamp(f)?.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
    expect(s.stats().cam).toMatchObject({
      status: 'running',
      message: expect.stringMatching(/h264 64×64 @ 10 fps/),
    });
    expect(s.stats().bad).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/broken\.mov: FFmpeg could not open it: Invalid data found/),
    });
  });

  it('Camera video_file: `position` and `speed` say where and how fast the file plays, live; a link out of the assets folder is refused', async () => {
    makeClip(join(assets, 'count.webm'), {
      container: 'webm',
      codec: 'vp8',
      seconds: 2,
      width: 64,
      height: 64,
      fps: 10,
    });
    copyFileSync(join(assets, 'count.webm'), join(tmp, 'outside.webm'));
    symlinkSync(join(tmp, 'outside.webm'), join(assets, 'away.webm'));
    const p = patch(
      [
        node('cam', 'camera', { source_mode: 'video_file', video_file: 'count.webm', position: 1 }),
        node('away', 'camera', { source_mode: 'video_file', video_file: 'away.webm' }),
        node('out', 'output'),
        node('out2', 'output'),
      ],
      [edge('cam', 'out'), edge('away', 'out2')],
    );
    const s = session(p, { clockMode: 'fixed' });
    const got: VideoFrame[] = [];
    let seekAt = -1;
    const seq = (f: VideoFrame) => decodeStamp(f)?.seq ?? -1;
    let ready: () => void = () => {};
    let want: (() => boolean) | null = null;
    s.onSinkFrame((id, f) => {
      if (id !== 'out' || got.length > 400) return;
      got.push(f);
      if (want?.()) ready();
    });
    const until = (cond: () => boolean) =>
      new Promise<void>((resolve) => {
        want = cond;
        ready = resolve;
      });
    const started = until(() => got.length >= 3);
    await s.start();
    await started;
    // Starts 1 s in: frame 10 of the 10 fps clip, then 100 ms a frame.
    expect(got.slice(0, 3).map(seq)).toEqual([10, 11, 12]);
    expect(got[1]!.timestampMs - got[0]!.timestampMs).toBeCloseTo(100, 3);
    const seeked = until(() => {
      seekAt = got.findIndex((f, i) => i > 0 && seq(f) === 5 && seq(got[i - 1]!) !== 4);
      return seekAt > 0 && got.length >= seekAt + 3;
    });
    await s.applyChanges([{ op: 'node.params', id: 'cam', params: { position: 0.5, speed: 2 } }]);
    await seeked;
    // The seek lands on frame 5 (0.5 s) and plays on from there at 2×: 50 ms a frame.
    const after = got.slice(seekAt, seekAt + 3);
    expect(after.map(seq)).toEqual([5, 6, 7]);
    expect(after[1]!.timestampMs - after[0]!.timestampMs).toBeCloseTo(50, 3);
    expect(after[2]!.timestampMs - after[1]!.timestampMs).toBeCloseTo(50, 3);
    expect(s.stats().away).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/away\.webm.*links outside the assets folder/),
    });
  });

  it("the Output's record param records while on, named after the output", async () => {
    const s = session(
      patch([cam(), node('out', 'output', { name: 'main', record: true })], [edge('cam', 'out')]),
      { clockMode: 'fixed' },
    );
    const seen = sinkFrames(s, 'out', 30);
    await s.start();
    await seen;
    expect(s.stats().out!.message).toMatch(/recording to .*main-.*\.webm/);
    await s.stop();
    const files = recordings('main');
    expect(files).toHaveLength(1);
    expect(readClipFrames(files[0]!).frames.length).toBeGreaterThanOrEqual(30);
  });

  it('without the NDI runtime: the NDI node says why with the install hint, the Output sink too, and the rest runs', async () => {
    const s = session(
      patch(
        [
          cam(),
          node('out', 'output', {
            sinks: { ndi: { enabled: true, name: 'X' }, spout: { enabled: true, name: 'Y' } },
          }),
          node('ndi', 'ndi', { direction: 'send', name: 'X' }),
        ],
        [edge('cam', 'out'), edge('cam', 'ndi')],
      ),
    );
    const errors: string[] = [];
    s.on('node.error', (e) => errors.push(`${e.node}: ${e.message}`));
    const seen = sinkFrames(s, 'out', 5);
    await s.start();
    await seen;
    const stats = s.stats();
    expect(stats.ndi!.status === 'disabled' || stats.ndi!.status === 'error').toBe(true);
    expect(stats.ndi!.message).toMatch(/NDI/);
    await new Promise((r) => setTimeout(r, 50));
    const out = s.stats().out!;
    expect(out.message).toMatch(/Spout sink: Spout exists on Windows only/);
    if (process.platform !== 'win32') expect(errors.join('\n')).toMatch(/Spout exists on Windows only/);
  });
});

const here = dirname(fileURLToPath(import.meta.url));
function compiler(): string | null {
  for (const cc of ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      /* next */
    }
  }
  return null;
}
const cc = compiler();
if (!cc) console.warn('NDI session test skipped: no C compiler for the stand-in library');

describe.skipIf(!cc)('NDI between two sessions (stand-in library)', () => {
  it("one session's NDI send feeds another session's NDI receive", async () => {
    const dir = join(tmp, 'ndi');
    mkdirSync(dir);
    execFileSync(cc!, [
      '-shared',
      '-fPIC',
      '-O1',
      '-pthread',
      '-o',
      join(dir, 'libndi.so.6'),
      join(here, 'ndi/test/fake-ndi.c'),
    ]);
    const before = process.env.NDI_RUNTIME_DIR_V6;
    process.env.NDI_RUNTIME_DIR_V6 = dir;
    try {
      const caps = defaultCapabilities({ ndi: true });
      const sender = session(
        patch(
          [cam(), node('tx', 'ndi', { direction: 'send', name: 'Stage' }), node('out', 'output')],
          [edge('cam', 'tx'), edge('cam', 'out')],
        ),
        { capabilities: caps },
      );
      const receiver = session(
        patch(
          [node('rx', 'ndi', { direction: 'receive', name: 'Stage' }), node('out', 'output')],
          [edge('rx', 'out')],
        ),
        {
          capabilities: caps,
        },
      );
      await sender.start();
      const got = sinkFrames(receiver, 'out', 10);
      await receiver.start();
      const frames = await got;
      const seqs = frames.map((f) => decodeStamp(f)?.seq ?? -1);
      expect(seqs.every((v) => v >= 0)).toBe(true);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(frames[0]).toMatchObject({ width: 64, height: 64 });
      expect(receiver.stats().rx!.status).toBe('running');
      expect(sender.stats().tx!.status).toBe('running');
    } finally {
      if (before === undefined) delete process.env.NDI_RUNTIME_DIR_V6;
      else process.env.NDI_RUNTIME_DIR_V6 = before;
    }
  });
});
