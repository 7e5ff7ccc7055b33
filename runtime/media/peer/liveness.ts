/**
 * Liveness: noticing that the remote is gone without waiting for ICE consent (≈ 30 s). A DTLS
 * alert, the "parameters" channel closing, or `remoteSilenceMs` without a packet ends it; the
 * reason is reported once to `onRemoteClose` callbacks (README: "Noticing a closed tab").
 */
import { addCb, safeCall, type PeerCore } from './types';

export class Liveness {
  private remoteClosed: string | null = null;
  private closedLocally = false;
  private silenceTimer: ReturnType<typeof setInterval> | null = null;
  private readonly dtlsWatched = new Set<object>();
  private readonly cbs: ((reason: string) => void)[] = [];

  constructor(private readonly core: PeerCore) {}

  /** Calls `cb(reason)` once when the remote ends the connection (at once if it already did). */
  onRemoteClose(cb: (reason: string) => void): () => void {
    if (this.remoteClosed !== null) {
      const reason = this.remoteClosed;
      queueMicrotask(() => safeCall(() => cb(reason), this.core.log, 'onRemoteClose'));
      return () => undefined;
    }
    return addCb(this.cbs, cb);
  }

  /** This side is closing: what happens to the transports from now on is not a remote close. */
  closingLocally(): void {
    this.closedLocally = true;
  }

  close(): void {
    this.cbs.length = 0;
  }

  /** Reports the remote end's close once (nothing after this side started closing). */
  noteRemoteClose(reason: string): void {
    if (this.closedLocally || this.remoteClosed !== null) return;
    this.remoteClosed = reason;
    this.core.log('info', `remote closed the connection: ${reason}`);
    for (const cb of this.cbs.splice(0)) safeCall(() => cb(reason), this.core.log, 'onRemoteClose');
  }

  /** Starts watching once the connection is up: DTLS alerts and silence. */
  watch(): void {
    this.watchRemoteClose();
    this.watchRemoteSilence();
  }

  /**
   * werift turns a DTLS alert from the remote into its transport's "closed" state (a local stop
   * does not emit it) but leaves the connection state alone, so watch the transports directly.
   */
  private watchRemoteClose(): void {
    const { pc } = this.core;
    const transports = [...pc.dtlsTransports, ...(pc.sctpTransport ? [pc.sctpTransport.dtlsTransport] : [])];
    for (const dtls of transports) {
      if (!dtls || this.dtlsWatched.has(dtls)) continue;
      this.dtlsWatched.add(dtls);
      this.core.sub(
        dtls.onStateChange.subscribe((st) => {
          if (st === 'closed') this.noteRemoteClose('DTLS close_notify from the remote');
        }),
      );
    }
  }

  /**
   * Counts time since the last packet from the remote (the ICE connection's application data)
   * and reports the remote gone after `remoteSilenceMs` without one. A check that runs late means
   * this process stalled (GC, a busy core): the packets may be waiting in the socket, so that
   * round only restarts the window instead of judging the remote.
   */
  private watchRemoteSilence(): void {
    const { core } = this;
    const limit = core.opts.remoteSilenceMs ?? ((core.opts.loopbackOnly ?? true) ? 2000 : 10_000);
    if (limit <= 0 || this.silenceTimer) return;
    let lastRx = -1;
    for (const dtls of core.pc.dtlsTransports) {
      const conn = (
        dtls?.iceTransport as {
          connection?: { onData?: { subscribe(f: () => void): { unSubscribe(): void } } };
        }
      )?.connection;
      if (!conn?.onData) continue;
      core.sub(
        conn.onData.subscribe(() => {
          const now = core.now();
          if (lastRx >= 0)
            core.counters.longestRemoteGapMs = Math.max(core.counters.longestRemoteGapMs, now - lastRx);
          lastRx = now;
        }),
      );
    }
    const tickMs = Math.min(250, limit / 4);
    let lastTick = core.now();
    this.silenceTimer = setInterval(() => {
      const now = core.now();
      const late = now - lastTick > tickMs * 3;
      lastTick = now;
      if (lastRx < 0) return; // nothing has flowed yet: connection setup has its own timeouts
      if (late) {
        lastRx = now;
        return;
      }
      if (now - lastRx >= limit)
        this.noteRemoteClose(`no packet from the remote for ${Math.round(now - lastRx)} ms`);
    }, tickMs);
    this.silenceTimer.unref();
    core.keepTimer(this.silenceTimer);
  }
}
