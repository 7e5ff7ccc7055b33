/**
 * JPEG and PNG through FFmpeg's encoders and decoders (node-av: mjpeg, png), in place of jpeg-js
 * and pngjs: mjpeg takes the I420 frame as it is (yuvj420p, no RGB pass) and is about 4× faster
 * than jpeg-js (FIELD-NOTES.md). PNG text chunks (`iTXt`) carry the `.patch` that made an image
 * (runtime/io/embed.ts).
 */
import { Codec, CodecContext, Frame, Packet, Rational } from 'node-av/lib';
import {
  AV_CODEC_FLAG_QSCALE,
  AV_CODEC_ID_MJPEG,
  AV_CODEC_ID_PNG,
  AV_PIX_FMT_RGB24,
  AV_PIX_FMT_RGBA,
  AV_PIX_FMT_YUVJ420P,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  FF_QP2LAMBDA,
} from 'node-av/constants';
import { i420Size, type VideoFrame } from '../../../nodes';
import { ffmpegMessage, quietFfmpeg } from './ffmpeg';
import { Swscale } from './scale';

function encodeOnce(
  codecId: typeof AV_CODEC_ID_MJPEG | typeof AV_CODEC_ID_PNG,
  pixFmt: number,
  width: number,
  height: number,
  data: Uint8Array,
  setup: (ctx: CodecContext) => void,
  what: string,
): Buffer {
  quietFfmpeg();
  const codec = Codec.findEncoder(codecId);
  if (!codec) throw new Error(`${what}: this FFmpeg has no encoder`);
  const ctx = new CodecContext();
  ctx.allocContext3(codec);
  const frame = new Frame();
  const pkt = new Packet();
  try {
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = pixFmt as never;
    ctx.timeBase = new Rational(1, 25);
    setup(ctx);
    let r = ctx.open2Sync(codec, null);
    if (r < 0) throw new Error(`${what}: opening the encoder: ${ffmpegMessage(r)}`);
    frame.alloc();
    frame.format = pixFmt as never;
    frame.width = width;
    frame.height = height;
    r = frame.getBuffer(0);
    if (r < 0) throw new Error(`${what}: ${ffmpegMessage(r)}`);
    r = frame.fromBuffer(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (r < 0) throw new Error(`${what}: copying the image in: ${ffmpegMessage(r)}`);
    frame.pts = 0n;
    frame.quality = ctx.globalQuality;
    r = ctx.sendFrameSync(frame);
    if (r < 0) throw new Error(`${what}: ${ffmpegMessage(r)}`);
    ctx.sendFrameSync(null);
    pkt.alloc();
    const parts: Buffer[] = [];
    for (;;) {
      const g = ctx.receivePacketSync(pkt);
      if (g === AVERROR_EAGAIN || g === AVERROR_EOF) break;
      if (g < 0) throw new Error(`${what}: ${ffmpegMessage(g)}`);
      if (pkt.data) parts.push(Buffer.from(pkt.data));
      pkt.unref();
    }
    if (!parts.length) throw new Error(`${what}: the encoder gave no image`);
    return Buffer.concat(parts);
  } finally {
    ctx.freeContext();
    frame.free();
    pkt.free();
  }
}

function checkFrame(frame: VideoFrame, what: string): void {
  const need = i420Size(frame.width, frame.height);
  if (frame.width < 2 || frame.height < 2 || frame.width % 2 || frame.height % 2 || frame.data.length < need)
    throw new RangeError(
      `${what}: a ${frame.width}×${frame.height} I420 frame with ${frame.data.length} bytes is not valid`,
    );
}

/**
 * An I420 frame → JPEG bytes (baseline, quality 1–100 mapped to mjpeg's qscale 31–2).
 *
 * @example reply.type('image/jpeg').send(encodeJpeg(frame, 85));
 */
export function encodeJpeg(frame: VideoFrame, quality = 85): Buffer {
  checkFrame(frame, 'JPEG');
  // Roughly libjpeg's scale: quality 85 → qscale 4, 50 → 12, 1 → 31.
  const loss = (100 - Math.min(100, Math.max(1, quality))) / 100;
  const q = Math.min(31, Math.max(2, Math.round(2 + loss ** 1.5 * 29)));
  return encodeOnce(
    AV_CODEC_ID_MJPEG,
    AV_PIX_FMT_YUVJ420P,
    frame.width,
    frame.height,
    frame.data.subarray(0, i420Size(frame.width, frame.height)),
    (ctx) => {
      ctx.flags = (ctx.flags | AV_CODEC_FLAG_QSCALE) as never;
      ctx.globalQuality = q * FF_QP2LAMBDA;
    },
    'JPEG',
  );
}

/**
 * An I420 frame → PNG bytes (RGB, 8 bit), with optional `iTXt` text chunks (UTF-8 keyword → text).
 *
 * @example writeFileSync('frame.png', encodePng(frame, { patchbay_patch: patchText }));
 */
export function encodePng(frame: VideoFrame, text?: Record<string, string>): Buffer {
  checkFrame(frame, 'PNG');
  const sws = new Swscale();
  let rgb: Uint8Array;
  try {
    rgb = sws.convert('i420', frame.data, frame.width, frame.height, 'rgb24');
  } finally {
    sws.close();
  }
  const png = encodeOnce(AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24, frame.width, frame.height, rgb, () => {}, 'PNG');
  return text && Object.keys(text).length ? addPngText(png, text) : png;
}

/** RGBA bytes → PNG (for images that are not video frames: masks, thumbnails with alpha). */
export function encodePngRgba(
  rgba: Uint8Array,
  width: number,
  height: number,
  text?: Record<string, string>,
): Buffer {
  if (rgba.length < width * height * 4)
    throw new RangeError(`PNG: ${width}×${height} RGBA needs ${width * height * 4} bytes`);
  const png = encodeOnce(AV_CODEC_ID_PNG, AV_PIX_FMT_RGBA, width, height, rgba, () => {}, 'PNG');
  return text && Object.keys(text).length ? addPngText(png, text) : png;
}

/** A decoded image: RGBA, tightly packed. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes PNG or JPEG bytes to RGBA (FFmpeg's png / mjpeg decoders). */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  quietFfmpeg();
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw new Error(`${name}: neither PNG nor JPEG`);
  const codec = Codec.findDecoder(isPng ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG);
  if (!codec) throw new Error(`${name}: this FFmpeg has no decoder for it`);
  const ctx = new CodecContext();
  ctx.allocContext3(codec);
  const pkt = new Packet();
  const frame = new Frame();
  const sws = new Swscale();
  try {
    let r = ctx.open2Sync(codec, null);
    if (r < 0) throw new Error(`${name}: opening the decoder: ${ffmpegMessage(r)}`);
    pkt.alloc();
    frame.alloc();
    pkt.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    r = ctx.sendPacketSync(pkt);
    if (r < 0) throw new Error(`${name}: ${ffmpegMessage(r)}`);
    ctx.sendPacketSync(null);
    r = ctx.receiveFrameSync(frame);
    if (r < 0) throw new Error(`${name}: ${ffmpegMessage(r)}`);
    const data = sws.frameToLayout(frame, 'rgba');
    return { width: frame.width, height: frame.height, data };
  } finally {
    sws.close();
    ctx.freeContext();
    pkt.free();
    frame.free();
  }
}

