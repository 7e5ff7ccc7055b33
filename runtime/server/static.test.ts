/**
 * The editor folder (or `--editor-dir`, e.g. Scope's own frontend build) and uploaded assets are
 * served through @fastify/static: content types beyond the web basics (mp4, webp), byte ranges
 * (video seeking), ETag revalidation, HEAD, long caching of content-hashed build files, and the
 * single-page-app fallback for extension-less paths only.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type PatchbayServer } from './server';

const PORT = 8133;
const H = { host: `127.0.0.1:${PORT}` };
let dir: string;
let server: PatchbayServer;
const inject = (o: InjectOptions) => server.app.inject({ ...o, headers: { ...H, ...(o.headers ?? {}) } });
const video = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-static-'));
  const editor = join(dir, 'scope-dist');
  mkdirSync(join(editor, 'assets'), { recursive: true });
  writeFileSync(join(editor, 'index.html'), '<!doctype html><html><head></head><body>app</body></html>');
  writeFileSync(join(editor, 'assets', 'test.mp4'), video);
  writeFileSync(join(editor, 'assets', 'poster.webp'), Buffer.from('RIFF0000WEBP'));
  writeFileSync(join(editor, 'assets', 'index-B3x9_kLq.js'), 'console.log(1)');
  writeFileSync(join(editor, 'favicon.svg'), '<svg/>');
  writeFileSync(join(dir, 'secret.txt'), 'no');
  symlinkSync(join(dir, 'secret.txt'), join(editor, 'assets', 'leak.txt'));
  server = createServer({
    port: PORT,
    dataDir: join(dir, 'data'),
    editorDir: editor,
    createSession: () => Promise.reject(new Error('no sessions here')),
    token: 'tok',
    log: () => {},
  });
  await server.app.ready();
  writeFileSync(join(dir, 'data', 'assets', 'clip.mp4'), video);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('static files', () => {
  it('serves .mp4 and .webp as themselves, not index.html', async () => {
    const mp4 = await inject({ url: '/assets/test.mp4' });
    expect(mp4.statusCode).toBe(200);
    expect(mp4.headers['content-type']).toBe('video/mp4');
    expect(mp4.rawPayload.equals(video)).toBe(true);
    expect(mp4.headers['accept-ranges']).toBe('bytes');
    expect(mp4.headers['x-content-type-options']).toBe('nosniff');
    expect((await inject({ url: '/assets/poster.webp' })).headers['content-type']).toBe('image/webp');
  });

  it('answers byte ranges (206) and unsatisfiable ones (416)', async () => {
    const r = await inject({ url: '/assets/test.mp4', headers: { range: 'bytes=100-199' } });
    expect(r.statusCode).toBe(206);
    expect(r.headers['content-range']).toBe('bytes 100-199/1000');
    expect(r.rawPayload.equals(video.subarray(100, 200))).toBe(true);
    expect(
      (await inject({ url: '/assets/test.mp4', headers: { range: 'bytes=5000-6000' } })).statusCode,
    ).toBe(416);
    const a = await inject({ url: '/api/v1/assets/clip.mp4', headers: { range: 'bytes=990-' } });
    expect(a.statusCode).toBe(206);
    expect(a.rawPayload.equals(video.subarray(990))).toBe(true);
  });

  it('ETag revalidation answers 304; HEAD has the headers and no body', async () => {
    const first = await inject({ url: '/favicon.svg' });
    expect(first.headers.etag).toBeTruthy();
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await inject({
      url: '/favicon.svg',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    const head = await inject({ method: 'HEAD', url: '/assets/test.mp4' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('1000');
    expect(head.body).toBe('');
  });

  it('caches content-hashed build files for a year, immutable', async () => {
    const r = await inject({ url: '/assets/index-B3x9_kLq.js' });
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-type']).toMatch(/javascript/);
  });

  it('falls back to index.html (with the token) only for extension-less paths; refuses escapes', async () => {
    const spa = await inject({ url: '/workflows/mine' });
    expect(spa.statusCode).toBe(200);
    expect(spa.body).toContain('<meta name="patchbay-token" content="tok">');
    expect(spa.headers['cache-control']).toBe('no-store');
    expect((await inject({ url: '/assets/missing.mp4' })).statusCode).toBe(404);
    expect((await inject({ url: '/assets/leak.txt' })).statusCode).toBe(404);
    expect((await inject({ url: '/assets/%2e%2e/%2e%2e/secret.txt' })).statusCode).toBe(404);
    expect((await inject({ url: '/api/v1/nope' })).statusCode).toBe(404);
  });
});
