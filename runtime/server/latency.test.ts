/**
 * The runtime's own in→out time per frame through the real server, session and engine (the
 * passthrough pipeline in a worker thread), read from `/api/v1/session/metrics`: proves the
 * frame's seq/timestamp survive input → pipeline worker → output so the media peer can match them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOfferPeer, patternFrame, type RuntimeLatency } from '../media';
import { startTestServer, type TestServer } from './test-server';

let ts: TestServer;
let url: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ts = await startTestServer('pb-latency-', {}, ['passthrough']);
  ({ url } = ts);
});
afterAll(async () => {
  await ts.close();
});

interface SessionMetrics {
  webrtc: { session_id: string; framesOut: number; latency: RuntimeLatency }[];
}

it('reports the runtime in→out time per session in /api/v1/session/metrics', async () => {
  const { peer, offerSdp } = await createOfferPeer({ camera: 'sendrecv' }, { log: () => {} });
  try {
    const r = await fetch(`${url}/api/v1/webrtc/offer`, {
      method: 'POST',
      body: JSON.stringify({ sdp: offerSdp, type: 'offer' }),
    });
    const answer = (await r.json()) as { sdp: string; sessionId: string; error?: string };
    expect(r.status, answer.error).toBe(200);
    await peer.acceptAnswer(answer.sdp);
    let received = 0;
    peer.onInputFrame(() => received++);
    const stop = peer.sendFrom(0, 30, (n) => patternFrame(320, 240, n));
    const end = Date.now() + 15_000;
    while (received < 30 && Date.now() < end) await sleep(20);
    stop();
    expect(received).toBeGreaterThanOrEqual(30);

    const metrics = (await (await fetch(`${url}/api/v1/session/metrics`)).json()) as {
      sessions: Record<string, SessionMetrics>;
    };
    const webrtc = Object.values(metrics.sessions).flatMap((s) => s.webrtc);
    const mine = webrtc.find((w) => w.session_id === answer.sessionId);
    expect(mine, JSON.stringify(metrics.sessions)).toBeDefined();
    const l = mine!.latency;
    // Every frame sent back came from a camera frame of this peer, matched by seq + timestamp.
    expect(l.frames).toBeGreaterThanOrEqual(25);
    expect(l.matched).toBe(mine!.framesOut);
    expect(l.unmatchedOut).toBe(0);
    for (const seg of [l.receiveToDecodedMs, l.decodedToOutputMs, l.outputToSentMs, l.inToOutMs]) {
      expect(seg.p50).toBeGreaterThan(0);
      expect(seg.p99).toBeGreaterThanOrEqual(seg.p50!);
    }
    // A worker hop and a 320×240 VP8 decode + encode: milliseconds, not frames, even on a busy machine.
    expect(l.inToOutMs.p50).toBeLessThan(100);
    expect(l.inToOutMs.p50).toBeGreaterThanOrEqual(l.decodedToOutputMs.p50!);
    await fetch(`${url}/api/v1/webrtc/offer/${answer.sessionId}`, { method: 'DELETE' });
  } finally {
    await peer.close();
  }
}, 60_000);
