import { describe, expect, it } from 'vitest';
import { ManualClock, realClock } from './index';

describe('ManualClock', () => {
  it('fires timers in due order, ties in the order set, and cancels', () => {
    const clock = new ManualClock(10);
    const log: string[] = [];
    clock.setTimeout(() => log.push('b'), 20);
    clock.setTimeout(() => log.push('a'), 5);
    clock.setTimeout(() => log.push('c'), 20);
    const cancel = clock.setTimeout(() => log.push('x'), 1);
    cancel();
    expect(clock.nextDue()).toBe(15);
    clock.advance(19);
    expect(log).toEqual(['a']);
    expect(clock.now()).toBe(29);
    clock.advance(1);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(clock.pending()).toBe(0);
  });

  it('lets a timer set another that falls due within the same advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const tick = () => {
      seen.push(clock.now());
      if (seen.length < 5) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advance(1000);
    expect(seen).toEqual([100, 200, 300, 400, 500]);
    expect(clock.now()).toBe(1000);
  });

  it('runNext jumps to the next due time', () => {
    const clock = new ManualClock();
    clock.setTimeout(() => undefined, 250);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(250);
    expect(clock.runNext()).toBe(false);
  });
});

describe('realClock', () => {
  it('moves forward and runs timers', async () => {
    const t0 = realClock.now();
    await new Promise<void>((resolve) => realClock.setTimeout(resolve, 5));
    expect(realClock.now()).toBeGreaterThan(t0);
  });
});
