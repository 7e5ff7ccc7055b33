/**
 * Writes video files through FFmpeg's muxers (node-av): encodes I420 frames as VP8 in WebM,
 * H.264 in MP4 (libx264, or NVENC when it opens) or ProRes in MOV (prores_ks); or copies
 * already-encoded packets (a MediaRecorder's VP8) into a new file without re-encoding.
 * File-level metadata (the `.patch` that made a recording) goes in the container's tags.
 */
import { statSync } from 'node:fs';
import {
  Codec,
  CodecContext,
  Dictionary,
  FormatContext,
  Frame,
  Packet,
  Rational,
  type Stream,
} from 'node-av/lib';
import {
  AV_CODEC_FLAG_GLOBAL_HEADER,
  AV_CODEC_ID_VP8,
  AV_PICTURE_TYPE_NONE,
  AV_PIX_FMT_YUV420P,
  AV_PIX_FMT_YUV422P10LE,
  AV_PIX_FMT_YUVJ420P,
  AV_PKT_FLAG_KEY,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  AVFMT_GLOBALHEADER,
  AVFMT_NOFILE,
  AVMEDIA_TYPE_VIDEO,
  SWS_BILINEAR,
  type AVCodecID,
  type AVPixelFormat,
} from 'node-av/constants';
import { SoftwareScaleContext } from 'node-av/lib';
import { i420Size, type VideoFrame } from '../../../nodes';
import { probeClip } from './clip-reader';
import { check, ffmpegMessage, MediaFileError, quietFfmpeg } from './ffmpeg';

