import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { el, element, encodeFloat, encodeId, encodeSize, encodeUint, ID } from './ebml';

/**
 * A WebM (Matroska) writer for one VP8 video track: EBML header, Segment with a SeekHead, Info,
 * Tracks, SimpleBlocks in Clusters, and Cues. Duration, the Segment size, and the Cues position
 * are patched in on close, so players (Chromium) report the right duration and can seek.
 * Writes `<path>.part` and renames it to `<path>` when closed, so a half-written file is never
 * served as a recording.
 */

export interface WebmWriterOptions {
  width: number;
  height: number;
  /** Nominal frame rate, written as the track's DefaultDuration (default 30). */
  fps?: number;
  /** WritingApp in the Info element. */
  writingApp?: string;
}

/** What a finished file holds. */
export interface WebmSummary {
  path: string;
  frames: number;
  keyframes: number;
  /** Segment duration as written (last frame's time + one frame interval), ms. */
  durationMs: number;
  bytes: number;
  width: number;
  height: number;
}

const CLUSTER_MIN_MS = 1000;
const CLUSTER_MAX_REL_MS = 30_000;
const CLUSTER_MAX_BYTES = 4 * 1024 * 1024;
/** Fixed-width SeekPosition so the SeekHead can be rewritten in place on close. */
const SEEK_POS_WIDTH = 8;

/**
 * Writes VP8 frames to a WebM file.
 *
 * @example
 * const w = new WebmWriter('/tmp/a.webm', { width: 640, height: 480, fps: 30 });
 * w.addFrame(vp8Bytes, 0, true);
 * const summary = w.close();
 */
export class WebmWriter {
  readonly path: string;
  private readonly partPath: string;
  private fd: number | null;
  private pos = 0;
  private segmentSizeAt = 0;
  private segmentDataStart = 0;
  private seekHeadAt = 0;
  private durationAt = 0;
  private infoPos = 0;
  private tracksPos = 0;
  private firstTs: number | null = null;
  private lastTs = -1;
  private frames = 0;
  private keyframes = 0;
  private cluster: { tc: number; blocks: Uint8Array[]; bytes: number } | null = null;
  private readonly cues: { time: number; pos: number }[] = [];
  /** Spacing of the latest frames, ms (for the last frame's duration). */
  private readonly gaps: number[] = [];
  private readonly frameMs: number;
  private summary: WebmSummary | null = null;

