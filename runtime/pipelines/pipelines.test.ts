import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { blackFrame, findPipeline, i420Planes, type PipelineInfo, type VideoFrame } from '../../nodes';
import {
  buildEffectBytes,
  builtinContract,
  createProcessor,
  effectContract,
  ensureBuiltinModel,
  listUserModels,
  makeProcessorFactory,
  modelsStatus,
  OnnxModel,
  pipelineAvailability,
  PipelineError,
  scanUserModels,
  type CudaProbe,
  type FloatImageSpec,
  type ProcessorContext,
} from '.';
import { i420ToTensor, tensorToI420 } from './onnx/convert';
import { GraphBuilder } from './onnx/graph';
import { runReference } from './onnx/reference';
import type { PromptControl, VaceControl } from './types';
// Test-only deep imports: the node folders define the same shapes without importing runtime/.
import type { PromptControl as NodesPromptControl } from '../../nodes/prompt-timeline/evaluate';
import type { VaceControl as NodesVaceControl } from '../../nodes/vace/conditioning';

const dir = mkdtempSync(join(tmpdir(), 'patchbay-pipelines-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomFrame(w: number, h: number, seed: number): VideoFrame {
  const f = blackFrame(w, h, 40, 3);
  let s = seed >>> 0;
  for (let i = 0; i < f.data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f.data[i] = s >>> 24;
  }
  return f;
}

function ctx(pipelineId: string, params: Record<string, unknown> = {}, modelsDir = dir) {
  const notices: string[] = [];
  const logs: string[] = [];
  const info: PipelineInfo = findPipeline(pipelineId) ?? { ...findPipeline('edges')!, id: pipelineId };
  const c: ProcessorContext = {
    nodeId: 'p1',
    pipeline: info,
    params: { pipeline_id: pipelineId, backend: 'local', device: 'cpu', strength: 0.5, ...params },
    modelsDir,
    now: () => 0,
    log: (m) => logs.push(m),
    notice: (m) => notices.push(m),
  };
  return { c, notices, logs };
}

const maxDiff = (a: Uint8Array, b: Uint8Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('processor factory', () => {
  it('runs a built-in effect end to end on I420 within 2/255 of the reference', async () => {
    const p = await createProcessor(ctx('color-grade', { strength: 0.8 }).c);
    const frame = randomFrame(64, 48, 11);
    const out = await p.process(frame, {});
    expect([out.width, out.height, out.timestampMs, out.seq]).toEqual([64, 48, 40, 3]);
    const spec = effectContract('color-grade').input as FloatImageSpec;
    const ref = runReference('color-grade', { width: 64, height: 48, data: i420ToTensor(frame, spec) }, 0.8);
    expect(maxDiff(out.data, tensorToI420(ref, spec, 64, 48))).toBeLessThanOrEqual(2);
    expect(p.device).toBe('cpu');
    expect(p.ignores).toEqual(['prompts', 'vace']);
    // strength is live
    p.update({ strength: 0 });
    const same = await p.process(frame, {});
    const identity = tensorToI420(i420ToTensor(frame, spec), spec, 64, 48);
    expect(maxDiff(same.data, identity)).toBeLessThanOrEqual(1);
    await p.dispose();
  });

  it('passthrough and gray are the built-in JS pipelines (in place)', async () => {
    const frame = randomFrame(16, 8, 3);
    const pass = await createProcessor(ctx('passthrough').c);
    expect(await pass.process(frame, {})).toBe(frame);
    const gray = await createProcessor(ctx('gray').c);
    const y = frame.data.slice(0, 128);
    const out = await gray.process(frame, {});
    expect(out.data.slice(0, 128)).toEqual(y);
    expect(Array.from(out.data.slice(i420Planes(16, 8).u)).every((v) => v === 128)).toBe(true);
    expect(gray.inPlace && pass.inPlace).toBe(true);
  });

  it('GPU pipeline ids fail with the reason; remote fails with REMOTE_UNAVAILABLE until a remote backend is wired', async () => {
    await expect(createProcessor(ctx('streamdiffusionv2').c)).rejects.toMatchObject({
      code: 'GPU_PIPELINE_UNAVAILABLE',
      message: expect.stringContaining('set backend to remote'),
    });
    await expect(createProcessor(ctx('longlive', { backend: 'remote' }).c)).rejects.toMatchObject({
      code: 'REMOTE_UNAVAILABLE',
    });
    const remote = makeProcessorFactory({ remote: async () => await createProcessor(ctx('passthrough').c) });
    expect((await remote(ctx('longlive', { backend: 'remote' }).c)).device).toBe('js');
    await expect(createProcessor(ctx('nope').c)).rejects.toBeInstanceOf(PipelineError);
  });

  it('prompt-tint follows prompts and transitions; ignores only vace', async () => {
    const p = await createProcessor(ctx('prompt-tint', { strength: 1 }).c);
    expect(p.ignores).toEqual(['vace']);
    const frame = randomFrame(32, 16, 5);
    const red = await p.process(frame, {
      prompts: { kind: 'prompts', prompts: [{ text: 'red', weight: 1 }], interpolation: 'linear' },
    });
    const blue = await p.process(frame, {
      prompts: { kind: 'prompts', prompts: [{ text: 'blue', weight: 1 }], interpolation: 'linear' },
    });
    expect(maxDiff(red.data, blue.data)).toBeGreaterThan(20);
    // a 4-step transition back to red: the first step is between, the fourth is red
    const transition = {
      kind: 'transition' as const,
      target_prompts: [{ text: 'red', weight: 1 }],
      num_steps: 4,
      temporal_interpolation_method: 'linear' as const,
    };
    const steps: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) steps.push((await p.process(frame, { prompts: transition })).data);
    expect(maxDiff(steps[0]!, red.data)).toBeGreaterThan(5);
    expect(maxDiff(steps[0]!, blue.data)).toBeGreaterThan(2);
    expect(maxDiff(steps[3]!, red.data)).toBeLessThanOrEqual(1);
    await p.dispose();
  });
});

describe('shared shapes', () => {
  it('the prompt and VACE controls the nodes produce are the ones processors take', () => {
    expectTypeOf<NodesPromptControl>().toEqualTypeOf<PromptControl>();
    expectTypeOf<NodesVaceControl>().toEqualTypeOf<VaceControl>();
  });
});

describe('concurrency', () => {
  it('overlapping process calls run one at a time, in order (feedback stays consistent)', async () => {
    const frames = [1, 2, 3, 4].map((s) => randomFrame(32, 16, s));
    const a = await createProcessor(ctx('trails', { strength: 0.9 }).c);
    const together = await Promise.all(frames.map((f) => a.process(f, {})));
    const b = await createProcessor(ctx('trails', { strength: 0.9 }).c);
    for (const [i, f] of frames.entries()) expect((await b.process(f, {})).data).toEqual(together[i]!.data);
    await Promise.all([a.dispose(), b.dispose()]);
  });
});

describe('CUDA selection', () => {
  const edges = () => ensureBuiltinModel(join(dir, 'builtin'), 'edges');

  it('device cuda without CUDA: runs on CPU and says why on the node', async () => {
    const probe: CudaProbe = () => ({
      available: false,
      gpuPresent: false,
      reason: 'no NVIDIA GPU driver found',
    });
    const notices: string[] = [];
    const m = await OnnxModel.load(edges(), {
      device: 'cuda',
      probeCuda: probe,
      notice: (n) => notices.push(n),
    });
    expect(m.device).toBe('cpu');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^CUDA unavailable: no NVIDIA GPU driver found; running on CPU\. .*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
    await m.dispose();
  });

  it('auto on a machine without a GPU logs instead of badging; cpu never probes', async () => {
    const notices: string[] = [];
    const logs: string[] = [];
    const m = await OnnxModel.load(edges(), {
      device: 'auto',
      probeCuda: () => ({ available: false, gpuPresent: false, reason: 'none' }),
      notice: (n) => notices.push(n),
      log: (l) => logs.push(l),
    });
    expect([notices.length, logs.length]).toEqual([0, 1]);
    await m.dispose();
    const cpu = await OnnxModel.load(edges(), {
      device: 'cpu',
      probeCuda: () => {
        throw new Error('must not probe');
      },
    });
    expect(cpu.device).toBe('cpu');
    await cpu.dispose();
  });

  it('auto with a GPU whose CUDA provider fails to start: falls back with the provider error', async () => {
    const notices: string[] = [];
    const providers: string[][] = [];
    const { default: ort } = await import('onnxruntime-node');
    const m = await OnnxModel.load(edges(), {
      device: 'auto',
      probeCuda: () => ({ available: true, gpuPresent: true }),
      notice: (n) => notices.push(n),
      createSession: async (bytes, o) => {
        const eps = (o.executionProviders ?? []) as string[];
        providers.push(eps);
        if (eps.includes('cuda')) throw new Error('Failed to load libcudnn.so.9');
        return ort.InferenceSession.create(bytes, o);
      },
    });
    expect(providers).toEqual([['cuda', 'cpu'], ['cpu']]);
    expect(m.device).toBe('cpu');
    expect(notices[0]).toContain(
      'the CUDA execution provider failed to start (Failed to load libcudnn.so.9)',
    );
    await m.dispose();
  });

  it('the real probe on this machine falls back cleanly (no CUDA add-on installed here)', async () => {
    const m = await OnnxModel.load(edges(), { device: 'auto' });
    expect(['cpu', 'cuda']).toContain(m.device);
    await m.dispose();
  });
});

describe('sidecar contracts', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad, { recursive: true });
  const withSidecar = (name: string, sidecar: string | object) => {
    const model = join(bad, `${name}.onnx`);
    // The edges effect alone: a float NCHW model, as user models are.
    writeFileSync(model, buildEffectBytes('edges'));
    writeFileSync(join(bad, `${name}.json`), typeof sidecar === 'string' ? sidecar : JSON.stringify(sidecar));
    return model;
  };

  it('names the file and each bad field', async () => {
    const model = withSidecar('layout', {
      ...effectContract('edges'),
      input: { ...effectContract('edges').input, layout: 'CHW', range: [1, 0] },
    });
    const err = await OnnxModel.load(model).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(join(bad, 'layout.json'));
    expect((err as Error).message).toMatch(/input\.layout: .*NCHW/);
    expect((err as Error).message).toMatch(/input\.range: range must be \[min, max\]/);
  });

  it('rejects broken JSON, a missing sidecar, and names that are not in the graph', async () => {
    await expect(OnnxModel.load(withSidecar('json', '{"format": '))).rejects.toThrow(
      /json\.json: not valid JSON/,
    );
    const lonely = join(bad, 'lonely.onnx');
    writeFileSync(lonely, buildEffectBytes('edges'));
    await expect(OnnxModel.load(lonely)).rejects.toThrow(/lonely\.json: missing model contract/);
    const renamed = withSidecar('names', {
      ...effectContract('edges'),
      input: { ...effectContract('edges').input, name: 'img' },
    });
    await expect(OnnxModel.load(renamed)).rejects.toThrow(
      /input\.name "img" is not an input of the model \(its inputs: image, strength\)/,
    );
    const { strength: _s, ...noStrength } = effectContract('edges');
    await expect(OnnxModel.load(withSidecar('undeclared', noStrength))).rejects.toThrow(
      /inputs the contract does not declare \(strength\)/,
    );
    const wrongLayout = withSidecar('nhwc', {
      ...effectContract('edges'),
      input: { ...effectContract('edges').input, layout: 'NHWC' },
    });
    await expect(OnnxModel.load(wrongLayout)).rejects.toThrow(/channels at axis 3/);
  });

  it("I420 contracts: both sides I420, the frame's own size, a named feedback state, a uint8 [1,1,3H/2,W] input", async () => {
    const i420 = builtinContract('trails');
    const mixed = withSidecar('mixed', { ...i420, output: effectContract('edges').output });
    await expect(OnnxModel.load(mixed)).rejects.toThrow(/output\.layout: input and output must both be I420/);
    const fixed = withSidecar('fixed', { ...i420, size: { kind: 'fixed', width: 64, height: 64 } });
    await expect(OnnxModel.load(fixed)).rejects.toThrow(/size: an I420 model gets the frame itself/);
    const noState = withSidecar('nostate', { ...i420, feedback: { input: 'previous' } });
    await expect(OnnxModel.load(noState)).rejects.toThrow(
      /feedback\.output: an I420 model with feedback must name/,
    );
    // The float edges graph declared as I420: its image input is [1, 3, H, W].
    const { feedback: _f, ...edges } = builtinContract('edges');
    const floatGraph = withSidecar('float-as-i420', { ...edges, input: { name: 'image', layout: 'I420' } });
    await expect(OnnxModel.load(floatGraph)).rejects.toThrow(
      /I420 needs a uint8 \[1, 1, 3H\/2, W\] input, but "image" is \[1, 3/,
    );
  });

  it('the factory turns a bad user model into MODEL_INVALID naming the file', async () => {
    await expect(createProcessor(ctx(`onnx:${join(bad, 'json.onnx')}`).c)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('json.json'),
    });
  });
});

