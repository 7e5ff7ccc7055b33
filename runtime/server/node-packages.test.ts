import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_API_VERSION } from '../../nodes';
import { loadNodePackages } from '../host';
import { decodeImage } from '../io';
import { startTestServer, type TestServer } from './test-server';

/**
 * Node packages: the example package (examples/node-package-invert) is copied into a data
 * folder and runs in a patch on a real server, with no change anywhere in runtime/ — and broken
 * packages beside it are refused with the package, the file and what to fix, while it runs.
 */

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../examples/node-package-invert');

/** A package folder under `<root>/nodes/<name>` with these files. */
function writePackage(root: string, name: string, files: Record<string, string>): void {
  const dir = join(root, 'nodes', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

const manifest = (name: string) =>
  JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.mjs' });

/** A package like the example's but with its node API version, definition or syntax broken. */
function brokenPackages(root: string): void {
  writePackage(root, 'old-api', {
    'package.json': manifest('patchbay-node-old-api'),
    'index.mjs': `export const nodeApiVersion = ${NODE_API_VERSION + 1};\nexport function nodeTypes() { return []; }\n`,
  });
  writePackage(root, 'syntax', {
    'package.json': manifest('patchbay-node-syntax'),
    'index.mjs': `export { nodeTypes, nodeApiVersion } from './runtime.mjs';\n`,
    'runtime.mjs': `export const nodeApiVersion = 1;\nexport function nodeTypes(api) {\n  return [api.nodeType(;\n}\n`,
  });
  writePackage(root, 'bad-schema', {
    'package.json': manifest('patchbay-node-bad-schema'),
    'index.mjs': `export const nodeApiVersion = ${NODE_API_VERSION};
export function nodeTypes(api) {
  const { z, port } = api;
  const definition = api.defineNode({
    type: 'bad-schema', version: 1, displayName: 'Bad', category: 'pipeline', description: 'no default',
    inputs: [port('video', 'video', true, 'in')], outputs: [port('video', 'video', false, 'out')],
    params: z.object({ amount: z.number() }),
    paramMeta: { amount: { mark: 'live', label: 'Amount', description: 'no default' } },
    migrations: [], requires: () => [], scope: { wireType: 'node' }, continuous: false,
  });
  return [api.nodeType(definition, () => { throw new Error('never'); })];
}
`,
  });
}

function decodeJpeg(bytes: ArrayBuffer): { width: number; height: number; data: Uint8Array } {
  return decodeImage(new Uint8Array(bytes), 'frame.jpg');
}

describe('node packages', () => {
  let srv: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pb-nodepkg-'));
    cpSync(EXAMPLE, join(dataDir, 'nodes', 'invert'), { recursive: true });
    brokenPackages(dataDir);
    srv = await startTestServer('pb-nodepkg-srv-', { dataDir, nodeModules: [] });
  });

  afterAll(async () => {
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the packaged node type and refuses the broken packages with the file and what to fix', async () => {
    const res = (await (await fetch(`${srv.url}/api/v1/nodes/definitions`)).json()) as {
      nodes: { node_type_id: string }[];
      packages: { package: string; types: string[] }[];
      refused: { package: string; file: string; reason: string; fix: string }[];
    };
    const types = res.nodes.map((n) => n.node_type_id);
    expect(types).toContain('invert');
    expect(types).toContain('pipeline');
    expect(types).not.toContain('bad-schema');
    expect(res.packages).toEqual([{ package: 'patchbay-node-invert', version: '1.0.0', types: ['invert'] }]);
    const byName = new Map(res.refused.map((r) => [r.package, r]));
    expect(byName.get('patchbay-node-old-api')).toMatchObject({
      file: join(dataDir, 'nodes', 'old-api', 'index.mjs'),
      reason: expect.stringContaining(`node API version ${NODE_API_VERSION + 1}`),
      fix: expect.stringContaining('Update Patchbay'),
    });
    expect(byName.get('patchbay-node-syntax')).toMatchObject({
      file: join(dataDir, 'nodes', 'syntax', 'runtime.mjs'),
      reason: "it could not be loaded: SyntaxError: Unexpected token ';' at line 3",
      fix: expect.stringContaining('Fix the syntax error in that file'),
    });
    expect(byName.get('patchbay-node-bad-schema')).toMatchObject({
      file: join(dataDir, 'nodes', 'bad-schema', 'index.mjs'),
      reason: expect.stringContaining('every param needs a default'),
    });
    expect(res.refused).toHaveLength(3);
  });

  it('runs the packaged node in a patch: its frames are the negative of its input', async () => {
    const patch = {
      format: 'patchbay',
      format_version: 1,
      metadata: { name: 'invert', created_at: '2026-12-03T00:00:00Z', app_version: '0.1.0' },
      nodes: [
        {
          id: 'cam',
          type: 'camera',
          version: 1,
          position: { x: 0, y: 0 },
          params: { source_mode: 'test_pattern', fps: 2, width: 64, height: 64 },
        },
        { id: 'inv', type: 'invert', version: 1, position: { x: 0, y: 0 }, params: {} },
        { id: 'raw', type: 'output', version: 1, position: { x: 0, y: 0 }, params: { name: 'raw' } },
        { id: 'neg', type: 'output', version: 1, position: { x: 0, y: 0 }, params: { name: 'neg' } },
      ],
      edges: [
        { id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'inv', port: 'video' } },
        { id: 'e2', from: { node: 'inv', port: 'video' }, to: { node: 'neg', port: 'video' } },
        { id: 'e3', from: { node: 'cam', port: 'video' }, to: { node: 'raw', port: 'video' } },
      ],
    };
    const start = await fetch(`${srv.url}/api/v1/session/start`, {
      method: 'POST',
      body: JSON.stringify({ patch }),
    });
    expect(start.status, await start.clone().text()).toBe(200);
    // Frames come every 500 ms: read both outputs back to back, retrying until they are one frame.
    let best = 0;
    for (let attempt = 0; attempt < 40 && best < 0.9; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      const [a, b] = await Promise.all(
        ['raw', 'neg'].map((id) => fetch(`${srv.url}/api/v1/session/frame?sink_node_id=${id}`)),
      );
      if (a!.status !== 200 || b!.status !== 200) continue;
      const raw = decodeJpeg(await a!.arrayBuffer());
      const neg = decodeJpeg(await b!.arrayBuffer());
      expect([neg.width, neg.height]).toEqual([64, 64]);
      // Each colour channel of the negative is 255 minus the input's (JPEG blurs edges a little).
      let close = 0;
      let channels = 0;
      for (let i = 0; i < raw.data.length; i += 4)
        for (let c = 0; c < 3; c++, channels++)
          if (Math.abs(raw.data[i + c]! + neg.data[i + c]! - 255) <= 24) close++;
      best = Math.max(best, close / channels);
    }
    expect(best).toBeGreaterThan(0.9);
  });
});

