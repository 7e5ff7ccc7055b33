/**
 * The cloud relay end to end, two `patchbay serve` processes on loopback: a plain local runtime
 * and a `--cloud` one. Chromium's fake camera → local → cloud (gray) → local → Chromium. The
 * cloud process is killed mid-stream and restarted on the same port: the browser's video must
 * not stop (the remote node holds its last frame) and processed frames must resume within 10 s
 * of the cloud being back. Both sides' event files must hold a session's lifecycle in order under
 * one connection_id. A connection without the token is closed with a code and answered nothing.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { haveChromium, launchChromium, startProduct, waitUntil, type Product } from './support/harness';

const TOKEN = 'e2e-relay-token-0123456789abcdefghij';

let tmp: string;
let local: Product;
let cloud: Product | null = null;
let cloudPort = 0;
let context: BrowserContext | null = null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const startCloud = () =>
  startProduct({
    port: cloudPort,
    dataDir: join(tmp, 'cloud'),
    args: ['--cloud', '--quiet'],
    env: { PATCHBAY_CLOUD_TOKEN: TOKEN },
  });

function waitFor<T>(what: string, fn: () => Promise<T | null | false>, ms: number): Promise<T> {
  return waitUntil(what, fn, ms, { pollMs: 150, log: () => local.log() });
}

interface Status {
  connected: boolean;
  connection_id: string | null;
  webrtc_connected: boolean;
  stats: { frames_sent_to_cloud: number; frames_received_from_cloud: number; reconnects: number };
}
const status = async (): Promise<Status> =>
  (await (await fetch(`${local.url}/api/v1/cloud/status`)).json()) as Status;

interface Viewer {
  frames: number;
  /** Presentation times (performance.now) of the last frames. */
  times: number[];
  maxGapMs: number;
  /** Per sample: mean max channel difference (0 = gray) and a hash of the pixels. */
  samples: { t: number; diff: number; hash: number; luma: number }[];
  error: string | null;
}

