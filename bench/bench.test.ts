import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCommand } from '../runtime/cli/commands/bench';
import { parseBenchArgs, SCENARIOS } from './index';
import { atLeast, atMost, figure, median, percentile } from './stats';

/**
 * The bench smoke: one short run of scenarios 1 and 5 through the real CLI command into a temp
 * folder, asserting the JSON's shape (never speeds), so the harness cannot rot.
 */
const out = mkdtempSync(join(tmpdir(), 'patchbay-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench smoke', () => {
  it('runs codec and compile quickly and writes latest.json with a dated copy', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: () => {} };
    const code = await runBenchCommand(['1', 'compile', '--quick', '--repeat', '2', '--out', out], io);
    expect(code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toContain('latest.json');
    expect(files.filter((f) => /^\d{4}-\d\d-\d\dT.*Z\.json$/.test(f))).toHaveLength(1);
    const r = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
    expect(r).toMatchObject({
      format: 'patchbay-bench',
      format_version: 1,
      options: { scenarios: ['codec', 'compile'], quick: true, repeat: 2 },
    });
    expect(typeof r.machine.cpu_model).toBe('string');
    expect(r.machine.cores).toBeGreaterThan(0);
    expect(r.scenarios.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['codec', 'ok'],
      ['compile', 'ok'],
    ]);
    const [codec, compile] = r.scenarios;
    expect(codec.figures.map((f: { key: string }) => f.key)).toEqual(
      expect.arrayContaining([
        'vp8_encode_512x512',
        'vp8_decode_512x512',
        'vp8_enc_dec_512x512',
        'vp8_encode_640x480',
        'vp8_decode_640x480',
      ]),
    );
    for (const f of [...codec.figures, ...compile.figures]) {
      expect(f).toMatchObject({
        key: expect.any(String),
        label: expect.any(String),
        unit: expect.any(String),
        runs: 2,
      });
      expect(f.median).toBeGreaterThan(0);
      expect(f.min).toBeLessThanOrEqual(f.median);
      expect(f.max).toBeGreaterThanOrEqual(f.median);
    }
    for (const n of [10, 100, 1000, 5000]) {
      const c = compile.figures.find((f: { key: string }) => f.key === `compile_${n}`);
      expect(c.floor.key).toBe(`copy_${n}`);
      expect(compile.figures.some((f: { key: string }) => f.key === `diff_${n}`)).toBe(true);
    }
    expect(compile.targets).toEqual([
      expect.objectContaining({ name: 'compile 1,000 nodes', rule: '≤ 50 ms', met: expect.any(Boolean) }),
    ]);
    const table = lines.join('\n');
    expect(table).toContain('| 1 | VP8 encode 512×512 |');
    expect(table).toContain('compile 1,000 nodes');
  }, 120_000);

  it('refuses bad arguments with a message naming them', () => {
    expect(parseBenchArgs(['nope'])).toEqual({ error: expect.stringContaining('unknown scenario "nope"') });
    expect(parseBenchArgs(['--repeat', '0'])).toEqual({ error: expect.stringContaining('--repeat') });
    expect(parseBenchArgs(['--soak', 'soon'])).toEqual({ error: expect.stringContaining('--soak') });
    expect(parseBenchArgs(['--frobnicate'])).toEqual({ error: 'unknown option "--frobnicate"' });
    const ok = parseBenchArgs(['5', '1', '--quick']);
    expect(ok).toMatchObject({ scenarios: ['compile', 'codec'], quick: true });
    expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
  });

  it('computes medians, percentiles and targets', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(figure('k', 'l', 'ms', [3, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3, runs: 3 });
    expect(atMost('t', 51, 50, 'ms').met).toBe(false);
    expect(atLeast('t', 29.5, 29, 'fps').met).toBe(true);
    expect(atMost('t', null, 50, 'ms').met).toBeNull();
  });
});
