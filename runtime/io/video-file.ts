import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { VideoFrame } from '../../nodes';
import type { Clock } from '../clock';
import { ClipReader, type ClipInfo } from './av/clip-reader';
import { MediaFileError } from './av/ffmpeg';
import { Swscale } from './av/scale';
import type { AdapterCounters, AdapterStatus, VideoSourceAdapter } from './types';

/**
 * The Camera node's `video_file` mode: plays any video file FFmpeg reads (runtime/io/av), looping,
 * at the file's own frame times on the injected clock, streaming a frame at a time.
 *
 * Timing: a frame's place in the media is `loop·loopDuration + pts`; it is due at
 * `anchorClock + (media − anchorMedia) / speed`. The anchor moves only when the speed or position
 * changes, so no error accumulates across loops (no drift). When the clock jumps ahead, late
 * frames are decoded (inter frames depend on earlier ones) but only the one due now is converted
 * and shown; skipped frames are counted.
 */

export interface VideoFileSourceOptions {
  clock: Clock;
  /** Loop at the end (default true); false stops after the last frame. */
  loop?: boolean;
  /** Playback speed, 0.05–8 (default 1). Reverse is not offered (see runtime/io/README.md). */
  speed?: number;
  /** Start at this position, seconds from the first frame (default 0). */
  positionS?: number;
  /** Try GPU decode when present (default "auto"): falls back to software and says so. */
  hwaccel?: 'auto' | 'none';
  log?: (line: string) => void;
}

/** Counters for a file source. */
export interface VideoFileCounters extends AdapterCounters {
  loops: number;
  /** Frames decoded but not shown because a later one was already due. */
  skipped: number;
  /** Frames decoded (shown + skipped). */
  decoded: number;
}

/** Slowest and fastest playback speeds. */
export const MIN_SPEED = 0.05;
export const MAX_SPEED = 8;

/**
 * Resolves `name` inside `assetsDir`, refusing anything that leaves it — `..`, an absolute
 * path, or a symbolic link that points outside. Returns the real path.
 */
export function resolveAssetFile(assetsDir: string, name: string): string {
  if (!name) throw new MediaFileError(name, 'choose a video file from the assets');
  const base = resolve(assetsDir);
  const path = resolve(base, name);
  if (!path.startsWith(base + sep))
    throw new MediaFileError(name, `video file "${name}" is outside the assets folder`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new MediaFileError(name, `video file "${name}" is not in the assets folder`);
  }
  let realBase: string;
  try {
    realBase = realpathSync(base);
  } catch {
    realBase = base;
  }
  if (!real.startsWith(realBase + sep))
    throw new MediaFileError(name, `video file "${name}" links outside the assets folder`);
  return real;
}

/** Floating-point slack: a frame due within this of now is due (the timer may land a hair early). */
const EPS_MS = 1e-6;

/** When every frame time is within this of k·frameDuration, the exact grid is used. */
const SNAP_MS = 1;

/**
 * Loops a file. Throws a MediaFileError (naming the file and what FFmpeg said) when it cannot be
 * opened; decode errors at run time are counted and shown in `status()`, and a file that breaks
 * off (truncated) loops over what it holds.
 *
 * @example
 * const src = new VideoFileSource('assets/clip.mov', { clock: realClock });
 * src.start((frame) => show(frame));
 */
export class VideoFileSource implements VideoSourceAdapter {
  readonly kind = 'video_file';
  readonly info: ClipInfo;
  private reader: ClipReader;
  private readonly sws = new Swscale();
  private cancel: (() => void) | null = null;
  private onFrame: ((frame: VideoFrame) => void) | null = null;
  private speed: number;
  private anchorClock = 0;
  private anchorMedia = 0;
  private loopIndex = 0;
  /** Loop length in ms, known after the first pass (or from the container). */
  private loopMs = 0;
  /** Frames in one pass, counted on the first. */
  private passFrames = 0;
  private frameInPass = 0;
  private gridOk = true;
  private readonly frameMs: number;
  private lastPts = -1;
  private pending: { media: number; frame: import('node-av/lib').Frame } | null = null;
  private seq = 0;
  private started = false;
  private state: AdapterStatus = { state: 'idle' };
  private readonly count: VideoFileCounters = {
    frames: 0,
    dropped: 0,
    errors: 0,
    loops: 0,
    skipped: 0,
    decoded: 0,
  };

