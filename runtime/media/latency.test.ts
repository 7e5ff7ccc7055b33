import { afterEach, describe, expect, it } from 'vitest';
import { FrameLatencyTracker, SampleWindow } from './latency';
import { MediaPeer, createOfferPeer } from './peer';
import { patternFrame } from './testing/pattern';

const quiet = (): void => undefined;
const open: MediaPeer[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('SampleWindow', () => {
  it('gives nearest-rank percentiles over the last N samples only', () => {
    const w = new SampleWindow(100);
    expect(w.figure()).toEqual({ p50: null, p99: null });
    for (let i = 1; i <= 100; i++) w.push(1000 + i); // pushed out below
    for (let i = 1; i <= 100; i++) w.push(i);
    expect(w.count).toBe(100);
    expect(w.percentile(50)).toBe(50);
    expect(w.percentile(99)).toBe(99);
    expect(w.percentile(100)).toBe(100);
    expect(() => new SampleWindow(0)).toThrow(RangeError);
  });
});

describe('FrameLatencyTracker', () => {
  it('matches outputs to inputs by (seq, timestampMs), once per output, and splits the time', () => {
    const t = new FrameLatencyTracker(10, 4);
    t.noteInput(7, 100.5, 100.5, 101.5); // decode 1 ms
    t.noteOutput(0, 7, 100.5, 104.5, 107.5); // engine 3 ms, encode 3 ms
    t.noteOutput(0, 7, 100.5, 110, 111); // same frame again on the same output: not counted
    t.noteOutput(1, 7, 100.5, 105.5, 106.5); // the same frame on a second output counts
    t.noteOutput(0, 7, 99, 105, 106); // same seq, other input's stamp: no match
    const s = t.snapshot();
    expect(s.matched).toBe(2);
    expect(s.unmatchedOut).toBe(2);
    expect(s.receiveToDecodedMs).toEqual({ p50: 1, p99: 1 });
    expect(s.decodedToOutputMs).toEqual({ p50: 3, p99: 4 });
    expect(s.inToOutMs).toEqual({ p50: 6, p99: 7 });
    // Bounded: the oldest input waiting is evicted.
    for (let i = 0; i < 5; i++) t.noteInput(i, i, i, i);
    t.noteOutput(0, 0, 0, 1, 2);
    expect(t.snapshot().unmatchedOut).toBe(3);
  });
});

describe('MediaPeer runtime latency (werift offerer → MediaPeer echo)', () => {
  it('reports plausible non-zero receive → decoded → output → sent times', async () => {
    const { peer: client, offerSdp } = await createOfferPeer({ camera: 'sendrecv' }, { log: quiet });
    open.push(client);
    const { peer: server, answerSdp } = await MediaPeer.answer(offerSdp, { log: quiet });
    open.push(server);
    await client.acceptAnswer(answerSdp);
    await waitFor(
      () => client.connectionState === 'connected' && server.connectionState === 'connected',
      5000,
      'both peers connected',
    );
    // An "engine" that holds every frame 5 ms before output, as a worker hop would.
    server.onInputFrame((_, frame) => void setTimeout(() => server.sendFrame(0, frame), 5));
    let echoed = 0;
    client.onInputFrame(() => echoed++);
    const stop = client.sendFrom(0, 30, (n) => (n < 45 ? patternFrame(512, 512, n) : null));
    await waitFor(() => echoed >= 40, 8000, '40 echoed frames').catch(() => undefined);
    stop();
    const s = server.stats();
    const l = s.latency;
    expect(l.frames).toBeGreaterThanOrEqual(35);
    expect(l.matched).toBe(s.framesOut);
    expect(l.unmatchedOut).toBe(0);
    // Decoding and encoding 512×512 VP8 take real time, well under a frame interval here.
    expect(l.receiveToDecodedMs.p50).toBeGreaterThan(0);
    expect(l.receiveToDecodedMs.p50).toBeLessThan(30);
    expect(l.outputToSentMs.p50).toBeGreaterThan(0);
    expect(l.outputToSentMs.p50).toBeLessThan(40);
    // The 5 ms hold shows up in the engine segment, not elsewhere.
    expect(l.decodedToOutputMs.p50).toBeGreaterThanOrEqual(4.5);
    expect(l.decodedToOutputMs.p50).toBeLessThan(60);
    const sum = l.receiveToDecodedMs.p50! + l.decodedToOutputMs.p50! + l.outputToSentMs.p50!;
    expect(l.inToOutMs.p50).toBeGreaterThan(sum * 0.5);
    expect(l.inToOutMs.p50).toBeLessThan(sum * 1.5);
    expect(l.inToOutMs.p99).toBeGreaterThanOrEqual(l.inToOutMs.p50!);
    // The client sent generated frames: nothing of its own input to match.
    expect(client.stats().latency.matched).toBe(0);
  }, 20_000);
});
