import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  builtinNodes,
  createRegistry,
  defaultParams,
  defineNode,
  findPipeline,
  pipelineNode,
  port,
  registry,
  type NodeDefinition,
  type ParamsShape,
} from '../../nodes';
import type { Patch } from '../../patches';
import {
  compile,
  defaultCapabilities,
  type CompileContext,
  type CompileError,
  type CompileResult,
  type Plan,
} from './index';
import { e, n, p } from './testing';

const ctx = { capabilities: defaultCapabilities() };

function plan(patch: Patch, c: CompileContext = ctx): Plan {
  const r = compile(patch, registry, c);
  if (!r.ok)
    throw new Error(`expected a plan, got:\n${r.errors.map((x) => `${x.code}: ${x.message}`).join('\n')}`);
  return r.plan;
}

function errors(patch: Patch): CompileError[] {
  const r = compile(patch, registry, ctx);
  if (r.ok) throw new Error('expected errors, got a plan');
  return r.errors;
}

function only(list: CompileError[], code: string): CompileError {
  const hits = list.filter((x) => x.code === code);
  expect(hits, `${code} in ${JSON.stringify(list.map((x) => x.code))}`).toHaveLength(1);
  return hits[0]!;
}

const camera = {
  source_mode: 'camera',
  device: '',
  video_file: '',
  speed: 1,
  position: 0,
  width: 512,
  height: 512,
  fps: 30,
};
const outputMain = {
  name: 'main',
  preview: true,
  sinks: { ndi: { enabled: false, name: 'Patchbay' }, spout: { enabled: false, name: 'Patchbay' } },
  record: false,
};

