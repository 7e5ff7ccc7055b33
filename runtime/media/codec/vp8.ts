/**
 * VP8 encode/decode through node-av (FFmpeg 8 in-process: libvpx for encoding, FFmpeg's own
 * vp8 decoder). Chosen after measuring the candidates (see ./measure.ts and ../README.md):
 * node-av is the fastest option on this machine and needs no subprocess.
 *
 * Both classes are synchronous: one frame in, at most one frame out. libvpx in realtime mode
 * with lag-in-frames 0 emits the packet for a frame before `encode` returns, so nothing is held.
 */
import { Codec, CodecContext, Frame, Log, Packet, Rational } from 'node-av/lib';
import {
  AV_CODEC_ID_VP8,
  AV_LOG_FATAL,
  AV_PICTURE_TYPE_I,
  AV_PICTURE_TYPE_NONE,
  AV_PIX_FMT_YUV420P,
  FF_ENCODER_LIBVPX_VP8,
} from 'node-av/constants';
import { i420Planes, i420Size, type VideoFrame } from '../../../nodes';

/** One encoded VP8 frame. */
export interface EncodedFrame {
  /** The VP8 frame as RFC 6386 bytes (what the RTP packetizer splits). */
  data: Uint8Array;
  keyframe: boolean;
  width: number;
  height: number;
  /** Copied from the source frame. */
  timestampMs: number;
  seq: number;
}

/** Settings for {@link Vp8Encoder}; every field has a realtime default. */
export interface Vp8EncoderOptions {
  /** Target bitrate in kbit/s (default 2000: inside the 1500–3000 range the SDP asks Chromium for). */
  bitrateKbps?: number;
  /** Nominal frame rate for rate control (default 30). Timestamps still drive the real pacing. */
  fps?: number;
  /** A keyframe at least every this many frames (default 300, 10 s at 30 fps); PLIs force more. */
  keyframeInterval?: number;
  /** libvpx cpu-used, -16..16; higher is faster (default 8, the fastest realtime setting). */
  cpuUsed?: number;
  /** Encoder threads (default 1: the runtime shares few cores with workers). */
  threads?: number;
}

/** Result of {@link Vp8Decoder.decode}: a frame, nothing yet, or an error that did not throw. */
export type DecodeResult = { ok: true; frame: VideoFrame; keyframe: boolean } | { ok: false; error: string };

let logLevelSet = false;
/**
 * FFmpeg logs through a process-wide callback to stderr. Corrupt packets are expected on a live
 * network and reported as DecodeResult errors and stats instead, so only fatal messages print.
 */
function quietFfmpegLog(): void {
  if (logLevelSet) return;
  logLevelSet = true;
  Log.setLevel(AV_LOG_FATAL);
}

function errorText(code: number, what: string): string {
  return `${what} failed (FFmpeg error ${code})`;
}

function assertDims(width: number, height: number, where: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) {
    throw new RangeError(`${where}: frame size ${width}×${height} is not a positive size of at least 2×2`);
  }
  if (width % 2 || height % 2) {
    throw new RangeError(`${where}: frame size ${width}×${height} must be even for I420`);
  }
  if (width > 8192 || height > 8192) {
    throw new RangeError(`${where}: frame size ${width}×${height} exceeds 8192×8192`);
  }
}

/**
 * I420 VideoFrame → VP8 frames with libvpx realtime settings (deadline realtime, cpu-used 8,
 * lag-in-frames 0, error-resilient, CBR). A frame of a new size re-opens the encoder, which
 * starts with a keyframe.
 *
 * @example
 * const enc = new Vp8Encoder({ bitrateKbps: 2000 });
 * const out = enc.encode(frame); // EncodedFrame | null
 * enc.close();
 */
export class Vp8Encoder {
  private readonly opts: Required<Vp8EncoderOptions>;
  private ctx: CodecContext | null = null;
  private frame: Frame | null = null;
  private packet: Packet | null = null;
  private width = 0;
  private height = 0;
  private lastPts = -1n;
  private forceKey = false;
  private closed = false;
  /** Frames encoded, keyframes among them, bytes out, re-opens for a size change. */
  readonly stats = { frames: 0, keyframes: 0, bytes: 0, reopens: 0, dropped: 0 };

