import type { NodeStats, NodeStatus } from './runtime';

const WINDOW_MS = 1000;
const SAMPLES = 120;

/**
 * Counts what passes through one node: frames in and out, their rate over the last second of
 * the runtime clock, and processing time per frame (p50/p99 over the last 120 frames).
 */
export class NodeMeter {
  framesIn = 0;
  framesOut = 0;
  private inTimes: number[] = [];
  private outTimes: number[] = [];
  private ms: number[] = [];
  private msNext = 0;

  /** A frame arrived at `now` (runtime clock, ms). */
  noteIn(now: number): void {
    this.framesIn++;
    push(this.inTimes, now);
  }

  /** A frame left at `now`; `ms` is how long the node worked on it, when known. */
  noteOut(now: number, ms?: number): void {
    this.framesOut++;
    push(this.outTimes, now);
    if (ms !== undefined) this.noteMs(ms);
  }

  noteMs(ms: number): void {
    if (this.ms.length < SAMPLES) this.ms.push(ms);
    else this.ms[this.msNext] = ms;
    this.msNext = (this.msNext + 1) % SAMPLES;
  }

  /** The NodeStats shape for this node now. */
  snapshot(now: number, status: NodeStatus, queueDepth: number, drops: number, message?: string): NodeStats {
    const sorted = [...this.ms].sort((a, b) => a - b);
    const stats: NodeStats = {
      status,
      fps_in: rate(this.inTimes, now),
      fps_out: rate(this.outTimes, now),
      ms_p50: round(percentile(sorted, 0.5)),
      ms_p99: round(percentile(sorted, 0.99)),
      queue_depth: queueDepth,
      drops,
      frames_in: this.framesIn,
      frames_out: this.framesOut,
    };
    if (message) stats.message = message;
    return stats;
  }
}

function push(times: number[], now: number): void {
  times.push(now);
  // Keep about two windows of history; trimming in bulk keeps the cost per frame constant.
  if (times.length > 512) times.splice(0, times.length - 256);
}

function rate(times: number[], now: number): number {
  let n = 0;
  for (let i = times.length - 1; i >= 0 && times[i]! > now - WINDOW_MS; i--) n++;
  return n * (1000 / WINDOW_MS);
}

/** The p-th quantile of sorted samples (nearest rank), 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

const round = (v: number): number => Math.round(v * 100) / 100;
