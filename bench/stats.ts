import type { Figure, Target } from './types';

/**
 * Small statistics for the bench: medians, nearest-rank percentiles and figures built from
 * repeated runs. Pure functions.
 */

/** Nearest-rank percentile of a sample (sorted or not); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The median (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A figure from per-run values: median over the runs, min and max as the spread.
 *
 * @example figure('enc', 'VP8 encode 512×512', 'ms/frame', [3.1, 3.3, 3.2])
 */
export function figure(key: string, label: string, unit: string, runs: readonly number[]): Figure {
  const finite = runs.filter((v) => Number.isFinite(v));
  return {
    key,
    label,
    unit,
    median: round(median(finite)),
    min: round(finite.length ? Math.min(...finite) : NaN),
    max: round(finite.length ? Math.max(...finite) : NaN),
    runs: finite.length,
  };
}

/** Attaches a floor (measured in the same run) and the ratio figure / floor. */
export function withFloor(
  f: Figure,
  floor: Figure | { key: string; label: string; median: number; unit: string },
): Figure {
  const ratio = floor.median > 0 ? round(f.median / floor.median, 3) : undefined;
  return {
    ...f,
    floor: { key: floor.key, label: floor.label, median: floor.median, unit: floor.unit },
    ...(ratio !== undefined ? { ratio } : {}),
  };
}

/** A "≤ limit" target on a value (null value: not measured, met unknown). */
export function atMost(
  name: string,
  value: number | null,
  limit: number,
  unit: string,
  rule?: string,
): Target {
  return {
    name,
    rule: rule ?? `≤ ${limit} ${unit}`.trim(),
    value: value === null || !Number.isFinite(value) ? null : round(value),
    unit,
    met: value === null || !Number.isFinite(value) ? null : value <= limit,
  };
}

/** A "≥ limit" target. */
export function atLeast(
  name: string,
  value: number | null,
  limit: number,
  unit: string,
  rule?: string,
): Target {
  return {
    name,
    rule: rule ?? `≥ ${limit} ${unit}`.trim(),
    value: value === null || !Number.isFinite(value) ? null : round(value),
    unit,
    met: value === null || !Number.isFinite(value) ? null : value >= limit,
  };
}

/** Rounds to `digits` significant decimals for the JSON (NaN stays NaN, written as null). */
export function round(v: number, digits = 3): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Times `fn` `n` times after `warmup` calls; returns the per-call milliseconds. */
export function timeCalls(fn: () => unknown, n: number, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}
