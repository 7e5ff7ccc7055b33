import { i420Size, type FrameHandle, type FramePoolApi, type VideoFrame } from '../../nodes';

/**
 * Frames live in a pool of SharedArrayBuffer slots, one I420 frame each, and move between
 * threads as small handles (slot index + generation + size + timestamp + seq): posting a
 * handle costs ≈0.02 ms where copying 1 MiB costs ≈1 ms (FIELD-NOTES.md). The main thread
 * owns the reference counts: every holder (a queue, a worker with the frame in flight, an
 * Output keeping its last frame, each branch of a fan-out) takes a reference and releases it;
 * the slot goes back to the free list when the count reaches zero.
 */

/** A frame as it travels between threads (declared with the node-runtime API, nodes/core/runtime.ts). */
export type { FrameHandle };

interface Slot {
  sab: SharedArrayBuffer;
  bytes: Uint8Array;
  size: number;
  gen: number;
  refs: number;
}

export interface FramePoolOptions {
  /** Most slots alive at once, across all frame sizes (default 64). */
  maxSlots?: number;
}

export interface FramePoolStats {
  slots: number;
  inUse: number;
  free: number;
  bytes: number;
  /** Acquisitions refused because every slot was in use. */
  exhausted: number;
}

/** The pool of shared frame buffers for one session. Grows on demand up to `maxSlots`. */
export class FramePool implements FramePoolApi {
  private readonly slots: (Slot | undefined)[] = [];
  private readonly freeBySize = new Map<number, number[]>();
  private readonly maxSlots: number;
  private live = 0;
  private exhaustedCount = 0;

  constructor(options: FramePoolOptions = {}) {
    this.maxSlots = options.maxSlots ?? 64;
  }

  /**
   * A slot for a width×height I420 frame with one reference held by the caller, or null when
   * the pool is at its cap and nothing is free (the caller drops the frame and counts it).
   */
  acquire(width: number, height: number, timestampMs = 0, seq = 0): FrameHandle | null {
    const size = i420Size(width, height);
    let index = this.freeBySize.get(size)?.pop();
    if (index === undefined) {
      if (this.live >= this.maxSlots && !this.evictFreeSlot()) {
        this.exhaustedCount++;
        return null;
      }
      index = this.slots.indexOf(undefined);
      if (index < 0) index = this.slots.length;
      const sab = new SharedArrayBuffer(size);
      this.slots[index] = { sab, bytes: new Uint8Array(sab), size, gen: 0, refs: 0 };
      this.live++;
    }
    const slot = this.slots[index]!;
    slot.gen++;
    slot.refs = 1;
    return { slot: index, gen: slot.gen, width, height, timestampMs, seq };
  }

  /** Takes one more reference (a second consumer of the same frame). */
  addRef(h: FrameHandle): void {
    this.check(h, 'addRef').refs++;
  }

  /** Drops one reference; the slot is free again when none is left. */
  release(h: FrameHandle): void {
    const slot = this.check(h, 'release');
    slot.refs--;
    if (slot.refs === 0) {
      const list = this.freeBySize.get(slot.size);
      if (list) list.push(h.slot);
      else this.freeBySize.set(slot.size, [h.slot]);
    }
  }

  /** True while the handle's slot still holds this frame (not released and reused). */
  isLive(h: FrameHandle): boolean {
    const slot = this.slots[h.slot];
    return !!slot && slot.gen === h.gen && slot.refs > 0;
  }

  /** The frame's pixels as a view on the shared slot (no copy). Valid while a reference is held. */
  view(h: FrameHandle): VideoFrame {
    const slot = this.check(h, 'view');
    return {
      width: h.width,
      height: h.height,
      data: slot.bytes.subarray(0, i420Size(h.width, h.height)),
      timestampMs: h.timestampMs,
      seq: h.seq,
    };
  }

  /** The shared buffer behind a slot, posted once to each worker that needs it. */
  buffer(slot: number): SharedArrayBuffer {
    const s = this.slots[slot];
    if (!s) throw new RangeError(`frame pool: slot ${slot} does not exist`);
    return s.sab;
  }

  /** Copies a frame from anywhere into a new slot (input tracks, results of a different size). */
  import(frame: VideoFrame): FrameHandle | null {
    const size = i420Size(frame.width, frame.height);
    if (frame.data.length < size) {
      throw new RangeError(
        `frame pool: frame data has ${frame.data.length} bytes, ${frame.width}×${frame.height} needs ${size}`,
      );
    }
    const h = this.acquire(frame.width, frame.height, frame.timestampMs, frame.seq);
    if (h) this.slots[h.slot]!.bytes.set(frame.data.subarray(0, size));
    return h;
  }

  stats(): FramePoolStats {
    let inUse = 0;
    let bytes = 0;
    for (const s of this.slots) {
      if (!s) continue;
      bytes += s.size;
      if (s.refs > 0) inUse++;
    }
    return { slots: this.live, inUse, free: this.live - inUse, bytes, exhausted: this.exhaustedCount };
  }

  /** Frees every slot (the session is gone). Handles still out are invalid afterwards. */
  clear(): void {
    this.slots.length = 0;
    this.freeBySize.clear();
    this.live = 0;
  }

  private evictFreeSlot(): boolean {
    // At the cap, a free slot of another size (the frame size changed) makes room.
    for (const [size, list] of this.freeBySize) {
      const index = list.pop();
      if (list.length === 0) this.freeBySize.delete(size);
      if (index !== undefined) {
        this.slots[index] = undefined;
        this.live--;
        return true;
      }
    }
    return false;
  }

  private check(h: FrameHandle, what: string): Slot {
    const slot = this.slots[h.slot];
    if (!slot || slot.gen !== h.gen || slot.refs <= 0) {
      throw new RangeError(`frame pool: ${what} on a stale handle (slot ${h.slot}, generation ${h.gen})`);
    }
    return slot;
  }
}
