/**
 * What the parts of a MediaPeer share: the public option, stats and error types, and `PeerCore`,
 * the one connection every part works on (negotiation.ts, inbound.ts, outbound.ts, liveness.ts,
 * data-channel.ts; index.ts puts them together behind `MediaPeer`).
 */
import type { RTCPeerConnection } from 'werift';
import type { FrameLatencyTracker, RuntimeLatency } from '../latency';
import type { BitrateHints } from '../sdp';

/** Connection state as the session engine sees it. */
export type PeerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** A problem the caller caused or must handle, with a stable code. */
export class MediaError extends Error {
  constructor(
    readonly code: 'bad-offer' | 'bad-answer' | 'bad-candidate' | 'closed' | 'negotiation-failed',
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/** Log sink; the default prints warnings only. */
export type MediaLog = (level: 'debug' | 'info' | 'warn', message: string) => void;

/** Settings shared by both roles. Every field has a default suited to a loopback server. */
export interface MediaPeerOptions {
  /**
   * Gather only 127.0.0.1 (default true). werift leaves loopback out of its host candidates;
   * these settings made it connect to Chromium on loopback (FIELD-NOTES.md). Set false when
   * the server is reachable from other machines.
   */
  loopbackOnly?: boolean;
  /** Extra host addresses to offer as candidates (e.g. a LAN or public address). */
  additionalHostAddresses?: string[];
  /** STUN/TURN servers (default none: nothing is contacted outside this machine). */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  /** VP8 target bitrate of what this peer sends, kbit/s (default 2000). */
  bitrateKbps?: number;
  /** Bitrate hints put in the answer's VP8 fmtp (default 1500/1500/3000 kbit/s). */
  bitrateHints?: BitrateHints;
  /** REMB sent to the remote sender each second, kbit/s (default 3000; 0 turns it off). */
  rembKbps?: number;
  /** How long to wait for ICE gathering before returning the SDP (default 2000 ms). */
  gatherTimeoutMs?: number;
  /** Data-channel message limits (default 64 KiB, depth 32). */
  maxMessageBytes?: number;
  maxMessageDepth?: number;
  /** Minimum gap between two PLIs on one input (default 300 ms). */
  pliIntervalMs?: number;
  /**
   * After media has flowed, this long without a single packet from the remote (RTP, RTCP, SCTP)
   * counts as the remote gone (`onRemoteClose`). Chromium and werift send RTCP at least every
   * 1.5 s on a live connection, so this catches a tab that closed without a goodbye (headless
   * Chromium sends none). Default 2000 ms with `loopbackOnly` (no packet loss on loopback),
   * 10000 ms otherwise; 0 turns it off.
   */
  remoteSilenceMs?: number;
  /** Clock for input frame timestamps and PLI pacing (default performance.now). */
  now?: () => number;
  /** Frames the latency figures in `stats().latency` are taken over (default 600: 20 s at 30 fps). */
  latencyWindow?: number;
  log?: MediaLog;
}

/** Counters for one peer; `stats()` returns a copy. */
export interface MediaPeerStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  keyframesIn: number;
  keyframesOut: number;
  plisSent: number;
  plisReceived: number;
  decodeErrors: number;
  /** Input frames lost to packet loss or while waiting for a keyframe. */
  inputFramesDropped: number;
  /** sendFrame calls dropped: unknown output index, not connected yet, or closed. */
  outputFramesDropped: number;
  dataIn: number;
  dataRejected: number;
  dataOut: number;
  /** Longest gap between two packets from the remote since media started, ms (liveness margin). */
  longestRemoteGapMs: number;
  /**
   * The runtime's own time per frame (packets in complete → decoded → handed to the encoder →
   * packets out), p50/p99 over the last `latencyWindow` frames that went from an input of this
   * peer to one of its outputs.
   */
  latency: RuntimeLatency;
}

/** The counters the parts write; `latency` comes from the tracker when stats() is read. */
export type PeerCounters = Omit<MediaPeerStats, 'latency'>;

/** Client-side transceiver layout for `createOfferPeer`. */
export interface OfferPeerConfig {
  /** The camera transceiver: 'sendrecv' (video mode, default) or 'recvonly' (text mode). */
  camera?: 'sendrecv' | 'recvonly' | 'sendonly';
  /** Extra receive-only transceivers, one per additional sink (default 0). */
  extraSinks?: number;
}

/** The connection and bookkeeping every part of a peer works on. */
export interface PeerCore {
  readonly pc: RTCPeerConnection;
  readonly opts: MediaPeerOptions;
  readonly log: MediaLog;
  readonly now: () => number;
  readonly counters: PeerCounters;
  /** Times frames from an input of this peer to one of its outputs (inbound notes, outbound matches). */
  readonly latency: FrameLatencyTracker;
  /** True once close() began: nothing is sent or delivered after that. */
  isClosing(): boolean;
  /** True while the connection state is 'connected'. */
  isConnected(): boolean;
  /** Keeps a werift subscription until close. */
  sub(s: { unSubscribe(): void }): void;
  /** Keeps an interval until close. */
  keepTimer(t: ReturnType<typeof setInterval>): void;
}

export const defaultLog: MediaLog = (level, message) => {
  if (level === 'warn') console.warn(`[media] ${message}`);
};

/** Adds `cb` to `list`; returns the unsubscribe. */
export function addCb<T>(list: T[], cb: T): () => void {
  list.push(cb);
  return () => {
    const i = list.indexOf(cb);
    if (i >= 0) list.splice(i, 1);
  };
}

/** Runs a caller's callback; a throw is logged, never passed into werift or the frame flow. */
export function safeCall(fn: () => void, log: MediaLog, where: string): void {
  try {
    fn();
  } catch (error) {
    log('warn', `${where} callback threw: ${(error as Error).message}`);
  }
}
