/**
 * Outbound video, frame path step 8 of 8 (CONTEXT.md): a VideoFrame from the session's output port
 * → VP8 encoder → RFC 7741 packetizer → RTP to the remote. Answers the remote's PLI/FIR with a
 * keyframe.
 */
import {
  MediaStreamTrack,
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  type RTCRtpTransceiver,
} from 'werift';
import type { VideoFrame } from '../../../nodes';
import { Vp8Encoder } from '../codec/vp8';
import { Vp8Packetizer } from '../rtp/vp8-rtp';
import type { PeerCore } from './types';

/** RFC 5104 full intra request (werift does not export its class). */
const FIR_FMT = 4;

interface OutputPath {
  index: number;
  transceiver: RTCRtpTransceiver;
  encoder: Vp8Encoder;
  packetizer: Vp8Packetizer;
}

/** The peer's outputs (the m-lines it sends on, in order) and their encode paths. */
export class Outbound {
  private readonly outputs: OutputPath[] = [];
  private readonly rtcpWatched = new Set<object>();

  constructor(private readonly core: PeerCore) {}

  get count(): number {
    return this.outputs.length;
  }

  /** Encodes what is sent on `t` as the next output. */
  add(t: RTCRtpTransceiver): void {
    const out: OutputPath = {
      index: this.outputs.length,
      transceiver: t,
      encoder: new Vp8Encoder({ bitrateKbps: this.core.opts.bitrateKbps ?? 2000 }),
      packetizer: new Vp8Packetizer(),
    };
    this.outputs.push(out);
    // Each output is its own MediaStream on the client (a=msid per transceiver): clients
    // that show `ontrack`'s `streams[0]` would otherwise show one output everywhere.
    t.sender.streamId = `patchbay-output-${out.index}`;
    // A local track makes werift put an msid/ssrc for this sender in the SDP.
    void t.sender.replaceTrack(new MediaStreamTrack({ kind: 'video' })).catch(() => undefined);
  }

  /**
   * Encodes and sends `frame` on output `outputIndex`. Returns false (and counts a drop) when
   * the output does not exist, the peer is not connected yet, or it is closed.
   * Throws a RangeError for a frame that cannot be encoded (odd size, short buffer).
   */
  send(outputIndex: number, frame: VideoFrame): boolean {
    const { core } = this;
    const out = this.outputs[outputIndex];
    const outputAt = core.now();
    if (!out || core.isClosing() || !core.isConnected()) {
      core.counters.outputFramesDropped++;
      return false;
    }
    const encoded = out.encoder.encode(frame);
    if (!encoded) {
      core.counters.outputFramesDropped++;
      return false;
    }
    const pt = out.transceiver.sender.codec?.payloadType;
    if (pt === undefined) {
      core.counters.outputFramesDropped++;
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
        .catch((error: Error) => core.log('debug', `sendRtp: ${error.message}`));
    }
    core.latency.noteOutput(outputIndex, frame.seq, frame.timestampMs, outputAt, core.now());
    core.counters.framesOut++;
    core.counters.bytesOut += encoded.data.length;
    if (encoded.keyframe) core.counters.keyframesOut++;
    return true;
  }

  /**
   * Answers PLI/FIR with a keyframe. Read from the DTLS transport rather than werift's
   * per-sender event: werift routes payload-specific feedback by the feedback's *sender* SSRC
   * first, which on a sendrecv transceiver is the remote's own media SSRC, so the PLI lands on
   * our RTCRtpReceiver and the sender never hears it (seen werift↔werift; Chromium fills in the
   * same field the same way).
   */
  watchRtcp(): void {
    const transports = new Set(this.outputs.map((o) => o.transceiver.dtlsTransport).filter(Boolean));
    for (const dtls of transports) {
      if (this.rtcpWatched.has(dtls)) continue;
      this.rtcpWatched.add(dtls);
      this.core.sub(
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
            this.core.counters.plisReceived++;
            out.encoder.requestKeyframe();
          }
        }),
      );
    }
  }

  close(): void {
    for (const out of this.outputs) out.encoder.close();
  }
}