describe('user models', () => {
  const user = join(dir, 'user');
  mkdirSync(user, { recursive: true });

  /** An NHWC, BGR, 0–255 model that keeps only its first channel (blue): checks layout, order and range. */
  function writeBlueOnly(): void {
    const g = new GraphBuilder('blue-only');
    const x = g.input('pixels', [1, 'h', 'w', 3]);
    g.output('result', g.op('Mul', [x, g.floats([1, 0, 0], [3])]), [1, 'h', 'w', 3]);
    writeFileSync(join(user, 'blue-only.onnx'), g.toBytes());
    writeFileSync(
      join(user, 'blue-only.json'),
      JSON.stringify({
        format: 'patchbay-onnx-model',
        version: 1,
        name: 'Blue only',
        input: { name: 'pixels', layout: 'NHWC', range: [0, 255], channels: 'bgr' },
        output: { name: 'result', layout: 'NHWC', range: [0, 255], channels: 'bgr' },
        size: { kind: 'fixed', width: 32, height: 24 },
      }),
    );
  }

  it('lists valid models in the folder (onnx:<file>), reports broken ones, skips builtin/', () => {
    writeBlueOnly();
    ensureBuiltinModel(join(user, 'builtin'), 'blur');
    writeFileSync(join(user, 'broken.onnx'), 'not a model');
    const scan = scanUserModels(user);
    expect(scan.models.map((m) => m.id)).toEqual(['onnx:blue-only.onnx']);
    expect(scan.models[0]).toMatchObject({
      kind: 'onnx',
      name: 'Blue only',
      defaultWidth: 32,
      defaultHeight: 24,
      supportsVace: false,
    });
    expect(scan.problems.map((p) => p.file)).toEqual([join(user, 'broken.onnx')]);
    expect(listUserModels(join(dir, 'does-not-exist'))).toEqual([]);
  });

  it('runs through the factory with NHWC/BGR/0–255 and a fixed size (resampled back to the frame)', async () => {
    writeBlueOnly();
    const p = await createProcessor(ctx('onnx:blue-only.onnx', {}, user).c);
    const frame = randomFrame(64, 48, 9);
    const out = await p.process(frame, {});
    expect([out.width, out.height]).toEqual([64, 48]);
    // expected: the RGB frame sampled at 32×24, with R and G zeroed, scaled back up
    const rgb = i420ToTensor(frame, { layout: 'NCHW', range: [0, 1], channels: 'rgb' }, 32, 24);
    rgb.fill(0, 0, 2 * 32 * 24);
    const expected = tensorToI420(rgb, { layout: 'NCHW', range: [0, 1], channels: 'rgb' }, 32, 24, 64, 48);
    expect(maxDiff(out.data, expected)).toBeLessThanOrEqual(1);
    await p.dispose();
  });

  it('models status and availability', () => {
    expect(modelsStatus('onnx:blue-only.onnx', user)).toMatchObject({ downloaded: true, available: true });
    expect(modelsStatus('onnx:missing.onnx', user)).toMatchObject({
      downloaded: false,
      available: false,
      reason: expect.stringContaining('not found'),
    });
    expect(modelsStatus('onnx:model.bin', user).reason).toMatch(/must end in \.onnx/);
    expect(modelsStatus('blur', user)).toMatchObject({ downloaded: true, generated: true });
    expect(modelsStatus('posterize', join(dir, 'fresh'))).toMatchObject({
      downloaded: false,
      available: true,
    });
    expect(modelsStatus('passthrough', user)).toMatchObject({ downloaded: true });
    expect(modelsStatus('krea-realtime-video', user)).toMatchObject({
      available: false,
      reason: expect.stringContaining('NVIDIA GPU'),
    });
    const none = { cuda: { available: false }, remote: { available: false } };
    const gpu = findPipeline('memflow')!;
    expect(pipelineAvailability(gpu, none)).toEqual({
      available: false,
      reason:
        '"memflow" needs an NVIDIA GPU with CUDA; set backend to remote to run it on a cloud runtime or a Scope server',
    });
    expect(pipelineAvailability(gpu, { ...none, remote: { available: true } }).available).toBe(true);
    expect(pipelineAvailability(findPipeline('trails')!, none)).toEqual({ available: true });
  });
});
