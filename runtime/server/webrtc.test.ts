/**
 * The server's WebRTC wiring with a real werift peer on each side (the media layer's offerer as
 * the client) and a small in-test RuntimeSession double that echoes frames, so this file tests
 * the server (signalling, peer ↔ session wiring, data channel, teardown, leaks), not the engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import type { RuntimeSession, SessionEvents, SessionOptions } from '../engine/api';
import type { HostProbe } from '../host';
import { createOfferPeer, patternFrame, type MediaPeer } from '../media';
import type { SessionStateName } from '../protocol';
import { mediaPeerFactory } from './media';
import { createServer, type PatchbayServer } from './server';

/** Echoes camera frames to output 0; in test-pattern mode produces a pattern at 30 fps. */
class EchoSession implements RuntimeSession {
  static alive = 0;
  readonly id = Math.random().toString(36).slice(2);
  private st: SessionStateName = 'idle';
  private outs = new Set<(i: number, f: VideoFrame) => void>();
  private listeners = new Map<string, Set<(p: unknown) => void>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private last: VideoFrame | null = null;
  readonly received: Record<string, unknown>[] = [];
  constructor(private readonly opts: SessionOptions) {
    EchoSession.alive++;
  }
  state = () => this.st;
  patch = (): Patch => this.opts.patch;
  revision = () => 1;
  plan = () =>
    this.st === 'running'
      ? ({ workers: [], outputTracks: [{ node: 'output', index: 0, name: 'main' }] } as never)
      : null;
  diagnostics = () => [];
  load = async () => ({ ok: true, errors: [], revision: 1 });
  applyChanges = async () => ({ ok: true, errors: [], revision: 1 });
  async start() {
    this.st = 'running';
    this.emit('state', { state: 'running' });
    const cam = this.opts.patch.nodes.find((n) => n.type === 'camera');
    if (cam?.params.source_mode === 'test_pattern') {
      let n = 0;
      this.timer = setInterval(() => this.out(patternFrame(320, 240, n++)), 33);
    }
  }
  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.st = 'idle';
  }
  pushInputFrame(_i: number, f: VideoFrame) {
    this.out(f);
  }
  private out(f: VideoFrame) {
    this.last = f;
    for (const cb of this.outs) cb(0, f);
  }
  onOutputFrame(cb: (i: number, f: VideoFrame) => void) {
    this.outs.add(cb);
    return () => void this.outs.delete(cb);
  }
  latestFrame = () => this.last;
  setParameters(p: Record<string, unknown>) {
    this.received.push(p);
    const applied: Record<string, unknown> = {};
    const ignored: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) {
      if (k === 'noise_scale' && typeof v !== 'number') ignored[k] = 'must be a number';
      else applied[k] = v;
    }
    return { applied, ignored };
  }
  stats = () => ({});
  timelinePlay() {}
  timelinePause() {}
  timelineSeek() {}
  on<K extends keyof SessionEvents>(event: K, cb: (payload: SessionEvents[K]) => void) {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(cb as (p: unknown) => void);
    return () => void set.delete(cb as (p: unknown) => void);
  }
  private emit(event: string, payload: unknown) {
    for (const cb of this.listeners.get(event) ?? []) cb(payload);
  }
  private disposed = false;
  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    await this.stop();
    EchoSession.alive--;
  }
}

const probe = async (): Promise<HostProbe> => ({
  capabilities: {
    spout: { available: false },
    ndi: { available: false },
    cuda: { available: false, reason: 'no GPU' },
    camera: { available: true },
    remote: { available: false },
  },
  vram_gb: 0,
  syphon: { available: false },
});

