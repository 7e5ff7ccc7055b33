import { describe, expect, it } from 'vitest';
import { FramePool } from './frame-pool';
import { DropOldestQueue } from '../../nodes';

describe('FramePool', () => {
  it('hands out slots with one reference and reuses them when released', () => {
    const pool = new FramePool();
    const a = pool.acquire(16, 16)!;
    pool.view(a).data.fill(7);
    pool.release(a);
    expect(pool.isLive(a)).toBe(false);
    const b = pool.acquire(16, 16)!;
    expect(b.slot).toBe(a.slot);
    expect(b.gen).toBe(a.gen + 1);
    expect(() => pool.release(a)).toThrow(/stale handle/);
    expect(pool.stats()).toMatchObject({ slots: 1, inUse: 1, free: 0 });
  });

  it('keeps a fanned-out frame until every consumer released it', () => {
    const pool = new FramePool();
    const h = pool.acquire(16, 16)!;
    pool.addRef(h);
    pool.addRef(h);
    pool.release(h);
    pool.release(h);
    expect(pool.isLive(h)).toBe(true);
    pool.release(h);
    expect(pool.isLive(h)).toBe(false);
    expect(pool.stats().inUse).toBe(0);
  });

  it('views share memory with the slot buffer (what a worker sees)', () => {
    const pool = new FramePool();
    const h = pool.acquire(4, 4, 12, 3)!;
    const other = new Uint8Array(pool.buffer(h.slot));
    pool.view(h).data[5] = 99;
    expect(other[5]).toBe(99);
    expect(pool.view(h)).toMatchObject({ width: 4, height: 4, timestampMs: 12, seq: 3 });
  });

  it('grows up to its cap, then refuses and counts; a free slot of another size is evicted', () => {
    const pool = new FramePool({ maxSlots: 3 });
    const hs = [pool.acquire(8, 8)!, pool.acquire(8, 8)!, pool.acquire(8, 8)!];
    expect(pool.acquire(8, 8)).toBeNull();
    expect(pool.stats().exhausted).toBe(1);
    pool.release(hs[0]!);
    const big = pool.acquire(16, 16);
    expect(big).not.toBeNull();
    expect(pool.stats()).toMatchObject({ slots: 3, inUse: 3 });
  });

  it('does not leak over many cycles', () => {
    const pool = new FramePool({ maxSlots: 8 });
    for (let i = 0; i < 10_000; i++) {
      const h = pool.acquire(32, 32)!;
      pool.addRef(h);
      pool.release(h);
      const copy = pool.import(pool.view(h))!;
      pool.release(h);
      pool.release(copy);
    }
    expect(pool.stats()).toMatchObject({ slots: 2, inUse: 0, exhausted: 0 });
  });

  it('import copies a frame and checks its size', () => {
    const pool = new FramePool();
    const data = new Uint8Array(24).fill(3);
    const h = pool.import({ width: 4, height: 4, data, timestampMs: 1, seq: 2 })!;
    expect([...pool.view(h).data]).toEqual([...data]);
    expect(() =>
      pool.import({ width: 4, height: 4, data: new Uint8Array(3), timestampMs: 0, seq: 0 }),
    ).toThrow(/needs 24/);
  });
});

describe('DropOldestQueue', () => {
  it('drops the oldest item when full and counts drops', () => {
    const q = new DropOldestQueue<number>(2);
    expect(q.push(1)).toBeUndefined();
    expect(q.push(2)).toBeUndefined();
    expect(q.push(3)).toBe(1);
    expect(q.push(4)).toBe(2);
    expect(q.drops).toBe(2);
    expect(q.length).toBe(2);
    expect(q.shift()).toBe(3);
    expect(q.drain()).toEqual([4]);
    expect(q.length).toBe(0);
    expect(() => new DropOldestQueue(0)).toThrow(/capacity/);
  });
});
