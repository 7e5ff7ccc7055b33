/**
 * One WebRTC peer connection (werift) carrying VP8 video both ways and the ordered
 * "parameters" data channel, with the codec and RTP (de)packetizing done here so callers see
 * decoded VideoFrames only. Server side it answers a Scope client's offer (MediaPeer.answer);
 * client side (cloud relay, tests) it makes the offer (createOfferPeer).
 *
 * The parts, each on the one connection (`PeerCore`, types.ts): negotiation.ts (configuration,
 * transceivers, ICE), inbound.ts (RTP → decoded frames, PLI, REMB), outbound.ts (frames → RTP,
 * keyframes on PLI/FIR), liveness.ts (noticing a closed tab), data-channel.ts ("parameters").
 * This file owns the connection's state and lifetime and puts the parts together.
 *
 * Track convention (Scope): the offer's video m-lines are transceivers in order; the first is
 * the camera (sendrecv, or recvonly in text mode), each further recvonly one is an extra sink.
 * "Inputs" are the m-lines this peer receives on, "outputs" the ones it sends on, each numbered
 * in m-line order. For the answerer: output 0 is the camera transceiver's return path (or the
 * text-mode recvonly one), outputs 1… the extra sinks; input 0 is the camera.
 */
import type { RTCDataChannel, RTCRtpTransceiver } from 'werift';
import type { VideoFrame } from '../../../nodes';
import { FrameLatencyTracker } from '../latency';
import { assertSdp, mungeVp8Bitrate, parseVideoMLines, type SdpDirection } from '../sdp';
import { DataChannel } from './data-channel';
import { Inbound } from './inbound';
import { Liveness } from './liveness';
import {
  DATA_CHANNEL_LABEL,
  DEFAULT_HINTS,
  answerTransceivers,
  checkIceCandidate,
  createConnection,
  noDefaultStun,
  offerTransceivers,
  waitForGathering,
} from './negotiation';
import { Outbound } from './outbound';
import {
  MediaError,
  addCb,
  defaultLog,
  safeCall,
  type MediaLog,
  type MediaPeerOptions,
  type MediaPeerStats,
  type OfferPeerConfig,
  type PeerCore,
  type PeerCounters,
  type PeerState,
} from './types';

export { MediaError } from './types';
export type { MediaLog, MediaPeerOptions, MediaPeerStats, OfferPeerConfig, PeerState } from './types';

const STATES = ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'] as const;

/**
 * A WebRTC peer for one session: decoded frames in, frames out, JSON on "parameters".
 * Create with {@link MediaPeer.answer} (server) or {@link createOfferPeer} (client).
 */
export class MediaPeer {
  private readonly core: PeerCore;
  private readonly log: MediaLog;
  private readonly inbound: Inbound;
  private readonly outbound: Outbound;
  private readonly liveness: Liveness;
  private readonly data: DataChannel;
  private readonly stateCbs: ((state: PeerState) => void)[] = [];
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  private readonly unsubscribers: (() => void)[] = [];
  private closing: Promise<void> | null = null;
  private state: PeerState = 'new';

  private constructor(private readonly opts: MediaPeerOptions) {
    this.log = opts.log ?? defaultLog;
    const counters: PeerCounters = {
      framesIn: 0,
      framesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      keyframesIn: 0,
      keyframesOut: 0,
      plisSent: 0,
      plisReceived: 0,
      decodeErrors: 0,
      inputFramesDropped: 0,
      outputFramesDropped: 0,
      dataIn: 0,
      dataRejected: 0,
      dataOut: 0,
      longestRemoteGapMs: 0,
    };
    this.core = {
      pc: createConnection(opts),
      opts,
      log: this.log,
      now: opts.now ?? (() => performance.now()),
      counters,
      latency: new FrameLatencyTracker(opts.latencyWindow ?? 600),
      isClosing: () => this.closing !== null,
      isConnected: () => this.state === 'connected',
      sub: (s) => void this.unsubscribers.push(() => s.unSubscribe()),
      keepTimer: (t) => void this.timers.add(t),
    };
    this.inbound = new Inbound(this.core);
    this.outbound = new Outbound(this.core);
    this.liveness = new Liveness(this.core);
    this.data = new DataChannel(this.core, (reason) => this.liveness.noteRemoteClose(reason));
    const { pc } = this.core;
    this.core.sub(
      pc.connectionStateChange.subscribe((s) => {
        this.setState(s);
        if (s === 'connected') {
          this.outbound.watchRtcp();
          this.liveness.watch();
          this.inbound.requestKeyframes('connected');
        }
      }),
    );
    this.core.sub(pc.onDataChannel.subscribe((ch) => this.data.attach(ch)));
  }

