/**
 * Limits that keep one client from starving the others: a token bucket for message rates (data
 * channel, runtime WebSocket, failed cloud logins) and a per-key window for offers per minute.
 * Time comes from an injected `now()` so tests drive it.
 */

/** A token bucket: `ratePerSecond` sustained, bursts up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the caller drops the message). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is full again (the client has been quiet long enough). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }
}

/**
 * Counts events per key over a sliding window (offers per client per minute, failed logins per
 * address). Keys that have been quiet for a window are forgotten, so the map stays small.
 */
export class WindowCounter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Records one event for `key` unless the key is over the limit; returns false when over. */
  hit(key: string): boolean {
    const t = this.now();
    const recent = this.recent(key, t);
    if (recent.length >= this.limit) return false;
    recent.push(t);
    this.events.set(key, recent);
    return true;
  }

  /** True when `key` is over the limit (nothing is recorded). */
  blocked(key: string): boolean {
    return this.recent(key, this.now()).length >= this.limit;
  }

  /** Milliseconds until `key` may try again (0 when it may now). */
  retryAfterMs(key: string): number {
    const t = this.now();
    const recent = this.recent(key, t);
    if (recent.length < this.limit) return 0;
    return Math.max(0, recent[0]! + this.windowMs - t);
  }

  private recent(key: string, t: number): number[] {
    const list = (this.events.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length) this.events.set(key, list);
    else this.events.delete(key);
    // Forget idle keys now and then (a flood of distinct keys must not grow the map forever).
    if (this.events.size > 10_000)
      for (const [k, v] of this.events)
        if (!v.length || t - v[v.length - 1]! >= this.windowMs) this.events.delete(k);
    return list;
  }
}

/** Counters a rate-limited channel reports in stats and metrics. */
export interface GateCounters {
  /** Messages accepted and handed on (after coalescing: each applied message counts once). */
  received: number;
  /** Messages over the rate limit, dropped. */
  dropped: number;
  /** Parameter messages merged into a later one before they were applied. */
  coalesced: number;
  /** Warnings sent to the client (one per flood). */
  warnings: number;
}

export interface ParameterGateOptions {
  /** Sustained messages per second (default 100). */
  ratePerSecond?: number;
  /** Burst (default 200). */
  burst?: number;
  /** How often pending parameters are applied, ms (default 33: one frame at 30 fps). */
  frameMs?: number;
  /** Applies one merged parameter object. */
  apply: (params: Record<string, unknown>) => void;
  /** Tells the client, once per flood, that messages are being dropped. */
  warn: (message: Record<string, unknown>) => void;
  /** Called for every dropped message (process-wide counters). */
  onDrop?: () => void;
  now?: () => number;
  setTimer?: (cb: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * The data channel's gate: messages over the rate limit are dropped and counted (the client gets
 * one `{type:"warning", code:"rate_limited"}` per flood), and parameter messages are coalesced —
 * merged per target node, the latest value of each key winning — and applied once per frame, so
 * a flood costs one apply per frame however many messages arrive.
 */
export class ParameterGate {
  readonly counters: GateCounters = { received: 0, dropped: 0, coalesced: 0, warnings: 0 };
  private readonly bucket: TokenBucket;
  private readonly frameMs: number;
  /** Pending parameters by target (`node_id`, or "" for the whole session), in arrival order. */
  private pending = new Map<string, Record<string, unknown>>();
  private timer: unknown = null;
  private warned = false;
  private closed = false;

  constructor(private readonly o: ParameterGateOptions) {
    this.bucket = new TokenBucket(o.ratePerSecond ?? 100, o.burst ?? 200, o.now);
    this.frameMs = o.frameMs ?? 33;
  }

  /** One message from the client. */
  push(message: Record<string, unknown>): void {
    if (this.closed) return;
    if (!this.bucket.take()) {
      this.counters.dropped++;
      this.o.onDrop?.();
      if (!this.warned) {
        this.warned = true;
        this.counters.warnings++;
        this.o.warn({
          type: 'warning',
          code: 'rate_limited',
          message:
            'too many data-channel messages: the excess is dropped (parameters are applied at most once per frame; send the latest value only)',
        });
      }
      return;
    }
    // A quiet spell ends the flood: the next one gets its own warning.
    if (this.warned && this.bucket.full()) this.warned = false;
    const target = typeof message.node_id === 'string' ? message.node_id : '';
    // Leading edge: a message in a quiet frame is applied at once (no added latency); within
    // the frame after it, messages are merged and applied together when the frame ends.
    if (this.timer === null) {
      this.counters.received++;
      this.o.apply(message);
      this.startFrame();
      return;
    }
    const existing = this.pending.get(target);
    if (existing) {
      this.counters.coalesced++;
      // Re-inserting keeps "latest wins" for every key.
      for (const [k, v] of Object.entries(message)) {
        delete existing[k];
        existing[k] = v;
      }
    } else this.pending.set(target, { ...message });
  }

  private startFrame(): void {
    const set = this.o.setTimer ?? ((cb: () => void, ms: number) => setTimeout(cb, ms));
    this.timer = set(() => this.flush(), this.frameMs);
  }

  /** The end of a frame: applies what is pending (tests call it directly). */
  flush(): void {
    this.timer = null;
    if (this.closed || !this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    this.counters.received += batch.size;
    for (const params of batch.values()) this.o.apply(params);
    // Something arrived during this frame: the next frame coalesces too.
    this.startFrame();
  }

  /** Stops the gate; pending parameters are dropped (the session is going away). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) (this.o.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout)))(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  /** Stats for `/session/metrics`. */
  stats(): Record<string, number> {
    return {
      data_messages_applied: this.counters.received,
      data_messages_dropped: this.counters.dropped,
      data_messages_coalesced: this.counters.coalesced,
      data_rate_warnings: this.counters.warnings,
    };
  }
}

/** One `node.params` change of the runtime WebSocket protocol. */
export interface ParamsChange {
  op: 'node.params';
  id: string;
  params: Record<string, unknown>;
}

/** True when every change of a `patch.change` is a live parameter change (coalescible). */
export function onlyParamChanges(changes: unknown): changes is ParamsChange[] {
  return (
    Array.isArray(changes) &&
    changes.length > 0 &&
    changes.every(
      (c: unknown) =>
        typeof c === 'object' &&
        c !== null &&
        (c as { op?: unknown }).op === 'node.params' &&
        typeof (c as { id?: unknown }).id === 'string' &&
        typeof (c as { params?: unknown }).params === 'object' &&
        (c as { params?: unknown }).params !== null &&
        !Array.isArray((c as { params?: unknown }).params),
    )
  );
}

/**
 * Merges `node.params` changes into `into` (one change per node, the latest value of each key
 * winning), so a burst of slider moves queued behind a slow edit is applied once.
 */
export function mergeParamChanges(into: ParamsChange[], changes: readonly ParamsChange[]): void {
  for (const c of changes) {
    const existing = into.find((x) => x.id === c.id);
    if (!existing) into.push({ op: 'node.params', id: c.id, params: { ...c.params } });
    else
      for (const [k, v] of Object.entries(c.params)) {
        delete existing.params[k];
        existing.params[k] = v;
      }
  }
}

/** The one warning a flooded channel sends. */
export function rateLimitedWarning(what: string): { type: 'warning'; code: 'rate_limited'; message: string } {
  return {
    type: 'warning',
    code: 'rate_limited',
    message: `too many ${what} messages: the excess is dropped (counted in /api/v1/session/metrics)`,
  };
}
