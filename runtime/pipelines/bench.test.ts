import { describe, expect, it } from 'vitest';
import { benchModels } from './bench';

describe('benchModels', () => {
  it('times every built-in model (small size, few frames) and reports sane numbers', async () => {
    const r = await benchModels({ width: 64, height: 48, frames: 3, warmup: 1, paceMs: 5 });
    expect(r.map((x) => x.id)).toEqual([
      'edges',
      'blur',
      'posterize',
      'color-grade',
      'prompt-tint',
      'trails',
    ]);
    for (const x of r) {
      expect(x).toMatchObject({ width: 64, height: 48, frames: 3, device: 'cpu', threads: 1 });
      for (const k of ['model', 'effect'] as const) {
        expect(x[`${k}_min_ms`]).toBeGreaterThan(0);
        expect(x[`${k}_min_ms`]).toBeLessThanOrEqual(x[`${k}_median_ms`]);
        expect(x[`${k}_median_ms`]).toBeLessThanOrEqual(x[`${k}_p90_ms`]);
      }
      expect(x.convert_median_ms).toBeGreaterThan(0);
      expect(x.model_paced_median_ms).toBeGreaterThan(0);
    }
  });
});