let dir: string;
let server: PatchbayServer;
let url: string;
const sessions: EchoSession[] = [];
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-webrtc-'));
  server = createServer({
    port: 0,
    dataDir: dir,
    probe,
    log: (l) => logs.push(l),
    createSession: (o) => {
      const s = new EchoSession(o);
      sessions.push(s);
      return s;
    },
    createPeer: mediaPeerFactory(),
    // The cycle test below makes more offers in a minute than one client may by default.
    limits: { offersPerMinute: 1000 },
  });
  url = await server.listen();
  const r = await post('/api/v1/pipeline/load', { pipeline_ids: ['passthrough'] });
  expect(r.status).toBe(200);
  for (
    let i = 0;
    i < 100 && (await (await fetch(`${url}/api/v1/pipeline/status`)).json()).status !== 'loaded';
    i++
  )
    await sleep(10);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const post = (path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function waitFor(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

const ctxPeers = () => server.sessions.metrics().peers;

async function connect(camera: 'sendrecv' | 'recvonly'): Promise<{ client: MediaPeer; sessionId: string }> {
  const { peer: client, offerSdp } = await createOfferPeer({ camera }, { log: () => {} });
  const r = await post('/api/v1/webrtc/offer', {
    sdp: offerSdp,
    type: 'offer',
    initialParameters: { noise_scale: 0.3 },
  });
  const body = (await r.json()) as { sdp: string; type: string; sessionId: string };
  expect(r.status, JSON.stringify(body)).toBe(200);
  expect(body.type).toBe('answer');
  await client.acceptAnswer(body.sdp);
  await waitFor(() => client.connectionState === 'connected', 5000, 'connected');
  return { client, sessionId: body.sessionId };
}

describe('WebRTC through the server', () => {
  it('echoes camera frames, routes data-channel parameters, ignores bad ones, and cleans up on DELETE', async () => {
    const { client, sessionId } = await connect('sendrecv');
    const got: VideoFrame[] = [];
    client.onInputFrame((_, f) => got.push(f));
    const messages: Record<string, unknown>[] = [];
    client.onData((m) => messages.push(m));
    const stop = client.sendFrom(0, 30, (n) => patternFrame(320, 240, n));
    await waitFor(() => got.length >= 20, 8000, '20 echoed frames');
    const session = sessions.at(-1)!;
    expect(session.received[0]).toEqual({ noise_scale: 0.3 });

    client.sendData({ prompts: [{ text: 'fog', weight: 1 }], node_id: 'pipeline' });
    client.sendData({ noise_scale: 'loud' });
    await waitFor(() => messages.some((m) => m.type === 'parameters_updated'), 3000, 'parameters_updated');
    expect(messages.find((m) => m.type === 'parameters_updated')).toEqual({
      type: 'parameters_updated',
      parameters: { prompts: [{ text: 'fog', weight: 1 }], node_id: 'pipeline' },
    });
    await waitFor(
      () => logs.some((l) => l.includes('ignored "noise_scale": must be a number')),
      3000,
      'logged reason',
    );
    const before = got.length;
    await sleep(500);
    expect(got.length).toBeGreaterThan(before); // the stream goes on

    const metrics = await (await fetch(`${url}/api/v1/session/metrics`)).json();
    expect(metrics.engine).toMatchObject({ sessions: 1, peers: 1 });
    expect(Object.keys(metrics.sessions)).toHaveLength(1);

    const del = await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    stop();
    await client.close();
    expect(EchoSession.alive).toBe(0);
    expect((await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, { method: 'DELETE' })).status).toBe(404);
  }, 20_000);

  it('text mode (recvonly first transceiver) builds a test-pattern source', async () => {
    const { client, sessionId } = await connect('recvonly');
    const got: VideoFrame[] = [];
    client.onInputFrame((_, f) => got.push(f));
    await waitFor(() => got.length >= 10, 8000, 'test pattern frames');
    expect(
      sessions
        .at(-1)!
        .patch()
        .nodes.find((n) => n.type === 'camera')!.params.source_mode,
    ).toBe('test_pattern');
    const jpeg = await fetch(`${url}/api/v1/session/frame`);
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
    expect((await jpeg.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, { method: 'DELETE' });
    await client.close();
  }, 20_000);

  it('a client that closes without DELETE (a closed tab) is torn down within 2 s', async () => {
    const { client, sessionId } = await connect('sendrecv');
    const got: VideoFrame[] = [];
    client.onInputFrame((_, f) => got.push(f));
    const stop = client.sendFrom(0, 30, (n) => patternFrame(320, 240, n));
    await waitFor(() => got.length >= 3, 8000, 'frames flowing');
    stop();
    const t0 = Date.now();
    await client.close();
    await waitFor(() => EchoSession.alive === 0, 2000, 'session disposed after the client closed');
    const ms = Date.now() - t0;
    console.log('closed client noticed after', ms, 'ms');
    expect(ctxPeers()).toBe(0);
    expect(logs.some((l) => l.includes('closed by the client ('))).toBe(true);
    expect((await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, { method: 'DELETE' })).status).toBe(404);
  }, 20_000);

  it('malformed SDP that passes the shape check is answered 400 and leaves nothing behind', async () => {
    const r = await post('/api/v1/webrtc/offer', {
      sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=garbage\r\n',
      type: 'offer',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/offer/);
    expect(EchoSession.alive).toBe(0);
  });

  it('bad trickle candidates → 400; the session survives', async () => {
    const { client, sessionId } = await connect('recvonly');
    const bad = await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        candidates: [{ candidate: 'candidate:garbage', sdpMid: '0', sdpMLineIndex: 0 }],
      }),
    });
    expect(bad.status).toBe(400);
    const wrongType = await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ candidates: [{ candidate: 5 }] }),
    });
    expect(wrongType.status).toBe(400);
    expect(client.connectionState).toBe('connected');
    await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, { method: 'DELETE' });
    await client.close();
  }, 20_000);

  it('50 connect/disconnect cycles leave no session, peer or socket behind', async () => {
    const udp = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
    const warm = await connect('recvonly');
    await fetch(`${url}/api/v1/webrtc/offer/${warm.sessionId}`, { method: 'DELETE' });
    await warm.client.close();
    await sleep(200);
    const baseUdp = udp();
    const baseHandles = process.getActiveResourcesInfo().length;
    for (let i = 0; i < 50; i++) {
      const { client, sessionId } = await connect(i % 2 ? 'recvonly' : 'sendrecv');
      expect((await fetch(`${url}/api/v1/webrtc/offer/${sessionId}`, { method: 'DELETE' })).status).toBe(204);
      await client.close();
    }
    await sleep(500);
    const m = await (await fetch(`${url}/api/v1/session/metrics`)).json();
    expect(m.engine).toMatchObject({ sessions: 0, peers: 0 });
    expect(EchoSession.alive).toBe(0);
    expect(udp()).toBeLessThanOrEqual(baseUdp);
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(baseHandles + 4);
  }, 120_000);
});