/** The file kinds a Record node writes. */
export const RECORD_FORMATS = ['webm', 'mp4', 'mov'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

/** What each format holds, for the node's description and the recordings list. */
export const RECORD_FORMAT_INFO: Record<RecordFormat, { codec: string; ext: string; mime: string }> = {
  webm: { codec: 'VP8', ext: 'webm', mime: 'video/webm' },
  mp4: { codec: 'H.264', ext: 'mp4', mime: 'video/mp4' },
  mov: { codec: 'ProRes 422', ext: 'mov', mime: 'video/quicktime' },
};

/** What a finished file holds. */
export interface ClipSummary {
  path: string;
  /** The muxer ("webm", "mp4", "mov" …). */
  container: string;
  codec: string;
  /** The encoder that wrote it ("libvpx", "libx264", "h264_nvenc", "prores_ks", or "copy"). */
  encoder: string;
  frames: number;
  keyframes: number;
  /** Last frame time + one frame spacing, ms (what players report). */
  durationMs: number;
  width: number;
  height: number;
  bytes: number;
}

export interface ClipWriterOptions {
  /** A Record node's format (container + codec); or give `container` and `codec`. */
  format?: RecordFormat;
  /** FFmpeg muxer name ("mp4", "mov", "webm", "matroska", "ivf"); default from `format`. */
  container?: string;
  /** Codec; default from `format`. */
  codec?: ClipCodec;
  width: number;
  height: number;
  /** Nominal frame rate (encoder rate control, keyframe spacing, last frame's length). Default 30. */
  fps?: number;
  /** Target bitrate for VP8/VP9/H.264/HEVC (default 4000 kbit/s). ProRes is constant quality. */
  bitrateKbps?: number;
  /** A keyframe every this many frames (default 2 s worth). */
  keyframeInterval?: number;
  /** Try NVENC for H.264/HEVC before the software encoder ("auto", the default), or never ("none"). */
  hwaccel?: 'auto' | 'none';
  /** Container tags (Matroska tags; MP4/MOV udta with `use_metadata_tags`). */
  metadata?: Record<string, string>;
}

/** Codecs the writer encodes (tests and the bench make clips in each). */
export const CLIP_CODECS = ['vp8', 'vp9', 'h264', 'hevc', 'prores', 'av1'] as const;
export type ClipCodec = (typeof CLIP_CODECS)[number];

const FORMAT_PARTS: Record<RecordFormat, { container: string; codec: ClipCodec }> = {
  webm: { container: 'webm', codec: 'vp8' },
  mp4: { container: 'mp4', codec: 'h264' },
  mov: { container: 'mov', codec: 'prores' },
};

/** Time base of encoder packets: 90 kHz, so millisecond frame times keep their fractions. */
const TB = 90_000;

interface EncoderChoice {
  name: string;
  pixelFormat: AVPixelFormat;
  options: Record<string, string>;
  /** Bitrate-driven (false: constant quality, like ProRes). */
  bitrate: boolean;
}

const yuv = AV_PIX_FMT_YUV420P;
function encoderChoices(codec: ClipCodec, hw: boolean): EncoderChoice[] {
  switch (codec) {
    case 'vp8':
      return [
        {
          name: 'libvpx',
          pixelFormat: yuv,
          options: { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0', 'auto-alt-ref': '0' },
          bitrate: true,
        },
      ];
    case 'vp9':
      return [
        {
          name: 'libvpx-vp9',
          pixelFormat: yuv,
          options: { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0', 'row-mt': '1' },
          bitrate: true,
        },
      ];
    case 'h264':
      return [
        ...(hw ? [{ name: 'h264_nvenc', pixelFormat: yuv, options: { preset: 'p4' }, bitrate: true }] : []),
        {
          name: 'libx264',
          pixelFormat: yuv,
          options: { preset: 'veryfast', profile: 'high' },
          bitrate: true,
        },
      ];
    case 'hevc':
      return [
        ...(hw ? [{ name: 'hevc_nvenc', pixelFormat: yuv, options: { preset: 'p4' }, bitrate: true }] : []),
        {
          name: 'libx265',
          pixelFormat: yuv,
          options: { preset: 'ultrafast', 'x265-params': 'log-level=none' },
          bitrate: true,
        },
      ];
    case 'prores':
      return [
        {
          name: 'prores_ks',
          pixelFormat: AV_PIX_FMT_YUV422P10LE,
          options: { profile: 'standard' },
          bitrate: false,
        },
      ];
    case 'av1':
      return [{ name: 'libsvtav1', pixelFormat: yuv, options: { preset: '12' }, bitrate: true }];
  }
}

/** The muxer's options for each container. */
function muxerFlags(container: string): [string, string][] {
  // faststart: the index goes first, so a browser plays the MP4 while it downloads; the tags
  // flag makes mov/mp4 write arbitrary metadata keys (the patch) as udta entries.
  return container === 'mp4' || container === 'mov' ? [['movflags', '+faststart+use_metadata_tags']] : [];
}

/** Shared by both writers: the output context, its stream, the header and trailer. */
class Output {
  readonly fmt = new FormatContext();
  stream!: Stream;
  private opened = false;

  constructor(
    readonly path: string,
    readonly container: string,
  ) {
    quietFfmpeg();
    check(this.fmt.allocOutputContext2(null, container, path), path, `creating a ${container} file`);
  }

  get globalHeader(): boolean {
    return ((this.fmt.oformat?.flags ?? 0) & AVFMT_GLOBALHEADER) !== 0;
  }

  open(metadata: Record<string, string> | undefined): void {
    if (metadata && Object.keys(metadata).length) this.fmt.metadata = Dictionary.fromObject(metadata);
    for (const [k, v] of muxerFlags(this.container))
      check(this.fmt.setOption(k, v), this.path, `setting ${k}`);
    if (!((this.fmt.oformat?.flags ?? 0) & AVFMT_NOFILE)) {
      check(this.fmt.openOutputSync(), this.path, 'opening the file for writing');
    }
    this.opened = true;
    check(this.fmt.writeHeaderSync(null), this.path, 'writing the header');
  }

  write(pkt: Packet, tb: Rational): void {
    pkt.streamIndex = this.stream.index;
    pkt.rescaleTs(tb, this.stream.timeBase);
    check(this.fmt.interleavedWriteFrameSync(pkt), this.path, 'writing a frame');
  }

  finish(): void {
    if (this.opened) {
      check(this.fmt.writeTrailerSync(), this.path, 'finishing the file');
      this.fmt.closeOutputSync();
    }
    this.fmt.freeContext();
  }

  abandon(): void {
    try {
      if (this.opened) this.fmt.closeOutputSync();
    } catch {
      // already failing; the caller reports the first error
    }
    this.fmt.freeContext();
  }
}

/** Median spacing of the last frame times: a live source that skipped one must not stretch the last frame. */
function lastSpacing(times: readonly number[], fallback: number): number {
  if (times.length < 2) return fallback;
  const gaps: number[] = [];
  for (let i = Math.max(1, times.length - 31); i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1]!;
}

/**
 * Encodes I420 frames into a file. Frame times are the frames' own `timestampMs`; the first is 0.
 *
 * @example
 * const w = new ClipWriter('out.mp4', { format: 'mp4', width: 1280, height: 720, fps: 30 });
 * for (const f of frames) w.write(f);
 * const { frames, durationMs } = w.close();
 */
export class ClipWriter {
  readonly encoder: string;
  readonly container: string;
  readonly codec: ClipCodec;
  private out: Output;
  private ctx: CodecContext;
  private frame: Frame;
  private packet: Packet;
  private sws: SoftwareScaleContext | null = null;
  private src: Frame | null = null;
  private readonly tb = new Rational(1, TB);
  private t0: number | null = null;
  private lastPts = -1n;
  private readonly times: number[] = [];
  private written = 0;
  private keyframes = 0;
  private closed = false;
  /** Encode time per frame (ms, sum) for stats and the bench. */
  encodeMs = 0;

  constructor(
    readonly path: string,
    private readonly opts: ClipWriterOptions,
  ) {
    const { width, height } = opts;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 2 ||
      height < 2 ||
      width % 2 ||
      height % 2
    )
      throw new RangeError(`${path}: frame size ${width}×${height} must be even and at least 2×2`);
    const fps = opts.fps ?? 30;
    const parts = opts.format ? FORMAT_PARTS[opts.format] : undefined;
    this.container = opts.container ?? parts?.container ?? 'matroska';
    this.codec = opts.codec ?? parts?.codec ?? 'vp8';
    this.out = new Output(path, this.container);
    let opened: { ctx: CodecContext; choice: EncoderChoice } | null = null;
    const problems: string[] = [];
    for (const choice of encoderChoices(this.codec, opts.hwaccel !== 'none')) {
      const codec = Codec.findEncoderByName(choice.name as never);
      if (!codec) {
        problems.push(`${choice.name}: not in this FFmpeg`);
        continue;
      }
      const ctx = new CodecContext();
      ctx.allocContext3(codec);
      ctx.width = width;
      ctx.height = height;
      ctx.pixelFormat = choice.pixelFormat;
      ctx.timeBase = this.tb;
      ctx.framerate = new Rational(Math.round(fps * 1000), 1000);
      // A keyframe every 2 s by default: seekable, and a cut-off file still decodes.
      ctx.gopSize = opts.keyframeInterval ?? Math.max(1, Math.round(fps * 2));
      ctx.threadCount = width * height > 640 * 480 ? 2 : 1; // small frames: thread hand-offs cost more than they save
      if (choice.bitrate) {
        const bps = BigInt((opts.bitrateKbps ?? 4000) * 1000);
        ctx.bitRate = bps;
        if (this.codec === 'vp8') {
          ctx.rcMaxRate = bps;
          ctx.rcBufferSize = (opts.bitrateKbps ?? 4000) * 1000;
          ctx.maxBFrames = 0;
        }
      }
      if (this.out.globalHeader) ctx.flags = (ctx.flags | AV_CODEC_FLAG_GLOBAL_HEADER) as never;
      // Private options go on the context, never through an options Dictionary to open2 (node-av
      // double-frees it: runtime/media/README.md).
      for (const [k, v] of Object.entries(choice.options)) ctx.setOption(k, v);
      const r = ctx.open2Sync(codec, null);
      if (r < 0) {
        ctx.freeContext();
        problems.push(`${choice.name}: ${ffmpegMessage(r)}`);
        continue;
      }
      opened = { ctx, choice };
      break;
    }
    if (!opened) {
      this.out.abandon();
      throw new MediaFileError(path, `${path}: no ${this.codec} encoder opened (${problems.join('; ')})`);
    }
    this.ctx = opened.ctx;
    this.encoder = opened.choice.name;
    try {
      const stream = this.out.fmt.newStream(null);
      check(stream.codecpar.fromContext(this.ctx), path, 'describing the stream');
      stream.timeBase = this.tb;
      stream.avgFrameRate = this.ctx.framerate;
      this.out.stream = stream;
      this.out.open(opts.metadata);
    } catch (error) {
      this.ctx.freeContext();
      this.out.abandon();
      throw error;
    }
    this.frame = new Frame();
    this.frame.alloc();
    this.frame.format = opened.choice.pixelFormat;
    this.frame.width = width;
    this.frame.height = height;
    check(this.frame.getBuffer(0), path, 'allocating a frame');
    if (opened.choice.pixelFormat !== AV_PIX_FMT_YUV420P) {
      this.sws = new SoftwareScaleContext();
      // The runtime's I420 is full range (yuvj420p to swscale).
      this.sws.getContext(
        width,
        height,
        AV_PIX_FMT_YUVJ420P,
        width,
        height,
        opened.choice.pixelFormat,
        SWS_BILINEAR,
      );
      this.src = new Frame();
      this.src.alloc();
      this.src.format = AV_PIX_FMT_YUVJ420P;
      this.src.width = width;
      this.src.height = height;
      check(this.src.getBuffer(0), path, 'allocating a frame');
    }
    this.packet = new Packet();
    this.packet.alloc();
  }

  /** Frames written so far. */
  get frames(): number {
    return this.written;
  }

  /** Encodes one I420 frame of the writer's size. Throws (naming the file) when writing fails. */
  write(frame: VideoFrame): void {
    if (this.closed) throw new Error(`${this.path}: write() after close()`);
    const { width, height } = this.opts;
    if (frame.width !== width || frame.height !== height)
      throw new RangeError(
        `${this.path}: a ${frame.width}×${frame.height} frame in a ${width}×${height} file`,
      );
    const need = i420Size(width, height);
    if (frame.data.length < need)
      throw new RangeError(`${this.path}: the frame has ${frame.data.length} bytes, ${need} needed`);
    const t = performance.now();
    const target = this.src ?? this.frame;
    check(target.makeWritable(), this.path, 'making the frame writable');
    const src = frame.data.subarray(0, need);
    check(
      target.fromBuffer(Buffer.from(src.buffer, src.byteOffset, src.byteLength)),
      this.path,
      'copying the frame in',
    );
    if (this.sws && this.src) {
      check(this.frame.makeWritable(), this.path, 'making the frame writable');
      check(
        this.sws.scaleFrameSync(this.frame, this.src),
        this.path,
        'converting to the encoder pixel format',
      );
    }
    this.t0 ??= frame.timestampMs;
    const ms = frame.timestampMs - this.t0;
    let pts = BigInt(Math.round((ms * TB) / 1000));
    if (pts <= this.lastPts) pts = this.lastPts + 1n; // sources may repeat a time; encoders need increasing pts
    this.lastPts = pts;
    this.times.push(Number(pts));
    if (this.times.length > 64) this.times.shift();
    this.frame.pts = pts;
    this.frame.pictType = AV_PICTURE_TYPE_NONE;
    check(this.ctx.sendFrameSync(this.frame), this.path, `encoding with ${this.encoder}`);
    this.drain();
    this.written++;
    this.encodeMs += performance.now() - t;
  }

  /** Flushes the encoder, writes the trailer (index, duration) and returns what the file holds. */
  close(): ClipSummary {
    if (this.closed) throw new Error(`${this.path}: close() twice`);
    this.closed = true;
    try {
      this.ctx.sendFrameSync(null);
      this.drain();
      this.out.finish();
    } finally {
      this.ctx.freeContext();
      this.frame.free();
      this.src?.free();
      this.sws?.freeContext();
      this.packet.free();
    }
    const fps = this.opts.fps ?? 30;
    const last = this.times.length ? this.times[this.times.length - 1]! : 0;
    let durationMs = this.written ? ((last + lastSpacing(this.times, TB / fps)) * 1000) / TB : 0;
    // What players will say is what the muxer wrote (an encoder may set its own last-packet
    // length, and B-frames shift MP4 edit lists): report the file's own duration when it has one.
    try {
      const written = probeClip(this.path).durationMs;
      if (written > 0) durationMs = written;
    } catch {
      // keep the computed figure
    }
    return {
      path: this.path,
      container: this.container,
      codec: this.codec,
      encoder: this.encoder,
      frames: this.written,
      keyframes: this.keyframes,
      durationMs,
      width: this.opts.width,
      height: this.opts.height,
      bytes: statSync(this.path).size,
    };
  }

  /** Gives up on the file (an error while recording): frees everything, leaves what was written. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.freeContext();
    this.frame.free();
    this.src?.free();
    this.sws?.freeContext();
    this.packet.free();
    this.out.abandon();
  }

  private drain(): void {
    const pkt = this.packet;
    const spacing = BigInt(Math.round(lastSpacing(this.times, TB / (this.opts.fps ?? 30))));
    for (;;) {
      const r = this.ctx.receivePacketSync(pkt);
      if (r === AVERROR_EAGAIN || r === AVERROR_EOF) return;
      check(r, this.path, `encoding with ${this.encoder}`);
      if ((pkt.flags & AV_PKT_FLAG_KEY) !== 0) this.keyframes++;
      // Every packet lasts one frame spacing, so the container's duration ends one frame after the last.
      if (pkt.duration <= 0n) pkt.duration = spacing;
      this.out.write(pkt, this.tb);
      pkt.unref();
    }
  }
}

/** Options for {@link PacketCopyWriter}. */
export interface PacketCopyOptions {
  /** FFmpeg muxer name ("webm", "mov", "ivf" …); the codec must be one it holds. */
  container: string;
  /** Default VP8. */
  codecId?: AVCodecID;
  /** A FourCC for the track ("Hap1" for HAP in MOV). */
  codecTag?: string;
  width: number;
  height: number;
  fps?: number;
  metadata?: Record<string, string>;
}

/**
 * Writes encoded frames as they are (no re-encoding): a MediaRecorder's VP8 into a seekable
 * WebM with Cues and Duration.
 */
export class PacketCopyWriter {
  private out: Output;
  private packet = new Packet();
  private readonly tb = new Rational(1, 1000);
  private readonly times: number[] = [];
  private written = 0;
  private keyframes = 0;

  constructor(
    readonly path: string,
    private readonly opts: PacketCopyOptions,
  ) {
    this.out = new Output(path, opts.container);
    try {
      const stream = this.out.fmt.newStream(null);
      const par = stream.codecpar;
      par.codecType = AVMEDIA_TYPE_VIDEO;
      par.codecId = opts.codecId ?? AV_CODEC_ID_VP8;
      if (opts.codecTag) par.codecTag = opts.codecTag;
      par.width = opts.width;
      par.height = opts.height;
      stream.timeBase = this.tb;
      if (opts.fps) stream.avgFrameRate = new Rational(Math.round(opts.fps * 1000), 1000);
      this.out.stream = stream;
      this.out.open(opts.metadata);
    } catch (error) {
      this.out.abandon();
      throw error;
    }
    this.packet.alloc();
  }

  /** Adds one encoded frame at `ptsMs` (whole milliseconds in the file). */
  addFrame(data: Uint8Array, ptsMs: number, keyframe: boolean): void {
    const pkt = this.packet;
    pkt.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const pts = BigInt(Math.round(ptsMs));
    pkt.pts = pts;
    pkt.dts = pts;
    pkt.duration = BigInt(Math.round(lastSpacing(this.times, 1000 / (this.opts.fps ?? 30))));
    if (keyframe) pkt.flags = (pkt.flags | AV_PKT_FLAG_KEY) as never;
    this.times.push(ptsMs);
    if (this.times.length > 64) this.times.shift();
    this.out.write(pkt, this.tb);
    pkt.unref();
    this.written++;
    if (keyframe) this.keyframes++;
  }

  close(): ClipSummary {
    this.out.finish();
    this.packet.free();
    const last = this.times.length ? this.times[this.times.length - 1]! : 0;
    return {
      path: this.path,
      container: this.opts.container,
      codec: Codec.findDecoder(this.opts.codecId ?? AV_CODEC_ID_VP8)?.name ?? 'unknown',
      encoder: 'copy',
      frames: this.written,
      keyframes: this.keyframes,
      durationMs: this.written ? last + lastSpacing(this.times, 1000 / (this.opts.fps ?? 30)) : 0,
      width: this.opts.width,
      height: this.opts.height,
      bytes: statSync(this.path).size,
    };
  }
}
