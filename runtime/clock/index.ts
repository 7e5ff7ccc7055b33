import { performance } from 'node:perf_hooks';

/**
 * Clocks for the runtime: `realClock` (wall time, performance.now) and `ManualClock` (virtual
 * time that only moves when told to), which tests and deterministic playback (`clockMode:
 * 'fixed'`) use. Everything time-based in a session (sources, prompt timelines, stats ticks)
 * reads the injected clock, never Date.now or a raw timer.
 */
/** A clock in milliseconds. `realClock` reads performance.now; tests and `--clock fixed` inject their own. */
export interface Clock {
  now(): number;
  /** Schedules `fn` after `ms` on this clock; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** Wall-clock time in milliseconds since the process started. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A clock that moves only when `advance`, `advanceTo` or `runNext` is called; timers fire in
 * due order (ties in the order they were set). A test plays ten minutes in a millisecond.
 *
 * @example
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log('tick'), 100);
 * clock.advance(100); // logs "tick"
 */
export class ManualClock implements Clock {
  private t: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { id: this.nextId++, due: this.t + Math.max(0, ms), fn };
    // Keep the list sorted by (due, id) so firing order is deterministic.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return () => {
      const k = this.timers.indexOf(timer);
      if (k >= 0) this.timers.splice(k, 1);
    };
  }

  /** How many timers are waiting. */
  pending(): number {
    return this.timers.length;
  }

  /** When the next timer is due, or null when none is set. */
  nextDue(): number | null {
    return this.timers[0]?.due ?? null;
  }

  /** Moves time to the next timer's due time and fires it (and any due at the same instant set before it ran). Returns false when none was waiting. */
  runNext(): boolean {
    const timer = this.timers.shift();
    if (!timer) return false;
    this.t = Math.max(this.t, timer.due);
    timer.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  /** Moves time to `target` (never backwards), firing due timers in order. */
  advanceTo(target: number): void {
    while (this.timers.length && this.timers[0]!.due <= target) this.runNext();
    this.t = Math.max(this.t, target);
  }
}
