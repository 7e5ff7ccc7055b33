/**
 * The editor's protocol end to end with the real session engine: token-gated WebSocket,
 * patch.load → session.start → state/stats, then WebRTC attached with
 * `initialParameters.patchbay_session`; closing the socket ends the session and its peer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfferPeer } from '../media';
import type { RuntimeServerMessage } from '../protocol';
import type { PatchbayServer } from './server';
import { startTestServer, type TestServer } from './test-server';

let ts: TestServer;
let server: PatchbayServer;
let url: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const patch = JSON.parse(
  readFileSync(join(__dirname, '../../patches/examples/test-pattern-gray.patch'), 'utf8'),
) as unknown;

beforeAll(async () => {
  ts = await startTestServer('pb-ws-');
  ({ server, url } = ts);
});
afterAll(async () => {
  await ts.close();
});

function open(
  query: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; msgs: RuntimeServerMessage[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/runtime${query}`, { headers });
    const msgs: RuntimeServerMessage[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d)) as RuntimeServerMessage));
    ws.once('open', () => resolve({ ws, msgs }));
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

async function waitMsg(
  msgs: RuntimeServerMessage[],
  pred: (m: RuntimeServerMessage) => boolean,
  ms = 10_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const m = msgs.find(pred);
    if (m) return m;
    if (Date.now() > end)
      throw new Error(`no matching message in ${JSON.stringify(msgs.map((x) => x.type))}`);
    await sleep(20);
  }
}

describe('/api/v1/runtime', () => {
  it('refuses a missing or wrong token and a foreign Origin', async () => {
    await expect(open('')).rejects.toThrow('HTTP 401');
    await expect(open('?token=wrong')).rejects.toThrow('HTTP 401');
    await expect(open(`?token=${server.token}`, { origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
  });

  it('runs the editor session and attaches WebRTC to it; closing the socket ends both', async () => {
    const { ws, msgs } = await open(`?token=${server.token}`, { origin: 'http://127.0.0.1:5173' });
    const hello = (await waitMsg(msgs, (m) => m.type === 'hello')) as Extract<
      RuntimeServerMessage,
      { type: 'hello' }
    >;

    ws.send('not json');
    await waitMsg(msgs, (m) => m.type === 'ack' && !m.ok && /JSON/.test(m.error ?? ''));
    ws.send(JSON.stringify({ type: 'bogus', requestId: 'b' }));
    await waitMsg(msgs, (m) => m.type === 'ack' && m.requestId === 'b' && !m.ok);
    ws.send(
      JSON.stringify({
        type: 'patch.change',
        changes: [{ op: 'node.params', id: 'gray', params: {} }],
        requestId: 'early',
      }),
    );
    await waitMsg(msgs, (m) => m.type === 'ack' && m.requestId === 'early' && !m.ok);

    ws.send(JSON.stringify({ type: 'patch.load', patch, requestId: 'load' }));
    await waitMsg(msgs, (m) => m.type === 'ack' && m.requestId === 'load' && m.ok);
    ws.send(JSON.stringify({ type: 'session.start', requestId: 'start' }));
    await waitMsg(msgs, (m) => m.type === 'ack' && m.requestId === 'start' && m.ok);
    await waitMsg(msgs, (m) => m.type === 'state' && m.state === 'running');

    const { peer, offerSdp } = await createOfferPeer({ camera: 'recvonly' }, { log: () => {} });
    const r = await fetch(`${url}/api/v1/webrtc/offer`, {
      method: 'POST',
      body: JSON.stringify({
        sdp: offerSdp,
        type: 'offer',
        initialParameters: { patchbay_session: hello.sessionId },
      }),
    });
    const answer = (await r.json()) as { sdp: string; sessionId: string };
    expect(r.status).toBe(200);
    await peer.acceptAnswer(answer.sdp);
    let frames = 0;
    peer.onInputFrame(() => frames++);
    const end = Date.now() + 10_000;
    while (frames < 10 && Date.now() < end) await sleep(20);
    expect(frames).toBeGreaterThanOrEqual(10);

    // A live edit while running: acked with the revision it made and the base it was made on.
    const base = server.sessions.runtime(hello.sessionId)!.session.revision();
    ws.send(
      JSON.stringify({
        type: 'patch.change',
        changes: [{ op: 'node.params', id: 'gray', params: { strength: 0.9 } }],
        revision: base,
        requestId: 'edit',
      }),
    );
    expect(await waitMsg(msgs, (m) => m.type === 'ack' && m.requestId === 'edit')).toEqual({
      type: 'ack',
      requestId: 'edit',
      ok: true,
      revision: base + 1,
      baseRevision: base,
      live: true,
    });
    await waitMsg(msgs, (m) => m.type === 'stats', 5000);

    // A change that does not fit: refused with its reason and node, the revision unchanged.
    ws.send(
      JSON.stringify({
        type: 'patch.change',
        changes: [{ op: 'node.params', id: 'ghost', params: { strength: 1 } }, { op: 'bogus' }],
        revision: base + 1,
        requestId: 'bad',
      }),
    );
    const bad = await waitMsg(msgs, (m) => m.type === 'ack' && m.requestId === 'bad');
    expect(bad).toMatchObject({
      ok: false,
      revision: base + 1,
      baseRevision: base + 1,
      refused: [
        { index: 0, op: 'node.params', reason: 'no node "ghost"', node: 'ghost' },
        { index: 1, op: 'bogus', reason: 'unknown op "bogus"' },
      ],
    });
    expect((bad as { error?: string }).error).toMatch(/no node "ghost"/);

    // Scope's data channel on the same session changes the patch; the editor is told.
    peer.sendData({ strength: 0.25 });
    const followed = await waitMsg(msgs, (m) => m.type === 'patch.changes');
    expect(followed).toEqual({
      type: 'patch.changes',
      changes: [{ op: 'node.params', id: 'gray', params: { strength: 0.25 } }],
      revision: base + 2,
      origin: 'parameters',
    });
    const gray = server.sessions
      .runtime(hello.sessionId)!
      .session.patch()
      .nodes.find((n) => n.id === 'gray');
    expect(gray!.params.strength).toBe(0.25);

    // Closing the peer keeps the editor session.
    expect((await fetch(`${url}/api/v1/webrtc/offer/${answer.sessionId}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    await peer.close();
    expect(server.sessions.metrics()).toMatchObject({ sessions: 1, peers: 0 });

    ws.close();
    const stop = Date.now() + 5000;
    while (server.sessions.metrics().sessions > 0 && Date.now() < stop) await sleep(20);
    expect(server.sessions.metrics()).toMatchObject({ sessions: 0, peers: 0 });
  }, 40_000);

  it('an offer naming an unknown editor session is 404', async () => {
    const { offerSdp, peer } = await createOfferPeer({ camera: 'recvonly' }, { log: () => {} });
    const r = await fetch(`${url}/api/v1/webrtc/offer`, {
      method: 'POST',
      body: JSON.stringify({ sdp: offerSdp, type: 'offer', initialParameters: { patchbay_session: 'nope' } }),
    });
    expect(r.status).toBe(404);
    await peer.close();
  });
});
