import type { VideoFrame } from '../../nodes';
import type { Clock } from '../clock';
import { Vp8Decoder } from '../media';
import type { AdapterCounters, AdapterStatus, VideoSourceAdapter } from './types';
import { readVideoFile, type VideoFileData } from './webm/reader';

/**
 * The Camera node's `video_file` mode: loops a WebM or IVF (VP8) file at the file's own frame
 * times on the injected clock. Frame k of loop L is due at `loopStart + L·duration + pts[k]`, so
 * timing is computed from the start and never accumulates error (no drift). When the clock
 * jumps ahead, late frames are decoded (VP8 frames depend on the previous ones) but only the
 * one due now is shown; skipped frames are counted.
 */

export interface VideoFileSourceOptions {
  clock: Clock;
  /** Loop at the end (default true); false stops after the last frame. */
  loop?: boolean;
  log?: (line: string) => void;
}

/** Counters for a file source. */
export interface VideoFileCounters extends AdapterCounters {
  loops: number;
  /** Frames decoded but not shown because a later one was already due. */
  skipped: number;
}

/**
 * Loops a parsed file or a path. Throws a VideoFileError (naming the file) when it cannot be
 * read; decode errors at run time are counted and shown in `status()`.
 *
 * @example
 * const src = new VideoFileSource('clip.webm', { clock: realClock });
 * src.start((frame) => show(frame));
 */
export class VideoFileSource implements VideoSourceAdapter {
  readonly kind = 'video_file';
  readonly file: VideoFileData;
  private decoder: Vp8Decoder | null = null;
  private cancel: (() => void) | null = null;
  private onFrame: ((frame: VideoFrame) => void) | null = null;
  private loopStart = 0;
  private loopIndex = 0;
  /** Next frame index to decode. */
  private next = 0;
  private seq = 0;
  private state: AdapterStatus = { state: 'idle' };
  private readonly count: VideoFileCounters = { frames: 0, dropped: 0, errors: 0, loops: 0, skipped: 0 };

  constructor(
    source: string | VideoFileData,
    private readonly opts: VideoFileSourceOptions,
  ) {
    this.file = typeof source === 'string' ? readVideoFile(source) : source;
  }

  /** Starts at the file's first frame, now. */
  start(onFrame: (frame: VideoFrame) => void): void {
    if (this.decoder) return;
    this.onFrame = onFrame;
    this.decoder = new Vp8Decoder();
    this.loopStart = this.opts.clock.now();
    this.loopIndex = 0;
    this.next = 0;
    this.state = { state: 'running' };
    this.tick();
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = null;
    this.decoder?.close();
    this.decoder = null;
    this.onFrame = null;
    if (this.state.state !== 'error') this.state = { state: 'closed' };
  }

  status(): AdapterStatus {
    return this.state;
  }

  counters(): VideoFileCounters {
    return { ...this.count };
  }

  /** When frame `index` of loop `loop` is due on the clock. */
  dueAt(loop: number, index: number): number {
    return this.loopStart + loop * this.file.durationMs + this.file.frames[index]!.ptsMs;
  }

  private tick(): void {
    const dec = this.decoder;
    if (!dec) return;
    const frames = this.file.frames;
    const now = this.opts.clock.now();
    let shown: VideoFrame | null = null;
    let dueShown = 0;
    // Decode every frame that is due by now, in order; show the newest.
    while (this.dueAt(this.loopIndex, this.next) <= now) {
      const due = this.dueAt(this.loopIndex, this.next);
      const r = dec.decode(frames[this.next]!.data, due, this.seq);
      if (r.ok) {
        if (shown) this.count.skipped++;
        shown = r.frame;
        dueShown = due;
      } else {
        this.count.errors++;
        this.state = {
          state: 'running',
          message: `frame ${this.next} of the file did not decode: ${r.error}`,
        };
      }
      this.next++;
      if (this.next >= frames.length) {
        if (this.opts.loop === false) {
          this.emit(shown, dueShown);
          this.state = { state: 'idle', message: 'reached the end of the file' };
          return;
        }
        this.next = 0;
        this.loopIndex++;
        this.count.loops++;
      }
    }
    this.emit(shown, dueShown);
    const wait = this.dueAt(this.loopIndex, this.next) - this.opts.clock.now();
    this.cancel = this.opts.clock.setTimeout(() => this.tick(), Math.max(0, wait));
  }

  private emit(frame: VideoFrame | null, due: number): void {
    if (!frame || !this.onFrame) return;
    frame.timestampMs = due;
    frame.seq = this.seq++;
    this.count.frames++;
    this.onFrame(frame);
  }
}
