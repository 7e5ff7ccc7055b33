import { readFileSync, statSync } from 'node:fs';
import { ID, readFloat, readHeader, readString, readUint, type ElementHeader } from './ebml';

/**
 * Readers for the video files a Camera node loops: WebM (Matroska, VP8 track; SimpleBlocks or
 * BlockGroups, known- or unknown-size Clusters as MediaRecorder writes them) and IVF (VP8).
 * Both give the same {@link VideoFileData}: every frame's bytes and presentation time.
 */

/** One compressed frame of a file. */
export interface FileFrame {
  data: Uint8Array;
  /** Presentation time from the file's start, ms. */
  ptsMs: number;
  keyframe: boolean;
}

/** A parsed video file. */
export interface VideoFileData {
  container: 'webm' | 'ivf';
  codec: 'vp8';
  width: number;
  height: number;
  frames: FileFrame[];
  /** One frame's duration (from the file's frame rate, else the median frame spacing), ms. */
  frameDurationMs: number;
  /** Last frame's time + one frame duration: the loop length, ms. */
  durationMs: number;
}

/** A file that cannot be read as WebM/IVF VP8; the message names the file and what is wrong. */
export class VideoFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VideoFileError';
  }
}

/** Largest file read into memory (video-file sources are short loops). */
export const MAX_VIDEO_FILE_BYTES = 1024 * 1024 * 1024;

/** Reads a WebM or IVF file (by its signature, not its name). */
export function readVideoFile(path: string): VideoFileData {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new VideoFileError(`video file "${path}" cannot be opened: ${(error as Error).message}`);
  }
  if (size > MAX_VIDEO_FILE_BYTES)
    throw new VideoFileError(`video file "${path}" is ${size} bytes; the limit is ${MAX_VIDEO_FILE_BYTES}`);
  const buf = new Uint8Array(readFileSync(path));
  return parseVideoFile(buf, path);
}

