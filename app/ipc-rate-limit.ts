/**
 * A rate limit on IPC calls per channel, as Scope's desktop app has: at most 100 calls in any
 * second and 1,000 in any minute on one channel (sliding windows). A renderer stuck in a loop, or
 * a compromised page, cannot flood the main process with file dialogs or window opens; a refused
 * call rejects in the renderer (invoke) or is dropped (send), like any other refused call.
 */
export interface RateLimits {
  perSecond: number;
  perMinute: number;
}

export const IPC_RATE_LIMITS: RateLimits = { perSecond: 100, perMinute: 1000 };

export class IpcRateLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limits: RateLimits = IPC_RATE_LIMITS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Counts a call on `channel`; returns null when allowed, or the limit it would pass
   * ("100 calls per second" / "1000 calls per minute"). Refused calls are not counted.
   */
  take(channel: string): string | null {
    const t = this.now();
    let times = this.calls.get(channel);
    if (!times) this.calls.set(channel, (times = []));
    // Forget calls older than a minute (times are in order).
    let drop = 0;
    while (drop < times.length && times[drop]! <= t - 60_000) drop++;
    if (drop) times.splice(0, drop);
    if (times.length >= this.limits.perMinute) return `${this.limits.perMinute} calls per minute`;
    let lastSecond = 0;
    for (let i = times.length - 1; i >= 0 && times[i]! > t - 1000; i--) lastSecond++;
    if (lastSecond >= this.limits.perSecond) return `${this.limits.perSecond} calls per second`;
    times.push(t);
    return null;
  }
}
