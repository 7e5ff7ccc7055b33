/**
 * One WebRTC peer connection (werift) carrying VP8 video both ways and the ordered
 * "parameters" data channel, with the codec and RTP (de)packetizing done here so callers see
 * decoded VideoFrames only. Server side it answers a Scope client's offer (MediaPeer.answer);
 * client side (cloud relay, tests) it makes the offer (createOfferPeer).
 *
 * Track convention (Scope): the offer's video m-lines are transceivers in order; the first is
 * the camera (sendrecv, or recvonly in text mode), each further recvonly one is an extra sink.
 * "Inputs" are the m-lines this peer receives on, "outputs" the ones it sends on, each numbered
 * in m-line order. For the answerer: output 0 is the camera transceiver's return path (or the
 * text-mode recvonly one), outputs 1… the extra sinks; input 0 is the camera.
 */
import {
  MediaStreamTrack,
  RTCPeerConnection,
  PictureLossIndication,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  ReceiverEstimatedMaxBitrate,
  RtpHeader,
  RtpPacket,
  useAbsSendTime,
  useNACK,
  usePLI,
  useREMB,
  useSdesMid,
  type RTCDataChannel,
  type RTCRtpTransceiver,
} from 'werift';
import type { VideoFrame } from '../../nodes';
import { Vp8Decoder, Vp8Encoder } from './codec/vp8';
import { parseDataMessage } from './data';
import { FrameLatencyTracker, type RuntimeLatency } from './latency';
import { Vp8Depacketizer, Vp8Packetizer } from './rtp/vp8-rtp';
import {
  answerDirection,
  assertSdp,
  mungeVp8Bitrate,
  parseVideoMLines,
  type BitrateHints,
  type SdpDirection,
} from './sdp';

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

interface InputPath {
  index: number;
  transceiver: RTCRtpTransceiver;
  depacketizer: Vp8Depacketizer;
  decoder: Vp8Decoder;
  track: MediaStreamTrack | null;
  ssrc: number | null;
  lastPliAt: number;
  seq: number;
}

interface OutputPath {
  index: number;
  transceiver: RTCRtpTransceiver;
  encoder: Vp8Encoder;
  packetizer: Vp8Packetizer;
}

const DATA_CHANNEL_LABEL = 'parameters';
/** RFC 5104 full intra request (werift does not export its class). */
const FIR_FMT = 4;
const DEFAULT_HINTS: BitrateHints = { minKbps: 1500, startKbps: 1500, maxKbps: 3000 };

const defaultLog: MediaLog = (level, message) => {
  if (level === 'warn') console.warn(`[media] ${message}`);
};

function vp8Codec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'video/VP8',
    clockRate: 90000,
    rtcpFeedback: [useNACK(), usePLI(), useREMB()],
  });
}

function peerConfig(o: MediaPeerOptions): ConstructorParameters<typeof RTCPeerConnection>[0] {
  const loopback = o.loopbackOnly ?? true;
  const extra = [...(loopback ? ['127.0.0.1'] : []), ...(o.additionalHostAddresses ?? [])];
  return {
    codecs: { video: [vp8Codec()], audio: [] },
    headerExtensions: { video: [useSdesMid(), useAbsSendTime()], audio: [] },
    iceServers: o.iceServers ?? [],
    // Under the default bundle policy werift leaks a UDP socket per peer that has media and a
    // data channel (202 sockets after 100 cycles); max-bundle leaks nothing (FIELD-NOTES.md).
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
    ...(loopback ? { iceInterfaceAddresses: { udp4: '127.0.0.1' } } : {}),
    ...(extra.length ? { iceAdditionalHostAddresses: extra } : {}),
  } as ConstructorParameters<typeof RTCPeerConnection>[0];
}

/**
 * A WebRTC peer for one session: decoded frames in, frames out, JSON on "parameters".
 * Create with {@link MediaPeer.answer} (server) or {@link createOfferPeer} (client).
 */
