import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePersonClip } from '../../io/person-clip';
import { ensureLearnedSources } from '../../pipelines/learned/source';
import { testModelsDir } from '../../pipelines/learned/test-cache';
import { main } from '../main';

/**
 * `patchbay play` of the segment example in mask mode on the person clip (the astronaut photo,
 * zooming and drifting): in the PNGs it writes, her face and suit are white and the wall and
 * the flag behind her black — each region measured where the clip's own motion puts it.
 */

const EXAMPLE = join(import.meta.dirname, '../../../patches/examples/person-segment-mask.patch');
let dir = '';
const saved = process.env.PATCHBAY_MODELS_DIR;
beforeAll(async () => {
  await ensureLearnedSources(testModelsDir(), () => {});
  process.env.PATCHBAY_MODELS_DIR = testModelsDir();
  dir = await mkdtemp(join(tmpdir(), 'patchbay-play-learned-'));
  makePersonClip({ dir: join(dir, 'assets'), seconds: 2 });
}, 600_000);
afterAll(async () => {
  if (saved === undefined) delete process.env.PATCHBAY_MODELS_DIR;
  else process.env.PATCHBAY_MODELS_DIR = saved;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Where a box of the 256² photo lands in frame k of the 512² clip (runtime/io/person-clip.ts's motion). */
function box(k: number, [x0, x1, y0, y1]: readonly [number, number, number, number]) {
  const t = k / 30;
  const phase = 0.5 - 0.5 * Math.cos(2 * Math.PI * t * 0.25);
  const zoom = 1 - 0.2 * phase;
  const c = 256 * zoom;
  const ox = (256 - c) * (0.5 + 0.4 * Math.sin(2 * Math.PI * t * 0.125));
  const oy = (256 - c) * 0.3;
  const m = (p: number, o: number) => Math.min(512, Math.max(0, Math.round(((p - o) * 512) / c)));
  return [m(x0, ox), m(x1, ox), m(y0, oy), m(y1, oy)] as const;
}

function mean(png: PNG, [x0, x1, y0, y1]: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (let y = y0!; y < y1!; y++)
    for (let x = x0!; x < x1!; x++) {
      s += png.data[(y * png.width + x) * 4]!;
      n++;
    }
  return s / n;
}

describe('patchbay play: segmentation mask on the person clip', () => {
  it('writes frames where the person is white and the background black', async () => {
    const out = join(dir, 'out');
    const lines: string[] = [];
    const code = await main(
      [
        'play',
        EXAMPLE,
        '--duration',
        '1.5s',
        '--clock',
        'fixed',
        '--out',
        out,
        '--every',
        '15',
        '--assets',
        join(dir, 'assets'),
      ],
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );
    expect(code, lines.join('\n')).toBe(0);
    const stats = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8'));
    expect(stats.nodes.model.status).toBe('running');
    for (const k of [15, 30]) {
      const png = PNG.sync.read(await readFile(join(out, `output-${String(k).padStart(6, '0')}.png`)));
      const face = mean(png, box(k, [100, 130, 45, 85]));
      const suit = mean(png, box(k, [70, 150, 170, 220]));
      const wall = mean(png, box(k, [152, 175, 12, 40]));
      const flag = mean(png, box(k, [2, 28, 15, 95]));
      const msg = `frame ${k}: face ${face}, suit ${suit}, wall ${wall}, flag ${flag}`;
      expect(face, msg).toBeGreaterThan(240);
      expect(suit, msg).toBeGreaterThan(240);
      expect(wall, msg).toBeLessThan(15);
      expect(flag, msg).toBeLessThan(15);
    }
  }, 300_000);
});
