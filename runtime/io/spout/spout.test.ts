import { describe, expect, it } from 'vitest';
import { decodeStamp, testPatternFrame, type VideoFrame } from '../../../nodes';
import { SPOUT_INSTALL_HINT } from '../../host';
import { ManualClock } from '../../clock';
import { i420ToPacked } from '../convert';
import { IoUnavailableError } from '../types';
import { GL_RGBA, loadSpout, SpoutSink, SpoutSource, type SpoutApi } from './spout';

/**
 * A fake SPOUTLIBRARY with Spout's receive protocol: the first ReceiveImage after a sender
 * appears (or changes size) reports IsUpdated and copies nothing; later ones copy the pixels
 * and report IsFrameNew once per new frame. One shared "GPU" between senders and receivers.
 */
function fakeSpout() {
  const senders = new Map<string, { w: number; h: number; px: Uint8Array; frame: number }>();
  const calls: string[] = [];
  let live = 0;
  const make = (): SpoutApi => {
    let gl = false;
    let senderName = '';
    let receiverName = '';
    let seenSize = '';
    let seenFrame = -1;
    let updated = false;
    let fresh = false;
    live++;
    return {
      createOpenGL: () => ((gl = true), calls.push('createOpenGL'), true),
      closeOpenGL: () => ((gl = false), calls.push('closeOpenGL'), true),
      setSenderName: (n) => void (senderName = n),
      sendImage(px, w, h, fmt, invert) {
        if (!gl) throw new Error('no OpenGL context');
        calls.push(`send ${w}x${h} ${fmt.toString(16)} ${invert}`);
        const s = senders.get(senderName);
        senders.set(senderName, { w, h, px: px.slice(), frame: (s?.frame ?? 0) + 1 });
        return true;
      },
      releaseSender: () => void senders.delete(senderName),
      setReceiverName: (n) => void (receiverName = n),
      receiveImage(px, fmt) {
        if (!gl) throw new Error('no OpenGL context');
        if (fmt !== GL_RGBA) throw new Error('unexpected format');
        const s = senders.get(receiverName);
        updated = false;
        fresh = false;
        if (!s) return false;
        if (seenSize !== `${s.w}x${s.h}`) {
          seenSize = `${s.w}x${s.h}`;
          updated = true;
          return true;
        }
        if (px.length < s.w * s.h * 4) throw new Error('buffer too small');
        if (s.frame !== seenFrame) {
          px.set(s.px);
          seenFrame = s.frame;
          fresh = true;
        }
        return true;
      },
      isUpdated: () => updated,
      isConnected: () => senders.has(receiverName),
      isFrameNew: () => fresh,
      getSenderWidth: () => senders.get(receiverName)?.w ?? 0,
      getSenderHeight: () => senders.get(receiverName)?.h ?? 0,
      releaseReceiver: () => calls.push('releaseReceiver'),
      release: () => void live--,
    };
  };
  return { make, calls, live: () => live, senders };
}

describe('Spout', () => {
  it('elsewhere than Windows: unavailable with the reason and the install hint', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      let error: unknown;
      try {
        loadSpout({ platform });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IoUnavailableError);
      expect((error as Error).message).toBe(`Spout exists on Windows only (this is ${platform})`);
      expect((error as IoUnavailableError).installHint).toBe(SPOUT_INSTALL_HINT);
    }
    expect(() => new SpoutSink({ name: 'x', load: { platform: 'linux' } })).toThrow(/Windows only/);
  });

  it('a sink sends RGBA through SendImage; a source receives it back as I420 with the stamps', async () => {
    const fake = fakeSpout();
    const clock = new ManualClock(0);
    const sink = new SpoutSink({ name: 'Patchbay', factory: fake.make });
    const source = new SpoutSource({ name: 'Patchbay', clock, pollFps: 100, factory: fake.make });
    const got: VideoFrame[] = [];
    source.start((f) => got.push(f));
    expect(source.status().state).toBe('waiting');
    for (let i = 0; i < 5; i++) {
      expect(sink.send(testPatternFrame(64, 48, i, i * 33))).toBe(true);
      clock.advance(10); // the first poll after a new sender only learns its size
      clock.advance(10);
    }
    expect(fake.calls).toContain(`send 64x48 ${GL_RGBA.toString(16)} false`);
    expect(got.map((f) => decodeStamp(f)?.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(got[0]).toMatchObject({ width: 64, height: 48, timestampMs: 20 });
    expect(source.status().state).toBe('running');
    // The same frame is not delivered twice.
    clock.advance(50);
    expect(got).toHaveLength(5);
    // A new size is picked up.
    sink.send(testPatternFrame(64, 64, 9, 0));
    clock.advance(20);
    expect(got.at(-1)).toMatchObject({ width: 64, height: 64 });
    expect(decodeStamp(got.at(-1)!)?.seq).toBe(9);
    await sink.close();
    clock.advance(20);
    expect(source.status()).toMatchObject({ state: 'waiting', message: expect.stringContaining('closed') });
    await source.stop();
    expect(fake.live()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(fake.calls.filter((c) => c === 'closeOpenGL')).toHaveLength(2);
  });

  it('a failing library call becomes an error status, not a crash', () => {
    const fake = fakeSpout();
    const api = fake.make();
    const broken: SpoutApi = {
      ...api,
      sendImage: () => {
        throw new Error('device lost');
      },
    };
    const sink = new SpoutSink({ name: 'x', factory: () => broken });
    expect(sink.send(testPatternFrame(16, 16, 0, 0))).toBe(false);
    expect(sink.status()).toMatchObject({ state: 'error', message: 'Spout send failed: device lost' });
    expect(sink.counters().errors).toBe(1);
    // RGBA conversion the sink uses matches the shared helper
    expect(i420ToPacked(testPatternFrame(16, 16, 0, 0), 'rgba').length).toBe(16 * 16 * 4);
  });
});
