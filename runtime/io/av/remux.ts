/**
 * Copies a file's video stream into a new container without re-encoding (FFmpeg's
 * `-c:v copy`): a MediaRecorder WebM (no Duration, no Cues, so Chromium shows Infinity) becomes a
 * seekable WebM with its duration in the header. The first frame's time becomes 0.
 */
import { statSync } from 'node:fs';
import { Dictionary, FormatContext, Packet, Rational } from 'node-av/lib';
import { AV_NOPTS_VALUE, AV_PKT_FLAG_KEY, AVERROR_EOF, AVMEDIA_TYPE_VIDEO } from 'node-av/constants';
import { check, ffmpegMessage, MediaFileError, quietFfmpeg } from './ffmpeg';

/** What a remuxed file holds. */
export interface RemuxSummary {
  path: string;
  frames: number;
  keyframes: number;
  /** Last frame time + one frame spacing, ms. */
  durationMs: number;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Remuxes `src`'s best video stream into `dst` (container `container`, e.g. "webm").
 * Throws a MediaFileError naming the file when either side fails.
 */
export function remuxVideo(
  src: string,
  dst: string,
  container: string,
  metadata?: Record<string, string>,
): RemuxSummary {
  quietFfmpeg();
  const input = new FormatContext();
  check(input.openInputSync(src), src, 'FFmpeg could not open it');
  const out = new FormatContext();
  const pkt = new Packet();
  pkt.alloc();
  let outOpen = false;
  try {
    check(input.findStreamInfoSync(), src, 'FFmpeg could not read its stream headers');
    const index = input.findBestStream(AVMEDIA_TYPE_VIDEO);
    if (index < 0) throw new MediaFileError(src, `${src}: it has no video stream`);
    const ist = input.streams![index]!;
    check(out.allocOutputContext2(null, container, dst), dst, `creating a ${container} file`);
    const ost = out.newStream(null);
    check(ist.codecpar.copy(ost.codecpar), dst, 'copying the stream parameters');
    ost.codecpar.codecTag = 0;
    const ms = new Rational(1, 1000);
    ost.timeBase = ms;
    if (metadata && Object.keys(metadata).length) out.metadata = Dictionary.fromObject(metadata);
    check(out.openOutputSync(), dst, 'opening the file for writing');
    outOpen = true;
    check(out.writeHeaderSync(null), dst, 'writing the header');
    let t0: bigint | null = null;
    let frames = 0;
    let keyframes = 0;
    let lastMs = 0;
    const gaps: number[] = [];
    let prevMs: number | null = null;
    let spacing = 0;
    for (;;) {
      const r = input.readFrameSync(pkt);
      if (r === AVERROR_EOF) break;
      if (r < 0) throw new MediaFileError(src, `${src}: reading: ${ffmpegMessage(r)}`);
      if (pkt.streamIndex !== index) {
        pkt.unref();
        continue;
      }
      const ts = pkt.pts !== AV_NOPTS_VALUE ? pkt.pts : pkt.dts;
      t0 ??= ts;
      pkt.pts = ts - t0;
      pkt.dts = pkt.dts !== AV_NOPTS_VALUE ? pkt.dts - t0 : pkt.pts;
      pkt.rescaleTs(ist.timeBase, ost.timeBase);
      const at = Number(pkt.pts);
      if (prevMs !== null) gaps.push(at - prevMs);
      prevMs = at;
      // Each frame lasts the median recent spacing, so the file's Duration ends one frame after the last.
      spacing = median(gaps.slice(-31));
      pkt.duration = BigInt(Math.round(spacing));
      lastMs = Math.max(lastMs, at);
      frames++;
      if ((pkt.flags & AV_PKT_FLAG_KEY) !== 0) keyframes++;
      pkt.streamIndex = ost.index;
      pkt.pos = -1n;
      check(out.interleavedWriteFrameSync(pkt), dst, 'writing a frame');
      pkt.unref();
    }
    check(out.writeTrailerSync(), dst, 'finishing the file');
    return {
      path: dst,
      frames,
      keyframes,
      durationMs: frames ? lastMs + Math.round(spacing) : 0,
      width: ist.codecpar.width,
      height: ist.codecpar.height,
      bytes: statSync(dst).size,
    };
  } finally {
    pkt.free();
    if (outOpen) out.closeOutputSync();
    out.freeContext();
    input.closeInputSync();
  }
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