  constructor(options: Vp8EncoderOptions = {}) {
    this.opts = {
      bitrateKbps: options.bitrateKbps ?? 2000,
      fps: options.fps ?? 30,
      keyframeInterval: options.keyframeInterval ?? 300,
      cpuUsed: options.cpuUsed ?? 8,
      threads: options.threads ?? 1,
    };
    const { bitrateKbps, fps, keyframeInterval, cpuUsed, threads } = this.opts;
    if (!(bitrateKbps >= 50 && bitrateKbps <= 50_000)) {
      throw new RangeError(`Vp8Encoder: bitrateKbps ${bitrateKbps} is outside 50..50000`);
    }
    if (!(fps >= 1 && fps <= 240)) throw new RangeError(`Vp8Encoder: fps ${fps} is outside 1..240`);
    if (!(keyframeInterval >= 1)) throw new RangeError(`Vp8Encoder: keyframeInterval must be ≥ 1`);
    if (!(cpuUsed >= -16 && cpuUsed <= 16))
      throw new RangeError(`Vp8Encoder: cpuUsed ${cpuUsed} is outside -16..16`);
    if (!(threads >= 1 && threads <= 16))
      throw new RangeError(`Vp8Encoder: threads ${threads} is outside 1..16`);
    quietFfmpegLog();
  }

  /** The next encoded frame is a keyframe (answer to a PLI, a new viewer, a size change). */
  requestKeyframe(): void {
    this.forceKey = true;
  }

  /**
   * Encodes one frame. Returns null only when libvpx's rate control skipped the frame.
   * Throws a RangeError for a frame whose size or buffer is wrong, and an Error after close().
   */
  encode(frame: VideoFrame): EncodedFrame | null {
    if (this.closed) throw new Error('Vp8Encoder: encode() after close()');
    assertDims(frame.width, frame.height, 'Vp8Encoder.encode');
    const need = i420Size(frame.width, frame.height);
    if (!(frame.data instanceof Uint8Array) || frame.data.length < need) {
      throw new RangeError(
        `Vp8Encoder.encode: frame data has ${frame.data?.length ?? 0} bytes, ${frame.width}×${frame.height} I420 needs ${need}`,
      );
    }
    if (!this.ctx || frame.width !== this.width || frame.height !== this.height) {
      if (this.ctx) this.stats.reopens++;
      this.open(frame.width, frame.height);
    }
    const ctx = this.ctx!;
    const av = this.frame!;
    const pkt = this.packet!;
    let ret = av.makeWritable();
    if (ret < 0) throw new Error(errorText(ret, 'Vp8Encoder: making the frame writable'));
    const src = frame.data.length === need ? frame.data : frame.data.subarray(0, need);
    ret = av.fromBuffer(Buffer.from(src.buffer, src.byteOffset, src.byteLength));
    if (ret < 0) throw new Error(errorText(ret, 'Vp8Encoder: copying the frame in'));
    // Millisecond time base; libvpx needs strictly increasing pts, sources may repeat a timestamp.
    let pts = BigInt(Math.round(Number.isFinite(frame.timestampMs) ? frame.timestampMs : 0));
    if (pts <= this.lastPts) pts = this.lastPts + 1n;
    this.lastPts = pts;
    av.pts = pts;
    av.pictType = this.forceKey ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    this.forceKey = false;
    ret = ctx.sendFrameSync(av);
    if (ret < 0) throw new Error(errorText(ret, 'Vp8Encoder: sending the frame'));
    let out: EncodedFrame | null = null;
    while (ctx.receivePacketSync(pkt) >= 0) {
      const data = pkt.data;
      if (data && data.length > 0) {
        // Copy: the packet's buffer belongs to FFmpeg and is reused on the next call.
        const bytes = new Uint8Array(data.length);
        bytes.set(data);
        out = {
          data: bytes,
          keyframe: pkt.isKeyframe,
          width: frame.width,
          height: frame.height,
          timestampMs: frame.timestampMs,
          seq: frame.seq,
        };
      }
      pkt.unref();
    }
    if (out) {
      this.stats.frames++;
      this.stats.bytes += out.data.length;
      if (out.keyframe) this.stats.keyframes++;
    } else {
      this.stats.dropped++;
    }
    return out;
  }

