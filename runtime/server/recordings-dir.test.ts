/**
 * The server hands its `<dataDir>/recordings` to every session (SessionOptions.recordingsDir), so
 * a Record node in a headless session writes where `/api/v1/recordings` serves from.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionOptions } from '../engine/api';
import { createSession } from '../session';
import { createServer, type PatchbayServer } from './server';

let dir: string;
let server: PatchbayServer;
const seen: SessionOptions[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pb-recdir-'));
  server = createServer({
    port: 8000,
    dataDir: join(dir, 'data'),
    clockMode: 'fixed',
    log: () => {},
    createSession: (o) => {
      seen.push(o);
      return createSession(o);
    },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a Record node in a server session writes into <dataDir>/recordings', async () => {
  const node = (id: string, type: string, params: Record<string, unknown>) => ({
    id,
    type,
    version: 1,
    params,
    position: { x: 0, y: 0 },
  });
  const patch = {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: 'rec', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
    nodes: [
      node('cam', 'camera', { source_mode: 'test_pattern', width: 64, height: 48, fps: 30 }),
      node('rec', 'record', { filename: 'show' }),
      node('out', 'output', {}),
    ],
    edges: [
      { id: 'a', from: { node: 'cam', port: 'video' }, to: { node: 'rec', port: 'video' } },
      { id: 'b', from: { node: 'cam', port: 'video' }, to: { node: 'out', port: 'video' } },
    ],
  };
  const headers = { host: '127.0.0.1:8000' };
  const r = await server.app.inject({
    method: 'POST',
    url: '/api/v1/session/start',
    payload: { patch },
    headers,
  });
  expect(r.statusCode, r.body).toBe(200);
  expect(seen.at(-1)!.recordingsDir).toBe(join(dir, 'data', 'recordings'));
  const { session } = server.sessions.runtime('headless')!;
  for (let i = 0; i < 200 && (session.stats().rec?.frames_in ?? 0) < 10; i++)
    await new Promise((res) => setTimeout(res, 10));
  await server.app.inject({ method: 'POST', url: '/api/v1/session/stop', headers });
  expect(readdirSync(join(dir, 'data', 'recordings')).filter((f) => /^show-.*\.webm$/.test(f))).toHaveLength(
    1,
  );
});
