/**
 * Reads any video file FFmpeg can (mp4, mov, mkv, webm, ivf …; H.264, HEVC, ProRes, HAP, DXV,
 * VP8, VP9, AV1 …) a frame at a time: demux one packet, decode, hand out the frame. Nothing is
 * loaded whole, so a 10 GB ProRes master costs the same memory as a 3 s loop.
 *
 * Synchronous on purpose (node-av's `*Sync` calls): the caller (VideoFileSource) decodes exactly
 * the frames due on its clock, in order, inside one timer callback. At 1080p H.264 that blocks
 * the event loop for a few ms per frame (measured in `npm run bench io`).
 */
import {
  Codec,
  CodecContext,
  FormatContext,
  Frame,
  HardwareDeviceContext,
  Packet,
  type Stream,
} from 'node-av/lib';
import {
  AV_HWDEVICE_TYPE_CUDA,
  AV_HWDEVICE_TYPE_D3D11VA,
  AV_HWDEVICE_TYPE_VAAPI,
  AV_HWDEVICE_TYPE_VIDEOTOOLBOX,
  AV_NOPTS_VALUE,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  AVMEDIA_TYPE_VIDEO,
  AVSEEK_FLAG_BACKWARD,
  type AVHWDeviceType,
} from 'node-av/constants';
import { avGetPixFmtName } from 'node-av/lib';
import type { VideoFrame } from '../../../nodes';
import { check, ffmpegMessage, MediaFileError, quietFfmpeg } from './ffmpeg';
import { Swscale } from './scale';

/** What a clip is, from its container and stream headers. */
export interface ClipInfo {
  path: string;
  /** FFmpeg's demuxer name ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "ivf"). */
  container: string;
  /** Decoder name ("h264", "hevc", "prores", "hap", "vp9" …). */
  codec: string;
  width: number;
  height: number;
  /** Nominal frames per second from the stream (0 when the file does not say). */
  fps: number;
  /** Container duration in ms (0 when unknown, e.g. a raw IVF without a frame count). */
  durationMs: number;
  /** Decoded pixel format ("yuv420p", "yuv422p10le", "rgba" …). */
  pixelFormat: string;
  /** "cuda", "vaapi" … when frames decode on the GPU; null in software. */
  hardware: string | null;
  /** Why hardware decode is not used (only when it was asked for). */
  hardwareNote?: string;
  /** The container's tags (title, encoder, `patchbay_patch` …). */
  tags: Record<string, string>;
}

/** Options for {@link ClipReader}. */
export interface ClipReaderOptions {
  /** Try GPU decode ("auto": CUDA, VAAPI, VideoToolbox or D3D11VA, whichever opens); default "none". */
  hwaccel?: 'auto' | 'none';
  /** Decoder threads (default 1 up to 640×480, else 2; 0 lets FFmpeg choose). */
  threads?: number;
}

/** One decoded frame, valid until the second `next()` that returns a frame after it. */
export interface DecodedClipFrame {
  /** Presentation time in ms from the stream's first frame. */
  ptsMs: number;
  frame: Frame;
}

const HW_TYPES: readonly [AVHWDeviceType, string][] = [
  [AV_HWDEVICE_TYPE_CUDA, 'cuda'],
  [AV_HWDEVICE_TYPE_VAAPI, 'vaapi'],
  [AV_HWDEVICE_TYPE_VIDEOTOOLBOX, 'videotoolbox'],
  [AV_HWDEVICE_TYPE_D3D11VA, 'd3d11va'],
];

/**
 * Demux + decode of a file's first video stream.
 *
 * @example
 * const r = new ClipReader('assets/loop.mov');
 * for (let f = r.next(); f; f = r.next()) show(f.ptsMs, f.frame);
 * r.seek(0); // and again
 * r.close();
 */
export class ClipReader {
  readonly info: ClipInfo;
  /** Decode problems met so far (corrupt packets are skipped, counted here). */
  readonly errors: string[] = [];
  private fmt: FormatContext;
  private dec: CodecContext;
  private stream: Stream;
  private packet: Packet;
  /** Two frames, alternating, so the previous one stays valid while the next decodes. */
  private frames: [Frame, Frame];
  private sw: [Frame, Frame];
  private turn = 0;
  private hw: HardwareDeviceContext | null = null;
  private tbNum: number;
  private tbDen: number;
  private startPts: bigint | null = null;
  private draining = false;
  private ended = false;
  private closed = false;
  /** Packets sent, decode errors, for stats. */
  readonly stats = { packets: 0, frames: 0, decodeErrors: 0 };