export class MediaPeer {
  private readonly pc: RTCPeerConnection;
  private readonly opts: MediaPeerOptions;
  private readonly log: MediaLog;
  private readonly now: () => number;
  private inputs: InputPath[] = [];
  private outputs: OutputPath[] = [];
  private channel: RTCDataChannel | null = null;
  private readonly pendingData: string[] = [];
  private readonly frameCbs: ((trackIndex: number, frame: VideoFrame) => void)[] = [];
  private readonly dataCbs: ((obj: Record<string, unknown>) => void)[] = [];
  private readonly stateCbs: ((state: PeerState) => void)[] = [];
  private readonly remoteCloseCbs: ((reason: string) => void)[] = [];
  private remoteClosed: string | null = null;
  private closedLocally = false;
  private silenceTimer: ReturnType<typeof setInterval> | null = null;
  private readonly dtlsWatched = new Set<object>();
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly rtcpWatched = new Set<object>();
  private closing: Promise<void> | null = null;
  private state: PeerState = 'new';
  private readonly latency: FrameLatencyTracker;
  private readonly counters: Omit<MediaPeerStats, 'latency'> = {
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

  private constructor(opts: MediaPeerOptions) {
    this.opts = opts;
    this.log = opts.log ?? defaultLog;
    this.now = opts.now ?? (() => performance.now());
    this.latency = new FrameLatencyTracker(opts.latencyWindow ?? 600);
    this.pc = new RTCPeerConnection(peerConfig(opts));
    this.sub(
      this.pc.connectionStateChange.subscribe((s) => {
        this.setState(s);
        if (s === 'connected') {
          this.watchRtcp();
          this.watchRemoteClose();
          this.watchRemoteSilence();
          for (const input of this.inputs) this.sendPli(input, 'connected', true);
        }
      }),
    );
    this.sub(this.pc.onDataChannel.subscribe((ch) => this.attachChannel(ch)));
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
    try {
      try {
        await peer.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      } catch (error) {
        throw new MediaError('bad-offer', `offer rejected: ${(error as Error).message}`);
      }
      const directions = new Map<RTCRtpTransceiver, SdpDirection>();
      for (const line of mlines) {
        const t = peer.findTransceiver(line.mid, line.mLineIndex);
        if (!t) continue;
        const dir =
          line.rejected || line.vp8PayloadTypes.length === 0 ? 'inactive' : answerDirection(line.direction);
        t.setDirection(dir);
        directions.set(t, dir);
      }
      peer.wireTransceivers(directions);
      peer.noDefaultStun();
      const answer = await peer.pc.createAnswer();
      await peer.pc.setLocalDescription(answer);
      await peer.waitForGathering();
      const sdp = peer.pc.localDescription?.sdp;
      if (!sdp) throw new MediaError('negotiation-failed', 'werift produced no local description');
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
    try {
      const directions = new Map<RTCRtpTransceiver, SdpDirection>();
      const camera = cfg.camera ?? 'sendrecv';
      const dirs: SdpDirection[] = [
        camera,
        ...Array.from({ length: cfg.extraSinks ?? 0 }, () => 'recvonly' as const),
      ];
      for (const dir of dirs) {
        const t = peer.pc.addTransceiver('video', { direction: dir });
        directions.set(t, dir);
      }
      peer.wireTransceivers(directions);
      peer.attachChannel(peer.pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true }));
      peer.noDefaultStun();
      const offer = await peer.pc.createOffer();
      await peer.pc.setLocalDescription(offer);
      await peer.waitForGathering();
      const sdp = peer.pc.localDescription?.sdp;
      if (!sdp) throw new MediaError('negotiation-failed', 'werift produced no local description');
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
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    } catch (error) {
      throw new MediaError('bad-answer', `answer rejected: ${(error as Error).message}`);
    }
  }

