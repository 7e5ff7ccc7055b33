import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStamp } from '../../../nodes';
import { defaultCapabilities } from '../../compile';
import { readClipFrames } from '../../io';
import { createSession } from '../../session';
import { createServer, type PatchbayServer } from '../server';

/** The recordings and NDI discovery endpoints (routes/io.ts) on a real session, through inject. */

const PORT = 8124;
const H = { host: `127.0.0.1:${PORT}` };
let dir: string;
let server: PatchbayServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-io-routes-'));
  server = createServer({
    port: PORT,
    dataDir: join(dir, 'data'),
    editorDir: join(dir, 'no-editor'),
    examplesDir: join(dir, 'examples'),
    probe: async () => ({
      capabilities: defaultCapabilities(),
      vram_gb: 0,
      syphon: { available: false, reason: 'x' },
    }),
    token: 't',
    log: () => {},
    createSession: (o) => createSession({ ...o, clockMode: 'fixed' }),
  });
  await server.app.ready();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const inject = (o: InjectOptions) => server.app.inject({ ...o, headers: { ...H, ...(o.headers ?? {}) } });
const patch = {
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 'rec', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
  nodes: [
    {
      id: 'cam',
      type: 'camera',
      version: 1,
      position: { x: 0, y: 0 },
      params: { source_mode: 'test_pattern', width: 64, height: 64, fps: 30 },
    },
    { id: 'out', type: 'output', version: 1, position: { x: 1, y: 0 }, params: {} },
  ],
  edges: [{ id: 'e', from: { node: 'cam', port: 'video' }, to: { node: 'out', port: 'video' } }],
};