  constructor(
    readonly path: string,
    opts: ClipReaderOptions = {},
  ) {
    quietFfmpeg();
    const fmt = new FormatContext();
    check(fmt.openInputSync(path), path, 'FFmpeg could not open it');
    this.fmt = fmt;
    try {
      check(fmt.findStreamInfoSync(), path, 'FFmpeg could not read its stream headers');
      const index = fmt.findBestStream(AVMEDIA_TYPE_VIDEO);
      if (index < 0) throw new MediaFileError(path, `${path}: it has no video stream`);
      const stream = fmt.streams![index]!;
      this.stream = stream;
      const par = stream.codecpar;
      const codec = Codec.findDecoder(par.codecId);
      if (!codec)
        throw new MediaFileError(
          path,
          `${path}: this FFmpeg has no decoder for its codec (id ${par.codecId})`,
        );
      const dec = new CodecContext();
      dec.allocContext3(codec);
      check(par.toContext(dec), path, 'setting up the decoder');
      dec.pktTimebase = stream.timeBase;
      // One thread up to SD: on a busy 2-core machine every hand-off between decoder threads waits
      // for a time slice, which costs more than it saves on small frames (measured: 4× slower).
      dec.threadCount = opts.threads ?? (par.width * par.height > 640 * 480 ? 2 : 1);
      let hardware: string | null = null;
      let hardwareNote: string | undefined;
      if (opts.hwaccel === 'auto') {
        const tried: string[] = [];
        for (const [type, name] of HW_TYPES) {
          if (!codec.isHardwareAcceleratedDecoder(type)) continue;
          const dev = new HardwareDeviceContext();
          const r = dev.create(type, null, null);
          if (r < 0) {
            tried.push(`${name}: ${ffmpegMessage(r)}`);
            continue;
          }
          this.hw = dev;
          dec.hwDeviceCtx = dev;
          hardware = name;
          break;
        }
        if (!hardware)
          hardwareNote = tried.length
            ? `software decode (no GPU decoder opened: ${tried.join('; ')})`
            : `software decode (no hardware decoder for ${codec.name} in this FFmpeg)`;
      }
      const ret = dec.open2Sync(codec, null);
      if (ret < 0) {
        dec.freeContext();
        check(ret, path, `opening the ${codec.name} decoder`);
      }
      this.dec = dec;
      this.packet = new Packet();
      this.packet.alloc();
      const mk = (): Frame => {
        const f = new Frame();
        f.alloc();
        return f;
      };
      this.frames = [mk(), mk()];
      this.sw = [mk(), mk()];
      this.tbNum = stream.timeBase.num;
      this.tbDen = stream.timeBase.den;
      const rate = stream.avgFrameRate.num > 0 ? stream.avgFrameRate : stream.rFrameRate;
      const fps = rate.num > 0 && rate.den > 0 ? rate.num / rate.den : 0;
      const dur = fmt.duration;
      this.info = {
        path,
        container: fmt.iformat?.name ?? 'unknown',
        codec: codec.name ?? 'unknown',
        width: par.width,
        height: par.height,
        fps: fps > 0 && fps < 1000 ? fps : 0,
        durationMs: dur > 0n && dur !== AV_NOPTS_VALUE ? Number(dur) / 1000 : 0,
        pixelFormat: avGetPixFmtName(par.format as never) ?? String(par.format),
        hardware,
        tags: fmt.metadata?.getAll() ?? {},
        ...(hardwareNote ? { hardwareNote } : {}),
      };
    } catch (error) {
      fmt.closeInputSync();
      this.hw?.free();
      throw error;
    }
  }

  /** True once the last frame was handed out (until `seek`). */
  get atEnd(): boolean {
    return this.ended;
  }

  /**
   * Decodes the next frame in presentation order, or null at the end of the file (a truncated
   * file ends where it breaks; what FFmpeg said is in `errors`). Corrupt packets are skipped.
   */
  next(): DecodedClipFrame | null {
    if (this.closed) throw new Error(`ClipReader(${this.path}): next() after close()`);
    if (this.ended) return null;
    // Decode into the older of the two frames; the one handed out last stays valid.
    const slot = this.turn ^ 1;
    const frame = this.frames[slot]!;
    frame.unref();
    for (;;) {
      const r = this.dec.receiveFrameSync(frame);
      if (r >= 0) {
        this.stats.frames++;
        this.turn = slot;
        return { ptsMs: this.ptsMs(frame), frame: this.software(frame, slot) };
      }
      if (r === AVERROR_EOF) {
        this.ended = true;
        return null;
      }
      if (r !== AVERROR_EAGAIN) {
        this.noteError(`decoding: ${ffmpegMessage(r)}`);
        if (this.draining) {
          this.ended = true;
          return null;
        }
      }
      if (this.draining) {
        // Flushing and nothing more came: the end.
        this.ended = true;
        return null;
      }
      this.feed();
    }
  }

