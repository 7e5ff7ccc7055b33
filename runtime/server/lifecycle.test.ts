/**
 * Lifecycle events for a plain (non-relay) WebRTC session, as SCOPE-COMPAT "Lifecycle events"
 * lists them, read back from the events folder: session_created {mode: local}, stream_started,
 * playback_ready {ttff_ms}, stream_heartbeat, stream_stopped, session_closed — one
 * connection_id — and an `error` event for an offer that cannot start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StreamTraceEvent } from '../events';
import { createOfferPeer, patternFrame } from '../media';
import { startTestServer, type TestServer } from './test-server';

let ts: TestServer;
let dir: string;
let url: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ts = await startTestServer('pb-lifecycle-', { eventHeartbeatMs: 300 });
  ({ url, dir } = ts);
});
afterAll(async () => {
  await ts.close();
});

function events(): StreamTraceEvent[] {
  const folder = join(dir, 'events');
  return readdirSync(folder)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(folder, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StreamTraceEvent),
    );
}

it('a WebRTC session writes its lifecycle to the events folder, in order, under one id', async () => {
  await fetch(`${url}/api/v1/pipeline/load`, {
    method: 'POST',
    body: JSON.stringify({ pipeline_ids: ['gray'] }),
  });
  for (let i = 0; i < 200; i++) {
    if (
      ((await (await fetch(`${url}/api/v1/pipeline/status`)).json()) as { status: string }).status ===
      'loaded'
    )
      break;
    await sleep(20);
  }
  const { peer, offerSdp } = await createOfferPeer({ camera: 'sendrecv' }, { log: () => {} });
  const r = await fetch(`${url}/api/v1/webrtc/offer`, {
    method: 'POST',
    body: JSON.stringify({ sdp: offerSdp, type: 'offer' }),
  });
  const answer = (await r.json()) as { sdp: string; sessionId: string };
  await peer.acceptAnswer(answer.sdp);
  let received = 0;
  peer.onInputFrame(() => received++);
  const stop = peer.sendFrom(0, 30, (n) => patternFrame(160, 120, n));
  for (let i = 0; i < 300 && received < 5; i++) await sleep(20);
  expect(received).toBeGreaterThanOrEqual(5);
  await sleep(700); // two heartbeats at 300 ms
  stop();
  expect((await fetch(`${url}/api/v1/webrtc/offer/${answer.sessionId}`, { method: 'DELETE' })).status).toBe(
    204,
  );
  await peer.close();

  const mine = events().filter((e) => e.data.session_id === answer.sessionId);
  const types = mine.map((e) => e.data.type);
  expect(types.slice(0, 3)).toEqual(['session_created', 'stream_started', 'playback_ready']);
  expect(types.slice(-2)).toEqual(['stream_stopped', 'session_closed']);
  const beats = mine.filter((e) => e.data.type === 'stream_heartbeat');
  expect(beats.length).toBeGreaterThanOrEqual(2);
  expect(beats.at(-1)!.data.frames_out).toBeGreaterThan(0);
  for (const e of mine) {
    expect(e.type).toBe('stream_trace');
    expect(e.data).toMatchObject({
      client_source: 'local',
      connection_id: answer.sessionId,
      pipeline_ids: ['gray'],
    });
  }
  expect(mine[0]!.data.mode).toBe('local');
  const ttff = mine.find((e) => e.data.type === 'playback_ready')!.data.ttff_ms as number;
  expect(ttff).toBeGreaterThan(0);
  expect(ttff).toBeLessThan(10_000);
  expect(mine.find((e) => e.data.type === 'session_closed')!.data.reason).toMatch(/DELETE/);
}, 30_000);

it('an offer whose session cannot start is an error event', async () => {
  const { peer, offerSdp } = await createOfferPeer({ camera: 'sendrecv' }, { log: () => {} });
  const patch = {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: 'x', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
    nodes: [
      { id: 'p', type: 'pipeline', version: 1, params: { pipeline_id: 'gray' }, position: { x: 0, y: 0 } },
    ],
    edges: [],
  };
  const before = events().length;
  const r = await fetch(`${url}/api/v1/webrtc/offer`, {
    method: 'POST',
    body: JSON.stringify({ sdp: offerSdp, type: 'offer', initialParameters: { patch } }),
  });
  await peer.close();
  if (r.status === 200) return expect.fail('a patch without an output should not start');
  const added = events().slice(before);
  expect(added).toHaveLength(1);
  expect(added[0]!.data).toMatchObject({
    type: 'error',
    client_source: 'local',
    error: { error_type: 'webrtc_offer_failed', recoverable: true },
  });
  expect(added[0]!.data.error!.message).toContain('the session could not start');
});