describe('recordings endpoints', () => {
  it('start → stop → GET serves a WebM of the session output; bad input is answered', async () => {
    expect(
      (await inject({ method: 'POST', url: '/api/v1/session/start', payload: { patch } })).statusCode,
    ).toBe(200);
    const bad = await inject({
      method: 'POST',
      url: '/api/v1/recordings/headless/start',
      payload: { filename: '../x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/may use only letters/);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/recordings/headless/start',
          payload: { node_id: 'cam' },
        })
      ).statusCode,
    ).toBe(404);
    const start = await inject({
      method: 'POST',
      url: '/api/v1/recordings/headless/start',
      payload: { filename: 'set' },
    });
    expect(start.json()).toMatchObject({ status: 'ok', node_id: 'out', recording: true });
    expect((await inject({ method: 'POST', url: '/api/v1/recordings/headless/start' })).statusCode).toBe(409);
    expect((await inject({ method: 'GET', url: '/api/v1/recordings/headless' })).json().error).toMatch(
      /still recording/,
    );
    await new Promise((r) => setTimeout(r, 300));
    const stop = (await inject({ method: 'POST', url: '/api/v1/recordings/headless/stop' })).json();
    expect(stop.file).toMatch(/^set-.*\.webm$/);
    expect(stop.frames).toBeGreaterThan(5);
    const got = await inject({ method: 'GET', url: '/api/v1/recordings/headless' });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('video/webm');
    const copy = join(tmpdir(), `pb-io-${process.pid}-${stop.file}`);
    writeFileSync(copy, got.rawPayload);
    const file = readClipFrames(copy);
    rmSync(copy);
    expect(file.frames).toHaveLength(stop.frames);
    // Fixed clock: exactly 30 fps, and the pixels carry consecutive frame numbers. WebM keeps
    // times in whole milliseconds, so N frames of 33.33 ms last N·1000/30 within 1 ms.
    expect(Math.abs(file.info.durationMs - (stop.frames * 1000) / 30)).toBeLessThanOrEqual(1);
    const seqs = file.frames.map((f) => decodeStamp(f)?.seq ?? -1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[0]! + i);
    const range = await inject({
      method: 'GET',
      url: '/api/v1/recordings/headless',
      headers: { range: 'bytes=4-' },
    });
    expect(range.statusCode).toBe(206);
    expect(range.rawPayload.equals(got.rawPayload.subarray(4))).toBe(true);
    expect(
      (
        await inject({
          method: 'GET',
          url: '/api/v1/recordings/headless',
          headers: { range: 'bytes=999999999-' },
        })
      ).statusCode,
    ).toBe(416);
    expect((await inject({ method: 'POST', url: '/api/v1/recordings/headless/stop' })).statusCode).toBe(404);
    expect((await inject({ method: 'POST', url: '/api/v1/recordings/nope/start' })).statusCode).toBe(404);
  });

  it('format mp4: H.264 in MP4 carrying the patch; the recordings list and download serve it', async () => {
    const bad = await inject({
      method: 'POST',
      url: '/api/v1/recordings/headless/start',
      payload: { format: 'avi' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/webm, mp4, mov/);
    const start = await inject({
      method: 'POST',
      url: '/api/v1/recordings/headless/start',
      payload: { filename: 'clip', format: 'mp4' },
    });
    expect(start.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const stop = (await inject({ method: 'POST', url: '/api/v1/recordings/headless/stop' })).json();
    expect(stop.file).toMatch(/^clip-.*\.mp4$/);
    const list = (await inject({ method: 'GET', url: '/api/v1/recordings' })).json();
    const row = list.recordings.find((r: { name: string }) => r.name === stop.file);
    expect(row).toMatchObject({ mime: 'video/mp4', codec: 'h264', has_patch: true, recording: false });
    expect(row.duration_ms).toBeCloseTo((stop.frames * 1000) / 30, 0);
    const got = await inject({ method: 'GET', url: `${row.url}?download` });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('video/mp4');
    expect(got.headers['content-disposition']).toBe(`attachment; filename="${stop.file}"`);
    const copy = join(tmpdir(), `pb-io-${process.pid}-${stop.file}`);
    writeFileSync(copy, got.rawPayload);
    try {
      const { patchFromMediaFile } = await import('../../io');
      const text = patchFromMediaFile(copy);
      expect(JSON.parse(text!)).toMatchObject({ format: 'patchbay' });
      expect(readClipFrames(copy).frames).toHaveLength(stop.frames);
    } finally {
      rmSync(copy);
    }
    for (const name of ['..%2Fsecret.mp4', 'x.exe', '.hidden.mp4'])
      expect((await inject({ method: 'GET', url: `/api/v1/recordings/files/${name}` })).statusCode).toBe(400);
    expect((await inject({ method: 'GET', url: '/api/v1/recordings/files/none.mp4' })).statusCode).toBe(404);
  });
});

describe('NDI sources', () => {
  it('without the runtime: available false with the reason and the install hint', async () => {
    const before = process.env.NDI_RUNTIME_DIR_V6;
    process.env.NDI_RUNTIME_DIR_V6 = join(dir, 'no-ndi-here');
    try {
      const r = (await inject({ method: 'GET', url: '/api/v1/input-sources/ndi/sources' })).json();
      // A machine with the real NDI runtime installed system-wide would list sources instead.
      if (!r.available) {
        expect(r.reason).toMatch(/^the NDI runtime library could not be loaded/);
        expect(r.install_hint).toMatch(/ndi\.video/);
        expect(r.sources).toEqual([]);
      }
      expect(
        (await inject({ method: 'GET', url: '/api/v1/input-sources/ndi/sources?timeout_ms=-1' })).statusCode,
      ).toBe(400);
    } finally {
      if (before === undefined) delete process.env.NDI_RUNTIME_DIR_V6;
      else process.env.NDI_RUNTIME_DIR_V6 = before;
    }
  });

  let cc: string | null = null;
  for (const c of ['cc', 'gcc']) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      cc = c;
      break;
    } catch {
      /* next */
    }
  }
  it.skipIf(!cc)('with the stand-in library: lists what senders announce', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const libDir = join(dir, 'ndi');
    mkdirSync(libDir, { recursive: true });
    execFileSync(cc!, [
      '-shared',
      '-fPIC',
      '-pthread',
      '-o',
      join(libDir, 'libndi.so.6'),
      join(here, '../../io/ndi/test/fake-ndi.c'),
    ]);
    const before = process.env.NDI_RUNTIME_DIR_V6;
    process.env.NDI_RUNTIME_DIR_V6 = libDir;
    try {
      const { NdiSink } = await import('../../io');
      const sink = new NdiSink({ name: 'Listed' });
      const r = (
        await inject({ method: 'GET', url: '/api/v1/input-sources/ndi/sources?timeout_ms=10' })
      ).json();
      expect(r).toMatchObject({ available: true });
      expect(r.sources.map((s: { name: string }) => s.name)).toContain('FAKE-HOST (Listed)');
      expect(r.sources.find((s: { name: string }) => s.name === 'FAKE-HOST (Listed)')).toMatchObject({
        identifier: 'FAKE-HOST (Listed)',
      });
      await sink.close();
    } finally {
      if (before === undefined) delete process.env.NDI_RUNTIME_DIR_V6;
      else process.env.NDI_RUNTIME_DIR_V6 = before;
    }
  });
});