  /**
   * Server side: answers a client's offer. Resolves once ICE gathering is done (candidates are
   * in the answer), with the answer's VP8 fmtp carrying Chromium's bitrate hints.
   * Rejects with a MediaError('bad-offer') for an offer that is not usable.
   *
   * @example
   * const { peer, answerSdp } = await MediaPeer.answer(offer.sdp);
   * peer.onInputFrame((i, frame) => peer.sendFrame(0, frame)); // echo
   */
  static async answer(
    offerSdp: string,
    opts: MediaPeerOptions = {},
  ): Promise<{ peer: MediaPeer; answerSdp: string }> {
    try {
      assertSdp(offerSdp, 'offer');
    } catch (error) {
      throw new MediaError('bad-offer', (error as Error).message);
    }
    const mlines = parseVideoMLines(offerSdp);
    if (mlines.length === 0) throw new MediaError('bad-offer', 'offer has no video m-line');
    const peer = new MediaPeer(opts);
    const { pc } = peer.core;
    try {
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      } catch (error) {
        throw new MediaError('bad-offer', `offer rejected: ${(error as Error).message}`);
      }
      peer.wire(answerTransceivers(pc, mlines));
      const sdp = await peer.describe(async () => pc.setLocalDescription(await pc.createAnswer()));
      return { peer, answerSdp: mungeVp8Bitrate(sdp, opts.bitrateHints ?? DEFAULT_HINTS) };
    } catch (error) {
      await peer.close();
      if (error instanceof MediaError) throw error;
      throw new MediaError('negotiation-failed', `answering failed: ${(error as Error).message}`);
    }
  }

  /** @internal Used by createOfferPeer. */
  static async offer(
    cfg: OfferPeerConfig,
    opts: MediaPeerOptions,
  ): Promise<{ peer: MediaPeer; offerSdp: string }> {
    const peer = new MediaPeer(opts);
    const { pc } = peer.core;
    try {
      peer.wire(offerTransceivers(pc, cfg));
      peer.data.attach(pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true }));
      const sdp = await peer.describe(async () => pc.setLocalDescription(await pc.createOffer()));
      return { peer, offerSdp: sdp };
    } catch (error) {
      await peer.close();
      if (error instanceof MediaError) throw error;
      throw new MediaError('negotiation-failed', `offering failed: ${(error as Error).message}`);
    }
  }

  /** Client side: applies the server's answer to this peer's offer. */
  async acceptAnswer(answerSdp: string): Promise<void> {
    this.assertOpen();
    try {
      assertSdp(answerSdp, 'answer');
      await this.core.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    } catch (error) {
      throw new MediaError('bad-answer', `answer rejected: ${(error as Error).message}`);
    }
  }

  /** Calls `cb(trackIndex, frame)` for every decoded input frame. Returns an unsubscribe. */
  onInputFrame(cb: (trackIndex: number, frame: VideoFrame) => void): () => void {
    return this.inbound.onFrame(cb);
  }

  /** Calls `cb(obj)` for every valid JSON object on the "parameters" channel. */
  onData(cb: (obj: Record<string, unknown>) => void): () => void {
    return this.data.onData(cb);
  }

  /** Calls `cb(state)` on every connection state change. */
  onStateChange(cb: (state: PeerState) => void): () => void {
    return addCb(this.stateCbs, cb);
  }

  /**
   * Calls `cb(reason)` once when the remote side ends the connection: a DTLS close_notify (or
   * any DTLS alert), an SCTP ABORT/SHUTDOWN, or its "parameters" channel closing. Browsers send
   * these when a tab closes, so this fires within milliseconds instead of the ≈ 30 s ICE
   * consent timeout. Not called when this side closes. Returns an unsubscribe.
   */
  onRemoteClose(cb: (reason: string) => void): () => void {
    return this.liveness.onRemoteClose(cb);
  }

  /**
   * @internal The werift "parameters" channel, for tests that must send text the API would
   * never send (hostile payloads).
   */
  get channel(): RTCDataChannel | null {
    return this.data.raw;
  }

  /** The current connection state. */
  get connectionState(): PeerState {
    return this.state;
  }

  /** How many inputs and outputs the negotiation gave this peer. */
  get trackCounts(): { inputs: number; outputs: number } {
    return { inputs: this.inbound.count, outputs: this.outbound.count };
  }

  /**
   * Encodes and sends `frame` on output `outputIndex`. Returns false (and counts a drop) when
   * the output does not exist, the peer is not connected yet, or it is closed.
   * Throws a RangeError for a frame that cannot be encoded (odd size, short buffer).
   */
  sendFrame(outputIndex: number, frame: VideoFrame): boolean {
    return this.outbound.send(outputIndex, frame);
  }

  /**
   * Calls `next(n)` at `fps` and sends what it returns on `outputIndex` (null skips a tick).
   * Returns a function that stops it; close() stops it too.
   */
  sendFrom(outputIndex: number, fps: number, next: (n: number) => VideoFrame | null): () => void {
    if (!(fps > 0 && fps <= 240)) throw new RangeError(`sendFrom: fps ${fps} is outside (0, 240]`);
    let n = 0;
    const timer = setInterval(() => {
      if (this.state !== 'connected') return;
      const frame = next(n++);
      if (frame) this.sendFrame(outputIndex, frame);
    }, 1000 / fps);
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  }

  /** Asks the remote sender of input `trackIndex` for a keyframe (rate-limited). */
  requestKeyframe(trackIndex: number): void {
    this.inbound.requestKeyframe(trackIndex, 'requested', true);
  }

  /**
   * Sends a JSON object on "parameters". Before the channel opens, messages are queued (up to
   * 64) and sent on open. Returns false when the peer is closed or the queue is full.
   */
  sendData(obj: Record<string, unknown>): boolean {
    return this.data.send(obj);
  }

  /**
   * Adds a trickled remote ICE candidate (Scope's PATCH body items). An empty candidate string
   * means end of candidates. Rejects with MediaError('bad-candidate') naming what is wrong.
   */
  async addIceCandidate(c: {
    candidate?: unknown;
    sdpMid?: unknown;
    sdpMLineIndex?: unknown;
  }): Promise<void> {
    this.assertOpen();
    const init = checkIceCandidate(c);
    try {
      await this.core.pc.addIceCandidate(init);
    } catch (error) {
      throw new MediaError('bad-candidate', `candidate rejected: ${(error as Error).message}`);
    }
  }

  /** A copy of the counters. */
  stats(): MediaPeerStats {
    return { ...this.core.counters, latency: this.core.latency.snapshot() };
  }

  /** Closes the connection and frees sockets, timers and codecs. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      // Set before doClose runs: werift closes the channels inside it, which is not a remote close.
      this.liveness.closingLocally();
      this.closing = this.doClose();
    }
    return this.closing;
  }

  private async doClose(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    try {
      await this.core.pc.close();
    } catch (error) {
      this.log('warn', `closing the peer connection: ${(error as Error).message}`);
    }
    for (const u of this.unsubscribers.splice(0)) u();
    this.inbound.close();
    this.outbound.close();
    this.data.close();
    this.setState('closed');
    this.stateCbs.length = 0;
    this.liveness.close();
  }

  /** Decode paths for the transceivers we receive on, encode paths for those we send on. */
  private wire(directions: Map<RTCRtpTransceiver, SdpDirection>): void {
    for (const [t, dir] of directions) {
      if (dir === 'sendrecv' || dir === 'recvonly') this.inbound.add(t);
      if (dir === 'sendrecv' || dir === 'sendonly') this.outbound.add(t);
    }
    this.inbound.startRemb(this.opts.rembKbps ?? 3000);
  }

  /** Sets the local description, waits for ICE gathering and returns the SDP. */
  private async describe(setLocal: () => Promise<unknown>): Promise<string> {
    const { pc } = this.core;
    noDefaultStun(pc, this.opts);
    await setLocal();
    await waitForGathering(pc, this.opts.gatherTimeoutMs ?? 2000);
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new MediaError('negotiation-failed', 'werift produced no local description');
    return sdp;
  }

  private assertOpen(): void {
    if (this.closing) throw new MediaError('closed', 'the peer is closed');
  }

  private setState(s: string): void {
    const next = STATES.find((x) => x === s);
    if (!next || next === this.state) return;
    if (this.state === 'closed') return;
    this.state = next;
    for (const cb of [...this.stateCbs]) safeCall(() => cb(next), this.log, 'onStateChange');
  }
}

/**
 * Client side (cloud relay, tests): a peer that offers Scope's layout — a camera transceiver,
 * `extraSinks` recvonly ones and the "parameters" channel. Send the offer, then call
 * `peer.acceptAnswer(answerSdp)`. Output 0 is the camera; inputs are the transceivers it
 * receives on, in order.
 *
 * @example
 * const { peer, offerSdp } = await createOfferPeer({ camera: 'sendrecv' });
 * const { answerSdp } = await MediaPeer.answer(offerSdp); // or POST /api/v1/webrtc/offer
 * await peer.acceptAnswer(answerSdp);
 * peer.sendFrom(0, 30, (n) => makeFrame(n));
 */
export function createOfferPeer(
  config: OfferPeerConfig = {},
  opts: MediaPeerOptions = {},
): Promise<{ peer: MediaPeer; offerSdp: string }> {
  const extra = config.extraSinks ?? 0;
  if (!Number.isInteger(extra) || extra < 0 || extra > 16) {
    return Promise.reject(new RangeError(`createOfferPeer: extraSinks ${extra} must be an integer in 0..16`));
  }
  return MediaPeer.offer(config, opts);
}
