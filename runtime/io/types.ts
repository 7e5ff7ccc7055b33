import type { VideoFrame } from '../../nodes';

/**
 * The common shape of Patchbay's video I/O: a source hands decoded I420 frames to a callback,
 * a sink takes them. NDI, Spout and video files all implement these, so the engine wraps every
 * one the same way and a missing platform feature is a status, never a crash.
 */

/** Where an adapter stands; `unavailable` carries the reason and an install hint. */
export type AdapterState = 'idle' | 'waiting' | 'running' | 'unavailable' | 'error' | 'closed';

export interface AdapterStatus {
  state: AdapterState;
  /** What is wrong or what it is waiting for. */
  message?: string;
  /** What to do about `unavailable`. */
  installHint?: string;
}

/** Frames counted by every adapter. */
export interface AdapterCounters {
  frames: number;
  /** Frames that could not be taken or converted (each one counted, never silent). */
  dropped: number;
  errors: number;
}

/** A producer of frames (NDI receive, Spout receive, a looping file). */
export interface VideoSourceAdapter {
  readonly kind: string;
  /** Starts producing; frames arrive on `onFrame` (each frame's buffer belongs to the receiver). */
  start(onFrame: (frame: VideoFrame) => void): void;
  /** Stops and frees native resources; idempotent. */
  stop(): Promise<void>;
  status(): AdapterStatus;
  counters(): AdapterCounters;
}

/** A consumer of frames (NDI send, Spout send, a recorder). */
export interface VideoSinkAdapter {
  readonly kind: string;
  /** Sends one frame; false when it was dropped (counted). Never throws for a bad frame. */
  send(frame: VideoFrame): boolean;
  /** Stops and frees native resources; idempotent. */
  close(): Promise<void>;
  status(): AdapterStatus;
  counters(): AdapterCounters;
}

/** Thrown when an adapter cannot exist on this machine; the engine turns it into a node status. */
export class IoUnavailableError extends Error {
  constructor(
    message: string,
    readonly installHint: string,
  ) {
    super(message);
    this.name = 'IoUnavailableError';
  }
}