  constructor(
    readonly path: string,
    private readonly opts: VideoFileSourceOptions,
  ) {
    this.reader = new ClipReader(path, { hwaccel: opts.hwaccel ?? 'auto' });
    this.info = this.reader.info;
    this.frameMs = this.info.fps > 0 ? 1000 / this.info.fps : 0;
    this.speed = clampSpeed(opts.speed ?? 1);
    if (this.info.hardwareNote) opts.log?.(`${path}: ${this.info.hardwareNote}`);
  }

  /** Starts at the file's first frame (or `positionS`), now. */
  start(onFrame: (frame: VideoFrame) => void): void {
    if (this.started) return;
    this.started = true;
    this.onFrame = onFrame;
    this.anchorClock = this.opts.clock.now();
    this.anchorMedia = 0;
    this.loopIndex = 0;
    this.state = { state: 'running', message: this.describe() };
    const at = (this.opts.positionS ?? 0) * 1000;
    if (at > 0) this.seekMedia(at);
    else this.pending = this.decodeNext();
    if (!this.pending) {
      this.fail(
        `${this.path} holds no frame that decodes${this.reader.errors.length ? ` (${this.reader.errors[0]})` : ''}`,
      );
      return;
    }
    this.tick();
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = null;
    this.onFrame = null;
    this.pending = null;
    this.reader.close();
    this.sws.close();
    if (this.state.state !== 'error') this.state = { state: 'closed' };
  }

  status(): AdapterStatus {
    return this.state;
  }

  counters(): VideoFileCounters {
    return { ...this.count };
  }

  /** Changes the speed from now on (the frame shown now stays where it is). */
  setSpeed(speed: number): void {
    const s = clampSpeed(speed);
    if (s === this.speed) return;
    const now = this.opts.clock.now();
    this.anchorMedia = this.mediaAt(now);
    this.anchorClock = now;
    this.speed = s;
    this.reschedule();
  }

  /** Jumps to `seconds` from the first frame (within one loop), now. */
  seek(seconds: number): void {
    if (!this.started || !this.onFrame) {
      this.opts.positionS = seconds;
      return;
    }
    this.cancel?.();
    this.cancel = null;
    this.anchorClock = this.opts.clock.now();
    this.seekMedia(Math.max(0, seconds * 1000));
    if (!this.pending) {
      this.fail(`${this.path}: nothing decodes at ${seconds} s`);
      return;
    }
    this.tick();
  }

  /** Where in the media (ms, counting loops) the clock time `t` falls. */
  private mediaAt(t: number): number {
    return this.anchorMedia + (t - this.anchorClock) * this.speed;
  }

  private dueAt(media: number): number {
    return this.anchorClock + (media - this.anchorMedia) / this.speed;
  }

  /** Seeks the reader so the next frame shown is the one at `ms` (in the current loop). */
  private seekMedia(ms: number): void {
    const inLoop = this.loopMs > 0 ? ms % this.loopMs : ms;
    this.reader.seek(inLoop);
    this.frameInPass = 0;
    this.pending = null;
    // Decode from the keyframe up to the target; the last frame before it is shown first.
    let f = this.decodeNext();
    while (f) {
      const next = f.media - this.loopIndex * this.loopMs >= inLoop - SNAP_MS ? null : this.decodeNext();
      if (!next) break;
      f = next;
    }
    this.pending = f;
    if (f) this.anchorMedia = f.media;
  }

