import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { i420Size, type VideoFrame } from '../../nodes';
import {
  ClipWriter,
  RECORD_FORMAT_INFO,
  RECORD_FORMATS,
  type ClipSummary,
  type RecordFormat,
} from './av/clip-writer';
import type { AdapterCounters, AdapterStatus, VideoSinkAdapter } from './types';

/**
 * Records I420 frames through FFmpeg's encoders and muxers (runtime/io/av): WebM/VP8 (libvpx),
 * MP4/H.264 (libx264, or NVENC when it opens) or MOV/ProRes 422 (prores_ks). Files are
 * `<prefix>-<UTC timestamp>.<ext>` in the recordings folder. Frame times come from the frames
 * themselves (the runtime clock), so a recording lasts as long as what it saw.
 */

/** What a finished recording holds. */
export type RecordingSummary = ClipSummary;

export interface RecorderOptions {
  /** Folder for the files (created when missing). */
  dir: string;
  /** File name prefix: letters, digits, space, dot, dash, underscore (default "patchbay"). */
  prefix?: string;
  /** Nominal frame rate for the encoder and the file's DefaultDuration (default 30). */
  fps?: number;
  /** Encoder bitrate (default 4000 kbit/s: a recording is kept, so more than the live stream). */
  bitrateKbps?: number;
  /** File kind (default "webm"); `setFormat` changes it for the next file. */
  format?: RecordFormat;
  /** Tags written into each file as it opens (the `.patch` that made it: runtime/io/embed.ts). */
  metadata?: () => Record<string, string> | undefined;
  /** NVENC for MP4 when it opens ("auto", default) or never ("none"). */
  hwaccel?: 'auto' | 'none';
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
  private writer: ClipWriter | null = null;
  /** The finished name; the writer writes `<path>.part` until close. */
  private path: string | null = null;
  private active = false;
  private message: string | undefined;
  private lastError: string | undefined;
  private readonly finished: RecordingSummary[] = [];
  private readonly count: AdapterCounters = { frames: 0, dropped: 0, errors: 0 };
  private prefix: string;
  private format: RecordFormat;

  constructor(private readonly opts: RecorderOptions) {
    this.prefix = opts.prefix ?? 'patchbay';
    const problem = prefixProblem(this.prefix);
    if (problem) throw new RangeError(problem);
    this.format = opts.format ?? 'webm';
    if (!RECORD_FORMATS.includes(this.format))
      throw new RangeError(
        `recording format "${String(this.format)}" is not one of ${RECORD_FORMATS.join(', ')}`,
      );
  }

  /** True between start() and stop(). */
  get recording(): boolean {
    return this.active;
  }

  /** The file being written, or null. */
  get currentPath(): string | null {
    return this.path;
  }

  /** Files finished by this recorder, oldest first. */
  files(): readonly RecordingSummary[] {
    return this.finished;
  }

  /** The file kind for the next file (the one being written keeps its own). */
  setFormat(format: RecordFormat): void {
    if (!RECORD_FORMATS.includes(format))
      throw new RangeError(`recording format "${String(format)}" is not one of ${RECORD_FORMATS.join(', ')}`);
    this.format = format;
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
      const need = i420Size(frame.width, frame.height);
      if (!(frame.data instanceof Uint8Array) || frame.data.length < need)
        throw new RangeError(
          `a ${frame.width}×${frame.height} I420 needs ${need} bytes, the frame has ${frame.data?.length ?? 0}`,
        );
      if (!this.writer || this.size[0] !== frame.width || this.size[1] !== frame.height) this.open(frame);
      this.writer!.write(frame);
      this.count.frames++;
      return true;
    } catch (error) {
      this.count.errors++;
      this.lastError = `recording failed: ${(error as Error).message}`;
      this.opts.log?.(this.lastError);
      if (this.writer) {
        // A frame the encoder refused: keep what was written so far as a file.
        this.closeFile();
      }
      this.active = false;
      return false;
    }
  }

  /** Stops and finishes the file; returns it, or null when no frame arrived. */
  stop(): RecordingSummary | null {
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
      ? {
          state: 'running',
          message: `recording to ${this.path} (${RECORD_FORMAT_INFO[this.writingFormat].codec}, ${this.writer.encoder})`,
        }
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
    const ext = RECORD_FORMAT_INFO[this.format].ext;
    const stamp = fileTimestamp((this.opts.wallClock ?? (() => new Date()))());
    let path = join(this.opts.dir, `${this.prefix}-${stamp}.${ext}`);
    for (let n = 2; existsSync(path) || existsSync(`${path}.part`); n++)
      path = join(this.opts.dir, `${this.prefix}-${stamp}-${n}.${ext}`);
    const metadata = this.opts.metadata?.();
    this.writer = new ClipWriter(`${path}.part`, {
      format: this.format,
      width: frame.width,
      height: frame.height,
      fps: Math.min(240, Math.max(1, fps)),
      bitrateKbps: this.opts.bitrateKbps ?? 4000,
      hwaccel: this.opts.hwaccel ?? 'auto',
      ...(metadata ? { metadata } : {}),
    });
    this.writingFormat = this.format;
    this.path = path;
    this.size = [frame.width, frame.height];
    this.message = undefined;
  }

  private writingFormat: RecordFormat = 'webm';

  private closeFile(): RecordingSummary | null {
    const w = this.writer;
    const path = this.path;
    this.writer = null;
    this.path = null;
    this.size = [0, 0];
    if (!w || !path) return null;
    try {
      const s = { ...w.close(), path };
      // Only a finished file gets its real name, so a half-written one is never served.
      renameSync(`${path}.part`, path);
      this.finished.push(s);
      this.message = `last file: ${path} (${s.frames} frames)`;
      return s;
    } catch (error) {
      this.count.errors++;
      this.lastError = `finishing ${path} failed: ${(error as Error).message}`;
      return null;
    }
  }
}
