import { describe, expect, it } from 'vitest';
import type { CompileError, FrameHash } from '../../../runtime/protocol';
import { pixelStats } from './pixels';
import { isPatchUrl, playerQuery } from './player';
import {
  applyServerMessage,
  initialPlayerState,
  timelineTime,
  unavailableNodes,
  type PlayerState,
} from './state';

const fold = (state: PlayerState, msgs: Parameters<typeof applyServerMessage>[1][], hashes?: FrameHash[]) =>
  msgs.reduce((s, m) => applyServerMessage(s, m, (_n, h) => hashes?.push(h)), state);

describe('player query', () => {
  it('reads the patch and the clock', () => {
    expect(playerQuery('?patch=effects')).toEqual({ patch: 'effects', clock: 'real' });
    expect(playerQuery('?patch=https%3A%2F%2Fx.example%2Fa.patch&clock=fixed')).toEqual({
      patch: 'https://x.example/a.patch',
      clock: 'fixed',
    });
  });
  it('says what is wrong', () => {
    expect(playerQuery('')).toEqual({ error: expect.stringContaining('name a patch') });
    expect(playerQuery('?patch=a&clock=slow')).toEqual({
      error: expect.stringContaining('"real" or "fixed"'),
    });
  });
  it('tells URLs from names', () => {
    expect(isPatchUrl('effects')).toBe(false);
    expect(isPatchUrl('my set.v2')).toBe(false);
    expect(isPatchUrl('http://127.0.0.1:9/a.patch')).toBe(true);
    expect(isPatchUrl('/files/a.patch')).toBe(true);
  });
});

describe('player state from runtime messages', () => {
  it('follows the session, stats, errors and produced frames', () => {
    const hashes: FrameHash[] = [];
    const s = fold(
      initialPlayerState('effects', 'fixed'),
      [
        { type: 'hello', version: '0.1.0', sessionId: 'abc' },
        { type: 'state', state: 'running', revision: 1 },
        { type: 'frame', node: 'out', t: 0, seq: 0, hash: 'h0' },
        { type: 'frame', node: 'out', t: 33.3, seq: 1, hash: 'h1' },
        { type: 'node.error', node: 'fx', message: 'model crashed', recoverable: true },
        {
          type: 'stats',
          t: 1000,
          nodes: {
            fx: {
              status: 'running',
              fps_in: 30,
              fps_out: 30,
              ms_p50: 1,
              ms_p99: 2,
              queue_depth: 0,
              drops: 0,
              frames_in: 30,
              frames_out: 30,
            },
          },
        },
      ],
      hashes,
    );
    expect(s.sessionId).toBe('abc');
    expect(s.session).toBe('running');
    expect(s.framesProduced).toEqual({ out: 2 });
    expect(s.clockMs).toBe(33.3);
    expect(hashes.map((h) => h.hash)).toEqual(['h0', 'h1']);
    expect(s.errors).toEqual([{ node: 'fx', message: 'model crashed', recoverable: true }]);
    expect(s.nodes.fx!.frames_out).toBe(30);
  });

  it('a session error or fatal diagnostics end in status error with the reason', () => {
    const e1 = fold(initialPlayerState('x', 'real'), [
      { type: 'state', state: 'error', error: 'boom', revision: 0 },
    ]);
    expect(e1).toMatchObject({ status: 'error', error: 'boom' });
    const fatal: CompileError = { code: 'NO_OUTPUT', fatal: true, message: 'no Output node' };
    const e2 = fold(initialPlayerState('x', 'real'), [{ type: 'diagnostics', errors: [fatal], revision: 0 }]);
    expect(e2.status).toBe('error');
    expect(e2.error).toContain('no Output node');
  });

  it('names nodes a missing capability disables', () => {
    const d: CompileError[] = [
      {
        code: 'MISSING_CAPABILITY',
        fatal: false,
        node: 'ndi',
        message: 'NDI is not installed',
        hint: 'install it',
      },
      { code: 'DISABLED_UPSTREAM', fatal: false, node: 'out', message: 'upstream disabled' },
    ];
    expect(unavailableNodes(d)).toEqual([{ node: 'ndi', reason: 'NDI is not installed (install it)' }]);
  });

  it('timeline time runs on with the runtime clock while playing', () => {
    let s = fold(initialPlayerState('x', 'fixed'), [
      { type: 'frame', node: 'o', t: 1000, seq: 30, hash: 'a' },
      { type: 'timeline', node: 'tl', time: 1, playing: true, entry: 0 },
      { type: 'frame', node: 'o', t: 2500, seq: 75, hash: 'b' },
    ]);
    expect(timelineTime(s)).toBeCloseTo(2.5);
    s = fold(s, [{ type: 'timeline', node: 'tl', time: 2.5, playing: false, entry: 0 }]);
    s = fold(s, [{ type: 'frame', node: 'o', t: 4000, seq: 120, hash: 'c' }]);
    expect(timelineTime(s)).toBe(2.5);
    expect(timelineTime(initialPlayerState('x', 'real'))).toBeNull();
  });
});

describe('pixel statistics', () => {
  it('measures a flat and a split frame', () => {
    const gray = new Uint8Array(4 * 4 * 4).fill(128);
    expect(pixelStats(gray, 4, 4)).toMatchObject({
      luma: 128,
      lumaStd: 0,
      black: false,
      mean: [128, 128, 128],
    });
    const split = new Uint8Array(2 * 1 * 4);
    split.set([255, 255, 255, 255], 4);
    const st = pixelStats(split, 2, 1);
    expect(st.luma).toBeCloseTo(127.5, 1);
    expect(st.lumaStd).toBeCloseTo(127.5, 1);
    expect(st.lumaMin).toBe(0);
    expect(st.lumaMax).toBe(255);
    expect(pixelStats(new Uint8Array(16), 2, 2).black).toBe(true);
  });
  it('refuses a buffer that is not the stated size', () => {
    expect(() => pixelStats(new Uint8Array(3), 2, 2)).toThrow(/not 2x2 RGBA/);
  });
});