  /** Frees the codec, its frame and packet. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  private open(width: number, height: number): void {
    this.release();
    const codec = Codec.findEncoderByName(FF_ENCODER_LIBVPX_VP8);
    if (!codec) throw new Error('Vp8Encoder: this FFmpeg build has no libvpx VP8 encoder');
    const { bitrateKbps, fps, keyframeInterval, cpuUsed, threads } = this.opts;
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = AV_PIX_FMT_YUV420P;
    ctx.timeBase = new Rational(1, 1000);
    ctx.framerate = new Rational(fps, 1);
    const bps = BigInt(bitrateKbps * 1000);
    // min = max = target makes FFmpeg select libvpx CBR, which is what WebRTC senders use.
    ctx.bitRate = bps;
    ctx.rcMinRate = bps;
    ctx.rcMaxRate = bps;
    ctx.rcBufferSize = bitrateKbps * 1000; // one second of buffer
    ctx.gopSize = keyframeInterval;
    ctx.maxBFrames = 0;
    ctx.threadCount = threads;
    // libvpx's 0..63 quantizer range as WebRTC uses it; FFmpeg's default qmax 31 wastes bits.
    ctx.qMin = 2;
    ctx.qMax = 56;
    // libvpx options go straight onto the context, never through an options Dictionary: node-av
    // passes the Dictionary to avcodec_open2, which frees and replaces it, and node-av's finalizer
    // then frees the stale pointer again (double free → abort at GC or exit; measured here, the
    // cause of the crash noted in FIELD-NOTES.md).
    const privOptions: Record<string, string> = {
      deadline: 'realtime',
      'cpu-used': String(cpuUsed),
      'lag-in-frames': '0',
      'error-resilient': '1',
      'auto-alt-ref': '0',
      'static-thresh': '0',
      'noise-sensitivity': '0',
      'max-intra-rate': '300', // caps keyframe size so a PLI answer does not burst
      'undershoot-pct': '100',
      'overshoot-pct': '15',
    };
    for (const [name, value] of Object.entries(privOptions)) {
      const r = ctx.setOption(name, value);
      if (r < 0) {
        ctx.freeContext();
        throw new Error(errorText(r, `Vp8Encoder: setting libvpx option ${name}=${value}`));
      }
    }
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new Error(errorText(ret, `Vp8Encoder: opening libvpx at ${width}×${height}`));
    }
    const frame = new Frame();
    frame.alloc();
    frame.format = AV_PIX_FMT_YUV420P;
    frame.width = width;
    frame.height = height;
    const fret = frame.getBuffer(0);
    if (fret < 0) {
      frame.free();
      ctx.freeContext();
      throw new Error(errorText(fret, 'Vp8Encoder: allocating the frame'));
    }
    const packet = new Packet();
    packet.alloc();
    this.ctx = ctx;
    this.frame = frame;
    this.packet = packet;
    this.width = width;
    this.height = height;
    this.lastPts = -1n;
  }

  private release(): void {
    this.ctx?.freeContext();
    this.ctx = null;
    this.frame?.free();
    this.frame = null;
    this.packet?.free();
    this.packet = null;
  }
}

/**
 * VP8 frames → I420 VideoFrames with FFmpeg's native VP8 decoder. Corrupt or truncated input
 * gives `{ok:false, error}`; the decoder stays usable (the next keyframe resynchronises).
 * Odd-sized streams are cropped by one column/row to stay valid I420.
 *
 * @example
 * const dec = new Vp8Decoder();
 * const r = dec.decode(bytes);
 * if (r.ok) use(r.frame);
 */
export class Vp8Decoder {
  private ctx: CodecContext;
  private frame: Frame;
  private packet: Packet;
  private closed = false;
  /** Frames decoded, errors (corrupt input), keyframes seen. */
  readonly stats = { frames: 0, errors: 0, keyframes: 0 };