/** Parses WebM or IVF bytes; `name` is used in error messages. */
export function parseVideoFile(buf: Uint8Array, name = 'video'): VideoFileData {
  if (buf.length >= 4 && buf[0] === 0x44 && buf[1] === 0x4b && buf[2] === 0x49 && buf[3] === 0x46)
    return parseIvf(buf, name);
  if (buf.length >= 4 && buf[0] === 0x1a && buf[1] === 0x45 && buf[2] === 0xdf && buf[3] === 0xa3)
    return parseWebm(buf, name);
  if (buf.length >= 8 && String.fromCharCode(...buf.subarray(4, 8)) === 'ftyp')
    throw new VideoFileError(
      `"${name}" is an MP4 file; Patchbay loops WebM or IVF (VP8) files: convert it with "ffmpeg -i in.mp4 -c:v libvpx -b:v 2M out.webm"`,
    );
  throw new VideoFileError(`"${name}" is neither WebM nor IVF (no EBML or DKIF signature)`);
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function finish(
  container: 'webm' | 'ivf',
  name: string,
  width: number,
  height: number,
  frames: FileFrame[],
  nominalMs: number,
): VideoFileData {
  if (!frames.length) throw new VideoFileError(`"${name}" has no video frames`);
  const firstKey = frames.findIndex((f) => f.keyframe);
  if (firstKey < 0) throw new VideoFileError(`"${name}" has no VP8 keyframe, so nothing can be decoded`);
  const kept = frames.slice(firstKey).sort((a, b) => a.ptsMs - b.ptsMs);
  const t0 = kept[0]!.ptsMs;
  for (const f of kept) f.ptsMs -= t0;
  const gaps: number[] = [];
  for (let i = 1; i < kept.length; i++) gaps.push(kept[i]!.ptsMs - kept[i - 1]!.ptsMs);
  const frameDurationMs = nominalMs > 0 ? nominalMs : median(gaps) || 1000 / 30;
  // WebM stores times in whole ms (33, 67, 100 … at 30 fps). When every frame sits within a
  // millisecond of k·frameDuration the rate is regular: use the exact times, so a loop lasts
  // exactly N frames and 30 loops do not drift by 30 × the rounding.
  const regular = kept.every((f, k) => Math.abs(f.ptsMs - k * frameDurationMs) <= 1);
  if (regular) kept.forEach((f, k) => (f.ptsMs = k * frameDurationMs));
  return {
    container,
    codec: 'vp8',
    width,
    height,
    frames: kept,
    frameDurationMs,
    durationMs: kept[kept.length - 1]!.ptsMs + frameDurationMs,
  };
}

/** IVF: a 32-byte "DKIF" header, then frames of {u32 size, u64 pts} + bytes. */
export function parseIvf(buf: Uint8Array, name = 'video.ivf'): VideoFileData {
  if (buf.length < 32) throw new VideoFileError(`"${name}": IVF header is truncated (${buf.length} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerSize = dv.getUint16(6, true);
  const fourcc = String.fromCharCode(buf[8]!, buf[9]!, buf[10]!, buf[11]!);
  if (fourcc !== 'VP80') throw new VideoFileError(`"${name}": IVF codec "${fourcc}" is not VP8 (VP80)`);
  const width = dv.getUint16(12, true);
  const height = dv.getUint16(14, true);
  const rate = dv.getUint32(16, true);
  const scale = dv.getUint32(20, true);
  if (!rate || !scale) throw new VideoFileError(`"${name}": IVF time base ${scale}/${rate} is invalid`);
  const frames: FileFrame[] = [];
  let pos = Math.max(32, headerSize);
  while (pos + 12 <= buf.length) {
    const size = dv.getUint32(pos, true);
    const pts = Number(dv.getBigUint64(pos + 4, true));
    pos += 12;
    if (pos + size > buf.length) break; // a truncated last frame (recording cut short) is dropped
    const data = buf.subarray(pos, pos + size);
    frames.push({ data, ptsMs: (pts * scale * 1000) / rate, keyframe: size > 0 && (data[0]! & 1) === 0 });
    pos += size;
  }
  // IVF's time base is usually 1/fps, so one tick is one frame.
  const tick = (scale * 1000) / rate;
  return finish('ivf', name, width, height, frames, tick >= 1 && tick <= 1000 ? tick : 0);
}

const MASTER_IN_SEGMENT = new Set<number>([
  ID.Info,
  ID.Tracks,
  ID.Cluster,
  ID.Cues,
  ID.SeekHead,
  ID.Tags,
  ID.Chapters,
  ID.Attachments,
]);

/** WebM: the first VP8 video track's frames. */
export function parseWebm(buf: Uint8Array, name = 'video.webm'): VideoFileData {
  const bad = (why: string) => new VideoFileError(`"${name}": ${why}`);
  const ebml = readHeader(buf, 0);
  if (!ebml || ebml.size === null) throw bad('EBML header is damaged');
  const docType = findChild(buf, ebml.dataStart, ebml.dataStart + ebml.size, ID.DocType);
  const dt = docType ? readString(buf, docType.dataStart, docType.size!) : '';
  if (dt !== 'webm' && dt !== 'matroska') throw bad(`DocType "${dt}" is not webm or matroska`);
  const seg = readHeader(buf, ebml.dataStart + ebml.size);
  if (!seg || seg.id !== ID.Segment) throw bad('no Segment after the EBML header');
  const segEnd = seg.size === null ? buf.length : Math.min(buf.length, seg.dataStart + seg.size);
  let timecodeScale = 1_000_000;
  let track: { number: number; width: number; height: number; defaultDurationNs: number } | null = null;
  const blocks: { data: Uint8Array; time: number; keyframe: boolean; track: number }[] = [];
  let pos = seg.dataStart;
  while (pos < segEnd) {
    const h = readHeader(buf, pos);
    if (!h) break;
    const end = h.size === null ? segEnd : Math.min(segEnd, h.dataStart + h.size);
    if (h.id === ID.Info) {
      const ts = findChild(buf, h.dataStart, end, ID.TimecodeScale);
      if (ts) timecodeScale = readUint(buf, ts.dataStart, ts.size!) || 1_000_000;
    } else if (h.id === ID.Tracks) {
      track = readVideoTrack(buf, h.dataStart, end);
    } else if (h.id === ID.Cluster) {
      const clusterEnd = readCluster(buf, h, segEnd, blocks);
      pos = clusterEnd;
      continue;
    }
    if (h.size === null) break; // an unknown-size element other than a Cluster: nothing more to read safely
    pos = end;
  }
  if (!track) throw bad('no VP8 video track (CodecID V_VP8)');
  const msPerTick = timecodeScale / 1e6;
  const frames = blocks
    .filter((b) => b.track === track.number)
    .map((b) => ({ data: b.data, ptsMs: b.time * msPerTick, keyframe: b.keyframe }));
  return finish('webm', name, track.width, track.height, frames, track.defaultDurationNs / 1e6);
}

function findChild(buf: Uint8Array, start: number, end: number, id: number): ElementHeader | null {
  let pos = start;
  while (pos < end) {
    const h = readHeader(buf, pos);
    if (!h || h.size === null) return null;
    if (h.id === id) return h;
    pos = h.dataStart + h.size;
  }
  return null;
}

function readVideoTrack(buf: Uint8Array, start: number, end: number) {
  let pos = start;
  while (pos < end) {
    const h = readHeader(buf, pos);
    if (!h || h.size === null) return null;
    if (h.id === ID.TrackEntry) {
      const e = h.dataStart + h.size;
      const codec = findChild(buf, h.dataStart, e, ID.CodecID);
      const type = findChild(buf, h.dataStart, e, ID.TrackType);
      const num = findChild(buf, h.dataStart, e, ID.TrackNumber);
      const codecId = codec ? readString(buf, codec.dataStart, codec.size!) : '';
      if (type && readUint(buf, type.dataStart, type.size!) === 1) {
        if (codecId !== 'V_VP8')
          throw new VideoFileError(
            `video track codec "${codecId}" is not VP8 (V_VP8); re-encode it as VP8 WebM`,
          );
        const video = findChild(buf, h.dataStart, e, ID.Video);
        const w = video && findChild(buf, video.dataStart, video.dataStart + video.size!, ID.PixelWidth);
        const hh = video && findChild(buf, video.dataStart, video.dataStart + video.size!, ID.PixelHeight);
        const dd = findChild(buf, h.dataStart, e, ID.DefaultDuration);
        return {
          number: num ? readUint(buf, num.dataStart, num.size!) : 1,
          width: w ? readUint(buf, w.dataStart, w.size!) : 0,
          height: hh ? readUint(buf, hh.dataStart, hh.size!) : 0,
          defaultDurationNs: dd ? readUint(buf, dd.dataStart, dd.size!) : 0,
        };
      }
    }
    pos = h.dataStart + h.size;
  }
  return null;
}

/** Reads one Cluster's blocks; returns where the next top-level element starts. */
function readCluster(
  buf: Uint8Array,
  h: ElementHeader,
  segEnd: number,
  out: { data: Uint8Array; time: number; keyframe: boolean; track: number }[],
): number {
  const end = h.size === null ? segEnd : Math.min(segEnd, h.dataStart + h.size);
  let tc = 0;
  let pos = h.dataStart;
  while (pos < end) {
    const c = readHeader(buf, pos);
    if (!c) return end;
    // An unknown-size Cluster ends where the next top-level element begins.
    if (h.size === null && MASTER_IN_SEGMENT.has(c.id)) return pos;
    if (c.size === null) return end;
    const cEnd = Math.min(end, c.dataStart + c.size);
    if (c.id === ID.Timecode) tc = readUint(buf, c.dataStart, c.size);
    else if (c.id === ID.SimpleBlock) pushBlock(buf, c.dataStart, cEnd, tc, null, out);
    else if (c.id === ID.BlockGroup) {
      const b = findChild(buf, c.dataStart, cEnd, ID.Block);
      // A Block carries no keyframe flag; a BlockGroup without ReferenceBlock (0xfb) is a keyframe.
      const ref = findChild(buf, c.dataStart, cEnd, 0xfb);
      if (b) pushBlock(buf, b.dataStart, b.dataStart + b.size!, tc, ref === null, out);
    }
    pos = cEnd;
  }
  return end;
}

function pushBlock(
  buf: Uint8Array,
  start: number,
  end: number,
  tc: number,
  keyframe: boolean | null,
  out: { data: Uint8Array; time: number; keyframe: boolean; track: number }[],
): void {
  if (end - start < 4) return;
  const first = buf[start]!;
  const len = first & 0x80 ? 1 : first & 0x40 ? 2 : 0;
  if (!len) return;
  const track = len === 1 ? first & 0x7f : ((first & 0x3f) << 8) | buf[start + 1]!;
  const p = start + len;
  const rel = (buf[p]! << 8) | buf[p + 1]!;
  const relSigned = rel & 0x8000 ? rel - 0x10000 : rel;
  const flags = buf[p + 2]!;
  if (flags & 0x06) return; // laced blocks are not used for video; skip rather than misread
  const data = buf.subarray(p + 3, end);
  if (!data.length) return;
  out.push({ data, time: tc + relSigned, keyframe: keyframe ?? (flags & 0x80) !== 0, track });
}

/** Reads a float Duration from a WebM's Info (ms), or null when absent. For tests and tools. */
export function webmDurationMs(buf: Uint8Array): number | null {
  const ebml = readHeader(buf, 0);
  if (!ebml || ebml.size === null) return null;
  const seg = readHeader(buf, ebml.dataStart + ebml.size);
  if (!seg) return null;
  const end = seg.size === null ? buf.length : seg.dataStart + seg.size;
  const info = findChild(buf, seg.dataStart, end, ID.Info);
  if (!info) return null;
  const d = findChild(buf, info.dataStart, info.dataStart + info.size!, ID.Duration);
  const ts = findChild(buf, info.dataStart, info.dataStart + info.size!, ID.TimecodeScale);
  const scale = ts ? readUint(buf, ts.dataStart, ts.size!) : 1_000_000;
  return d ? (readFloat(buf, d.dataStart, d.size!) * scale) / 1e6 : null;
}
