import { describe, expect, it } from 'vitest';
import { benchModels } from './bench';

describe('benchModels', () => {
  it('times every built-in model (small size, few frames) and reports sane numbers', async () => {
    const r = await benchModels({ width: 64, height: 48, frames: 3, warmup: 1 });
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
      expect(x.inference_min_ms).toBeGreaterThan(0);
      expect(x.inference_min_ms).toBeLessThanOrEqual(x.inference_median_ms);
      expect(x.inference_median_ms).toBeLessThanOrEqual(x.inference_p90_ms);
      expect(x.convert_median_ms).toBeGreaterThan(0);
    }
  });
});
