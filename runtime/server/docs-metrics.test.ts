import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from './openapi';
import { startTestServer, type TestServer } from './test-server';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every route fastify has, from its own printRoutes() tree: "METHOD /path" (HEAD left out). */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ├└─]*?)(?:[├└]── )(.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length;
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack.length ? stack[stack.length - 1]!.path : '';
    const seg = m[2]!;
    const path =
      parent === '' ? seg : parent.endsWith('/') || seg.startsWith('/') ? parent + seg : `${parent}/${seg}`;
    stack.push({ depth, path });
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

/** A small Prometheus text-format (0.0.4) parser: throws on any line it cannot read. */
function parsePrometheus(text: string) {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!))
          throw new Error(`line ${i + 1}: bad type ${m[3]}`);
        types.set(m[2]!, m[3]!);
      } else helps.set(m[2]!, m[3]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let l: RegExpExecArray | null;
      let consumed = 0;
      while ((l = re.exec(m[2]))) {
        labels[l[1]!] = l[2]!;
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`line ${i + 1}: bad labels ${m[2]}`);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`line ${i + 1}: bad value ${m[3]}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !types.has(family)) throw new Error(`line ${i + 1}: ${m[1]} has no # TYPE`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, helps, samples };
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('pb-docs-metrics-');
});
afterAll(async () => {
  await t?.close();
});

describe('/docs', () => {
  it('serves Swagger UI from the npm package', async () => {
    const r = await fetch(`${t.url}/docs/static/index.html`);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/swagger-ui/i);
  });

  it('lists every registered route in the OpenAPI document, with zod-generated request bodies', async () => {
    const r = await fetch(`${t.url}/docs/json`);
    expect(r.status).toBe(200);
    type Schema = { type?: string; required?: string[]; properties?: Record<string, Schema> };
    const doc = (await r.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const routes = registeredRoutes(t.server.app.printRoutes({ commonPrefix: false })).filter(
      (r) => !r.split(' ')[1]!.startsWith('/docs'),
    );
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      const [method, url] = route.split(' ') as [string, string];
      expect(documented, route).toContain(`${method} ${openApiPath(url).path}`);
    }
    expect(documented.size).toBe(routes.length);
    // The patch schema (patches/format) documents session/start's `patch` and PUT /patches/{name}.
    const start = doc.paths['/api/v1/session/start']!.post!.requestBody.content['application/json'].schema;
    expect(start.properties!.patch!.properties!.nodes!.type).toBe('array');
    expect(
      doc.paths['/api/v1/patches/{name}']!.put!.requestBody.content['application/json'].schema.required,
    ).toContain('nodes');
    expect(
      doc.paths['/api/v1/webrtc/offer']!.post!.requestBody.content['application/json'].schema.required,
    ).toEqual(['sdp', 'type']);
  });

  it('is behind the Host check like every route', async () => {
    const r = await t.server.app.inject({ url: '/docs/json', headers: { host: 'evil.example' } });
    expect(r.statusCode).toBe(403);
  });
});

describe('/metrics', () => {
  it('is Prometheus text with per-node fps, latency and drops of a running session', async () => {
    const patch = JSON.parse(readFileSync(join(root, 'patches/examples/test-pattern-gray.patch'), 'utf8'));
    const started = await fetch(`${t.url}/api/v1/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patch }),
    });
    expect(started.status, await started.clone().text()).toBe(200);
    // Stats are computed once a second.
    await new Promise((r) => setTimeout(r, 2500));
    const r = await fetch(`${t.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(await r.text());
    const one = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(one('patchbay_sessions', { kind: 'headless' })[0]!.value).toBe(1);
    expect(one('patchbay_sessions', { kind: 'webrtc' })[0]!.value).toBe(0);
    expect(one('patchbay_peers')[0]!.value).toBe(0);
    expect(types.get('patchbay_worker_restarts_total')).toBe('counter');
    expect(one('patchbay_worker_restarts_total')).toHaveLength(1);
    const fps = one('patchbay_node_fps', { kind: 'headless' });
    expect(fps.length).toBeGreaterThan(0);
    expect(Math.max(...fps.map((s) => s.value))).toBeGreaterThan(5);
    expect(one('patchbay_node_latency_p50_ms', { kind: 'headless' }).length).toBe(fps.length);
    expect(one('patchbay_node_drops_total', { kind: 'headless' }).length).toBe(fps.length);
    expect(one('process_resident_memory_bytes')[0]!.value).toBeGreaterThan(0);
    await fetch(`${t.url}/api/v1/session/stop`, { method: 'POST' });
  });
});
