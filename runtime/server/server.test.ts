import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProbe } from '../host';
import { createServer, type PatchbayServer } from './server';

const PORT = 8123;
const H = { host: `127.0.0.1:${PORT}` };

const probe = async (): Promise<HostProbe> => ({
  capabilities: {
    spout: { available: false, reason: 'not Windows', install_hint: 'x' },
    ndi: {
      available: false,
      reason: 'no lib',
      install_hint: 'Install the NDI Runtime from ndi.video/tools, or set NDI_RUNTIME_DIR_V6',
    },
    cuda: { available: false, reason: 'no GPU' },
    camera: { available: true },
    remote: { available: false, reason: 'no relay' },
  },
  vram_gb: 0,
  syphon: { available: false, reason: 'macOS only' },
});

let dir: string;
let server: PatchbayServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-server-'));
  server = createServer({
    port: PORT,
    dataDir: join(dir, 'data'),
    editorDir: join(dir, 'no-editor'),
    examplesDir: join(dir, 'examples'),
    maxUploadBytes: 1024,
    probe,
    token: 'launch-token',
    log: () => {},
    createSession: () => {
      throw new Error('this test starts no session');
    },
  });
  await server.app.ready();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const inject = (o: InjectOptions) => server.app.inject({ ...o, headers: { ...H, ...(o.headers ?? {}) } });

