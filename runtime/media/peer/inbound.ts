/**
 * Inbound video, frame path step 1 of 8 (CONTEXT.md): RTP packets from the remote → VP8
 * depacketizer → decoder → a decoded I420 VideoFrame handed to `onInputFrame` callbacks (the
 * server passes it to the session's input port). Also asks the remote sender for keyframes (PLI)
 * and tells it its bandwidth (REMB), since decoding can only start or resume at a keyframe.
 */
import {
  MediaStreamTrack,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import type { VideoFrame } from '../../../nodes';
import { Vp8Decoder } from '../codec/vp8';
import { Vp8Depacketizer } from '../rtp/vp8-rtp';
import { addCb, safeCall, type PeerCore } from './types';

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

/** The peer's inputs (the m-lines it receives on, in order) and their decode paths. */
export class Inbound {
  private readonly inputs: InputPath[] = [];
  private readonly frameCbs: ((trackIndex: number, frame: VideoFrame) => void)[] = [];

  constructor(private readonly core: PeerCore) {}

  get count(): number {
    return this.inputs.length;
  }

  /** Decodes what arrives on `t` as the next input. */
  add(t: RTCRtpTransceiver): void {
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
      this.core.sub(track.onReceiveRtp.subscribe((rtp) => this.onRtp(input, rtp)));
      this.sendPli(input, 'track started');
    };
    this.core.sub(t.onTrack.subscribe((track) => attach(track)));
    // On the answering side werift creates the remote track inside setRemoteDescription,
    // before anyone could subscribe: pick it up here.
    for (const track of t.receiver.tracks) attach(track);
  }

  /** Sends REMB at `kbps` each second while connected (after all inputs are added). */
  startRemb(kbps: number): void {
    if (kbps > 0 && this.inputs.length > 0) this.core.keepTimer(setInterval(() => this.sendRemb(kbps), 1000));
  }

  /** Calls `cb(trackIndex, frame)` for every decoded input frame. Returns an unsubscribe. */
  onFrame(cb: (trackIndex: number, frame: VideoFrame) => void): () => void {
    return addCb(this.frameCbs, cb);
  }

  /** Asks the remote sender of input `trackIndex` for a keyframe (rate-limited unless `force`). */
  requestKeyframe(trackIndex: number, why: string, force: boolean): void {
    const input = this.inputs[trackIndex];
    if (input) this.sendPli(input, why, force);
  }

  /** A PLI on every input (the connection just came up). */
  requestKeyframes(why: string): void {
    for (const input of this.inputs) this.sendPli(input, why, true);
  }

  close(): void {
    for (const input of this.inputs) input.decoder.close();
    this.frameCbs.length = 0;
  }

  private onRtp(input: InputPath, rtp: RtpPacket): void {
    const { core } = this;
    if (core.isClosing()) return;
    const pt = input.transceiver.getPayloadType('video/VP8');
    if (pt !== undefined && rtp.header.payloadType !== pt) return; // not VP8 (e.g. padding probes)
    if (rtp.payload.length === 0) return;
    const now = core.now();
    const result = input.depacketizer.push(
      {
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        payload: rtp.payload,
      },
      now,
    );
    core.counters.inputFramesDropped = this.inputs.reduce(
      (n, i) => n + i.depacketizer.stats.droppedFrames,
      0,
    );
    if (result.needKeyframe) this.sendPli(input, 'loss');
    for (const f of result.frames) {
      const decoded = input.decoder.decode(f.data, now, input.seq);
      if (!decoded.ok) {
        core.counters.decodeErrors++;
        core.log('debug', `input ${input.index}: ${decoded.error}`);
        input.depacketizer.reset();
        this.sendPli(input, 'decode error');
        continue;
      }
      // The decoded frame carries (seq, timestampMs = packet-complete time) through the engine
      // unchanged; the outbound side matches them to time the runtime's own in → out.
      core.latency.noteInput(decoded.frame.seq, decoded.frame.timestampMs, now, core.now());
      input.seq++;
      core.counters.framesIn++;
      core.counters.bytesIn += f.data.length;
      if (decoded.keyframe) core.counters.keyframesIn++;
      for (const cb of [...this.frameCbs])
        safeCall(() => cb(input.index, decoded.frame), core.log, 'onInputFrame');
    }
  }

  private sendPli(input: InputPath, why: string, force = false): void {
    const { core } = this;
    // Before DTLS is up a PLI cannot be sent; the 'connected' transition sends one.
    if (core.isClosing() || input.ssrc === null || !core.isConnected()) return;
    const now = core.now();
    const gap = core.opts.pliIntervalMs ?? 300;
    if (!force && now - input.lastPliAt < gap) return;
    input.lastPliAt = now;
    core.counters.plisSent++;
    core.log('debug', `PLI on input ${input.index} (${why})`);
    input.transceiver.receiver.sendRtcpPLI(input.ssrc).catch(() => undefined);
  }

  /** REMB: tells the remote sender how much it may send, since werift estimates no bandwidth. */
  private sendRemb(kbps: number): void {
    if (this.core.isClosing() || !this.core.isConnected()) return;
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
}
