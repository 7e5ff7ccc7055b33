import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemorySink } from '../events';
import { createServer, type PatchbayServer } from '../server';
import { createSession } from '../session';
import { CLOSE, RELAY_PATH } from './protocol';
import { enableCloudMode, type CloudMode, type CloudModeOptions } from './cloud-server';

const TOKEN = 'test-token-0123456789abcdefghijklmnop';

interface Harness {
  server: PatchbayServer;
  cloud: CloudMode;
  url: string;
  sink: MemorySink;
}

const open: Harness[] = [];
const sockets: WebSocket[] = [];

async function start(opts: Partial<CloudModeOptions> = {}): Promise<Harness> {
  const server = createServer({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'pb-cloud-')),
    createSession: (o) => createSession(o),
    log: () => {},
  });
  const sink = new MemorySink();
  const cloud = enableCloudMode(server, { token: TOKEN, sinks: [sink], ...opts });
  const url = await server.listen();
  const h = { server, cloud, url, sink };
  open.push(h);
  return h;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const h of open.splice(0)) await h.server.close();
});

/** A client that records every message and the close. */
class Client {
  readonly messages: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly ws: WebSocket;
  private waiters: (() => void)[] = [];

  constructor(url: string, token?: string) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + RELAY_PATH, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    sockets.push(this.ws);
    this.ws.on('message', (d) => {
      this.messages.push(JSON.parse(String(d)) as Record<string, unknown>);
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
    this.ws.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until<T>(fn: () => T | undefined | null | false, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out; messages: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** The next message of a type (with a request_id, the reply to it). */
  reply(type: string, requestId?: string): Promise<Record<string, unknown>> {
    return this.until(() =>
      this.messages.find((m) => m.type === type && (requestId === undefined || m.request_id === requestId)),
    );
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  async request(msg: Record<string, unknown>, replyType: string): Promise<Record<string, unknown>> {
    await this.reply('ready');
    const request_id = `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...msg, request_id });
    return this.until(() =>
      this.messages.find((m) => m.request_id === request_id && (m.type === replyType || m.type === 'error')),
    );
  }

  waitClose(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed);
  }
}

describe('cloud relay endpoint: token', () => {
  it('sends ready, then closes with 4401 and answers nothing when a message comes before the token', async () => {
    const { url } = await start();
    const c = new Client(url);
    const ready = await c.reply('ready');
    expect(typeof ready.connection_id).toBe('string');
    c.send({ type: 'ping', request_id: 'p1' });
    c.send({ type: 'get_ice_servers', request_id: 'p2' });
    expect((await c.waitClose()).code).toBe(CLOSE.TOKEN_REQUIRED);
    expect(c.messages.map((m) => m.type)).toEqual(['ready']);
  });

  it('closes with 4403 for a wrong token, in the header or in an auth message', async () => {
    const { url, cloud } = await start();
    const a = new Client(url, 'wrong-token-xxxxxxxxx');
    expect((await a.waitClose()).code).toBe(CLOSE.TOKEN_INVALID);
    expect(a.messages.map((m) => m.type)).toEqual(['ready']);
    const b = new Client(url);
    await b.reply('ready');
    b.send({ type: 'auth', token: 'nope' });
    b.send({ type: 'ping', request_id: 'x' });
    expect((await b.waitClose()).code).toBe(CLOSE.TOKEN_INVALID);
    expect(b.messages.map((m) => m.type)).toEqual(['ready']);
    await b.until(() => cloud.connections().length === 0);
  });

  it('closes a connection that presents no token in time', async () => {
    const { url } = await start({ authTimeoutMs: 200 });
    const c = new Client(url);
    expect((await c.waitClose()).code).toBe(CLOSE.TOKEN_REQUIRED);
  });

  it('accepts the token as an auth message, then answers ping with pong', async () => {
    const { url } = await start();
    const c = new Client(url);
    await c.reply('ready');
    c.send({ type: 'auth', token: TOKEN });
    const pong = await c.request({ type: 'ping' }, 'pong');
    expect(pong.type).toBe('pong');
    expect(typeof pong.timestamp).toBe('number');
  });

  it('closes plain HTTP except /health in cloud mode', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const res = await fetch(`${url}/api/v1/assets`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/cloud mode/);
  });
});

describe('cloud relay endpoint: messages', () => {
  it('answers set_user_id, get_ice_servers and proxied api calls with the request_id', async () => {
    const { url } = await start();
    const c = new Client(url, TOKEN);
    expect(await c.request({ type: 'set_user_id', user_id: 'vj' }, 'user_id_set')).toMatchObject({
      user_id: 'vj',
    });
    expect(await c.request({ type: 'get_ice_servers' }, 'ice_servers')).toMatchObject({
      data: { iceServers: [] },
    });
    const schemas = await c.request(
      { type: 'api', method: 'GET', path: '/api/v1/pipelines/schemas' },
      'api_response',
    );
    expect(schemas.status).toBe(200);
    expect(Object.keys((schemas.data as { pipelines: object }).pipelines)).toContain('gray');
    const load = await c.request(
      { type: 'api', method: 'POST', path: '/api/v1/pipeline/load', body: { pipeline_ids: ['gray'] } },
      'api_response',
    );
    expect(load.status).toBe(200);
    const status = await c.request(
      { type: 'api', method: 'GET', path: '/api/v1/pipeline/status' },
      'api_response',
    );
    expect(status.status).toBe(200);
    expect(status.data).toHaveProperty('status');
    const refused = await c.request(
      { type: 'api', method: 'GET', path: '/api/v1/session/metrics' },
      'api_response',
    );
    expect(refused).toMatchObject({
      status: 403,
      error: expect.stringMatching(/not available through the cloud relay/),
    });
    const unknownSession = await c.request(
      { type: 'api', method: 'DELETE', path: '/api/v1/webrtc/offer/someone-elses' },
      'api_response',
    );
    expect(unknownSession.status).toBe(404);
  });

  it('answers malformed messages with an error and keeps the connection', async () => {
    const { url } = await start();
    const c = new Client(url, TOKEN);
    await c.request({ type: 'ping' }, 'pong');
    const bad: unknown[] = [
      'not json {',
      '[1,2,3]',
      { no_type: true },
      { type: 'teleport', request_id: 't1' },
      { type: 'offer', request_id: 'o1' },
      { type: 'api', method: 'GET', path: '/etc/passwd', request_id: 'a1' },
      '{"type":"ping","x":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
      '{"type":"ping","__proto__":{"polluted":1}}',
    ];
    await c.reply('ready');
    for (const m of bad) c.send(m);
    const errors = await c.until(() => {
      const e = c.messages.filter((m) => m.type === 'error');
      return e.length >= bad.length ? e : null;
    });
    expect(errors.map((e) => e.code)).toEqual([
      'BAD_MESSAGE',
      'BAD_MESSAGE',
      'BAD_MESSAGE',
      'UNKNOWN_TYPE',
      'BAD_MESSAGE',
      'BAD_MESSAGE',
      'BAD_MESSAGE',
      'BAD_MESSAGE',
    ]);
    expect(errors[3]).toMatchObject({ request_id: 't1', error: expect.stringContaining('teleport') });
    expect(errors[4]).toMatchObject({ request_id: 'o1', error: expect.stringContaining('sdp') });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(c.closed).toBeNull();
    expect((await c.request({ type: 'ping' }, 'pong')).type).toBe('pong');
  });

  it('keeps each connection to its own assets and removes them when it ends', async () => {
    const { url, cloud } = await start();
    const a = new Client(url, TOKEN);
    const b = new Client(url, TOKEN);
    const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
    const up = await a.request(
      {
        type: 'api',
        method: 'POST',
        path: '/api/v1/assets?filename=secret.png',
        body: { data_base64: png.toString('base64') },
      },
      'api_response',
    );
    expect(up).toMatchObject({ status: 200, data: { name: 'secret.png', type: 'image' } });
    const listA = await a.request({ type: 'api', method: 'GET', path: '/api/v1/assets' }, 'api_response');
    expect((listA.data as { assets: { name: string }[] }).assets.map((x) => x.name)).toEqual(['secret.png']);
    const getA = await a.request(
      { type: 'api', method: 'GET', path: '/api/v1/assets/secret.png' },
      'api_response',
    );
    expect(Buffer.from((getA.data as { data_base64: string }).data_base64, 'base64').equals(png)).toBe(true);

    const listB = await b.request(
      { type: 'api', method: 'GET', path: '/api/v1/assets?type=image' },
      'api_response',
    );
    expect(listB).toMatchObject({ status: 200, data: { assets: [] } });
    for (const path of ['/api/v1/assets/secret.png', '/api/v1/assets/..%2Fsecret.png']) {
      const getB = await b.request({ type: 'api', method: 'GET', path }, 'api_response');
      expect(getB.status).toBe(404);
    }
    const traversal = await a.request(
      {
        type: 'api',
        method: 'POST',
        path: '/api/v1/assets?filename=../x.png',
        body: { data_base64: 'AA==' },
      },
      'api_response',
    );
    expect(traversal.status).toBe(400);

    const dir = cloud.connections().find((c) => c.assets_dir)!.assets_dir!;
    expect(existsSync(join(dir, 'secret.png'))).toBe(true);
    a.ws.close();
    await a.waitClose();
    await a.until(() => !existsSync(dir));
  });

  it('ends a connection at the maximum duration with MAX_DURATION_EXCEEDED, then closes', async () => {
    const { url, sink } = await start({ maxSessionMs: 300 });
    const c = new Client(url, TOKEN);
    const closed = await c.waitClose();
    expect(closed.code).toBe(CLOSE.MAX_DURATION);
    const last = c.messages.at(-1);
    expect(last).toEqual({ type: 'error', error: 'Max duration exceeded', code: 'MAX_DURATION_EXCEEDED' });
    await c.until(() => sink.events.some((e) => e.data.type === 'websocket_disconnected'));
    const types = sink.events.map((e) => e.data.type);
    expect(types[0]).toBe('websocket_connected');
    expect(new Set(sink.events.map((e) => e.data.connection_id)).size).toBe(1);
  });
});