  /** Reads packets of the video stream until one is sent to the decoder (or the end begins draining). */
  private feed(): void {
    const pkt = this.packet;
    for (;;) {
      const r = this.fmt.readFrameSync(pkt);
      if (r < 0) {
        if (r !== AVERROR_EOF) this.noteError(`reading: ${ffmpegMessage(r)}`);
        this.draining = true;
        this.dec.sendPacketSync(null);
        return;
      }
      if (pkt.streamIndex !== this.stream.index) {
        pkt.unref();
        continue;
      }
      this.stats.packets++;
      const s = this.dec.sendPacketSync(pkt);
      pkt.unref();
      if (s < 0 && s !== AVERROR_EAGAIN) {
        this.stats.decodeErrors++;
        this.noteError(`decoding packet ${this.stats.packets}: ${ffmpegMessage(s)}`);
        continue;
      }
      return;
    }
  }

  /** Seeks to the keyframe at or before `ms` (from the first frame) and resets the decoder. */
  seek(ms: number): void {
    if (this.closed) return;
    const ts = this.startPts ?? (this.stream.startTime !== AV_NOPTS_VALUE ? this.stream.startTime : 0n);
    const target = ts + BigInt(Math.max(0, Math.round((ms * this.tbDen) / (1000 * this.tbNum))));
    const r = this.fmt.seekFrameSync(this.stream.index, target, AVSEEK_FLAG_BACKWARD);
    if (r < 0) {
      // Some demuxers (raw IVF) cannot seek by time; byte 0 of the stream still works.
      const again = this.fmt.seekFrameSync(this.stream.index, ts, AVSEEK_FLAG_BACKWARD);
      if (again < 0) throw new MediaFileError(this.path, `${this.path}: seeking failed: ${ffmpegMessage(r)}`);
    }
    this.dec.flushBuffers();
    this.draining = false;
    this.ended = false;
  }

  /** Frees the demuxer, decoder and frames. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dec.freeContext();
    this.fmt.closeInputSync();
    for (const f of [...this.frames, ...this.sw]) f.free();
    this.packet.free();
    this.hw?.free();
    this.hw = null;
  }

  private ptsMs(frame: Frame): number {
    let pts = frame.bestEffortTimestamp;
    if (pts === AV_NOPTS_VALUE) pts = frame.pts;
    if (pts === AV_NOPTS_VALUE) return NaN;
    this.startPts ??= pts;
    return (Number(pts - this.startPts) * 1000 * this.tbNum) / this.tbDen;
  }

  /** A GPU frame is copied to system memory (the runtime's frames are I420 in memory). */
  private software(frame: Frame, slot: number): Frame {
    if (!this.hw || !frame.isHwFrame()) return frame;
    const sw = this.sw[slot]!;
    sw.unref();
    const r = frame.hwframeTransferDataSync(sw);
    if (r < 0)
      throw new MediaFileError(
        this.path,
        `${this.path}: copying a GPU frame to memory failed: ${ffmpegMessage(r)}`,
      );
    sw.pts = frame.pts;
    return sw;
  }

  private noteError(text: string): void {
    const line = `${this.path}: ${text}`;
    if (this.errors.length < 20) this.errors.push(line);
  }
}

/** Reads a clip's headers (and nothing else): for listings and checks. */
export function probeClip(path: string): ClipInfo {
  const r = new ClipReader(path, { threads: 1 });
  try {
    return r.info;
  } finally {
    r.close();
  }
}

/**
 * Decodes a whole (short) clip into I420 frames stamped with their presentation times: for
 * tests and checks of what was recorded. Stops at `max` frames.
 *
 * @example const { info, frames } = readClipFrames('rec.mp4'); frames.length // 60
 */
export function readClipFrames(
  path: string,
  max = 10_000,
): { info: ClipInfo; frames: VideoFrame[]; errors: string[] } {
  const r = new ClipReader(path, { threads: 1 });
  const sws = new Swscale();
  try {
    const frames: VideoFrame[] = [];
    for (let f = r.next(); f && frames.length < max; f = r.next())
      frames.push(sws.frameToI420(f.frame, f.ptsMs, frames.length));
    return { info: r.info, frames, errors: [...r.errors] };
  } finally {
    sws.close();
    r.close();
  }
}
