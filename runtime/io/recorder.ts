import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VideoFrame } from '../../nodes';
import { Vp8Encoder } from '../media';
import type { AdapterCounters, AdapterStatus, VideoSinkAdapter } from './types';
import { WebmWriter, type WebmSummary } from './webm/writer';

/**
 * Records I420 frames to WebM (VP8) with the product's own encoder (runtime/media Vp8Encoder).
 * Files are `<prefix>-<UTC timestamp>.webm` in the recordings folder. Frame times come from the
 * frames themselves (the runtime clock), so a recording lasts as long as what it saw.
 */

export interface RecorderOptions {
  /** Folder for the files (created when missing). */
  dir: string;
  /** File name prefix: letters, digits, space, dot, dash, underscore (default "patchbay"). */
  prefix?: string;
  /** Nominal frame rate for the encoder and the file's DefaultDuration (default 30). */
  fps?: number;
  /** Encoder bitrate (default 4000 kbit/s: a recording is kept, so more than the live stream). */
  bitrateKbps?: number;
  /** Wall-clock time for file names (injected in tests). */
  wallClock?: () => Date;
  log?: (line: string) => void;
}

const PREFIX_RE = /^[A-Za-z0-9._ -]{1,128}$/;

/** `2025-03-01T20-15-03-120Z`: sortable, and safe in file names on every platform. */
export function fileTimestamp(d: Date): string {
  return d.toISOString().replace(/:/g, '-').replace('.', '-');
}

/** Checks a file name prefix; returns the problem, or null. */
export function prefixProblem(prefix: string): string | null {
  if (!PREFIX_RE.test(prefix) || prefix.startsWith('.'))
    return `recording name "${prefix.slice(0, 40)}" may use only letters, digits, space, dot, dash and underscore (1–128, not starting with a dot)`;
  return null;
}

/**
 * A recorder: `start()` opens a new file on the next frame, `send(frame)` encodes and writes,
 * `stop()` finishes the file and returns what it holds. A frame of a new size ends the file and
 * starts another (a WebM track has one size).
 *
 * @example
 * const rec = new Recorder({ dir: 'recordings', prefix: 'set' });
 * rec.start(); for (const f of frames) rec.send(f); const { path, frames } = rec.stop()!;
 */
export class Recorder implements VideoSinkAdapter {
  readonly kind = 'record';
  private encoder: Vp8Encoder | null = null;
  private writer: WebmWriter | null = null;
  private active = false;
  private message: string | undefined;
  private lastError: string | undefined;
  private readonly finished: WebmSummary[] = [];
  private readonly count: AdapterCounters = { frames: 0, dropped: 0, errors: 0 };
  private prefix: string;

  constructor(private readonly opts: RecorderOptions) {
    this.prefix = opts.prefix ?? 'patchbay';
    const problem = prefixProblem(this.prefix);
    if (problem) throw new RangeError(problem);
  }

  /** True between start() and stop(). */
  get recording(): boolean {
    return this.active;
  }

  /** The file being written, or null. */
  get currentPath(): string | null {
    return this.writer?.path ?? null;
  }

  /** Files finished by this recorder, oldest first. */
  files(): readonly WebmSummary[] {
    return this.finished;
  }

  /** Changes the prefix for the next file. */
  setPrefix(prefix: string): void {
    const problem = prefixProblem(prefix);
    if (problem) throw new RangeError(problem);
    this.prefix = prefix;
  }

  /** Starts recording (the file opens with the first frame). No-op while recording. */
  start(): void {
    this.active = true;
  }

  /** Encodes and writes a frame while recording; false when not recording or dropped. */
  send(frame: VideoFrame): boolean {
    if (!this.active) return false;
    try {
      if (!this.writer || this.size[0] !== frame.width || this.size[1] !== frame.height) this.open(frame);
      const enc = this.encoder!.encode(frame);
      if (!enc) {
        this.count.dropped++;
        return false;
      }
      this.writer!.addFrame(enc.data, frame.timestampMs, enc.keyframe);
      this.count.frames++;
      return true;
    } catch (error) {
      this.count.errors++;
      this.lastError = `recording failed: ${(error as Error).message}`;
      this.opts.log?.(this.lastError);
      this.closeFile();
      this.active = false;
      return false;
    }
  }

  /** Stops and finishes the file; returns it, or null when no frame arrived. */
  stop(): WebmSummary | null {
    this.active = false;
    return this.closeFile();
  }

  async close(): Promise<void> {
    this.stop();
  }

  status(): AdapterStatus {
    if (this.lastError) return { state: 'error', message: this.lastError };
    if (!this.active) return { state: 'idle', ...(this.message ? { message: this.message } : {}) };
    return this.writer
      ? { state: 'running', message: `recording to ${this.writer.path}` }
      : { state: 'waiting', message: 'recording starts with the next frame' };
  }

  counters(): AdapterCounters {
    return { ...this.count };
  }

  private size: [number, number] = [0, 0];

  private open(frame: VideoFrame): void {
    if (this.writer) {
      this.opts.log?.(`recording: frame size changed to ${frame.width}×${frame.height}; starting a new file`);
      this.closeFile();
    }
    mkdirSync(this.opts.dir, { recursive: true });
    const fps = this.opts.fps ?? 30;
    const stamp = fileTimestamp((this.opts.wallClock ?? (() => new Date()))());
    let path = join(this.opts.dir, `${this.prefix}-${stamp}.webm`);
    for (let n = 2; existsSync(path) || existsSync(`${path}.part`); n++)
      path = join(this.opts.dir, `${this.prefix}-${stamp}-${n}.webm`);
    this.encoder = new Vp8Encoder({
      bitrateKbps: this.opts.bitrateKbps ?? 4000,
      fps: Math.min(240, Math.max(1, Math.round(fps))),
      // A keyframe every two seconds: players can seek, and a cut-off file still decodes.
      keyframeInterval: Math.max(1, Math.round(fps * 2)),
    });
    this.writer = new WebmWriter(path, {
      width: frame.width,
      height: frame.height,
      fps,
      writingApp: 'Patchbay',
    });
    this.size = [frame.width, frame.height];
    this.message = undefined;
  }

  private closeFile(): WebmSummary | null {
    const w = this.writer;
    this.writer = null;
    this.encoder?.close();
    this.encoder = null;
    this.size = [0, 0];
    if (!w) return null;
    try {
      const s = w.close();
      this.finished.push(s);
      this.message = `last file: ${s.path} (${s.frames} frames)`;
      return s;
    } catch (error) {
      this.count.errors++;
      this.lastError = `finishing ${w.path} failed: ${(error as Error).message}`;
      return null;
    }
  }
}