  /** Calls `cb(trackIndex, frame)` for every decoded input frame. Returns an unsubscribe. */
  onInputFrame(cb: (trackIndex: number, frame: VideoFrame) => void): () => void {
    return addCb(this.frameCbs, cb);
  }

  /** Calls `cb(obj)` for every valid JSON object on the "parameters" channel. */
  onData(cb: (obj: Record<string, unknown>) => void): () => void {
    return addCb(this.dataCbs, cb);
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
    if (this.remoteClosed !== null) {
      const reason = this.remoteClosed;
      queueMicrotask(() => safeCall(() => cb(reason), this.log, 'onRemoteClose'));
      return () => undefined;
    }
    return addCb(this.remoteCloseCbs, cb);
  }

  /** The current connection state. */
  get connectionState(): PeerState {
    return this.state;
  }

  /** How many inputs and outputs the negotiation gave this peer. */
  get trackCounts(): { inputs: number; outputs: number } {
    return { inputs: this.inputs.length, outputs: this.outputs.length };
  }

  /**
   * Encodes and sends `frame` on output `outputIndex`. Returns false (and counts a drop) when
   * the output does not exist, the peer is not connected yet, or it is closed.
   * Throws a RangeError for a frame that cannot be encoded (odd size, short buffer).
   */
  sendFrame(outputIndex: number, frame: VideoFrame): boolean {
    const out = this.outputs[outputIndex];
    const outputAt = this.now();
    if (!out || this.closing || this.state !== 'connected') {
      this.counters.outputFramesDropped++;
      return false;
    }
    const encoded = out.encoder.encode(frame);
    if (!encoded) {
      this.counters.outputFramesDropped++;
      return false;
    }
    const pt = out.transceiver.sender.codec?.payloadType;
    if (pt === undefined) {
      this.counters.outputFramesDropped++;
      return false;
    }
    for (const unit of out.packetizer.packetize(encoded.data, encoded.timestampMs)) {
      const header = new RtpHeader({
        sequenceNumber: unit.sequenceNumber,
        timestamp: unit.timestamp,
        marker: unit.marker,
        payloadType: pt,
      });
      const packet = new RtpPacket(
        header,
        Buffer.from(unit.payload.buffer, unit.payload.byteOffset, unit.payload.length),
      );
      out.transceiver.sender
        .sendRtp(packet)
        .catch((error: Error) => this.log('debug', `sendRtp: ${error.message}`));
    }
    this.latency.noteOutput(outputIndex, frame.seq, frame.timestampMs, outputAt, this.now());
    this.counters.framesOut++;
    this.counters.bytesOut += encoded.data.length;
    if (encoded.keyframe) this.counters.keyframesOut++;
    return true;
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
    const input = this.inputs[trackIndex];
    if (input) this.sendPli(input, 'requested', true);
  }

  /**
   * Sends a JSON object on "parameters". Before the channel opens, messages are queued (up to
   * 64) and sent on open. Returns false when the peer is closed or the queue is full.
   */
  sendData(obj: Record<string, unknown>): boolean {
    if (this.closing) return false;
    const text = JSON.stringify(obj);
    if (this.channel && this.channel.readyState === 'open') {
      this.channel.send(text);
      this.counters.dataOut++;
      return true;
    }
    if (this.pendingData.length >= 64) return false;
    this.pendingData.push(text);
    return true;
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
    if (c === null || typeof c !== 'object')
      throw new MediaError('bad-candidate', 'candidate must be an object');
    const { candidate, sdpMid, sdpMLineIndex } = c;
    if (typeof candidate !== 'string')
      throw new MediaError('bad-candidate', 'candidate.candidate must be a string');
    if (candidate.length > 1024)
      throw new MediaError('bad-candidate', 'candidate.candidate is longer than 1024');
    if (sdpMid !== undefined && sdpMid !== null && typeof sdpMid !== 'string') {
      throw new MediaError('bad-candidate', 'candidate.sdpMid must be a string or null');
    }
    if (
      sdpMLineIndex !== undefined &&
      sdpMLineIndex !== null &&
      !(Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0)
    ) {
      throw new MediaError('bad-candidate', 'candidate.sdpMLineIndex must be a non-negative integer or null');
    }
    const text = candidate.replace(/^a=/, '');
    if (text !== '') {
      // foundation component transport priority address port "typ" type
      const m = /^candidate:\S+ \d+ (udp|tcp) \d+ (\S+) (\d+) typ (host|srflx|prflx|relay)(?: |$)/i.exec(
        text,
      );
      if (!m) throw new MediaError('bad-candidate', `not an ICE candidate line: "${text.slice(0, 80)}"`);
      const port = Number(m[3]);
      if (port < 1 || port > 65535)
        throw new MediaError('bad-candidate', `candidate port ${port} is out of range`);
    }
    try {
      await this.pc.addIceCandidate({
        candidate: text,
        sdpMid: (sdpMid as string | null | undefined) ?? undefined,
        sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? undefined,
      });
    } catch (error) {
      throw new MediaError('bad-candidate', `candidate rejected: ${(error as Error).message}`);
    }
  }