describe('compile: plans', () => {
  it('camera → output, in full', () => {
    const r = compile(
      p([n('cam', 'camera'), n('out', 'output')], [e('cam.video', 'out.video')]),
      registry,
      ctx,
    );
    expect(r).toEqual<CompileResult>({
      ok: true,
      plan: {
        nodes: [
          {
            id: 'cam',
            type: 'camera',
            category: 'source',
            params: camera,
            disabled: null,
            degraded: [],
            placement: { kind: 'main' },
            streamInputs: {},
            controlInputs: {},
          },
          {
            id: 'out',
            type: 'output',
            category: 'sink',
            params: outputMain,
            disabled: null,
            degraded: [],
            placement: { kind: 'main' },
            streamInputs: { video: { node: 'cam', port: 'video' } },
            controlInputs: {},
          },
        ],
        streamEdges: [
          {
            id: 'e:cam-out',
            from: { node: 'cam', port: 'video' },
            to: { node: 'out', port: 'video' },
            portType: 'video',
          },
        ],
        controlEdges: [],
        workers: [],
        inputTracks: [{ node: 'cam', index: 0 }],
        outputTracks: [{ node: 'out', index: 0, name: 'main' }],
        sinks: [],
        warnings: [],
      },
    });
  });

  it('test pattern → gray pipeline ← prompt timeline, → output; listed out of order', () => {
    const patch = p(
      [
        n('out', 'output', { name: 'show' }),
        n('fx', 'pipeline', { pipeline_id: 'gray' }),
        n('tl', 'prompt-timeline', { loop: false }),
        n('src', 'camera', { source_mode: 'test_pattern', fps: 24 }),
      ],
      [e('fx.video', 'out.video'), e('src.video', 'fx.video'), e('tl.prompts', 'fx.prompts')],
    );
    const got = plan(patch);
    expect(got).toEqual<Plan>({
      nodes: [
        // tl and src are both ready at the start: patch order puts tl first.
        {
          id: 'tl',
          type: 'prompt-timeline',
          category: 'control',
          params: { ...defaultParams(builtinNodes['prompt-timeline']), loop: false },
          disabled: null,
          degraded: [],
          placement: { kind: 'main' },
          streamInputs: {},
          controlInputs: {},
        },
        {
          id: 'src',
          type: 'camera',
          category: 'source',
          params: { ...camera, source_mode: 'test_pattern', fps: 24 },
          disabled: null,
          degraded: [],
          placement: { kind: 'main' },
          streamInputs: {},
          controlInputs: {},
        },
        {
          id: 'fx',
          type: 'pipeline',
          category: 'pipeline',
          params: { ...defaultParams(pipelineNode), pipeline_id: 'gray' },
          disabled: null,
          degraded: [],
          placement: { kind: 'worker', worker: 'w:fx' },
          pipeline: findPipeline('gray')!,
          streamInputs: {
            video: { node: 'src', port: 'video' },
            vace_input_frames: null,
            vace_input_masks: null,
          },
          controlInputs: { prompts: { node: 'tl', port: 'prompts' } },
        },
        {
          id: 'out',
          type: 'output',
          category: 'sink',
          params: { ...outputMain, name: 'show' },
          disabled: null,
          degraded: [],
          placement: { kind: 'main' },
          streamInputs: { video: { node: 'fx', port: 'video' } },
          controlInputs: {},
        },
      ],
      streamEdges: [
        {
          id: 'e:fx-out',
          from: { node: 'fx', port: 'video' },
          to: { node: 'out', port: 'video' },
          portType: 'video',
        },
        {
          id: 'e:src-fx',
          from: { node: 'src', port: 'video' },
          to: { node: 'fx', port: 'video' },
          portType: 'video',
        },
      ],
      controlEdges: [
        {
          id: 'e:tl-fx',
          from: { node: 'tl', port: 'prompts' },
          to: { node: 'fx', port: 'prompts' },
          portType: 'prompts',
        },
      ],
      workers: [{ id: 'w:fx', nodes: ['fx'] }],
      inputTracks: [],
      outputTracks: [{ node: 'out', index: 0, name: 'show' }],
      sinks: [],
      warnings: [],
    });
  });

  it('allocates tracks in patch order and binds sinks', () => {
    const patch = p(
      [
        n('c1', 'camera'),
        n('c2', 'camera', { source_mode: 'test_pattern' }),
        n('c3', 'camera', { device: 'usb' }),
        n('o1', 'output', { name: 'hidden', preview: false, record: true }),
        n('o2', 'output', {
          name: 'B',
          sinks: { ndi: { enabled: true, name: 'N' }, spout: { enabled: true, name: 'S' } },
        }),
        n('o3', 'output', { name: 'C' }),
        n('rec', 'record', { filename: 'take' }),
      ],
      [
        e('c3.video', 'o3.video'),
        e('c1.video', 'o1.video'),
        e('c2.video', 'o2.video'),
        e('c1.video', 'rec.video', 'r'),
      ],
    );
    const withNdi = plan(patch, { capabilities: defaultCapabilities({ ndi: true }) });
    expect(withNdi.inputTracks).toEqual([
      { node: 'c1', index: 0 },
      { node: 'c3', index: 1 },
    ]);
    expect(withNdi.outputTracks).toEqual([
      { node: 'o2', index: 0, name: 'B' },
      { node: 'o3', index: 1, name: 'C' },
    ]);
    expect(withNdi.sinks).toEqual([
      { node: 'o1', kind: 'record', name: 'hidden' },
      { node: 'o2', kind: 'ndi', name: 'N' },
      { node: 'rec', kind: 'record', name: 'take' },
    ]);
    // Spout is missing: o2 degrades (still runs, no Spout sink) and says so.
    const o2 = withNdi.nodes.find((x) => x.id === 'o2')!;
    expect(o2.disabled).toBeNull();
    expect(o2.degraded).toEqual([
      { capability: 'spout', why: 'sends to Spout', reason: 'Spout exists on Windows only' },
    ]);
    const w = only(withNdi.warnings, 'MISSING_CAPABILITY');
    expect(w).toMatchObject({
      fatal: false,
      node: 'o2',
      capability: 'spout',
      path: ['nodes', 4, 'params', 'sinks', 'spout', 'enabled'],
    });
    expect(w.hint).toBe('Run Patchbay on Windows to send or receive Spout.');

    const without = plan(patch);
    expect(without.sinks.map((s) => s.kind)).toEqual(['record', 'record']);
    expect(without.warnings.filter((x) => x.code === 'MISSING_CAPABILITY').map((x) => x.capability)).toEqual([
      'ndi',
      'spout',
    ]);
  });

  it('places every enabled pipeline on its own worker, disabled ones on main', () => {
    const patch = p(
      [
        n('cam', 'camera'),
        n('a', 'pipeline', { pipeline_id: 'blur' }),
        n('b', 'pipeline', { pipeline_id: 'longlive' }), // GPU-only, no CUDA: disabled
        n('c', 'pipeline', { pipeline_id: 'onnx:models/mine.onnx' }),
        n('out', 'output'),
      ],
      [
        e('cam.video', 'a.video'),
        e('a.video', 'b.video'),
        e('b.video', 'c.video'),
        e('c.video', 'out.video'),
      ],
    );
    const got = plan(patch);
    expect(got.nodes.map((x) => [x.id, x.placement])).toEqual([
      ['cam', { kind: 'main' }],
      ['a', { kind: 'worker', worker: 'w:a' }],
      ['b', { kind: 'main' }],
      ['c', { kind: 'worker', worker: 'w:c' }],
      ['out', { kind: 'main' }],
    ]);
    expect(got.workers).toEqual([
      { id: 'w:a', nodes: ['a'] },
      { id: 'w:c', nodes: ['c'] },
    ]);
    expect(got.nodes[3]!.pipeline).toMatchObject({
      id: 'onnx:models/mine.onnx',
      name: 'mine.onnx',
      kind: 'onnx',
    });
  });

  it('uses ports(params): an NDI node in send mode has an input and no output', () => {
    const caps = { capabilities: defaultCapabilities({ ndi: true }) };
    const ok = compile(
      p(
        [n('cam', 'camera'), n('send', 'ndi', { direction: 'send' }), n('out', 'output')],
        [e('cam.video', 'send.video'), e('cam.video', 'out.video', 'x')],
      ),
      registry,
      caps,
    );
    expect(ok.ok).toBe(true);
    const bad = compile(
      p([n('send', 'ndi', { direction: 'send' }), n('out', 'output')], [e('send.video', 'out.video')]),
      registry,
      caps,
    );
    expect(bad.ok).toBe(false);
    const err = only(bad.ok ? [] : bad.errors, 'UNKNOWN_PORT');
    expect(err).toMatchObject({ node: 'send', port: 'video', path: ['edges', 0, 'from', 'port'] });
    expect(err.message).toBe('edge "e:send-out": node "send" (ndi) has no output "video"');
    expect(err.hint).toBe(
      '"send" has no outputs with these params; delete the edge. "video" is an input of "send"; edges run from an output to an input.',
    );
  });

  it('compiles a 1,000-node patch (time printed, not asserted)', () => {
    const nodes = [n('cam', 'camera')];
    const edges = [];
    let prev = 'cam';
    for (let i = 0; i < 997; i++) {
      const id = `fx${i}`;
      nodes.push(n(id, 'pipeline', { pipeline_id: i % 2 ? 'gray' : 'passthrough' }));
      edges.push(e(`${prev}.video`, `${id}.video`));
      prev = id;
    }
    nodes.push(n('tl', 'prompt-timeline'), n('out', 'output'));
    edges.push(e('tl.prompts', 'fx500.prompts'), e(`${prev}.video`, 'out.video'));
    nodes.reverse(); // the order must come from the edges, not the list
    const t0 = performance.now();
    const got = plan(p(nodes, edges));
    const ms = performance.now() - t0;
    console.log(`compile: 1,000 nodes, ${edges.length} edges in ${ms.toFixed(1)} ms`);
    expect(got.nodes).toHaveLength(1000);
    expect(got.nodes[0]!.id).toBe('tl');
    expect(got.nodes[1]!.id).toBe('cam');
    expect(got.nodes.at(-1)!.id).toBe('out');
    expect(got.workers).toHaveLength(997);
  });
});