describe('loadNodePackages', () => {
  it('finds npm packages by keyword, skips the rest, and never throws for a broken one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pb-nodepkg-npm-'));
    try {
      cpSync(EXAMPLE, join(root, 'node_modules', 'patchbay-node-invert'), { recursive: true });
      mkdirSync(join(root, 'node_modules', 'left-pad'), { recursive: true });
      writeFileSync(join(root, 'node_modules', 'left-pad', 'package.json'), '{"name":"left-pad"}');
      mkdirSync(join(root, 'node_modules', '@scope', 'broken'), { recursive: true });
      writeFileSync(
        join(root, 'node_modules', '@scope', 'broken', 'package.json'),
        JSON.stringify({ name: '@scope/broken', keywords: ['patchbay-node'], main: 'missing.mjs' }),
      );
      const got = await loadNodePackages({ nodeModules: [join(root, 'node_modules')] });
      expect(got.loaded.map((p) => p.package)).toEqual(['patchbay-node-invert']);
      expect(got.registry.get('invert')?.displayName).toBe('Invert');
      expect(got.registry.runtime('invert')).toBeTypeOf('function');
      expect(got.registry.runtime('camera')).toBeTypeOf('function');
      expect(got.refused).toEqual([
        {
          package: '@scope/broken',
          file: join(root, 'node_modules', '@scope', 'broken', 'package.json'),
          reason: expect.stringContaining('"main" names missing.mjs'),
          fix: expect.any(String),
        },
      ]);
      // The same type twice (a data-folder copy and an npm one) is refused the second time.
      cpSync(EXAMPLE, join(root, 'nodes', 'invert'), { recursive: true });
      const twice = await loadNodePackages({ dataDir: root, nodeModules: [join(root, 'node_modules')] });
      expect(twice.refused.some((r) => r.reason.includes('"invert" is already provided'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