  /** A copy of the counters. */
  stats(): MediaPeerStats {
    return { ...this.counters, latency: this.latency.snapshot() };
  }

  /** Closes the connection and frees sockets, timers and codecs. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      // Set before doClose runs: werift closes the channels inside it, which is not a remote close.
      this.closedLocally = true;
      this.closing = this.doClose();
    }
    return this.closing;
  }

  private async doClose(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    try {
      await this.pc.close();
    } catch (error) {
      this.log('warn', `closing the peer connection: ${(error as Error).message}`);
    }
    for (const u of this.unsubscribers.splice(0)) u();
    for (const input of this.inputs) input.decoder.close();
    for (const out of this.outputs) out.encoder.close();
    this.pendingData.length = 0;
    this.setState('closed');
    this.frameCbs.length = 0;
    this.dataCbs.length = 0;
    this.stateCbs.length = 0;
    this.remoteCloseCbs.length = 0;
  }

  /** Reports the remote end's close once (nothing after this side started closing). */
  private noteRemoteClose(reason: string): void {
    if (this.closedLocally || this.remoteClosed !== null) return;
    this.remoteClosed = reason;
    this.log('info', `remote closed the connection: ${reason}`);
    for (const cb of this.remoteCloseCbs.splice(0)) safeCall(() => cb(reason), this.log, 'onRemoteClose');
  }

  /**
   * werift 0.25's ICE falls back to stun.l.google.com:19302 when no STUN server is configured
   * (`iceServers: []` included): every peer resolved that name and, with Internet access, sent it
   * a binding request and put the public address in its SDP. Without a configured STUN server
   * the transports get none, so nothing leaves the machine (and gathering no longer waits for a
   * DNS answer: ≈ 250 ms per offer here).
   */
  private noDefaultStun(): void {
    const stunConfigured = (this.opts.iceServers ?? []).some((s) =>
      (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^stuns?:/i.test(u)),
    );
    if (stunConfigured) return;
    const transports = [
      ...this.pc.dtlsTransports,
      ...(this.pc.sctpTransport ? [this.pc.sctpTransport.dtlsTransport] : []),
    ];
    for (const dtls of transports) {
      const conn = (dtls?.iceTransport as { connection?: { stunServer?: unknown } } | undefined)?.connection;
      if (conn) conn.stunServer = undefined;
    }
  }