  constructor(
    path: string,
    private readonly opts: WebmWriterOptions,
  ) {
    const { width, height } = opts;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 1 ||
      height < 1 ||
      width > 16384 ||
      height > 16384
    )
      throw new RangeError(`WebmWriter: frame size ${width}×${height} is not valid`);
    const fps = opts.fps ?? 30;
    if (!(fps > 0 && fps <= 1000)) throw new RangeError(`WebmWriter: fps ${fps} is outside 0..1000`);
    this.frameMs = 1000 / fps;
    this.path = path;
    this.partPath = `${path}.part`;
    this.fd = openSync(this.partPath, 'w');
    try {
      this.writeHead();
    } catch (error) {
      closeSync(this.fd);
      this.fd = null;
      throw error;
    }
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.frames;
  }

  /**
   * Adds one VP8 frame at `timestampMs` (any clock; the first frame becomes time 0). Timestamps
   * must increase; a repeated or earlier one is moved 1 ms after the previous frame.
   */
  addFrame(data: Uint8Array, timestampMs: number, keyframe: boolean): void {
    if (this.fd === null) throw new Error('WebmWriter: addFrame() after close()');
    if (!(data instanceof Uint8Array) || data.length === 0) throw new RangeError('WebmWriter: empty frame');
    if (!Number.isFinite(timestampMs))
      throw new RangeError(`WebmWriter: timestamp ${timestampMs} is not finite`);
    if (this.firstTs === null) {
      if (!keyframe) throw new Error('WebmWriter: the first frame must be a keyframe');
      this.firstTs = timestampMs;
    }
    let t = Math.round(timestampMs - this.firstTs);
    if (t <= this.lastTs) t = this.lastTs + 1;
    const c = this.cluster;
    if (
      !c ||
      (keyframe && t - c.tc >= CLUSTER_MIN_MS) ||
      t - c.tc > CLUSTER_MAX_REL_MS ||
      c.bytes > CLUSTER_MAX_BYTES
    ) {
      this.flushCluster();
      this.cluster = { tc: t, blocks: [], bytes: 0 };
      if (keyframe) this.cues.push({ time: t, pos: this.pos - this.segmentDataStart });
    }
    const cl = this.cluster!;
    const rel = t - cl.tc;
    // SimpleBlock: track number (vint), int16 relative time, flags (0x80 = keyframe), frame.
    const header = Uint8Array.of(0x81, (rel >> 8) & 0xff, rel & 0xff, keyframe ? 0x80 : 0x00);
    const block = element(ID.SimpleBlock, [header, data]);
    cl.blocks.push(block);
    cl.bytes += block.length;
    if (this.frames > 0) {
      this.gaps.push(t - this.lastTs);
      if (this.gaps.length > 31) this.gaps.shift();
    }
    this.lastTs = t;
    this.frames++;
    if (keyframe) this.keyframes++;
  }

  /** Finishes the file (Cues, Duration, sizes) and renames it into place. Safe to call twice. */
  close(): WebmSummary {
    if (this.summary) return this.summary;
    if (this.fd === null) throw new Error('WebmWriter: closed after a failure');
    const fd = this.fd;
    try {
      this.flushCluster();
      const cuesPos = this.pos - this.segmentDataStart;
      if (this.cues.length) {
        const points = this.cues.map((c) =>
          element(ID.CuePoint, [
            el.uint(ID.CueTime, c.time),
            element(ID.CueTrackPositions, [el.uint(ID.CueTrack, 1), el.uint(ID.CueClusterPosition, c.pos)]),
          ]),
        );
        this.write(element(ID.Cues, points));
      }
      // Duration: the last frame's time plus one frame interval, which is what a player shows
      // as the end of the last frame. The interval is the median spacing of the latest frames
      // (a live source that skipped a frame must not stretch the last one), else the nominal rate.
      const gaps = [...this.gaps].sort((a, b) => a - b);
      const interval = gaps.length ? gaps[gaps.length >> 1]! : this.frameMs;
      const durationMs = this.frames ? this.lastTs + interval : 0;
      writeSync(fd, encodeFloat(durationMs), 0, 8, this.durationAt);
      writeSync(fd, encodeSize(this.pos - this.segmentDataStart, 8), 0, 8, this.segmentSizeAt);
      const seek = this.seekHead(this.cues.length ? cuesPos : 0);
      writeSync(fd, seek, 0, seek.length, this.seekHeadAt);
      closeSync(fd);
      this.fd = null;
      renameSync(this.partPath, this.path);
      this.summary = {
        path: this.path,
        frames: this.frames,
        keyframes: this.keyframes,
        durationMs,
        bytes: this.pos,
        width: this.opts.width,
        height: this.opts.height,
      };
      return this.summary;
    } catch (error) {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = null;
      throw error;
    }
  }

  private write(bytes: Uint8Array): void {
    writeSync(this.fd!, bytes, 0, bytes.length, this.pos);
    this.pos += bytes.length;
  }

  private flushCluster(): void {
    const c = this.cluster;
    if (!c) return;
    this.cluster = null;
    this.write(element(ID.Cluster, [el.uint(ID.Timecode, c.tc), ...c.blocks]));
  }

  private seekHead(cuesPos: number): Uint8Array {
    const seek = (id: number, pos: number) =>
      element(ID.Seek, [
        element(ID.SeekID, encodeId(id)),
        element(ID.SeekPosition, encodeUint(pos, SEEK_POS_WIDTH)),
      ]);
    // Cues always get an entry (position 0 until known) so the SeekHead keeps its size; an
    // empty file's entry is replaced by a Void-equivalent Tracks pointer below.
    return element(ID.SeekHead, [
      seek(ID.Info, this.infoPos),
      seek(ID.Tracks, this.tracksPos),
      cuesPos ? seek(ID.Cues, cuesPos) : seek(ID.Tracks, this.tracksPos),
    ]);
  }

  private writeHead(): void {
    const { width, height } = this.opts;
    this.write(
      element(ID.EBML, [
        el.uint(ID.EBMLVersion, 1),
        el.uint(ID.EBMLReadVersion, 1),
        el.uint(ID.EBMLMaxIDLength, 4),
        el.uint(ID.EBMLMaxSizeLength, 8),
        el.str(ID.DocType, 'webm'),
        el.uint(ID.DocTypeVersion, 4),
        el.uint(ID.DocTypeReadVersion, 2),
      ]),
    );
    this.write(encodeId(ID.Segment));
    this.segmentSizeAt = this.pos;
    this.write(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)); // unknown until close
    this.segmentDataStart = this.pos;
    this.seekHeadAt = this.pos;
    const placeholder = this.seekHead(0);
    this.write(placeholder);
    this.infoPos = this.pos - this.segmentDataStart;
    const app = this.opts.writingApp ?? 'Patchbay';
    const infoBody = [
      el.uint(ID.TimecodeScale, 1_000_000),
      el.str(ID.MuxingApp, 'Patchbay WebmWriter'),
      el.str(ID.WritingApp, app),
    ];
    const durationEl = el.float(ID.Duration, 0);
    const info = element(ID.Info, [...infoBody, durationEl]);
    // Duration's 8 payload bytes are the last 8 bytes of the Info element.
    this.durationAt = this.pos + info.length - 8;
    this.write(info);
    this.tracksPos = this.pos - this.segmentDataStart;
    this.write(
      element(ID.Tracks, [
        element(ID.TrackEntry, [
          el.uint(ID.TrackNumber, 1),
          el.uint(ID.TrackUID, 1),
          el.uint(ID.TrackType, 1),
          el.uint(ID.FlagLacing, 0),
          el.uint(ID.DefaultDuration, Math.round(this.frameMs * 1e6)),
          el.str(ID.CodecID, 'V_VP8'),
          element(ID.Video, [el.uint(ID.PixelWidth, width), el.uint(ID.PixelHeight, height)]),
        ]),
      ]),
    );
    // The placeholder's positions were 0; rewrite it now that Info/Tracks are placed (same size).
    const real = this.seekHead(0);
    if (real.length !== placeholder.length) throw new Error('WebmWriter: SeekHead size changed');
    writeSync(this.fd!, real, 0, real.length, this.seekHeadAt);
  }
}
