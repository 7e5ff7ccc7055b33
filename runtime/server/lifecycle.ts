/**
 * Lifecycle events (Scope's `stream_trace`, SCOPE-COMPAT "Lifecycle events") for plain WebRTC
 * sessions — a Scope client or the editor talking to this runtime directly, not through the
 * cloud relay (which writes its own, under its connection id). Everything of one session shares
 * `connection_id` = `session_id` = the WebRTC session id, with `client_source: "local"`.
 */
import { randomUUID } from 'node:crypto';
import { realClock } from '../clock';
import type { RuntimeSession } from '../engine/api';
import { EventEmitterLog, startHeartbeat, type EventSink, type StreamErrorType } from '../events';
import type { NodeStats } from '../protocol';
import type { ServerPeer } from './deps';

/** Frames into the session (its busiest source) and out of its last node (the output). */
export function sessionFrames(stats: Record<string, NodeStats>): { frames_in: number; frames_out: number } {
  const all = Object.values(stats);
  if (!all.length) return { frames_in: 0, frames_out: 0 };
  return { frames_in: Math.max(...all.map((s) => s.frames_in)), frames_out: all[all.length - 1]!.frames_out };
}

export interface TraceOptions {
  sinks: readonly EventSink[];
  sessionId: string;
  pipelineIds: string[];
  /** performance.now() when the offer arrived: `playback_ready.ttff_ms` counts from it. */
  offerAt: number;
  heartbeatMs?: number;
}

/** One session's events; `close()` writes stream_stopped + session_closed once. */
export class SessionTrace {
  private readonly ev: EventEmitterLog;
  private readonly offs: (() => void)[] = [];
  private stopHeartbeat: (() => void) | null = null;
  private started = false;
  private closed = false;

  constructor(
    private readonly opts: TraceOptions,
    private readonly session: RuntimeSession,
    peer: ServerPeer,
  ) {
    this.ev = new EventEmitterLog(opts.sinks, {
      client_source: 'local',
      connection_id: opts.sessionId,
      session_id: opts.sessionId,
      pipeline_ids: opts.pipelineIds,
    });
    this.ev.emit('session_created', { mode: 'local' });
    peer.onConnected(() => this.onConnected());
    this.offs.push(
      session.on('state', ({ state, error }) => {
        if (state === 'error')
          this.error('stream_failed', error ?? 'the session stopped with an error', false);
      }),
    );
  }

  private onConnected(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.ev.emit('stream_started');
    this.stopHeartbeat = startHeartbeat(
      this.ev,
      realClock,
      () => sessionFrames(this.session.stats()),
      this.opts.heartbeatMs,
    );
    // The first frame handed to the connected peer: what the client can show first.
    const off = this.session.onOutputFrame(() => {
      off();
      if (!this.closed)
        this.ev.emit('playback_ready', { ttff_ms: Math.round(performance.now() - this.opts.offerAt) });
    });
    this.offs.push(off);
  }

  error(type: StreamErrorType, message: string, recoverable: boolean): void {
    if (!this.closed) this.ev.error(type, message, recoverable);
  }

  /** The session ended (DELETE, a closed client, an error, shutdown). */
  close(reason: string): void {
    if (this.closed) return;
    if (/ICE failed/.test(reason)) this.error('webrtc_connection_failed', reason, false);
    this.closed = true;
    this.stopHeartbeat?.();
    for (const off of this.offs.splice(0)) off();
    if (this.started) this.ev.emit('stream_stopped', { reason });
    this.ev.emit('session_closed', { reason });
  }
}

/** An offer that did not become a session: one `error` event (no session id exists). */
export function traceOfferFailed(sinks: readonly EventSink[], pipelineIds: string[], message: string): void {
  new EventEmitterLog(sinks, {
    client_source: 'local',
    connection_id: randomUUID(),
    pipeline_ids: pipelineIds,
  }).error('webrtc_offer_failed', message, true);
}