  /**
   * Counts time since the last packet from the remote (the ICE connection's application data)
   * and reports the remote gone after `remoteSilenceMs` without one. A check that runs late means
   * this process stalled (GC, a busy core): the packets may be waiting in the socket, so that
   * round only restarts the window instead of judging the remote.
   */
  private watchRemoteSilence(): void {
    const limit = this.opts.remoteSilenceMs ?? ((this.opts.loopbackOnly ?? true) ? 2000 : 10_000);
    if (limit <= 0 || this.silenceTimer) return;
    let lastRx = -1;
    for (const dtls of this.pc.dtlsTransports) {
      const conn = (
        dtls?.iceTransport as {
          connection?: { onData?: { subscribe(f: () => void): { unSubscribe(): void } } };
        }
      )?.connection;
      if (!conn?.onData) continue;
      this.sub(
        conn.onData.subscribe(() => {
          const now = this.now();
          if (lastRx >= 0)
            this.counters.longestRemoteGapMs = Math.max(this.counters.longestRemoteGapMs, now - lastRx);
          lastRx = now;
        }),
      );
    }
    const tickMs = Math.min(250, limit / 4);
    let lastTick = this.now();
    this.silenceTimer = setInterval(() => {
      const now = this.now();
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
    this.timers.add(this.silenceTimer);
  }

  /**
   * werift turns a DTLS alert from the remote into its transport's "closed" state (a local stop
   * does not emit it) but leaves the connection state alone, so watch the transports directly.
   */
  private watchRemoteClose(): void {
    const transports = [
      ...this.pc.dtlsTransports,
      ...(this.pc.sctpTransport ? [this.pc.sctpTransport.dtlsTransport] : []),
    ];
    for (const dtls of transports) {
      if (!dtls || this.dtlsWatched.has(dtls)) continue;
      this.dtlsWatched.add(dtls);
      this.sub(
        dtls.onStateChange.subscribe((st) => {
          if (st === 'closed') this.noteRemoteClose('DTLS close_notify from the remote');
        }),
      );
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new MediaError('closed', 'the peer is closed');
  }

  private sub(s: { unSubscribe: () => void }): void {
    this.unsubscribers.push(() => s.unSubscribe());
  }

  private setState(s: string): void {
    const next = (['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'] as const).find(
      (x) => x === s,
    );
    if (!next || next === this.state) return;
    if (this.state === 'closed') return;
    this.state = next;
    for (const cb of [...this.stateCbs]) safeCall(() => cb(next), this.log, 'onStateChange');
  }

  private findTransceiver(mid: string | null, mLineIndex: number): RTCRtpTransceiver | undefined {
    const all = this.pc.getTransceivers();
    return (
      (mid !== null ? all.find((t) => t.mid === mid) : undefined) ??
      all.find((t) => t.mLineIndex === mLineIndex)
    );
  }

  /** Sets up decode paths for transceivers we receive on and encode paths for those we send on. */
  private wireTransceivers(directions: Map<RTCRtpTransceiver, SdpDirection>): void {
    const bitrateKbps = this.opts.bitrateKbps ?? 2000;
    for (const [t, dir] of directions) {
      if (dir === 'sendrecv' || dir === 'recvonly') {
        const input: InputPath = {
          index: this.inputs.length,
          transceiver: t,
          depacketizer: new Vp8Depacketizer(),
          decoder: new Vp8Decoder(),
          track: null,
          ssrc: null,
          lastPliAt: -Infinity,
          seq: 0,
        };
        this.inputs.push(input);
        const attach = (track: MediaStreamTrack): void => {
          if (input.track === track) return;
          input.track = track;
          input.ssrc = track.ssrc ?? null;
          this.sub(track.onReceiveRtp.subscribe((rtp) => this.onRtp(input, rtp)));
          this.sendPli(input, 'track started');
        };
        this.sub(t.onTrack.subscribe((track) => attach(track)));
        // On the answering side werift creates the remote track inside setRemoteDescription,
        // before anyone could subscribe: pick it up here.
        for (const track of t.receiver.tracks) attach(track);
      }
      if (dir === 'sendrecv' || dir === 'sendonly') {
        const out: OutputPath = {
          index: this.outputs.length,
          transceiver: t,
          encoder: new Vp8Encoder({ bitrateKbps }),
          packetizer: new Vp8Packetizer(),
        };
        this.outputs.push(out);
        // Each output is its own MediaStream on the client (a=msid per transceiver): clients
        // that show `ontrack`'s `streams[0]` would otherwise show one output everywhere.
        t.sender.streamId = `patchbay-output-${out.index}`;
        // A local track makes werift put an msid/ssrc for this sender in the SDP.
        void t.sender.replaceTrack(new MediaStreamTrack({ kind: 'video' })).catch(() => undefined);
      }
    }
    const remb = this.opts.rembKbps ?? 3000;
    if (remb > 0 && this.inputs.length > 0) {
      const timer = setInterval(() => this.sendRemb(remb), 1000);
      this.timers.add(timer);
    }
  }

  private onRtp(input: InputPath, rtp: RtpPacket): void {
    if (this.closing) return;
    const pt = input.transceiver.getPayloadType('video/VP8');
    if (pt !== undefined && rtp.header.payloadType !== pt) return; // not VP8 (e.g. padding probes)
    if (rtp.payload.length === 0) return;
    const now = this.now();
    const result = input.depacketizer.push(
      {
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        payload: rtp.payload,
      },
      now,
    );
    this.counters.inputFramesDropped = this.inputs.reduce(
      (n, i) => n + i.depacketizer.stats.droppedFrames,
      0,
    );
    if (result.needKeyframe) this.sendPli(input, 'loss');
    for (const f of result.frames) {
      const decoded = input.decoder.decode(f.data, now, input.seq);
      if (!decoded.ok) {
        this.counters.decodeErrors++;
        this.log('debug', `input ${input.index}: ${decoded.error}`);
        input.depacketizer.reset();
        this.sendPli(input, 'decode error');
        continue;
      }
      // The decoded frame carries (seq, timestampMs = packet-complete time) through the engine
      // unchanged; sendFrame matches them to time the runtime's own in → out.
      this.latency.noteInput(decoded.frame.seq, decoded.frame.timestampMs, now, this.now());
      input.seq++;
      this.counters.framesIn++;
      this.counters.bytesIn += f.data.length;
      if (decoded.keyframe) this.counters.keyframesIn++;
      for (const cb of [...this.frameCbs])
        safeCall(() => cb(input.index, decoded.frame), this.log, 'onInputFrame');
    }
  }

  private sendPli(input: InputPath, why: string, force = false): void {
    // Before DTLS is up a PLI cannot be sent; the 'connected' transition sends one.
    if (this.closing || input.ssrc === null || this.state !== 'connected') return;
    const now = this.now();
    const gap = this.opts.pliIntervalMs ?? 300;
    if (!force && now - input.lastPliAt < gap) return;
    input.lastPliAt = now;
    this.counters.plisSent++;
    this.log('debug', `PLI on input ${input.index} (${why})`);
    input.transceiver.receiver.sendRtcpPLI(input.ssrc).catch(() => undefined);
  }

  /**
   * Answers PLI/FIR with a keyframe. Read from the DTLS transport rather than werift's
   * per-sender event: werift routes payload-specific feedback by the feedback's *sender* SSRC
   * first, which on a sendrecv transceiver is the remote's own media SSRC, so the PLI lands on
   * our RTCRtpReceiver and the sender never hears it (seen werift↔werift; Chromium fills in the
   * same field the same way).
   */
  private watchRtcp(): void {
    const transports = new Set(this.outputs.map((o) => o.transceiver.dtlsTransport).filter(Boolean));
    for (const dtls of transports) {
      if (this.rtcpWatched.has(dtls)) continue;
      this.rtcpWatched.add(dtls);
      this.sub(
        dtls.onRtcp.subscribe((packet) => {
          if (packet.type !== RtcpPayloadSpecificFeedback.type) return;
          const fb = (packet as RtcpPayloadSpecificFeedback).feedback;
          const targets =
            fb.count === PictureLossIndication.count
              ? [(fb as PictureLossIndication).mediaSsrc]
              : fb.count === FIR_FMT
                ? (fb as unknown as { fir: { ssrc: number }[] }).fir.map((e) => e.ssrc)
                : [];
          for (const ssrc of targets) {
            const out = this.outputs.find((o) => o.transceiver.sender.ssrc === ssrc);
            if (!out) continue;
            this.counters.plisReceived++;
            out.encoder.requestKeyframe();
          }
        }),
      );
    }
  }

  /** REMB: tells the remote sender how much it may send, since werift estimates no bandwidth. */
  private sendRemb(kbps: number): void {
    if (this.closing || this.state !== 'connected') return;
    for (const input of this.inputs) {
      if (input.ssrc === null) continue;
      const receiver = input.transceiver.receiver;
      const bitrate = BigInt(Math.round(kbps * 1000));
      let exp = 0;
      while (bitrate >> BigInt(exp) > 0x3ffffn) exp++;
      const remb = new ReceiverEstimatedMaxBitrate({
        senderSsrc: receiver.rtcpSsrc,
        mediaSsrc: 0,
        brExp: exp,
        brMantissa: Number(bitrate >> BigInt(exp)),
        bitrate,
        ssrcNum: 1,
        ssrcFeedbacks: [input.ssrc],
      });
      receiver.transport
        ?.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })])
        .catch(() => undefined);
    }
  }

  private attachChannel(ch: RTCDataChannel): void {
    if (ch.label !== DATA_CHANNEL_LABEL) {
      this.log('info', `ignoring data channel "${ch.label}" (only "${DATA_CHANNEL_LABEL}" is used)`);
      return;
    }
    this.channel = ch;
    const flush = (): void => {
      while (this.pendingData.length && ch.readyState === 'open') {
        ch.send(this.pendingData.shift()!);
        this.counters.dataOut++;
      }
    };
    this.sub(
      ch.stateChanged.subscribe((s) => {
        if (s === 'open') flush();
        // werift closes every channel when an SCTP ABORT or SHUTDOWN arrives (the remote peer
        // connection closed), and on a stream reset (the remote closed just this channel): for a
        // Scope client either means the session is over.
        else if (s === 'closed') this.noteRemoteClose(`the "${DATA_CHANNEL_LABEL}" data channel closed`);
      }),
    );
    this.sub(
      ch.onMessage.subscribe((raw) => {
        const r = parseDataMessage(raw, {
          maxBytes: this.opts.maxMessageBytes ?? 64 * 1024,
          maxDepth: this.opts.maxMessageDepth ?? 32,
        });
        if (!r.ok) {
          this.counters.dataRejected++;
          this.log('warn', `data channel message ignored: ${r.reason}`);
          return;
        }
        this.counters.dataIn++;
        for (const cb of [...this.dataCbs]) safeCall(() => cb(r.value), this.log, 'onData');
      }),
    );
    if (ch.readyState === 'open') flush();
  }

  private waitForGathering(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    const timeoutMs = this.opts.gatherTimeoutMs ?? 2000;
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const s = this.pc.iceGatheringStateChange.subscribe((st) => {
        if (st === 'complete') done();
      });
      function done(): void {
        clearTimeout(timer);
        s.unSubscribe();
        resolve();
      }
    });
  }
}

/** Client-side transceiver layout for {@link createOfferPeer}. */
export interface OfferPeerConfig {
  /** The camera transceiver: 'sendrecv' (video mode, default) or 'recvonly' (text mode). */
  camera?: 'sendrecv' | 'recvonly' | 'sendonly';
  /** Extra receive-only transceivers, one per additional sink (default 0). */
  extraSinks?: number;
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

function addCb<T>(list: T[], cb: T): () => void {
  list.push(cb);
  return () => {
    const i = list.indexOf(cb);
    if (i >= 0) list.splice(i, 1);
  };
}

function safeCall(fn: () => void, log: MediaLog, where: string): void {
  try {
    fn();
  } catch (error) {
    log('warn', `${where} callback threw: ${(error as Error).message}`);
  }
}
