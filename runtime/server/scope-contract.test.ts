/**
 * Contract tests: every endpoint Scope's frontend v0.2.4 calls answers in Scope's shape. The
 * zod schemas below are transcribed from Scope's own models (src/scope/server/schema.py,
 * core/workflows/resolve.py, app.py, mcp_router.py, tempo_router.py at v0.2.4); `.strict()` is not
 * used because Patchbay may add fields (Scope's pydantic clients ignore extras), but every field
 * Scope declares must be there with its type.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HostProbe } from '../host';
import { createSession } from '../session';
import { createServer, type PatchbayServer } from './server';

const PORT = 8131;
const H = { host: `127.0.0.1:${PORT}` };

const probe = async (): Promise<HostProbe> => ({
  capabilities: {
    spout: { available: false, reason: 'not Windows', install_hint: 'Spout is Windows-only' },
    ndi: { available: false, reason: 'no lib', install_hint: 'Install the NDI Runtime' },
    cuda: { available: false, reason: 'no GPU' },
    camera: { available: true },
    remote: { available: false, reason: 'no relay' },
  },
  vram_gb: 0,
  syphon: { available: false, reason: 'macOS only' },
});

const nullableString = z.string().nullable();

// --- Scope's models -------------------------------------------------------------------------
const ResolutionItem = z.object({
  kind: z.enum(['pipeline', 'node', 'plugin', 'lora']),
  name: z.string(),
  status: z.enum(['ok', 'missing', 'version_mismatch']),
  detail: nullableString,
  action: nullableString,
  can_auto_resolve: z.boolean(),
});
const WorkflowResolutionPlan = z.object({
  can_apply: z.boolean(),
  items: z.array(ResolutionItem),
  warnings: z.array(z.string()),
});
const OnboardingStatusResponse = z.object({
  completed: z.boolean(),
  inference_mode: nullableString,
  onboarding_style: nullableString,
  referral_source: nullableString,
  use_case: nullableString,
});
const PluginListResponse = z.object({
  plugins: z.array(z.object({ name: z.string(), source: z.enum(['pypi', 'git', 'local']) })),
  total: z.number().int(),
  failed_plugins: z.array(
    z.object({
      package_name: z.string(),
      entry_point_name: z.string(),
      error_type: z.string(),
      error_message: z.string(),
    }),
  ),
});
const InputSourceTypes = z.object({
  input_sources: z.array(
    z.object({
      source_id: z.string(),
      source_name: z.string(),
      source_description: z.string(),
      available: z.boolean(),
    }),
  ),
});
const InputSources = z.object({
  source_type: z.string(),
  sources: z.array(
    z.object({
      name: z.string(),
      identifier: z.string(),
      metadata: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});
const LogsTail = z.object({ lines: z.array(z.string()), offset: z.number().int().nonnegative() });
const ApiKeysListResponse = z.object({
  keys: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string(),
      is_set: z.boolean(),
      source: nullableString,
      env_var: nullableString,
      key_url: nullableString,
    }),
  ),
});
const TempoStatusResponse = z.object({
  enabled: z.boolean(),
  source: z.record(z.string(), z.unknown()).nullable(),
  beats_per_bar: z.number().int(),
  beat_state: z.record(z.string(), z.unknown()).nullable(),
});
const OscStatus = z.object({
  enabled: z.boolean(),
  listening: z.boolean(),
  port: z.number().nullable(),
  host: nullableString,
  log_all_messages: z.boolean(),
});
const DmxStatus = OscStatus.extend({ preferred_port: z.number(), mapping_count: z.number() });
const Paths = z.object({
  active: z.record(z.string(), z.unknown()),
  available: z.record(z.string(), z.unknown()),
  active_pipeline_ids: z.array(z.string()),
});
const ErrorDetail = z.object({ detail: z.string().min(1) });
const SessionStart = z.object({
  status: z.literal('ok'),
  input_mode: z.string(),
  cloud_mode: z.boolean(),
});

let dir: string;
let data: string;
let server: PatchbayServer;
const inject = (o: InjectOptions) => server.app.inject({ ...o, headers: { ...H, ...(o.headers ?? {}) } });
const json = async (o: InjectOptions, status = 200) => {
  const r = await inject(o);
  expect(r.statusCode, `${o.method} ${o.url}: ${r.body}`).toBe(status);
  return r.json() as unknown;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pb-contract-'));
  data = join(dir, 'data');
  server = createServer({
    port: PORT,
    dataDir: data,
    editorDir: join(dir, 'no-editor'),
    probe,
    createSession: (o) => createSession(o),
    log: () => {},
  });
  await server.app.ready();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /api/v1/workflow/resolve', () => {
  it('answers ok for Patchbay pipelines and applies directly (no items missing, no warnings)', async () => {
    const plan = WorkflowResolutionPlan.parse(
      await json({
        method: 'POST',
        url: '/api/v1/workflow/resolve',
        payload: {
          format: 'scope-workflow',
          format_version: '1.0',
          metadata: { name: 'x', created_at: '2026-01-01T00:00:00Z', scope_version: '0.2.4' },
          pipelines: [
            { pipeline_id: 'passthrough', pipeline_version: '1', source: { type: 'builtin' }, loras: [] },
          ],
          nodes: [{ node_type_id: 'gray', source: { type: 'builtin' } }],
          min_scope_version: '0.2.0',
        },
      }),
    );
    expect(plan).toEqual({
      can_apply: true,
      items: [
        {
          kind: 'pipeline',
          name: 'passthrough',
          status: 'ok',
          detail: null,
          action: null,
          can_auto_resolve: false,
        },
        { kind: 'pipeline', name: 'gray', status: 'ok', detail: null, action: null, can_auto_resolve: false },
      ],
      warnings: [],
    });
  });

  it('says what is missing: a GPU pipeline without a backend, an unknown id, a plugin, a LoRA, a newer Scope', async () => {
    const plan = WorkflowResolutionPlan.parse(
      await json({
        method: 'POST',
        url: '/api/v1/workflow/resolve',
        payload: {
          pipelines: [
            {
              pipeline_id: 'longlive',
              source: { type: 'builtin' },
              loras: [{ filename: 'style.safetensors', provenance: { source: 'huggingface' } }],
            },
            { pipeline_id: 'nope', source: { type: 'builtin' } },
            {
              pipeline_id: 'fancy',
              source: { type: 'pypi', plugin_name: 'scope-fancy', plugin_version: '1.0' },
            },
          ],
          min_scope_version: '9.0.0',
        },
      }),
    );
    expect(plan.can_apply).toBe(false);
    expect(plan.items.map((i) => [i.kind, i.name, i.status])).toEqual([
      ['pipeline', 'longlive', 'missing'],
      ['lora', 'style.safetensors', 'missing'],
      ['pipeline', 'nope', 'missing'],
      ['plugin', 'scope-fancy', 'missing'],
    ]);
    expect(plan.items[0]!.detail).toMatch(/GPU|remote/);
    expect(plan.warnings).toEqual([expect.stringMatching(/requires Scope >= 9\.0\.0/)]);
  });

  it('refuses a body Scope would refuse (422 with detail)', async () => {
    ErrorDetail.parse(
      await json(
        { method: 'POST', url: '/api/v1/workflow/resolve', payload: { nodes: [{ node_type_id: 'x' }] } },
        422,
      ),
    );
    ErrorDetail.parse(
      await json({ method: 'POST', url: '/api/v1/workflow/resolve', payload: { nodes: 3 } }, 422),
    );
  });
});

describe('onboarding', () => {
  it('starts not completed, PUT merges and persists', async () => {
    expect(
      OnboardingStatusResponse.parse(await json({ method: 'GET', url: '/api/v1/onboarding/status' })),
    ).toEqual({
      completed: false,
      inference_mode: null,
      onboarding_style: null,
      referral_source: null,
      use_case: null,
    });
    await json({ method: 'PUT', url: '/api/v1/onboarding/status', payload: { inference_mode: 'local' } });
    const after = OnboardingStatusResponse.parse(
      await json({ method: 'PUT', url: '/api/v1/onboarding/status', payload: { completed: true } }),
    );
    expect(after).toMatchObject({ completed: true, inference_mode: 'local' });
    expect(await json({ method: 'GET', url: '/api/v1/onboarding/status' })).toEqual(after);
    ErrorDetail.parse(
      await json({ method: 'PUT', url: '/api/v1/onboarding/status', payload: { completed: 'yes' } }, 422),
    );
  });
});

describe('plugins, keys, restart', () => {
  it('lists no plugins and no keys in Scope shapes; unknown ones are 404 with detail', async () => {
    expect(PluginListResponse.parse(await json({ method: 'GET', url: '/api/v1/plugins' }))).toEqual({
      plugins: [],
      total: 0,
      failed_plugins: [],
    });
    ErrorDetail.parse(await json({ method: 'POST', url: '/api/v1/plugins', payload: { package: 'x' } }, 400));
    ErrorDetail.parse(await json({ method: 'DELETE', url: '/api/v1/plugins/x' }, 404));
    expect(ApiKeysListResponse.parse(await json({ method: 'GET', url: '/api/v1/keys' }))).toEqual({
      keys: [],
    });
    ErrorDetail.parse(
      await json({ method: 'PUT', url: '/api/v1/keys/huggingface', payload: { value: 'k' } }, 404),
    );
  });

  it('restart closes the sessions and answers {message}', async () => {
    await json({ method: 'POST', url: '/api/v1/session/start', payload: { pipeline_id: 'passthrough' } });
    expect(server.sessions.runtime('headless')).toBeDefined();
    const r = z.object({ message: z.string() }).parse(await json({ method: 'POST', url: '/api/v1/restart' }));
    expect(r.message).toMatch(/Sessions closed \(1\)/);
    expect(server.sessions.runtime('headless')).toBeUndefined();
  });
});

describe('input sources', () => {
  it('lists the four types and each type’s sources as {name, identifier, metadata}', async () => {
    const types = InputSourceTypes.parse(await json({ method: 'GET', url: '/api/v1/input-sources' }));
    expect(types.input_sources.map((t) => [t.source_id, t.available])).toEqual([
      ['ndi', false],
      ['spout', false],
      ['syphon', false],
      ['video_file', true],
    ]);
    mkdirSync(join(data, 'assets', 'clips'), { recursive: true });
    writeFileSync(join(data, 'assets', 'clips', 'loop.webm'), Buffer.alloc(10));
    writeFileSync(join(data, 'assets', 'photo.png'), Buffer.alloc(10));
    const files = InputSources.parse(
      await json({ method: 'GET', url: '/api/v1/input-sources/video_file/sources' }),
    );
    expect(files.sources).toEqual([
      { name: 'loop', identifier: 'clips/loop.webm', metadata: { filename: 'loop.webm', size_bytes: 10 } },
    ]);
    const ndiDir = process.env.NDI_RUNTIME_DIR_V6;
    process.env.NDI_RUNTIME_DIR_V6 = join(dir, 'no-ndi-here');
    const ndi = await json({ method: 'GET', url: '/api/v1/input-sources/ndi/sources?timeout_ms=10' });
    if (ndiDir === undefined) delete process.env.NDI_RUNTIME_DIR_V6;
    else process.env.NDI_RUNTIME_DIR_V6 = ndiDir;
    InputSources.parse(ndi);
    expect((ndi as { source_type: string }).source_type).toBe('ndi');
    for (const type of ['spout', 'syphon']) {
      const r = await json({ method: 'GET', url: `/api/v1/input-sources/${type}/sources?timeout_ms=10` });
      InputSources.parse(r);
      expect(r).toMatchObject({
        source_type: type,
        sources: [],
        available: false,
        reason: expect.any(String),
      });
    }
    ErrorDetail.parse(await json({ method: 'GET', url: '/api/v1/input-sources/webcam/sources' }, 404));
    // A file FFmpeg cannot open (ten zero bytes named .webm): the probe says why.
    expect(
      (
        await inject({
          method: 'GET',
          url: `/api/v1/input-sources/video_file/sources/${encodeURIComponent('clips/loop.webm')}/resolution`,
        })
      ).statusCode,
    ).toBe(400);
  });
});

describe('logs', () => {
  it('tails nothing before the log folder exists, then pino records as Scope lines, by offset', async () => {
    expect(LogsTail.parse(await json({ method: 'GET', url: '/api/v1/logs/tail' }))).toEqual({
      lines: [],
      offset: 0,
    });
    expect((await inject({ method: 'GET', url: '/api/v1/logs/current' })).statusCode).toBe(404);
    mkdirSync(join(data, 'logs'), { recursive: true });
    const rec = (level: number, msg: string) =>
      `${JSON.stringify({ level, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 1, name: 'server', msg })}\n`;
    const first = rec(30, 'listening') + rec(50, 'boom');
    writeFileSync(join(data, 'logs', 'patchbay.log'), first);
    const a = LogsTail.parse(
      await json({ method: 'GET', url: '/api/v1/logs/tail?lines=200&since_offset=0' }),
    );
    expect(a).toEqual({
      lines: [
        '2026-01-02 03:04:05.000 - server - INFO - listening',
        '2026-01-02 03:04:05.000 - server - ERROR - boom',
      ],
      offset: Buffer.byteLength(first),
    });
    // New records after the offset; a half-written one waits.
    writeFileSync(join(data, 'logs', 'patchbay.log'), `${first}${rec(40, 'slow')}{"level":30,"msg":"hal`);
    const b = LogsTail.parse(
      await json({ method: 'GET', url: `/api/v1/logs/tail?since_offset=${a.offset}` }),
    );
    expect(b.lines).toEqual(['2026-01-02 03:04:05.000 - server - WARNING - slow']);
    expect(b.offset).toBe(Buffer.byteLength(first + rec(40, 'slow')));
    // Rotated: the new file is shorter than the offset, so it is read from its start.
    writeFileSync(join(data, 'logs', 'patchbay.log'), rec(30, 'fresh'));
    const c = LogsTail.parse(
      await json({ method: 'GET', url: `/api/v1/logs/tail?since_offset=${b.offset}` }),
    );
    expect(c.lines).toEqual(['2026-01-02 03:04:05.000 - server - INFO - fresh']);
    const current = await inject({ method: 'GET', url: '/api/v1/logs/current' });
    expect(current.statusCode).toBe(200);
    expect(current.headers['content-disposition']).toMatch(/attachment/);
    expect(current.body).toBe('2026-01-02 03:04:05.000 - server - INFO - fresh\n');
    ErrorDetail.parse(await json({ method: 'GET', url: '/api/v1/logs/tail?lines=0' }, 422));
  });
});

describe('tempo, OSC, DMX', () => {
  it('answer Scope’s "not running" shapes', async () => {
    expect(
      TempoStatusResponse.parse(await json({ method: 'GET', url: '/api/v1/tempo/status' })).enabled,
    ).toBe(false);
    expect(await json({ method: 'GET', url: '/api/v1/tempo/sources' })).toEqual({ sources: {} });
    ErrorDetail.parse(
      await json({ method: 'POST', url: '/api/v1/tempo/enable', payload: { source: 'link' } }, 503),
    );
    TempoStatusResponse.parse(await json({ method: 'POST', url: '/api/v1/tempo/disable' }));
    ErrorDetail.parse(
      await json({ method: 'POST', url: '/api/v1/tempo/set_tempo', payload: { bpm: 120 } }, 400),
    );
    expect(OscStatus.parse(await json({ method: 'GET', url: '/api/v1/osc/status' })).listening).toBe(false);
    Paths.parse(await json({ method: 'GET', url: '/api/v1/osc/paths' }));
    ErrorDetail.parse(
      await json({ method: 'PUT', url: '/api/v1/osc/settings', payload: { log_all_messages: true } }, 503),
    );
    expect((await inject({ method: 'GET', url: '/api/v1/osc/stream' })).statusCode).toBe(503);
    expect(DmxStatus.parse(await json({ method: 'GET', url: '/api/v1/dmx/status' })).enabled).toBe(false);
    Paths.parse(await json({ method: 'GET', url: '/api/v1/dmx/paths' }));
    expect(await json({ method: 'GET', url: '/api/v1/dmx/config' })).toMatchObject({ mappings: [] });
  });
});

describe('headless session shapes', () => {
  it('start answers status/input_mode/cloud_mode/pipeline_id; parameters are the live ones; stop has a message', async () => {
    const raw = (await json({
      method: 'POST',
      url: '/api/v1/session/start',
      payload: { pipeline_id: 'passthrough', input_mode: 'text', parameters: { bogus_key: 1 } },
    })) as { ignored_parameters: Record<string, string>; applied_parameters: Record<string, unknown> };
    const start = SessionStart.extend({ pipeline_id: z.string() }).parse(raw);
    expect(start).toMatchObject({ input_mode: 'text', cloud_mode: false, pipeline_id: 'passthrough' });
    // A key no local node reads is reported as ignored, not applied.
    expect(raw.ignored_parameters.bogus_key).toMatch(/has no param "bogus_key"/);
    expect(raw.applied_parameters).toEqual({});
    const before = z
      .object({ parameters: z.record(z.string(), z.unknown()) })
      .parse(await json({ method: 'GET', url: '/api/v1/session/parameters' }));
    expect(before.parameters.paused).toBeUndefined();
    const applied = (await json({
      method: 'POST',
      url: '/api/v1/session/parameters',
      payload: { paused: true },
    })) as {
      applied_parameters: Record<string, unknown>;
    };
    expect(applied.applied_parameters).toEqual({ paused: true });
    const live = (await json({ method: 'GET', url: '/api/v1/session/parameters' })) as {
      parameters: Record<string, unknown>;
    };
    expect(live.parameters.paused).toBe(true);
    ErrorDetail.parse(await json({ method: 'POST', url: '/api/v1/session/parameters', payload: {} }, 400));
    const metrics = (await json({ method: 'GET', url: '/api/v1/session/metrics' })) as {
      sessions: Record<string, { headless?: boolean }>;
    };
    expect(metrics.sessions.headless?.headless).toBe(true);
    expect(
      z
        .object({ status: z.literal('ok'), message: z.string() })
        .parse(await json({ method: 'POST', url: '/api/v1/session/stop' })).message,
    ).toBe('Headless session stopped');
  });

  it('a graph start lists pipeline_ids, sink_node_ids and source_node_ids', async () => {
    const r = SessionStart.extend({
      graph: z.literal(true),
      pipeline_ids: z.array(z.string()),
      sink_node_ids: z.array(z.string()),
      source_node_ids: z.array(z.string()),
    }).parse(
      await json({
        method: 'POST',
        url: '/api/v1/session/start',
        payload: {
          input_mode: 'text',
          graph: {
            nodes: [
              { id: 'input', type: 'source', source_mode: 'camera' },
              { id: 'p', type: 'pipeline', pipeline_id: 'passthrough' },
              { id: 'out', type: 'sink' },
            ],
            edges: [
              { from: 'input', from_port: 'video', to_node: 'p', to_port: 'video', kind: 'stream' },
              { from: 'p', from_port: 'video', to_node: 'out', to_port: 'video', kind: 'stream' },
            ],
          },
        },
      }),
    );
    expect(r.pipeline_ids).toEqual(['passthrough']);
    expect(r.sink_node_ids).toEqual(['out']);
    expect(r.source_node_ids).toEqual(['input']);
    await json({ method: 'POST', url: '/api/v1/session/stop' });
  });
});
