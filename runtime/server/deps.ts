/**
 * What the server needs from the engine and the media layer, as narrow interfaces, so the HTTP
 * surface can be tested on its own and each side can change its internals freely.
 */
import type { VideoFrame } from '../../nodes';
import type { RuntimeSession, SessionOptions } from '../engine/api';

/** Creates a RuntimeSession (the engine's `createRuntimeSession`). */
export type SessionFactory = (opts: SessionOptions) => RuntimeSession | Promise<RuntimeSession>;

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** One WebRTC peer (the answering side), as the server drives it. */
export interface ServerPeer {
  /** Decoded frames from the client's send tracks, by input track index. */
  onInputFrame(cb: (trackIndex: number, frame: VideoFrame) => void): void;
  /** Encodes and sends a frame on output track `outputIndex`. */
  sendFrame(outputIndex: number, frame: VideoFrame): void;
  addIceCandidate(candidate: IceCandidateInit): Promise<void>;
  /**
   * JSON objects from the "parameters" data channel. The media layer parses with size/depth caps
   * and drops (with a logged reason) anything that is not a plain object.
   */
  onData(cb: (message: Record<string, unknown>) => void): void;
  /** Sends on the "parameters" data channel (queued or dropped while it is not open). */
  sendData(message: Record<string, unknown>): void;
  /** Called once when the media connection is up (at once when it already is). */
  onConnected(cb: () => void): void;
  /** Called once when the connection ends by itself (ICE failure, closed tab). */
  onClosed(cb: (reason: string) => void): void;
  close(): Promise<void>;
  stats(): Record<string, unknown>;
}

export interface PeerAnswerOptions {
  /** Output tracks to send (one per Output node with preview), on the client's transceivers in order. */
  outputs: number;
  log: (line: string) => void;
}

/** Answers an offer; rejects with a readable reason for a malformed or unusable SDP. */
export type PeerFactory = (
  offerSdp: string,
  opts: PeerAnswerOptions,
) => Promise<{ peer: ServerPeer; answerSdp: string }>;