describe('Host check (DNS rebinding)', () => {
  it.each([`127.0.0.1:${PORT}`, `localhost:${PORT}`, `[::1]:${PORT}`, `LOCALHOST:${PORT}`])(
    'accepts %s',
    async (host) => {
      const r = await server.app.inject({ url: '/health', headers: { host } });
      expect(r.statusCode).toBe(200);
    },
  );
  it.each([
    'evil.example:8123',
    `127.0.0.1:${PORT + 1}`,
    '127.0.0.1',
    `attacker.localhost:${PORT}`,
    '',
    `127.0.0.1.nip.io:${PORT}`,
  ])('refuses Host %j', async (host) => {
    const r = await server.app.inject({ url: '/health', headers: { host } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatch(/Host/);
  });
});

describe('CORS', () => {
  it('echoes loopback origins on any port, never * (null is refused: security.test.ts)', async () => {
    for (const origin of ['http://127.0.0.1:5173', 'http://localhost:9999', 'http://[::1]:3000']) {
      const r = await inject({ url: '/health', headers: { origin } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe(origin);
    }
  });
  it('refuses other origins, including on preflight', async () => {
    for (const origin of [
      'https://evil.example',
      'http://localhost.evil.example:80',
      'http://127.0.0.1.evil.example',
    ]) {
      const r = await inject({ url: '/api/v1/pipeline/status', headers: { origin } });
      expect(r.statusCode).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    const pre = await inject({
      method: 'OPTIONS',
      url: '/api/v1/webrtc/offer',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(403);
  });
  it('answers an allowed preflight with methods and private-network permission', async () => {
    const r = await inject({
      method: 'OPTIONS',
      url: '/api/v1/webrtc/offer',
      headers: {
        origin: 'http://127.0.0.1:4000',
        'access-control-request-method': 'POST',
        'access-control-request-private-network': 'true',
      },
    });
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-methods']).toContain('PATCH');
    expect(r.headers['access-control-allow-private-network']).toBe('true');
  });
});

describe('runtime WebSocket', () => {
  it('refuses an upgrade without the token', async () => {
    const r = await inject({
      url: '/api/v1/runtime',
      headers: {
        connection: 'upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    expect(r.statusCode).toBe(401);
  });
  it('the served page carries the token', async () => {
    const r = await inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<meta name="patchbay-token" content="launch-token">');
    expect(r.body).toContain('npm run build:editor');
  });
});

describe('Scope endpoints', () => {
  it('health and hardware info', async () => {
    const h = (await inject({ url: '/health' })).json();
    expect(h.status).toBe('healthy');
    expect(typeof h.server_start_time).toBe('string');
    const hw = (await inject({ url: '/api/v1/hardware/info' })).json();
    expect(hw.vram_gb).toBe(0);
    expect(hw.ndi).toMatchObject({ available: false, install_hint: expect.stringContaining('ndi.video') });
    expect(hw.spout.available).toBe(false);
    expect(hw.syphon.available).toBe(false);
  });
  it('schemas, node definitions and loras', async () => {
    const s = (await inject({ url: '/api/v1/pipelines/schemas' })).json();
    expect(s.pipelines.passthrough.config_schema).toBeTruthy();
    expect(s.pipelines.streamdiffusionv2.available).toBe(false);
    const n = (await inject({ url: '/api/v1/nodes/definitions' })).json();
    expect(n.nodes.map((x: { node_type_id: string }) => x.node_type_id)).toContain('pipeline');
    expect((await inject({ url: '/api/v1/loras' })).json()).toEqual({ lora_files: [] });
  });
  it('pipeline load goes not_loaded → loading → loaded; GPU ids and unknown ids → error with the reason', async () => {
    expect((await inject({ url: '/api/v1/pipeline/status' })).json().status).toBe('not_loaded');
    const r = await inject({
      method: 'POST',
      url: '/api/v1/pipeline/load',
      payload: { pipeline_ids: ['passthrough'] },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().message).toBeTruthy();
    expect((await inject({ url: '/api/v1/pipeline/status' })).json().status).toBe('loading');
    await waitFor(async () => (await inject({ url: '/api/v1/pipeline/status' })).json().status === 'loaded');
    await inject({
      method: 'POST',
      url: '/api/v1/pipeline/load',
      payload: { pipelines: [{ node_id: 'p', pipeline_id: 'longlive' }] },
    });
    await waitFor(async () => (await inject({ url: '/api/v1/pipeline/status' })).json().status === 'error');
    expect((await inject({ url: '/api/v1/pipeline/status' })).json().error).toMatch(/GPU pipeline.*no CUDA/);
    await inject({ method: 'POST', url: '/api/v1/pipeline/load', payload: { pipeline_ids: ['nope'] } });
    await waitFor(async () =>
      (await inject({ url: '/api/v1/pipeline/status' })).json().error?.includes('unknown pipeline "nope"'),
    );
    expect((await inject({ method: 'POST', url: '/api/v1/pipeline/load', payload: {} })).statusCode).toBe(
      400,
    );
  });
  it('models status and download', async () => {
    expect((await inject({ url: '/api/v1/models/status?pipeline_id=passthrough' })).json()).toMatchObject({
      downloaded: true,
      progress: 100,
    });
    expect((await inject({ url: '/api/v1/models/status?pipeline_id=zzz' })).statusCode).toBe(404);
    expect(
      (await inject({ method: 'POST', url: '/api/v1/models/download', payload: { pipeline_id: 'longlive' } }))
        .statusCode,
    ).toBe(400);
  });
  it('recordings say why they are missing', async () => {
    const r = await inject({ method: 'POST', url: '/api/v1/recordings/headless/start' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toContain('no session "headless" is running');
    const g = await inject({ method: 'GET', url: '/api/v1/recordings/headless' });
    expect(g.statusCode).toBe(404);
    expect(g.json().error).toContain('has no finished recording');
  });
});

describe('bad input is answered, never fatal', () => {
  it('offer: no pipeline loaded → 400 "Pipeline not loaded"; malformed SDP → 400', async () => {
    const fresh = createServer({
      port: PORT,
      dataDir: join(dir, 'data2'),
      probe,
      log: () => {},
      createSession: () => {
        throw new Error('x');
      },
      createPeer: async () => {
        throw new Error('unreachable');
      },
    });
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n' +
      'a=fingerprint:sha-256 00:11\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
    const r = await fresh.app.inject({
      method: 'POST',
      url: '/api/v1/webrtc/offer',
      headers: H,
      payload: { sdp, type: 'offer' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().detail).toBe('Pipeline not loaded');
    for (const bad of [
      { sdp: 'hello', type: 'offer' },
      { sdp: 42 },
      { type: 'offer' },
      { sdp, type: 'answer' },
    ]) {
      const b = await fresh.app.inject({
        method: 'POST',
        url: '/api/v1/webrtc/offer',
        headers: H,
        payload: bad,
      });
      expect(b.statusCode).toBe(400);
    }
    await fresh.close();
  });
  it('unknown session ids → 404', async () => {
    expect(
      (await inject({ method: 'PATCH', url: '/api/v1/webrtc/offer/nope', payload: { candidates: [] } }))
        .statusCode,
    ).toBe(404);
    expect((await inject({ method: 'DELETE', url: '/api/v1/webrtc/offer/nope' })).statusCode).toBe(404);
  });
  it('non-JSON, non-object and deeply nested bodies → 400', async () => {
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    for (const payload of ['{not json', '[1,2]', deep, '{"__proto__":{"polluted":true}}']) {
      const r = await inject({
        method: 'POST',
        url: '/api/v1/pipeline/load',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.statusCode).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('oversize JSON body → 413', async () => {
    const r = await inject({
      method: 'POST',
      url: '/api/v1/pipeline/load',
      payload: JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.statusCode).toBe(413);
  });
  it('unknown endpoints → 404 JSON', async () => {
    const r = await inject({ url: '/api/v1/nothing' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toContain('/api/v1/nothing');
  });
});

describe('assets', () => {
  it('upload, list, serve; size cap; names and paths confined', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const up = await inject({
      method: 'POST',
      url: '/api/v1/assets?filename=a.png',
      payload: png,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ name: 'a.png', path: 'a.png', type: 'image' });
    const list = (await inject({ url: '/api/v1/assets?type=image' })).json();
    expect(list.assets.map((a: { name: string }) => a.name)).toEqual(['a.png']);
    expect((await inject({ url: '/api/v1/assets?type=video' })).json().assets).toEqual([]);
    const get = await inject({ url: '/api/v1/assets/a.png' });
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(get.rawPayload, png)).toBe(0);

    const big = await inject({
      method: 'POST',
      url: '/api/v1/assets?filename=b.png',
      payload: Buffer.alloc(4096),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(big.statusCode).toBe(413);
    for (const name of ['../x.png', 'a/b.png', '.hidden.png', 'x.exe', '..\\x.png']) {
      const r = await inject({
        method: 'POST',
        url: `/api/v1/assets?filename=${encodeURIComponent(name)}`,
        payload: png,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(r.statusCode).toBe(400);
    }
    writeFileSync(join(dir, 'secret.png'), 'TOPSECRETDATA');
    symlinkSync(join(dir, 'secret.png'), join(dir, 'data/assets/link.png'));
    for (const url of [
      '/api/v1/assets/../secret.png',
      '/api/v1/assets/..%2F..%2Fsecret.png',
      '/api/v1/assets/link.png',
      '/api/v1/assets/%2e%2e/%2e%2e/secret.png',
    ]) {
      const r = await inject({ url });
      expect(r.statusCode).toBe(404);
      expect(r.body).not.toContain('TOPSECRETDATA');
    }
  });
});

describe('patches', () => {
  it('PUT validates and confines names; GET reads back; list shows it', async () => {
    const patch = {
      format: 'patchbay',
      format_version: 1,
      metadata: { name: 'p', created_at: '2025-01-01T00:00:00.000Z', app_version: '0.1.0' },
      nodes: [
        {
          id: 'cam',
          type: 'camera',
          version: 1,
          params: { source_mode: 'test_pattern' },
          position: { x: 0, y: 0 },
        },
        { id: 'out', type: 'output', version: 1, params: {}, position: { x: 200, y: 0 } },
      ],
      edges: [{ id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'out', port: 'video' } }],
    };
    const put = await inject({ method: 'PUT', url: '/api/v1/patches/my show', payload: patch });
    expect(put.statusCode).toBe(200);
    const got = await inject({ url: '/api/v1/patches/my show' });
    expect(got.json().nodes).toHaveLength(2);
    const list = (await inject({ url: '/api/v1/patches' })).json();
    expect(list.patches).toContainEqual(expect.objectContaining({ name: 'my show', source: 'user' }));
    expect([400, 404]).toContain(
      (await inject({ method: 'PUT', url: '/api/v1/patches/..', payload: patch })).statusCode,
    );
    expect(
      (await inject({ method: 'PUT', url: '/api/v1/patches/%2e%2e%2fescape', payload: patch })).statusCode,
    ).toBe(400);
    expect(
      (await inject({ method: 'PUT', url: '/api/v1/patches/bad', payload: { format: 'patchbay' } }))
        .statusCode,
    ).toBe(400);
    expect((await inject({ url: '/api/v1/patches/none' })).statusCode).toBe(404);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}