type EventLine = { data: { type: string; connection_id: string | null } };
function events(dir: string): EventLine[] {
  const folder = join(dir, 'events');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .sort()
    .flatMap((f) =>
      readFileSync(join(folder, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EventLine),
    );
}

const LIFECYCLE = [
  'websocket_connected',
  'pipeline_load_start',
  'pipeline_loaded',
  'session_created',
  'stream_started',
  'playback_ready',
  'stream_stopped',
  'session_closed',
  'websocket_disconnected',
];

/** The lifecycle types of one connection, in file order. */
function lifecycleOf(dir: string, connectionId: string): string[] {
  return events(dir)
    .filter((e) => e.data.connection_id === connectionId)
    .map((e) => e.data.type)
    .filter((t) => LIFECYCLE.includes(t));
}

beforeAll(async () => {
  if (!haveChromium) return;
  tmp = mkdtempSync(join(tmpdir(), 'pb-e2e-relay-'));
  cloudPort = await freePort();
  [local, cloud] = await Promise.all([startProduct({ dataDir: join(tmp, 'local') }), startCloud()]);
}, 60_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await Promise.all([local, cloud].map((p) => p?.stop()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveChromium)('cloud relay: two runtimes on loopback', () => {
  it('closes a connection without a token, answering nothing but ready', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${cloudPort}/api/v1/cloud/ws`);
    const got: string[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d)).type));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'ping', request_id: '1' })));
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    expect(code).toBe(4401);
    expect(got).toEqual(['ready']);
  });

  it('streams gray through the cloud, survives a cloud restart, and logs both sides', async () => {
    const connect = await fetch(`${local.url}/api/v1/cloud/connect`, {
      method: 'POST',
      body: JSON.stringify({ url: cloud!.url, api_key: TOKEN }),
    });
    expect(connect.status).toBe(200);
    const first = await waitFor(
      'the relay',
      async () => ((await status()).connected ? status() : null),
      10_000,
    );

    context = await launchChromium();
    const page: Page = await context.newPage();
    await page.goto(`${local.url}/health`);
    const patch = {
      format: 'patchbay',
      format_version: 1,
      metadata: { name: 'relay e2e', created_at: '2026-01-01T00:00:00.000Z', app_version: '0.1.0' },
      nodes: [
        {
          id: 'camera',
          type: 'camera',
          version: 1,
          position: { x: 0, y: 0 },
          params: { source_mode: 'camera' },
        },
        {
          id: 'remote',
          type: 'pipeline',
          version: 1,
          position: { x: 300, y: 0 },
          params: { pipeline_id: 'gray', backend: 'remote', remote_fallback: 'hold' },
        },
        { id: 'output', type: 'output', version: 1, position: { x: 600, y: 0 }, params: { name: 'main' } },
      ],
      edges: [
        { id: 'e1', from: { node: 'camera', port: 'video' }, to: { node: 'remote', port: 'video' } },
        { id: 'e2', from: { node: 'remote', port: 'video' }, to: { node: 'output', port: 'video' } },
      ],
    };
    // The page: camera up, the session's output down, frames timed and sampled for grayness.
    await page.evaluate(async (p) => {
      const v: Viewer = { frames: 0, times: [], maxGapMs: 0, samples: [], error: null };
      (window as unknown as { viewer: Viewer }).viewer = v;
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
        const pc = new RTCPeerConnection();
        pc.createDataChannel('parameters', { ordered: true });
        pc.addTransceiver(stream.getVideoTracks()[0]!, { direction: 'sendrecv' });
        const video = document.createElement('video');
        video.muted = true;
        video.playsInline = true;
        document.body.appendChild(video);
        pc.ontrack = (e) => {
          video.srcObject = new MediaStream([e.track]);
          void video.play();
        };
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((r) => {
          if (pc.iceGatheringState === 'complete') r();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
          setTimeout(r, 2000);
        });
        const res = await fetch('/api/v1/webrtc/offer', {
          method: 'POST',
          body: JSON.stringify({
            sdp: pc.localDescription!.sdp,
            type: 'offer',
            initialParameters: { patch: p },
          }),
        });
        if (!res.ok) throw new Error(`offer: ${res.status} ${await res.text()}`);
        const answer = (await res.json()) as { sdp: string };
        await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
        const canvas = document.createElement('canvas');
        canvas.width = 64;
        canvas.height = 48;
        const g = canvas.getContext('2d', { willReadFrequently: true })!;
        let lastSample = 0;
        const onFrame = (now: number) => {
          v.frames++;
          const prev = v.times.at(-1);
          if (prev !== undefined) v.maxGapMs = Math.max(v.maxGapMs, now - prev);
          v.times.push(now);
          if (v.times.length > 600) v.times.shift();
          if (now - lastSample > 100) {
            lastSample = now;
            g.drawImage(video, 0, 0, 64, 48);
            const d = g.getImageData(0, 0, 64, 48).data;
            let diff = 0;
            let luma = 0;
            let hash = 0;
            for (let i = 0; i < d.length; i += 4) {
              diff += Math.max(
                Math.abs(d[i]! - d[i + 1]!),
                Math.abs(d[i + 1]! - d[i + 2]!),
                Math.abs(d[i]! - d[i + 2]!),
              );
              luma += d[i + 1]!;
              hash = (hash * 31 + (d[i + 1]! >> 3)) | 0;
            }
            v.samples.push({ t: now, diff: diff / (64 * 48), hash, luma: luma / (64 * 48) });
          }
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      } catch (error) {
        v.error = String(error);
      }
    }, patch);
    const viewer = () => page.evaluate(() => (window as unknown as { viewer: Viewer }).viewer);
    const fresh = async (sinceMs: number, n = 5) => {
      const v = await viewer();
      if (v.error) throw new Error(v.error);
      // The last second's samples (before the first processed frame the node passes the camera through).
      const recent = v.samples.filter((s) => s.t > sinceMs).slice(-8);
      // Processed by the cloud: gray, and changing (the fake camera moves; a held frame does not).
      return recent.length >= n &&
        recent.every((s) => s.diff < 6) &&
        new Set(recent.map((s) => s.hash)).size >= 3
        ? recent
        : null;
    };
    const pageNow = () => page.evaluate(() => performance.now());

    const t0 = await pageNow();
    await waitFor('gray frames from the cloud', () => fresh(t0), 30_000).catch(async (e: Error) => {
      const v = await viewer();
      throw new Error(
        `${e.message}\nviewer: ${JSON.stringify({ ...v, times: v.times.length, samples: v.samples.slice(-5) })}\nstatus: ${JSON.stringify(await status())}`,
      );
    });
    const counted = await waitFor(
      'frames counted both ways',
      async () => {
        const s = await status();
        return s.stats.frames_sent_to_cloud > 30 && s.stats.frames_received_from_cloud > 30 ? s : null;
      },
      10_000,
    );
    expect(counted.webrtc_connected).toBe(true);
    expect(counted.connection_id).toBe(first.connection_id);

    // Kill the cloud mid-stream; the browser keeps getting (held) frames.
    const beforeKill = await viewer();
    const killAt = await pageNow();
    cloud!.proc.kill('SIGKILL');
    await waitFor('the relay to notice', async () => !(await status()).connected, 5000);
    await sleep(3000);
    const duringOutage = await viewer();
    const receivedAtKill = (await status()).stats.frames_received_from_cloud;
    expect(duringOutage.frames - beforeKill.frames).toBeGreaterThan(30);
    const outageSamples = duringOutage.samples.filter((s) => s.t > killAt + 500);
    expect(outageSamples.length).toBeGreaterThan(5);
    // Held: still gray (the last processed frame), not the colour camera.
    expect(outageSamples.every((s) => s.diff < 6)).toBe(true);

    cloud = await startCloud();
    const backAt = Date.now();
    const backPage = await pageNow();
    const second = await waitFor(
      'processed frames after the restart',
      async () => {
        const s = await status();
        return s.connected &&
          s.connection_id !== first.connection_id &&
          s.stats.frames_received_from_cloud > receivedAtKill + 5 &&
          (await fresh(backPage, 3))
          ? s
          : null;
      },
      15_000,
    );
    const resumeMs = Date.now() - backAt;
    const after = await viewer();
    console.log(
      `[e2e relay] resumed ${resumeMs} ms after the cloud was back; longest gap in the browser's video ${after.maxGapMs.toFixed(0)} ms; ${after.frames} frames; status ${JSON.stringify(second.stats)}`,
    );
    expect(resumeMs).toBeLessThan(10_000);
    expect(after.maxGapMs).toBeLessThan(1000);
    expect(second.stats.reconnects).toBeGreaterThanOrEqual(1);

    // A clean end: both sides write the second connection's whole lifecycle, in order.
    await context.close();
    context = null;
    await fetch(`${local.url}/api/v1/cloud/disconnect`, { method: 'POST' });
    const id = second.connection_id!;
    for (const [side, dir] of [
      ['local', join(tmp, 'local')],
      ['cloud', join(tmp, 'cloud')],
    ] as const) {
      const types = await waitFor(
        `${side} events`,
        async () => {
          const t = lifecycleOf(dir, id);
          return t.includes('websocket_disconnected') ? t : null;
        },
        5000,
      );
      const positions = LIFECYCLE.map((t) => types.indexOf(t));
      expect(
        positions.every((p) => p >= 0),
        `${side}: ${types.join(', ')}`,
      ).toBe(true);
      expect(positions, `${side}: ${types.join(', ')}`).toEqual([...positions].sort((a, b) => a - b));
    }
    // The first connection's events on the local side share one id too (the cloud was killed).
    expect(lifecycleOf(join(tmp, 'local'), first.connection_id!).slice(0, 6)).toEqual(LIFECYCLE.slice(0, 6));
  }, 90_000);
});
