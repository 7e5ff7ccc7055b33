import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRegistry,
  defineNode,
  port,
  registry,
  type NodeDefinition,
  type ParamsShape,
} from '../../nodes';
import { parsePatch, isValidPatch } from './parse';
import { serializePatch } from './serialize';
import { PATCH_LIMITS } from './guard';
import type { Patch } from './types';

function basePatch(): Patch {
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: 'test', created_at: '2026-01-01T00:00:00.000Z', app_version: '0.1.0' },
    nodes: [
      {
        id: 'cam',
        type: 'camera',
        version: 1,
        position: { x: 0, y: 0 },
        params: { source_mode: 'test_pattern' },
      },
      {
        id: 'pipe',
        type: 'pipeline',
        version: 1,
        position: { x: 300, y: 0 },
        params: { pipeline_id: 'gray' },
      },
      { id: 'out', type: 'output', version: 1, position: { x: 600, y: 0 }, params: {} },
    ],
    edges: [
      { id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'pipe', port: 'video' } },
      { id: 'e2', from: { node: 'pipe', port: 'video' }, to: { node: 'out', port: 'video' } },
    ],
  };
}

const codes = (r: ReturnType<typeof parsePatch>) => r.issues.map((i) => `${i.code} ${i.pathText}`);

describe('parsePatch', () => {
  it('reads a valid patch from text and from a value, with no issues', () => {
    for (const input of [JSON.stringify(basePatch()), basePatch()]) {
      const r = parsePatch(input);
      expect(r.ok).toBe(true);
      expect(r.issues).toEqual([]);
      expect(isValidPatch(r)).toBe(true);
    }
  });

  it('keeps unknown fields at every level through a load/save round trip', () => {
    const p = basePatch() as Patch & Record<string, unknown>;
    p.future_top = { a: [1, 2] };
    p.metadata.tags = ['live'];
    p.nodes[0]!.colour = 'red';
    p.nodes[0]!.position = { x: 1, y: 2, z: 3 } as Patch['nodes'][number]['position'];
    p.edges[0]!.label = 'feed';
    (p.edges[0]!.from as unknown as Record<string, unknown>).note = 'x';
    const r = parsePatch(serializePatch(p));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.patch).toEqual(p);
    expect(serializePatch(r.patch)).toBe(serializePatch(p));
  });

  it('serializes with 2-space indent, a trailing newline and a fixed key order', () => {
    const p = basePatch();
    const shuffled = {
      edges: p.edges,
      nodes: p.nodes,
      metadata: p.metadata,
      format_version: 1,
      format: 'patchbay',
    } as Patch;
    const text = serializePatch(shuffled);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.startsWith('{\n  "format": "patchbay",\n  "format_version": 1,\n  "metadata"')).toBe(true);
    expect(text).toBe(serializePatch(p));
  });

  it('reports invalid params with a path into params, and keeps unknown params as warnings', () => {
    const p = basePatch();
    p.nodes[0]!.params = { source_mode: 'test_pattern', fps: 500, sparkle: true };
    const r = parsePatch(p);
    expect(r.ok).toBe(true);
    expect(codes(r)).toEqual(['UNKNOWN_PARAM nodes[0].params.sparkle', 'INVALID_PARAM nodes[0].params.fps']);
    expect(r.issues[0]!.severity).toBe('warning');
    expect(r.issues[1]!.severity).toBe('error');
    expect(r.issues[1]!.message).toMatch(/120/);
    expect(isValidPatch(r)).toBe(false);
    if (r.ok) expect(r.patch.nodes[0]!.params.sparkle).toBe(true);
  });

  it('reports nested param paths (timeline entries)', () => {
    const p = basePatch();
    p.nodes.push({
      id: 'tl',
      type: 'prompt-timeline',
      version: 1,
      position: { x: 0, y: 200 },
      params: { entries: [{ start_time: 0, end_time: 5, prompts: [{ text: 'a', weight: 2 }] }] },
    });
    const r = parsePatch(p);
    expect(codes(r)).toEqual(['INVALID_PARAM nodes[3].params.entries[0].prompts[0].weight']);
  });

  it('keeps an unknown node type as a warning, not an error', () => {
    const p = basePatch();
    p.nodes.push({
      id: 'fx',
      type: 'glitch-9000',
      version: 4,
      position: { x: 0, y: 0 },
      params: { amount: 3 },
    });
    p.edges.push({
      id: 'e3',
      from: { node: 'fx', port: 'anything' },
      to: { node: 'pipe', port: 'vace_input_frames' },
    });
    const r = parsePatch(p);
    expect(r.ok).toBe(true);
    expect(codes(r)).toEqual(['UNKNOWN_NODE_TYPE nodes[3].type']);
    expect(isValidPatch(r)).toBe(true);
  });

  it('reports duplicate ids, edges to missing nodes and missing ports', () => {
    const p = basePatch();
    p.nodes.push({ ...p.nodes[2]! });
    p.edges.push({ id: 'e2', from: { node: 'pipe', port: 'output' }, to: { node: 'ghost', port: 'video' } });
    const r = parsePatch(p);
    expect(codes(r)).toEqual([
      'DUPLICATE_NODE_ID nodes[3].id',
      'DUPLICATE_EDGE_ID edges[2].id',
      'UNKNOWN_PORT edges[2].from.port',
      'UNKNOWN_EDGE_NODE edges[2].to.node',
    ]);
  });

  it('uses param-dependent ports (an NDI sender has an input, a receiver does not)', () => {
    const p = basePatch();
    p.nodes.push({
      id: 'ndi',
      type: 'ndi',
      version: 1,
      position: { x: 0, y: 0 },
      params: { direction: 'send' },
    });
    p.edges.push({ id: 'e3', from: { node: 'pipe', port: 'video' }, to: { node: 'ndi', port: 'video' } });
    expect(parsePatch(p).issues).toEqual([]);
    p.nodes[3]!.params = { direction: 'receive' };
    expect(codes(parsePatch(p))).toEqual(['UNKNOWN_PORT edges[2].to.port']);
  });

  it('fails on structural errors with paths', () => {
    const p = basePatch() as unknown as Record<string, unknown>;
    (p.nodes as Record<string, unknown>[])[1]!.position = { x: 'left', y: 0 };
    (p.edges as Record<string, unknown>[])[0]!.id = '.bad';
    delete (p.metadata as Record<string, unknown>).name;
    const r = parsePatch(p);
    expect(r.ok).toBe(false);
    expect(codes(r).sort()).toEqual([
      'INVALID_FIELD edges[0].id',
      'INVALID_FIELD metadata.name',
      'INVALID_FIELD nodes[1].position.x',
    ]);
    expect(r.issues.find((i) => i.pathText === 'metadata.name')!.message).toMatch(/missing/);
  });

  it('refuses non-objects, other formats and newer format versions with clear messages', () => {
    expect(codes(parsePatch('[1,2]'))).toEqual(['NOT_AN_OBJECT (root)']);
    expect(codes(parsePatch('{"format":"other"}'))).toEqual(['WRONG_FORMAT format']);
    const wf = parsePatch({ format: 'scope-workflow', format_version: '1.0', pipelines: [] });
    expect(wf.issues[0]!.message).toMatch(/Scope workflow.*patchbay import/);
    const tl = parsePatch({ version: '2.1', prompts: [], settings: {} });
    expect(tl.issues[0]!.message).toMatch(/Scope timeline/);
    const newer = parsePatch({ ...basePatch(), format_version: 7 });
    expect(codes(newer)).toEqual(['FORMAT_TOO_NEW format_version']);
    expect(newer.issues[0]!.message).toMatch(/version 7.*up to version 1/);
    expect(codes(parsePatch({ ...basePatch(), format_version: '1' }))).toEqual([
      'INVALID_FORMAT_VERSION format_version',
    ]);
  });

  it('reports JSON syntax errors without throwing, and accepts a byte-order mark', () => {
    const r = parsePatch('{"format": "patchbay",');
    expect(codes(r)).toEqual(['INVALID_JSON (root)']);
    expect(parsePatch('\ufeff' + JSON.stringify(basePatch())).ok).toBe(true);
  });
});