  constructor(options: { threads?: number } = {}) {
    quietFfmpegLog();
    const codec = Codec.findDecoder(AV_CODEC_ID_VP8);
    if (!codec) throw new Error('Vp8Decoder: this FFmpeg build has no VP8 decoder');
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.threadCount = options.threads ?? 1;
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new Error(errorText(ret, 'Vp8Decoder: opening the decoder'));
    }
    this.ctx = ctx;
    this.frame = new Frame();
    this.frame.alloc();
    this.packet = new Packet();
    this.packet.alloc();
  }

  /**
   * Decodes one complete VP8 frame. `timestampMs` and `seq` are stamped on the result.
   * Never throws for bad bytes; throws only after close().
   */
  decode(data: Uint8Array, timestampMs = 0, seq = 0): DecodeResult {
    if (this.closed) throw new Error('Vp8Decoder: decode() after close()');
    if (!(data instanceof Uint8Array) || data.length < 3) {
      this.stats.errors++;
      return { ok: false, error: `VP8 frame of ${data?.length ?? 0} bytes is too short (at least 3 needed)` };
    }
    // RFC 6386 §9.1: bit 0 of the frame tag is 0 for a keyframe, which also carries a start code.
    const keyframe = (data[0]! & 1) === 0;
    if (keyframe && (data.length < 10 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a)) {
      this.stats.errors++;
      return { ok: false, error: 'VP8 keyframe without the 9d 01 2a start code' };
    }
    const pkt = this.packet;
    pkt.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const ret = this.ctx.sendPacketSync(pkt);
    pkt.unref();
    if (ret < 0) {
      this.stats.errors++;
      // Drain anything half-decoded so the next packet starts clean.
      while (this.ctx.receiveFrameSync(this.frame) >= 0) this.frame.unref();
      return { ok: false, error: errorText(ret, 'VP8 decode') };
    }
    let result: DecodeResult = { ok: false, error: 'VP8 decoder produced no frame' };
    while (this.ctx.receiveFrameSync(this.frame) >= 0) {
      try {
        result = { ok: true, frame: this.copyOut(timestampMs, seq), keyframe };
      } catch (error) {
        result = { ok: false, error: (error as Error).message };
      }
      this.frame.unref();
    }
    if (result.ok) {
      this.stats.frames++;
      if (keyframe) this.stats.keyframes++;
    } else {
      this.stats.errors++;
    }
    return result;
  }

  /** Frees the decoder. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.freeContext();
    this.frame.free();
    this.packet.free();
  }

  private copyOut(timestampMs: number, seq: number): VideoFrame {
    const f = this.frame;
    const width = f.width & ~1;
    const height = f.height & ~1;
    const planes = f.data;
    const lines = f.linesize;
    if (!planes || planes.length < 3 || f.format !== AV_PIX_FMT_YUV420P) {
      throw new Error(`Vp8Decoder: unexpected decoded pixel format ${f.format}`);
    }
    const out = new Uint8Array(i420Size(width, height));
    const p = i420Planes(width, height);
    copyPlane(planes[0]!, lines[0]!, out, 0, width, height);
    copyPlane(planes[1]!, lines[1]!, out, p.u, width >> 1, height >> 1);
    copyPlane(planes[2]!, lines[2]!, out, p.v, width >> 1, height >> 1);
    return { width, height, data: out, timestampMs, seq };
  }
}

function copyPlane(src: Uint8Array, stride: number, dst: Uint8Array, at: number, w: number, h: number): void {
  if (stride === w) {
    dst.set(src.subarray(0, w * h), at);
    return;
  }
  for (let y = 0; y < h; y++) dst.set(src.subarray(y * stride, y * stride + w), at + y * w);
}
