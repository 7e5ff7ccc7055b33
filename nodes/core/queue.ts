/**
 * A bounded FIFO with live-video semantics: when full, pushing drops the OLDEST item (the
 * newest frame is the one worth showing) and counts the drop. The dropped item is returned
 * so its owner can release it (a frame-pool reference).
 */
export class DropOldestQueue<T> {
  private items: T[] = [];
  private dropCount = 0;

  constructor(readonly capacity = 2) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`queue capacity must be an integer ≥ 1 (got ${capacity})`);
  }

  /** Adds an item; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.dropCount++;
      return this.items.shift();
    }
    return undefined;
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  get length(): number {
    return this.items.length;
  }

  /** Frames dropped since the queue was made. */
  get drops(): number {
    return this.dropCount;
  }

  /** Empties the queue, returning what was in it (oldest first). */
  drain(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}