  /** Decodes the next frame (looping at the end); null when the file has nothing more. */
  private decodeNext(): { media: number; frame: import('node-av/lib').Frame } | null {
    let d = this.reader.next();
    if (!d) {
      if (this.reader.errors.length) this.noteErrors();
      if (this.opts.loop === false) return null;
      if (this.passFrames === 0) this.passFrames = this.frameInPass;
      if (this.frameInPass === 0) return null; // nothing decoded in a whole pass
      this.endPass();
      this.reader.seek(0);
      d = this.reader.next();
      if (!d) return null;
    }
    this.count.decoded++;
    let pts = Number.isFinite(d.ptsMs) ? d.ptsMs : this.frameInPass * this.frameMs;
    // Containers store rounded times (WebM: whole ms). On a regular grid use the exact grid, or
    // 30 loops of a 30-frame clip would drift by 30 × the rounding.
    if (this.frameMs > 0) {
      const k = Math.round(pts / this.frameMs);
      if (this.gridOk && Math.abs(pts - k * this.frameMs) <= SNAP_MS) pts = k * this.frameMs;
      else this.gridOk = false;
    }
    if (pts > this.lastPts) this.lastPts = pts;
    this.frameInPass++;
    return { media: this.loopIndex * this.loopMs + pts, frame: d.frame };
  }

  /** The end of a pass: fix the loop length (first time) and count the loop. */
  private endPass(): void {
    if (this.loopMs === 0) {
      const spacing =
        this.frameMs > 0 ? this.frameMs : this.passFrames > 1 ? this.lastPts / (this.passFrames - 1) : 33.333;
      // Last frame + one frame: a 30-frame loop at 30 fps lasts exactly 1000 ms.
      this.loopMs = Math.max(1, this.lastPts + spacing);
    }
    this.loopIndex++;
    this.count.loops++;
    this.frameInPass = 0;
  }

  private tick(): void {
    this.cancel = null;
    if (!this.onFrame) return;
    const now = this.opts.clock.now();
    let shown: { media: number; frame: import('node-av/lib').Frame } | null = null;
    // Decode every frame due by now, in order; show the newest.
    while (this.pending && this.dueAt(this.pending.media) <= now + EPS_MS) {
      if (shown) this.count.skipped++;
      shown = this.pending;
      this.pending = this.decodeNext();
    }
    if (shown) this.emit(shown.frame, this.dueAt(shown.media));
    if (!this.pending) {
      if (this.opts.loop === false) this.state = { state: 'idle', message: 'reached the end of the file' };
      else if (this.state.state !== 'error')
        this.fail(`${this.path}: decoding stopped (${this.reader.errors[0] ?? 'no frames'})`);
      return;
    }
    this.reschedule();
  }

  private reschedule(): void {
    this.cancel?.();
    this.cancel = null;
    if (!this.pending || !this.onFrame) return;
    const wait = this.dueAt(this.pending.media) - this.opts.clock.now();
    this.cancel = this.opts.clock.setTimeout(() => this.tick(), Math.max(0, wait - EPS_MS));
  }

  private emit(frame: import('node-av/lib').Frame, due: number): void {
    if (!this.onFrame) return;
    let out: VideoFrame;
    try {
      out = this.sws.frameToI420(frame, due, this.seq);
    } catch (error) {
      this.count.errors++;
      this.state = { state: 'running', message: `${this.path}: ${(error as Error).message}` };
      return;
    }
    this.seq++;
    this.count.frames++;
    this.onFrame(out);
  }

  private noteErrors(): void {
    const e = this.reader.errors.splice(0);
    this.count.errors += e.length;
    this.state = { state: 'running', message: `${this.describe()}; ${e[0]}` };
    this.opts.log?.(e[0]!);
  }

  private fail(message: string): void {
    this.state = { state: 'error', message };
    this.opts.log?.(message);
  }

  private describe(): string {
    const i = this.info;
    const hw = i.hardware ? `, ${i.hardware} decode` : '';
    return `${i.codec} ${i.width}×${i.height}${i.fps ? ` @ ${Math.round(i.fps * 100) / 100} fps` : ''}${hw}`;
  }
}

function clampSpeed(s: number): number {
  if (!Number.isFinite(s) || s <= 0) return 1;
  return Math.min(MAX_SPEED, Math.max(MIN_SPEED, s));
}
