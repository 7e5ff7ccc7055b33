import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';

/**
 * Lifecycle events in Scope's `stream_trace` shape (SCOPE-COMPAT.md "Lifecycle events"). Both
 * ends of a relayed session emit them with the same `connection_id`, so one query over the
 * sinks' output finds a whole session from the VJ's laptop to the GPU host.
 */

export const EVENT_TYPES = [
  'websocket_connected',
  'websocket_disconnected',
  'pipeline_load_start',
  'pipeline_loaded',
  'pipeline_unloaded',
  'session_created',
  'stream_started',
  'playback_ready',
  'stream_heartbeat',
  'stream_stopped',
  'session_closed',
  'error',
] as const;
export type StreamEventType = (typeof EVENT_TYPES)[number];

export const ERROR_TYPES = [
  'pipeline_load_failed',
  'pipeline_processing_failed',
  'stream_failed',
  'stream_startup_failed',
  'webrtc_connection_failed',
  'webrtc_offer_failed',
] as const;
export type StreamErrorType = (typeof ERROR_TYPES)[number];

/** The fields every event carries (Scope's names). */
export interface StreamTraceData {
  type: StreamEventType;
  /** Which end wrote it: `local` (the VJ's runtime) or `cloud` (the relay server). */
  client_source: string;
  session_id: string | null;
  connection_id: string | null;
  pipeline_ids: string[];
  user_id: string | null;
  error?: { error_type: StreamErrorType; message: string; recoverable: boolean };
  connection_info?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface StreamTraceEvent {
  id: string;
  type: 'stream_trace';
  /** ISO 8601 wall time. */
  timestamp: string;
  data: StreamTraceData;
}

/** Where events go: a JSON-lines file, Kafka, a test's array. `write` never throws. */
export interface EventSink {
  write(event: StreamTraceEvent): void;
  /** Flushes what is buffered and releases files/connections. */
  close(): Promise<void>;
}

/** The per-session context an emitter stamps on every event. */
export interface EventContext {
  client_source: string;
  connection_id: string | null;
  session_id?: string | null;
  pipeline_ids?: string[];
  user_id?: string | null;
}

/**
 * Stamps events with one session's context and hands them to every sink. The context can be
 * filled in as it becomes known (the user id after `set_user_id`, the session after `answer`).
 *
 * @example
 * const ev = new EventEmitterLog([fileSink], { client_source: 'cloud', connection_id: id });
 * ev.emit('websocket_connected');
 */
export class EventEmitterLog {
  readonly context: Required<EventContext>;

  constructor(
    private readonly sinks: readonly EventSink[],
    context: EventContext,
    private readonly wallClock: () => Date = () => new Date(),
  ) {
    this.context = {
      client_source: context.client_source,
      connection_id: context.connection_id,
      session_id: context.session_id ?? null,
      pipeline_ids: context.pipeline_ids ?? [],
      user_id: context.user_id ?? null,
    };
  }

  /** Updates part of the context for later events. */
  set(update: Partial<EventContext>): void {
    Object.assign(this.context, update);
  }

  /** Builds one event and writes it to every sink; returns it (tests read it back). */
  emit(type: StreamEventType, extra: Record<string, unknown> = {}): StreamTraceEvent {
    const event: StreamTraceEvent = {
      id: randomUUID(),
      type: 'stream_trace',
      timestamp: this.wallClock().toISOString(),
      data: { ...extra, type, ...this.context, pipeline_ids: [...this.context.pipeline_ids] },
    };
    for (const sink of this.sinks) sink.write(event);
    return event;
  }

  /** An `error` event with Scope's error object. */
  error(error_type: StreamErrorType, message: string, recoverable: boolean): StreamTraceEvent {
    return this.emit('error', { error: { error_type, message, recoverable } });
  }
}

/** Frame counters a heartbeat reads. */
export interface HeartbeatCounters {
  frames_in: number;
  frames_out: number;
}

export const HEARTBEAT_MS = 10_000;

/**
 * Emits `stream_heartbeat` every 10 s on the injected clock with frame counts, rates over the
 * last interval and the elapsed time. Returns a stop function.
 */
export function startHeartbeat(
  log: EventEmitterLog,
  clock: Clock,
  counters: () => HeartbeatCounters,
  intervalMs = HEARTBEAT_MS,
): () => void {
  const started = clock.now();
  let last = { ...counters(), at: started };
  let cancel: (() => void) | null = null;
  const tick = (): void => {
    const now = clock.now();
    const c = counters();
    const secs = Math.max(1e-9, (now - last.at) / 1000);
    log.emit('stream_heartbeat', {
      frames_in: c.frames_in,
      frames_out: c.frames_out,
      fps_in: Math.round(((c.frames_in - last.frames_in) / secs) * 10) / 10,
      fps_out: Math.round(((c.frames_out - last.frames_out) / secs) * 10) / 10,
      elapsed_ms: Math.round(now - started),
    });
    last = { ...c, at: now };
    cancel = clock.setTimeout(tick, intervalMs);
  };
  cancel = clock.setTimeout(tick, intervalMs);
  return () => {
    cancel?.();
    cancel = null;
  };
}
