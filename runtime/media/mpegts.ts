/**
 * A live MPEG-TS stream of I420 frames for headless viewers (Scope's `/api/v1/session/output.ts`:
 * `ffplay http://…/output.ts`, VLC, OBS media sources). H.264 (libx264 ultrafast, zerolatency,
 * no B-frames, a keyframe a second) muxed by node-av's (FFmpeg's) mpegts muxer into a write
 * callback; MPEG-2 video where the FFmpeg build has no libx264.
 *
 * Frames arrive at the session's pace; while one is being encoded the next waits and any
 * later one replaces it (a viewer always gets the newest picture, never a growing queue). A
 * frame of a new size ends the stream (the mpegts muxer cannot change size mid-stream): the
 * caller is told through `onEnd` and the viewer reconnects.
 */
import { Encoder, Muxer } from 'node-av/api';
import {
  AV_LOG_FATAL,
  AV_PIX_FMT_YUV420P,
  FF_ENCODER_LIBX264,
  FF_ENCODER_MPEG2VIDEO,
} from 'node-av/constants';
import { Codec, Frame, Log } from 'node-av/lib';
import { i420Size, type VideoFrame } from '../../nodes';

export interface MpegTsStreamOptions {
  /** Called with each chunk of the transport stream (a copy the caller may keep). */
  onData: (chunk: Buffer) => void;
  /** Called once when the stream ends: `close()`, a size change, or an encoder/muxer error. */
  onEnd?: (reason: string) => void;
  /** Target bitrate in kbit/s (default 2500). */
  bitrateKbps?: number;
  /** Nominal frame rate for the encoder's rate control (default 30). */
  fps?: number;
}

/** Which encoder this FFmpeg build offers for MPEG-TS. */
export function mpegTsCodec(): 'libx264' | 'mpeg2video' {
  return Codec.findEncoderByName(FF_ENCODER_LIBX264) ? 'libx264' : 'mpeg2video';
}

export class MpegTsStream {
  private encoder: Encoder | null = null;
  private muxer: Muxer | null = null;
  private stream = -1;
  private width = 0;
  private height = 0;
  private firstMs = -1;
  private lastPts = -1n;
  private busy = false;
  private pending: VideoFrame | null = null;
  private ended = false;
  readonly codec = mpegTsCodec();
  /** Frames encoded, frames replaced by a newer one before their turn, bytes out. */
  readonly stats = { frames: 0, replaced: 0, bytes: 0 };

  constructor(private readonly opts: MpegTsStreamOptions) {
    // libx264 prints its statistics at close; errors reach the caller through onEnd instead
    // (the same process-wide level the VP8 codec sets).
    Log.setLevel(AV_LOG_FATAL);
  }

  /** Queues a frame (copied); returns false once the stream has ended. */
  push(frame: VideoFrame): boolean {
    if (this.ended) return false;
    const need = i420Size(frame.width, frame.height);
    if (frame.data.length < need) return true;
    const copy: VideoFrame = { ...frame, data: frame.data.slice(0, need) };
    if (this.busy) {
      if (this.pending) this.stats.replaced++;
      this.pending = copy;
      return true;
    }
    void this.run(copy);
    return true;
  }

  private async run(first: VideoFrame): Promise<void> {
    this.busy = true;
    let frame: VideoFrame | null = first;
    try {
      while (frame && !this.ended) {
        await this.encode(frame);
        frame = this.pending;
        this.pending = null;
      }
    } catch (error) {
      this.end(`MPEG-TS encoding failed: ${(error as Error).message}`);
    } finally {
      this.busy = false;
      if (this.ended) this.release();
    }
  }

  private async open(width: number, height: number): Promise<void> {
    const fps = this.opts.fps ?? 30;
    const kbps = this.opts.bitrateKbps ?? 2500;
    const x264 = this.codec === 'libx264';
    // Encoder options are set on the codec context (configure), never through an options
    // Dictionary: node-av frees that twice (runtime/media README).
    this.encoder = await Encoder.create(x264 ? FF_ENCODER_LIBX264 : FF_ENCODER_MPEG2VIDEO, {
      context: { bitRate: BigInt(kbps * 1000), gopSize: fps, maxBFrames: 0, threadCount: 1 },
      configure: (ctx) => {
        if (!x264) return;
        ctx.setOption('preset', 'ultrafast');
        ctx.setOption('tune', 'zerolatency');
      },
    });
    this.muxer = await Muxer.open(
      {
        write: (buffer: Buffer) => {
          if (this.ended) return buffer.length;
          this.stats.bytes += buffer.length;
          this.opts.onData(Buffer.from(buffer));
          return buffer.length;
        },
      },
      { format: 'mpegts' },
    );
    this.stream = this.muxer.addStream(this.encoder);
    this.width = width;
    this.height = height;
  }

  private async encode(frame: VideoFrame): Promise<void> {
    if (!this.encoder) await this.open(frame.width, frame.height);
    else if (frame.width !== this.width || frame.height !== this.height) {
      this.end(`the output changed size (${this.width}×${this.height} → ${frame.width}×${frame.height})`);
      return;
    }
    const encoder = this.encoder!;
    const muxer = this.muxer!;
    if (this.firstMs < 0) this.firstMs = frame.timestampMs;
    // Timestamps in ms from the first frame; strictly increasing as the encoder requires.
    let pts = BigInt(Math.max(0, Math.round(frame.timestampMs - this.firstMs)));
    if (pts <= this.lastPts) pts = this.lastPts + 1n;
    this.lastPts = pts;
    const av = Frame.fromVideoBuffer(
      Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength),
      {
        width: frame.width,
        height: frame.height,
        format: AV_PIX_FMT_YUV420P,
        timeBase: { num: 1, den: 1000 },
      },
    );
    try {
      av.pts = pts;
      await encoder.encode(av);
      for (;;) {
        const packet = await encoder.receive();
        if (!packet || !('streamIndex' in packet)) break;
        try {
          if (!this.ended) await muxer.writePacket(packet, this.stream);
        } finally {
          packet.free();
        }
      }
      this.stats.frames++;
    } finally {
      av.free();
    }
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = null;
    // An encode in flight still uses them: run() releases when it returns.
    if (!this.busy) this.release();
    this.opts.onEnd?.(reason);
  }

  private release(): void {
    const muxer = this.muxer;
    const encoder = this.encoder;
    this.muxer = null;
    this.encoder = null;
    void (async () => {
      try {
        await muxer?.close();
      } catch {
        // the viewer is gone; nothing to flush to
      }
      encoder?.close();
    })();
  }

  /** Ends the stream and frees the encoder and muxer; idempotent. */
  close(reason = 'closed'): void {
    this.end(reason);
  }
}