describe('compile: fatal errors', () => {
  it('INVALID_PATCH: not a patch at all, never a throw', () => {
    for (const bad of [null, 42, 'x', [], { nodes: 5, edges: [] }, { nodes: [], edges: {} }]) {
      const r = compile(bad as unknown as Patch, registry, ctx);
      expect(r.ok).toBe(false);
      if (!r.ok)
        for (const err of r.errors) expect(err).toMatchObject({ code: 'INVALID_PATCH', fatal: true });
    }
    const r = compile({ nodes: 5, edges: [] } as unknown as Patch, registry, ctx);
    expect(r).toEqual({
      ok: false,
      errors: [
        {
          code: 'INVALID_PATCH',
          fatal: true,
          path: ['nodes'],
          message: '"nodes" must be a list of nodes',
          hint: 'Add "nodes": [].',
        },
      ],
    });
    const edge = errors({
      ...p([n('o', 'output')]),
      edges: [{ id: 'x', from: { node: 'o' }, to: { node: 'o', port: 'video' } }],
    } as unknown as Patch);
    expect(only(edge, 'INVALID_PATCH')).toMatchObject({
      path: ['edges', 0, 'from', 'port'],
      message: 'edge "x": from.port must be a string',
    });
  });

  it('DUPLICATE_NODE_ID', () => {
    const err = only(
      errors(p([n('a', 'camera'), n('o', 'output'), n('a', 'camera')], [e('a.video', 'o.video')])),
      'DUPLICATE_NODE_ID',
    );
    expect(err).toEqual({
      code: 'DUPLICATE_NODE_ID',
      fatal: true,
      node: 'a',
      path: ['nodes', 2, 'id'],
      message: 'node id "a" is used twice (nodes[0] and nodes[2])',
      hint: 'Give each node a unique id; edges refer to nodes by id.',
    });
  });

  it('DUPLICATE_EDGE_ID', () => {
    const err = only(
      errors(
        p(
          [n('a', 'camera'), n('o', 'output'), n('r', 'record')],
          [e('a.video', 'o.video', 'x'), e('a.video', 'r.video', 'x')],
        ),
      ),
      'DUPLICATE_EDGE_ID',
    );
    expect(err).toMatchObject({
      edge: 'x',
      path: ['edges', 1, 'id'],
      message: 'edge id "x" is used twice (edges[0] and edges[1])',
    });
    expect(err.hint).toBe('Give each edge a unique id.');
  });

  it('UNKNOWN_NODE', () => {
    const err = only(
      errors(p([n('cam', 'camera'), n('out', 'output')], [e('Cam.video', 'out.video')])),
      'UNKNOWN_NODE',
    );
    expect(err).toEqual({
      code: 'UNKNOWN_NODE',
      fatal: true,
      edge: 'e:Cam-out',
      node: 'Cam',
      path: ['edges', 0, 'from', 'node'],
      message: 'edge "e:Cam-out" comes from node "Cam", which is not in the patch',
      hint: 'Delete the edge, or point it at an existing node (did you mean "cam"?).',
    });
  });

  it('UNKNOWN_PORT lists the ports that exist', () => {
    const err = only(
      errors(p([n('cam', 'camera'), n('out', 'output')], [e('cam.vid', 'out.video')])),
      'UNKNOWN_PORT',
    );
    expect(err).toEqual({
      code: 'UNKNOWN_PORT',
      fatal: true,
      edge: 'e:cam-out',
      node: 'cam',
      port: 'vid',
      path: ['edges', 0, 'from', 'port'],
      message: 'edge "e:cam-out": node "cam" (camera) has no output "vid"',
      hint: 'Use one of its outputs: "video" (video).',
    });
  });

  it('PORT_TYPE_MISMATCH names both types and the port that would fit', () => {
    const err = only(
      errors(
        p(
          [n('cam', 'camera'), n('fx', 'pipeline'), n('out', 'output')],
          [e('cam.video', 'fx.prompts'), e('fx.video', 'out.video')],
        ),
      ),
      'PORT_TYPE_MISMATCH',
    );
    expect(err).toEqual({
      code: 'PORT_TYPE_MISMATCH',
      fatal: true,
      edge: 'e:cam-fx',
      node: 'fx',
      port: 'prompts',
      path: ['edges', 0],
      message: 'edge "e:cam-fx" connects "cam".video (video) to "fx".prompts (prompts): the types differ',
      hint: 'Connect it to "fx"\'s "video" or "vace_input_frames" or "vace_input_masks" input instead.',
    });
    const none = only(
      errors(p([n('tl', 'prompt-timeline'), n('out', 'output')], [e('tl.prompts', 'out.video')])),
      'PORT_TYPE_MISMATCH',
    );
    expect(none.hint).toBe('No input of "out" takes prompts; delete the edge.');
  });

  it('MULTIPLE_STREAM_INPUTS and MULTIPLE_CONTROL_INPUTS', () => {
    const list = errors(
      p(
        [
          n('a', 'camera'),
          n('b', 'camera'),
          n('t1', 'prompt-timeline'),
          n('t2', 'prompt-timeline'),
          n('fx', 'pipeline'),
          n('out', 'output'),
        ],
        [
          e('a.video', 'fx.video'),
          e('b.video', 'fx.video'),
          e('t1.prompts', 'fx.prompts'),
          e('t2.prompts', 'fx.prompts'),
          e('fx.video', 'out.video'),
        ],
      ),
    );
    expect(only(list, 'MULTIPLE_STREAM_INPUTS')).toEqual({
      code: 'MULTIPLE_STREAM_INPUTS',
      fatal: true,
      edge: 'e:b-fx',
      node: 'fx',
      port: 'video',
      path: ['edges', 1, 'to'],
      message: 'input "video" of node "fx" has two stream edges: "e:a-fx" (from "a") and "e:b-fx" (from "b")',
      hint: 'An input takes one stream. Delete one of the edges, or add a second node to take the other stream.',
    });
    expect(only(list, 'MULTIPLE_CONTROL_INPUTS')).toMatchObject({
      node: 'fx',
      port: 'prompts',
      path: ['edges', 3, 'to'],
    });
  });

  it('CYCLE names the nodes on it', () => {
    const list = errors(
      p(
        [
          n('cam', 'camera'),
          n('a', 'pipeline'),
          n('b', 'pipeline'),
          n('c', 'pipeline'),
          n('out', 'output'),
          n('self', 'pipeline'),
        ],
        [
          e('cam.video', 'a.video'),
          e('a.video', 'b.video'),
          e('b.video', 'c.video'),
          e('c.video', 'a.vace_input_frames'),
          e('c.video', 'out.video'),
          e('self.video', 'self.video'),
        ],
      ),
    );
    const cycles = list.filter((x) => x.code === 'CYCLE');
    expect(cycles).toEqual([
      {
        code: 'CYCLE',
        fatal: true,
        node: 'a',
        edge: 'e:a-b',
        path: ['edges', 1],
        message: 'stream edges form a cycle: "a" → "b" → "c" → "a"',
        hint: 'Delete one of the edges "e:a-b", "e:b-c", "e:c-a". For feedback, use a pipeline with built-in feedback (e.g. "trails").',
      },
      expect.objectContaining({
        node: 'self',
        path: ['edges', 5],
        message: 'stream edges form a cycle: "self" → "self"',
      }),
    ]);
  });

  it('MISSING_REQUIRED_INPUT (only on enabled nodes)', () => {
    const err = only(errors(p([n('cam', 'camera'), n('out', 'output')])), 'MISSING_REQUIRED_INPUT');
    expect(err).toEqual({
      code: 'MISSING_REQUIRED_INPUT',
      fatal: true,
      node: 'out',
      port: 'video',
      path: ['nodes', 1],
      message: 'node "out" (output) needs its video input "video" connected',
      hint: 'Connect a video output (from "cam") to "out".video, or delete the node.',
    });
    // A Spout sender with no Spout on this host is disabled, so its empty input is not an error.
    const r = compile(
      p(
        [n('cam', 'camera'), n('out', 'output'), n('s', 'spout', { direction: 'send' })],
        [e('cam.video', 'out.video')],
      ),
      registry,
      ctx,
    );
    expect(r.ok).toBe(true);
  });

  it('NO_OUTPUT', () => {
    expect(
      only(errors(p([n('cam', 'camera'), n('r', 'record')], [e('cam.video', 'r.video')])), 'NO_OUTPUT'),
    ).toEqual({
      code: 'NO_OUTPUT',
      fatal: true,
      path: ['nodes'],
      message: 'the patch has no Output node, so nothing would be shown or sent anywhere',
      hint: 'Add an Output node and connect the last video output to it.',
    });
  });

  it('reports every fatal problem at once, fatal ones first, each with a path', () => {
    const list = errors(
      p(
        [n('x', 'camera'), n('x', 'camera'), n('q', 'nope')],
        [e('x.video', 'y.video'), e('x.video', 'y.video')],
      ),
    );
    expect(list.map((x) => x.code)).toEqual([
      'DUPLICATE_NODE_ID',
      'UNKNOWN_NODE',
      'DUPLICATE_EDGE_ID',
      'UNKNOWN_NODE',
      'NO_OUTPUT',
      'UNKNOWN_NODE_TYPE',
    ]);
    for (const x of list) expect(Array.isArray(x.path)).toBe(true);
  });
});