describe('parsePatch guards (before JSON.parse and zod)', () => {
  it('refuses deep nesting in text without a RangeError (depth 100,000)', () => {
    const text = '{"format":"patchbay","x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const r = parsePatch(text);
    expect(codes(r)).toEqual(['TOO_DEEP (root)']);
  });

  it('ignores brackets inside strings when measuring depth', () => {
    const p = basePatch();
    p.metadata.name = '[[[[{{{{'.repeat(20) + '\\"[';
    expect(parsePatch(JSON.stringify(p)).ok).toBe(true);
  });

  it('refuses deep and self-referencing values handed in as objects', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(codes(parsePatch({ ...basePatch(), deep }))[0]).toMatch(/^TOO_DEEP deep\[0\]/);
    const cyclic: Record<string, unknown> = { ...basePatch() };
    cyclic.self = cyclic;
    expect(parsePatch(cyclic).issues[0]!.code).toBe('TOO_DEEP');
  });

  it('refuses text over the size limit before parsing it', () => {
    const r = parsePatch('{"a":"' + 'x'.repeat(64) + '"}', { limits: { ...PATCH_LIMITS, maxBytes: 32 } });
    expect(codes(r)).toEqual(['TOO_LARGE (root)']);
    // multi-byte characters count as UTF-8 bytes
    const r2 = parsePatch('"' + 'é'.repeat(12) + '"', { limits: { ...PATCH_LIMITS, maxBytes: 20 } });
    expect(codes(r2)).toEqual(['TOO_LARGE (root)']);
  });

  it('refuses "__proto__" keys anywhere, so nothing is polluted', () => {
    const p = basePatch();
    const text = JSON.stringify(p).replace(
      '"params":{"source_mode"',
      '"params":{"__proto__":{"polluted":true},"source_mode"',
    );
    const r = parsePatch(text);
    expect(codes(r)).toEqual(['FORBIDDEN_KEY nodes[0].params.__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses values JSON cannot hold', () => {
    const p = basePatch();
    p.nodes[0]!.params = { fps: Number.NaN, cb: () => 1 };
    expect(codes(parsePatch(p)).sort()).toEqual([
      'NOT_JSON nodes[0].params.cb',
      'NOT_JSON nodes[0].params.fps',
    ]);
    expect(() => serializePatch(p)).toThrow(/cannot save the patch: nodes\[0\]\.params\.(fps|cb)/);
  });
});

describe('node versions', () => {
  const v3 = defineNode({
    type: 'camera',
    version: 3,
    displayName: 'Camera v3',
    category: 'source',
    description: 'test definition',
    inputs: [],
    outputs: [port('video', 'video', false, 'frames')],
    params: z.object({
      mode: z.enum(['camera', 'test_pattern']).default('camera'),
      rate: z.number().default(30),
    }),
    paramMeta: {
      mode: { mark: 'load', label: 'Mode', description: '' },
      rate: { mark: 'live', label: 'Rate', description: '' },
    },
    migrations: [
      {
        from: 1,
        name: 'rename-source-mode',
        up: ({ source_mode, ...rest }) => ({ ...rest, mode: source_mode }),
      },
      {
        from: 2,
        name: 'rename-fps',
        up: ({ fps, ...rest }) => ({ ...rest, ...(fps === undefined ? {} : { rate: fps }) }),
      },
    ],
    requires: () => [],
    scope: { wireType: 'source' },
    continuous: true,
  });
  const reg = createRegistry([
    v3 as unknown as NodeDefinition<ParamsShape>,
    ...registry.list().filter((d) => d.type !== 'camera'),
  ]);

  it('applies each definition migration in order and records it', () => {
    const p = basePatch();
    p.nodes[0]!.params = { source_mode: 'test_pattern', fps: 12 };
    const r = parsePatch(p, { registry: reg });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.issues).toEqual([]);
    expect(r.patch.nodes[0]!.version).toBe(3);
    expect(r.patch.nodes[0]!.params).toEqual({ mode: 'test_pattern', rate: 12 });
    expect(r.migrations).toEqual([
      'cam: camera rename-source-mode (v1→v2)',
      'cam: camera rename-fps (v2→v3)',
    ]);
  });

  it('refuses a node version newer than its definition with a clear error, leaving the node as written', () => {
    const p = basePatch();
    p.nodes[0]!.version = 2;
    const r = parsePatch(p);
    expect(codes(r)).toEqual(['NODE_VERSION_TOO_NEW nodes[0].version']);
    expect(r.issues[0]!.message).toMatch(/version 2.*version 1/);
    if (r.ok) expect(r.patch.nodes[0]!.version).toBe(2);
  });

  it('reports a migration that throws as NODE_MIGRATION_FAILED', () => {
    const broken = {
      ...v3,
      migrations: [
        {
          from: 1,
          name: 'boom',
          up: () => {
            throw new Error('bad data');
          },
        },
        v3.migrations[1]!,
      ],
    };
    const reg2 = createRegistry([broken as unknown as NodeDefinition<ParamsShape>]);
    const p = basePatch();
    p.nodes = [p.nodes[0]!];
    p.edges = [];
    const r = parsePatch(p, { registry: reg2 });
    expect(codes(r)).toEqual(['NODE_MIGRATION_FAILED nodes[0].version']);
    expect(r.issues[0]!.message).toMatch(/boom.*bad data/);
  });
});

describe('JSON error messages', () => {
  it('escape control characters from binary input', () => {
    const r = parsePatch('\u0001\u0002binary');
    expect(r.issues[0]!.code).toBe('INVALID_JSON');
    expect([...r.issues[0]!.message].every((c) => c.charCodeAt(0) >= 0x20)).toBe(true);
    expect(r.issues[0]!.message).toContain('\\u0001');
  });
});

describe('value count limit', () => {
  it('refuses a flat document with more values than the limit, from text and from a value', () => {
    const limits = { maxBytes: 1 << 20, maxDepth: 64, maxValues: 1000 };
    const many = Array.from({ length: 1000 }, (_, i) => i);
    expect(parsePatch(JSON.stringify(many), { limits }).issues[0]!.code).toBe('TOO_MANY_VALUES');
    expect(parsePatch(many, { limits }).issues[0]!.code).toBe('TOO_MANY_VALUES');
    expect(parsePatch(JSON.stringify(many.slice(0, 900)), { limits }).issues[0]!.code).toBe('NOT_AN_OBJECT');
  });
});
