import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { i420Planes, type VideoFrame } from '../../nodes';
import { createOfferPeer, patternFrame, type MediaPeer } from '../media';
import { createServer, patchFromPipelines, type PatchbayServer } from '../server';
import { mediaPeerFactory } from '../server/media';
import { createSession } from '../session';
import { enableCloudMode } from './cloud-server';
import type { CloudStatus } from './client';

/**
 * Two runtimes in one process: a local one (whose hub serves remote Pipeline nodes) and a
 * `--cloud` one. A werift client stands in for the browser: colour frames go up, the remote
 * node's frames come back gray, and the status and both event logs account for it.
 */

const TOKEN = 'relay-test-token-0123456789abcdefghij';
let local: PatchbayServer;
let cloud: PatchbayServer;
let localUrl: string;
let cloudUrl: string;
let localDir: string;
let cloudDir: string;
let client: MediaPeer | null = null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Mean distance of the chroma planes from neutral (0 for a gray frame). */
function chromaDistance(f: VideoFrame): number {
  const p = i420Planes(f.width, f.height);
  let sum = 0;
  for (let i = p.u; i < p.v + p.chroma; i++) sum += Math.abs(f.data[i]! - 128);
  return sum / (2 * p.chroma);
}

const status = async (): Promise<CloudStatus> =>
  (await (await fetch(`${localUrl}/api/v1/cloud/status`)).json()) as CloudStatus;

beforeAll(async () => {
  localDir = mkdtempSync(join(tmpdir(), 'pb-relay-local-'));
  cloudDir = mkdtempSync(join(tmpdir(), 'pb-relay-cloud-'));
  const log = () => {};
  // The local server first: it installs the process's remote hub.
  local = createServer({
    port: 0,
    dataDir: localDir,
    createSession: (o) => createSession(o),
    createPeer: mediaPeerFactory(),
    log,
  });
  cloud = createServer({
    port: 0,
    dataDir: cloudDir,
    createSession: (o) => createSession(o),
    createPeer: mediaPeerFactory(),
    log,
  });
  const { JsonLinesFileSink } = await import('../events');
  enableCloudMode(cloud, { token: TOKEN, sinks: [new JsonLinesFileSink(join(cloudDir, 'events'))] });
  localUrl = await local.listen();
  cloudUrl = await cloud.listen();
});

afterAll(async () => {
  await client?.close();
  await local?.close();
  await cloud?.close();
});