describe('compile: node-level problems (the node is disabled, the rest runs)', () => {
  it('UNKNOWN_NODE_TYPE keeps a placeholder with its raw params and edges; downstream gets DISABLED_UPSTREAM', () => {
    const got = plan(
      p(
        [
          n('cam', 'camera'),
          n('mystery', 'glitch-fx', { amount: 3, nested: { a: [1] } }, { version: 4 }),
          n('out', 'output'),
        ],
        [e('cam.video', 'mystery.in'), e('mystery.out', 'out.video')],
      ),
    );
    expect(got.nodes[1]).toEqual({
      id: 'mystery',
      type: 'glitch-fx',
      category: 'control',
      params: { amount: 3, nested: { a: [1] } },
      disabled: {
        code: 'UNKNOWN_NODE_TYPE',
        reason: 'node "mystery" has unknown type "glitch-fx"; it is kept as a disabled placeholder',
      },
      degraded: [],
      placement: { kind: 'main' },
      streamInputs: { in: { node: 'cam', port: 'video' } },
      controlInputs: {},
    });
    expect(got.streamEdges.map((x) => [x.id, x.portType])).toEqual([
      ['e:cam-mystery', 'video'],
      ['e:mystery-out', 'video'],
    ]);
    expect(got.warnings).toEqual([
      {
        code: 'UNKNOWN_NODE_TYPE',
        fatal: false,
        node: 'mystery',
        path: ['nodes', 1, 'type'],
        message: 'node "mystery" has unknown type "glitch-fx"; it is kept as a disabled placeholder',
        hint: 'Install the node package that provides "glitch-fx", or change the type. Known types: camera, spout, ndi, pipeline, prompt-timeline, vace, output, record.',
      },
      {
        code: 'DISABLED_UPSTREAM',
        fatal: false,
        node: 'out',
        path: ['nodes', 2],
        message:
          'node "out" gets nothing from disabled node "mystery"; it stays enabled and runs when input arrives',
        hint: 'Fix "mystery" (see its warning), or rewire "out" to another source.',
      },
    ]);
    expect(got.nodes[2]!.disabled).toBeNull();
  });

  it('INVALID_PARAMS gives the zod path under params and the default', () => {
    const got = plan(
      p([n('cam', 'camera', { width: 13, fps: 30 }), n('out', 'output')], [e('cam.video', 'out.video')]),
    );
    expect(got.nodes[0]!.disabled?.code).toBe('INVALID_PARAMS');
    expect(got.nodes[0]!.params).toEqual({ width: 13, fps: 30 });
    expect(got.inputTracks).toEqual([]);
    const w = got.warnings[0]!;
    expect(w).toMatchObject({
      code: 'INVALID_PARAMS',
      fatal: false,
      node: 'cam',
      path: ['nodes', 0, 'params', 'width'],
    });
    expect(w.message).toMatch(/^node "cam" \(camera\): param "width": /);
    expect(w.hint).toBe('Fix the value at nodes[0].params.width, or delete it to use the default (512).');
    // 13 is both below the minimum and odd: one warning per problem, then the downstream one.
    expect(got.warnings.map((x) => x.code)).toEqual([
      'INVALID_PARAMS',
      'INVALID_PARAMS',
      'DISABLED_UPSTREAM',
    ]);
    expect(got.warnings[1]!.message).toMatch(/multiple of 2/);

    const nested = plan(
      p(
        [n('c', 'camera'), n('o', 'output', { sinks: { ndi: { enabled: 'yes' } } })],
        [e('c.video', 'o.video')],
      ),
    ).warnings[0]!;
    expect(nested.path).toEqual(['nodes', 1, 'params', 'sinks', 'ndi', 'enabled']);
  });

  it('INVALID_PARAMS for a node version newer than this build', () => {
    const got = plan(
      p([n('cam', 'camera', {}, { version: 9 }), n('out', 'output')], [e('cam.video', 'out.video')]),
    );
    expect(got.warnings[0]).toEqual({
      code: 'INVALID_PARAMS',
      fatal: false,
      node: 'cam',
      path: ['nodes', 0, 'version'],
      message: 'node "cam" (camera) is version 9, newer than this Patchbay\'s camera version 1',
      hint: 'Open the patch in a newer Patchbay, or set "version" to 1 if the params are compatible.',
    });
  });

  it('applies node-version migrations before validating', () => {
    const fader = defineNode({
      type: 'fader',
      version: 3,
      displayName: 'Fader',
      category: 'pipeline',
      description: 'test node',
      inputs: [port('video', 'video', true, 'in')],
      outputs: [port('video', 'video', false, 'out')],
      params: z.object({
        pipeline_id: z.string().default('passthrough'),
        level: z.number().min(0).max(1).default(1),
      }),
      paramMeta: {
        pipeline_id: { mark: 'load', label: 'P', description: 'p' },
        level: { mark: 'live', label: 'Level', description: 'l' },
      },
      migrations: [
        {
          from: 1,
          name: 'percent-to-unit',
          up: (x) => ({ ...x, level: Number(x.percent) / 100, percent: undefined }),
        },
        {
          from: 2,
          name: 'clamp',
          up: (x) => {
            if (x.level === 0.13) throw new Error('unlucky');
            return { ...x, level: Math.min(1, Number(x.level)) };
          },
        },
      ],
      requires: () => [],
      scope: { wireType: 'pipeline' },
      continuous: false,
    });
    const reg = createRegistry([...registry.list(), fader as unknown as NodeDefinition<ParamsShape>]);
    const mk = (params: Record<string, unknown>) =>
      compile(
        p(
          [n('c', 'camera'), n('f', 'fader', params, { version: 1 }), n('o', 'output')],
          [e('c.video', 'f.video'), e('f.video', 'o.video')],
        ),
        reg,
        ctx,
      );
    const ok = mk({ percent: 50 });
    expect(ok.ok && ok.plan.nodes[1]).toMatchObject({
      params: { pipeline_id: 'passthrough', level: 0.5 },
      disabled: null,
      placement: { kind: 'worker', worker: 'w:f' },
    });
    const failed = mk({ percent: 13 });
    expect(failed.ok && failed.plan.warnings[0]).toMatchObject({
      code: 'INVALID_PARAMS',
      path: ['nodes', 1, 'params'],
      message: 'node "f" (fader): migration "clamp" (version 2 → 3) failed: unlucky',
    });
  });

  it('UNKNOWN_PIPELINE, unless onnx:<path> or an extra pipeline the runtime found', () => {
    const mk = (id: string) =>
      p(
        [n('c', 'camera'), n('fx', 'pipeline', { pipeline_id: id }), n('o', 'output')],
        [e('c.video', 'fx.video'), e('fx.video', 'o.video')],
      );
    const got = plan(mk('Gray'));
    const w = got.warnings[0]!;
    expect(w).toMatchObject({
      code: 'UNKNOWN_PIPELINE',
      node: 'fx',
      path: ['nodes', 1, 'params', 'pipeline_id'],
    });
    expect(w.message).toBe('node "fx" (pipeline): pipeline "Gray" is not a known pipeline');
    expect(w.hint).toMatch(
      /^Pick one of passthrough, gray, .*rife \(did you mean "gray"\?\), or "onnx:<path to model.onnx>" for your own ONNX model\.$/,
    );
    expect(got.workers).toEqual([]);

    expect(plan(mk('onnx:a/b.onnx')).warnings).toEqual([]);
    const extra = { ...findPipeline('gray')!, id: 'my-model', name: 'Mine' };
    const withExtra = plan(mk('my-model'), { capabilities: defaultCapabilities(), extraPipelines: [extra] });
    expect(withExtra.warnings).toEqual([]);
    expect(withExtra.nodes[1]!.pipeline).toEqual(extra);
  });

  it('MISSING_CAPABILITY (error) disables with the host reason and install hint', () => {
    const got = plan(p([n('sp', 'spout'), n('o', 'output')], [e('sp.video', 'o.video')]));
    expect(got.nodes[0]!.disabled).toEqual({
      code: 'MISSING_CAPABILITY',
      reason:
        'node "sp" (spout) needs spout (uses the Spout library), which is missing: Spout exists on Windows only',
    });
    expect(got.warnings[0]).toEqual({
      code: 'MISSING_CAPABILITY',
      fatal: false,
      node: 'sp',
      capability: 'spout',
      path: ['nodes', 0, 'params', 'direction'],
      message:
        'node "sp" (spout) needs spout (uses the Spout library), which is missing: Spout exists on Windows only',
      hint: 'Run Patchbay on Windows to send or receive Spout.',
    });
    const gpu = plan(
      p(
        [n('c', 'camera'), n('sd', 'pipeline', { pipeline_id: 'streamdiffusionv2' }), n('o', 'output')],
        [e('c.video', 'sd.video'), e('sd.video', 'o.video')],
      ),
    );
    expect(gpu.warnings[0]).toMatchObject({
      code: 'MISSING_CAPABILITY',
      capability: 'cuda',
      path: ['nodes', 1, 'params', 'pipeline_id'],
    });
    expect(gpu.warnings[0]!.hint).toBe(
      'Run GPU pipelines with backend "remote" on a machine with an NVIDIA GPU.',
    );
    const cuda = plan(
      p(
        [n('c', 'camera'), n('sd', 'pipeline', { pipeline_id: 'streamdiffusionv2' }), n('o', 'output')],
        [e('c.video', 'sd.video'), e('sd.video', 'o.video')],
      ),
      { capabilities: defaultCapabilities({ cuda: true }) },
    );
    expect(cuda.warnings).toEqual([]);
    expect(cuda.workers).toEqual([{ id: 'w:sd', nodes: ['sd'] }]);
  });

  it('MISSING_CAPABILITY (degrade) only adds to degraded and warns', () => {
    const got = plan(p([n('c', 'camera'), n('o', 'output')], [e('c.video', 'o.video')]), {
      capabilities: defaultCapabilities({ camera: false }),
    });
    expect(got.nodes[0]!.disabled).toBeNull();
    expect(got.nodes[0]!.degraded).toEqual([
      {
        capability: 'camera',
        why: 'reads a camera track from the browser',
        reason: 'no camera track is available',
      },
    ]);
    expect(got.warnings).toEqual([
      {
        code: 'MISSING_CAPABILITY',
        fatal: false,
        node: 'c',
        capability: 'camera',
        path: ['nodes', 0, 'params', 'source_mode'],
        message:
          'node "c" (camera) runs without camera (reads a camera track from the browser): no camera track is available',
        hint: 'Allow camera access in the browser.',
      },
    ]);
    expect(got.inputTracks).toEqual([{ node: 'c', index: 0 }]);
  });

  it('DISABLED_UPSTREAM reaches every node downstream, not just the next one', () => {
    const got = plan(
      p(
        [n('sp', 'spout'), n('a', 'pipeline'), n('b', 'pipeline'), n('o', 'output')],
        [e('sp.video', 'a.video'), e('a.video', 'b.video'), e('b.video', 'o.video')],
      ),
    );
    expect(got.warnings.filter((x) => x.code === 'DISABLED_UPSTREAM').map((x) => x.node)).toEqual([
      'a',
      'b',
      'o',
    ]);
    expect(got.nodes.filter((x) => x.disabled).map((x) => x.id)).toEqual(['sp']);
  });

  it('is not fooled by __proto__ names', () => {
    const got = plan(
      p(
        [n('__proto__', 'camera'), n('x', 'mystery'), n('o', 'output')],
        [e('__proto__.video', 'x.__proto__'), e('__proto__.video', 'o.video')],
      ),
    );
    expect(Object.keys(got.nodes.find((x) => x.id === 'x')!.streamInputs)).toEqual(['__proto__']);
    expect(got.inputTracks).toEqual([{ node: '__proto__', index: 0 }]);
  });
});