// --- PNG text chunks ----------------------------------------------------------------------------

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Inserts `iTXt` chunks (uncompressed, no language tag: PNG spec §11.3.4.5) right after IHDR.
 * Keywords are 1–79 Latin-1 characters.
 */
export function addPngText(png: Buffer, text: Record<string, string>): Buffer {
  if (png.readUInt32BE(12) !== 0x49484452) throw new Error('PNG: IHDR is not the first chunk');
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const chunks: Buffer[] = [];
  for (const [key, value] of Object.entries(text)) {
    if (!/^[\x20-\x7e]{1,79}$/.test(key))
      throw new RangeError(`PNG text keyword "${key.slice(0, 80)}" is not 1–79 printable characters`);
    // keyword \0, compression flag 0, method 0, language tag "" \0, translated keyword "" \0, text (UTF-8)
    const body = Buffer.concat([
      Buffer.from(key, 'latin1'),
      Buffer.from([0, 0, 0, 0, 0]),
      Buffer.from(value, 'utf8'),
    ]);
    chunks.push(chunk('iTXt', body));
  }
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** Reads a PNG's `iTXt` (uncompressed) and `tEXt` chunks: keyword → text. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 8 || b.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG file');
  const out: Record<string, string> = {};
  for (let at = 8; at + 12 <= b.length;) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const body = b.subarray(at + 8, at + 8 + len);
    if (type === 'iTXt' || type === 'tEXt') {
      const z = body.indexOf(0);
      if (z > 0) {
        const key = body.toString('latin1', 0, z);
        if (type === 'tEXt') out[key] = body.toString('latin1', z + 1);
        else if (body[z + 1] === 0) {
          // Uncompressed iTXt: skip the language tag and translated keyword.
          const lang = body.indexOf(0, z + 3);
          const trans = lang >= 0 ? body.indexOf(0, lang + 1) : -1;
          if (trans >= 0) out[key] = body.toString('utf8', trans + 1);
        }
      }
    }
    if (type === 'IEND') break;
    at += 12 + len;
  }
  return out;
}