describe('relay between two runtimes', () => {
  it('refuses to connect without a url or token, and reports a wrong token', async () => {
    const none = await fetch(`${localUrl}/api/v1/cloud/connect`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(400);
    const wrong = await fetch(`${localUrl}/api/v1/cloud/connect`, {
      method: 'POST',
      body: JSON.stringify({ url: cloudUrl, api_key: 'not-the-token' }),
    });
    expect(wrong.status).toBe(200);
    const s = await until(
      async () => ((await status()).last_close_code === 4403 ? status() : null),
      5000,
      'refusal',
    );
    expect(s.connected).toBe(false);
    expect(s.error).toMatch(/refused the token/);
  });

  it('streams camera → local → cloud gray → local → client, counting both ways', async () => {
    const res = await fetch(`${localUrl}/api/v1/cloud/connect`, {
      method: 'POST',
      body: JSON.stringify({ url: cloudUrl, api_key: TOKEN }),
    });
    expect(res.status).toBe(200);
    await until(async () => (await status()).connected, 5000, 'the relay to connect');

    const patch = patchFromPipelines({
      pipelineIds: ['gray'],
      inputMode: 'video',
      loadParams: { backend: 'remote' },
    });
    const offered = await createOfferPeer({ camera: 'sendrecv' });
    client = offered.peer;
    const received: VideoFrame[] = [];
    client.onInputFrame((_i, f) => received.push(f));
    const answer = await fetch(`${localUrl}/api/v1/webrtc/offer`, {
      method: 'POST',
      body: JSON.stringify({ sdp: offered.offerSdp, type: 'offer', initialParameters: { patch } }),
    });
    expect(answer.status).toBe(200);
    const { sdp } = (await answer.json()) as { sdp: string };
    await client.acceptAnswer(sdp);
    const stop = client.sendFrom(0, 30, (n) => patternFrame(320, 240, n));
    try {
      await until(() => received.length > 5 && chromaDistance(received.at(-1)!) < 3, 20_000, 'gray frames');
      const s = await until(
        async () => {
          const st = await status();
          return st.stats.frames_sent_to_cloud > 20 && st.stats.frames_received_from_cloud > 20 ? st : null;
        },
        10_000,
        'frames counted both ways',
      );
      expect(s.webrtc_connected).toBe(true);
      expect(s.connection_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(chromaDistance(patternFrame(320, 240, 1))).toBeGreaterThan(10);

      const proxied = await fetch(`${localUrl}/api/v1/cloud/api`, {
        method: 'POST',
        body: JSON.stringify({ method: 'GET', path: '/api/v1/pipelines/schemas' }),
      });
      expect(proxied.status).toBe(200);
      expect(Object.keys(((await proxied.json()) as { pipelines: object }).pipelines)).toContain('gray');
    } finally {
      stop();
    }
    await fetch(`${localUrl}/api/v1/cloud/disconnect`, { method: 'POST' });
    const connectionId = (await status()).connection_id;
    const read = (dir: string) =>
      readdirSync(join(dir, 'events')).flatMap((f) =>
        readFileSync(join(dir, 'events', f), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { data: { type: string; connection_id: string } }),
      );
    const localTypes = await until(
      () => {
        const t = read(localDir)
          .filter((e) => e.data.connection_id === connectionId)
          .map((e) => e.data.type);
        return t.includes('websocket_disconnected') ? t : null;
      },
      5000,
      'local events',
    );
    const cloudTypes = await until(
      () => {
        const t = read(cloudDir)
          .filter((e) => e.data.connection_id === connectionId)
          .map((e) => e.data.type);
        return t.includes('websocket_disconnected') ? t : null;
      },
      5000,
      'cloud events',
    );
    for (const types of [localTypes, cloudTypes]) {
      const order = [
        'websocket_connected',
        'pipeline_load_start',
        'pipeline_loaded',
        'session_created',
        'stream_started',
        'playback_ready',
        'websocket_disconnected',
      ];
      const idx = order.map((t) => types.indexOf(t));
      expect(
        idx.every((i) => i >= 0),
        `${types.join(',')}`,
      ).toBe(true);
      expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    }
  }, 60_000);

  it('drives a Scope-compatible server at remote_url (Patchbay in plain mode): load, offer, stream gray', async () => {
    // The local runtime's own plain HTTP API stands in for a Scope server.
    const patch = patchFromPipelines({
      pipelineIds: ['gray'],
      inputMode: 'video',
      loadParams: { backend: 'remote', remote_url: localUrl },
    });
    const offered = await createOfferPeer({ camera: 'sendrecv' });
    const peer = offered.peer;
    const received: VideoFrame[] = [];
    peer.onInputFrame((_i, f) => received.push(f));
    const answer = await fetch(`${localUrl}/api/v1/webrtc/offer`, {
      method: 'POST',
      body: JSON.stringify({ sdp: offered.offerSdp, type: 'offer', initialParameters: { patch } }),
    });
    expect(answer.status).toBe(200);
    await peer.acceptAnswer(((await answer.json()) as { sdp: string }).sdp);
    const stop = peer.sendFrom(0, 30, (n) => patternFrame(320, 240, n));
    try {
      await until(() => received.length > 10 && chromaDistance(received.at(-1)!) < 3, 20_000, 'gray frames');
      const loaded = (await (await fetch(`${localUrl}/api/v1/pipeline/status`)).json()) as { status: string };
      expect(loaded.status).toBe('loaded');
      // Two WebRTC sessions on the server: ours, and the one the remote node opened to it.
      const metrics = (await (await fetch(`${localUrl}/api/v1/session/metrics`)).json()) as {
        sessions: Record<string, unknown>;
      };
      expect(Object.keys(metrics.sessions).length).toBeGreaterThanOrEqual(2);
    } finally {
      stop();
      await peer.close();
    }
  }, 60_000);
});
