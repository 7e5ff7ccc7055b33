/**
 * HTTP fuzz: fast-check over methods, paths (every route, with mangled segments, encodings and
 * queries), headers (Host, Origin, Sec-Fetch-Site, content types, upgrades) and bodies (JSON,
 * near-JSON, deep, huge numbers, binary). The server must answer every request with a status
 * below 500 and never put a stack trace in a reply. Bounded: a fixed number of runs, and a time
 * limit (`interruptAfterTimeLimit`) so a slow machine still finishes in ≈ 15 s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSession } from '../session';
import { createServer, type PatchbayServer } from './server';

let server: PatchbayServer;
let dir: string;
const PORT = 47_811;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-http-fuzz-'));
  const editorDir = join(dir, 'editor');
  mkdirSync(join(editorDir, 'assets'), { recursive: true });
  for (const f of ['index.html', 'play.html'])
    writeFileSync(join(editorDir, f), '<html><head></head></html>');
  writeFileSync(join(editorDir, 'assets/x.js'), '1');
  server = createServer({
    port: PORT,
    dataDir: join(dir, 'data'),
    editorDir,
    log: () => {},
    createSession: (o) => createSession(o),
    // An answerer that refuses every offer (400): the fuzz never starts a WebRTC peer.
    createPeer: async () => {
      throw new Error('the fuzz test answers no offer');
    },
  });
  await server.app.ready();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const ROUTES = [
  '/',
  '/health',
  '/play',
  '/index.html',
  '/assets/x.js',
  '/api/v1/hardware/info',
  '/api/v1/pipeline/load',
  '/api/v1/pipeline/status',
  '/api/v1/pipelines/schemas',
  '/api/v1/nodes/definitions',
  '/api/v1/loras',
  '/api/v1/models/status',
  '/api/v1/models/download',
  '/api/v1/webrtc/ice-servers',
  '/api/v1/webrtc/offer',
  '/api/v1/webrtc/offer/abc',
  '/api/v1/assets',
  '/api/v1/assets/a.png',
  '/api/v1/session/start',
  '/api/v1/session/stop',
  '/api/v1/session/parameters',
  '/api/v1/session/frame',
  '/api/v1/session/metrics',
  '/api/v1/recordings/headless/start',
  '/api/v1/recordings/headless/stop',
  '/api/v1/recordings/headless',
  '/api/v1/cloud/connect',
  '/api/v1/cloud/disconnect',
  '/api/v1/cloud/status',
  '/api/v1/cloud/api',
  '/api/v1/patches',
  '/api/v1/patches/camera-passthrough',
  '/api/v1/runtime',
];

const segment = fc.oneof(
  fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%', '%zz', '100%.png', '~', '__proto__', 'constructor'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,16}$/),
);
const path = fc.oneof(
  fc.constantFrom(...ROUTES),
  fc
    .tuple(fc.constantFrom(...ROUTES), fc.array(segment, { maxLength: 3 }))
    .map(([r, s]) => [r, ...s].join('/')),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
);
const query = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('pipeline_id', 'filename', 'type', 'token', 'sink_node_id', 'clock', '__proto__'),
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('onnx:../../etc/x.onnx', 'onnx:/etc/passwd.onnx', '100%.png', 'image', 'gray'),
        ),
      ),
      { maxLength: 3 },
    )
    .map((kv) => `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`),
);
const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
const body = fc.oneof(
  fc.constant(undefined),
  json,
  fc.constantFrom(
    '{"sdp":"v=0\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\n","type":"offer"}',
    '{"pipeline_ids":["onnx:../../x.onnx"]}',
    '{"pipelines":[{"pipeline_id":"gray","load_params":{"__proto__":{"x":1}}}]}',
    '{"patch":{"format":"patchbay","format_version":1,"nodes":[{"id":"a","type":"x"}],"edges":[]}}',
    '{"candidates":[{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}]}',
    '{"url":"ws://127.0.0.1:1/x","token":"t"}',
    '['.repeat(2000),
    '{"a":1e999999}',
    '{"a":"\\ud800"}',
    'null',
    '',
  ),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
);
const headers = fc.record(
  {
    host: fc.constantFrom(
      `127.0.0.1:${PORT}`,
      `localhost:${PORT}`,
      `[::1]:${PORT}`,
      'evil.example',
      '',
      `127.0.0.1`,
    ),
    origin: fc.constantFrom(
      'null',
      'file://',
      'http://127.0.0.1:5173',
      'https://evil.example',
      'http://localhost:1',
    ),
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'multipart/form-data; boundary=x',
      'x/y',
    ),
    'sec-fetch-site': fc.constantFrom('cross-site', 'same-origin', 'none'),
    upgrade: fc.constantFrom('websocket', 'h2c'),
    'access-control-request-private-network': fc.constant('true'),
  },
  { requiredKeys: ['host'] },
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');

it('fuzzed requests never get a 5xx or a stack trace', async () => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(method, path, query, headers, body, async (m, p, q, h, b) => {
      runs++;
      const res = await server.app.inject({
        method: m as 'GET',
        url: p + q,
        headers: h as Record<string, string>,
        ...(b !== undefined && m !== 'GET' && m !== 'HEAD' ? { payload: b } : {}),
      });
      expect(res.statusCode, `${m} ${p}${q} → ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeLessThan(
        500,
      );
      expect(res.body, `${m} ${p}${q}`).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|\bat [A-Za-z.<>]+ \(\//);
    }),
    { numRuns: 1500, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false, seed: 18 },
  );
  console.log(`[http-fuzz] ${runs} requests`);
  expect(runs).toBeGreaterThan(100);
}, 40_000);
