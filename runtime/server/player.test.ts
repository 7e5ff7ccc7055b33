/**
 * What the headless player (editor/play.html, runtime/playwright) needs from the server: `/play`
 * served with the launch token, `?clock=fixed` reaching the session's clock, and `?frames=hash`
 * reporting a hash of every output frame, identical across two fixed-clock runs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SessionOptions } from '../engine/api';
import { createSession } from '../session';
import { createServer, type PatchbayServer } from './server';

const root = join(import.meta.dirname, '../..');
let dir: string;
let server: PatchbayServer;
let url: string;
const clocks: (string | undefined)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-player-'));
  mkdirSync(join(dir, 'editor'));
  writeFileSync(
    join(dir, 'editor/play.html'),
    '<!doctype html><html><head><title>p</title></head><body></body></html>',
  );
  server = createServer({
    port: 0,
    dataDir: join(dir, 'data'),
    editorDir: join(dir, 'editor'),
    token: 'tok',
    log: () => {},
    createSession: (o: SessionOptions) => {
      clocks.push(o.clockMode);
      return createSession(o);
    },
  });
  url = await server.listen();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Plays the timeline example on a fixed clock until `frames` output frames; returns t → hash. */
async function hashes(frames: number, query = 'clock=fixed&frames=hash'): Promise<Map<number, string>> {
  const patch = JSON.parse(readFileSync(join(root, 'patches/examples/test-pattern-timeline.patch'), 'utf8'));
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/runtime?token=tok&${query}`);
  const out = new Map<number, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${out.size} frames in 30 s`)), 30_000);
      ws.on('error', reject);
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'patch.load', patch, requestId: 'l' }));
        ws.send(JSON.stringify({ type: 'session.start', requestId: 's' }));
      });
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.type === 'ack' && !m.ok) reject(new Error(m.error));
        if (m.type !== 'frame') return;
        expect(m.node).toBe('output');
        expect(m.hash).toMatch(/^[0-9a-f]{32}$/);
        out.set(m.t, m.hash);
        if (out.size >= frames) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    ws.close();
  }
  return out;
}

describe('the player page and deterministic playback', () => {
  it('serves /play with the launch token', async () => {
    const r = await fetch(`${url}/play?patch=effects`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<meta name="patchbay-token" content="tok">');
  });

  it('refuses an unknown ?clock= on the runtime WebSocket', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/runtime?token=tok&clock=slow`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('the socket opened')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
  });

  it('two fixed-clock runs hash the same frames at the same clock times', async () => {
    const a = await hashes(40);
    const b = await hashes(40);
    expect(clocks.slice(-2)).toEqual(['fixed', 'fixed']);
    const common = [...a.keys()].filter((t) => b.has(t));
    expect(common.length).toBeGreaterThanOrEqual(30);
    // One frame interval per frame: times are multiples of 1000/30 ms.
    for (const t of common)
      expect(Math.abs(t / (1000 / 30) - Math.round(t / (1000 / 30)))).toBeLessThan(1e-6);
    for (const t of common) expect(b.get(t)).toBe(a.get(t));
    // The test pattern moves: not every frame is the same.
    expect(new Set(common.map((t) => a.get(t))).size).toBeGreaterThan(10);
  }, 60_000);

  it('the server default clock is real', async () => {
    await hashes(3, 'frames=hash');
    expect(clocks.at(-1)).toBe('real');
  }, 30_000);
});
