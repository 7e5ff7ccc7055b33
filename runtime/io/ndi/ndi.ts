import type { VideoFrame } from '../../../nodes';
import type { Clock } from '../../clock';
import { fromI420, stridedI420ToI420, toI420 } from '../convert';
import type { AdapterCounters, AdapterStatus, VideoSinkAdapter, VideoSourceAdapter } from '../types';
import {
  FOURCC,
  FRAME_FORMAT_PROGRESSIVE,
  FRAME_TYPE,
  loadNdi,
  RECV_BANDWIDTH_HIGHEST,
  RECV_COLOR_UYVY_BGRA,
  TIMECODE_SYNTHESIZE,
  type NdiLib,
  type NdiLoadOptions,
  type NdiVideoFrame,
} from './binding';

/**
 * NDI receive and send as Patchbay sources and sinks, over the binding in ./binding.ts.
 * Receiving runs NDI's blocking capture on koffi's worker thread (100 ms at a time), so the
 * event loop never waits on the network; sending converts I420 → UYVY (NDI's native layout).
 */

/** An NDI source on the network. */
export interface NdiSourceInfo {
  name: string;
  url: string;
}

/**
 * Lists the NDI sources visible within `timeoutMs` (NDI's discovery is asynchronous).
 *
 * @example const sources = await findNdiSources(loadNdi(), 1000);
 */
export async function findNdiSources(lib: NdiLib, timeoutMs = 1000): Promise<NdiSourceInfo[]> {
  const finder = lib.findCreate({ show_local_sources: true, p_groups: null, p_extra_ips: null });
  if (!finder) throw new Error('NDIlib_find_create_v2 returned no finder');
  try {
    await lib.findWaitForSources(finder, Math.max(0, Math.min(10_000, Math.round(timeoutMs))));
    return lib.findCurrentSources(finder);
  } finally {
    lib.findDestroy(finder);
  }
}

/**
 * The full NDI name for what a user typed: an exact name wins; otherwise "Resolume" matches
 * "HOST (Resolume)". Null when nothing matches.
 */
export function matchNdiSource(sources: readonly NdiSourceInfo[], wanted: string): NdiSourceInfo | null {
  const exact = sources.find((s) => s.name === wanted);
  if (exact) return exact;
  const lower = wanted.trim().toLowerCase();
  return sources.find((s) => /\(([^)]*)\)\s*$/.exec(s.name)?.[1]?.toLowerCase() === lower) ?? null;
}

/** Converts a captured NDI frame to I420; throws a RangeError for a layout Patchbay cannot read. */
export function ndiFrameToI420(
  lib: NdiLib,
  f: NdiVideoFrame,
): { width: number; height: number; data: Uint8Array } {
  const { xres: w, yres: h, FourCC: cc, line_stride_in_bytes: stride } = f;
  if (!(w >= 2 && h >= 2 && w <= 16384 && h <= 16384))
    throw new RangeError(`NDI frame size ${w}×${h} is invalid`);
  const view = (bytes: number) => lib.view(f.p_data, bytes);
  let data: Uint8Array;
  switch (cc) {
    case FOURCC.UYVY:
    case FOURCC.UYVA: // UYVA: a UYVY plane followed by alpha; the alpha is not used
      data = toI420('uyvy', view(stride * h), w, h, stride);
      break;
    case FOURCC.BGRA:
    case FOURCC.BGRX:
      data = toI420('bgra', view(stride * h), w, h, stride);
      break;
    case FOURCC.RGBA:
    case FOURCC.RGBX:
      data = toI420('rgba', view(stride * h), w, h, stride);
      break;
    case FOURCC.I420:
      data = stridedI420ToI420(view(stride * h + 2 * (stride >> 1) * (h >> 1)), w, h, stride);
      break;
    case FOURCC.NV12:
      data = toI420('nv12', view(stride * h + stride * (h >> 1)), w, h, stride);
      break;
    default: {
      const text = String.fromCharCode(cc & 0xff, (cc >>> 8) & 0xff, (cc >>> 16) & 0xff, (cc >>> 24) & 0xff);
      throw new RangeError(
        `NDI pixel format "${text}" is not supported (UYVY, BGRA/X, RGBA/X, I420, NV12 are)`,
      );
    }
  }
  return { width: w & ~1, height: h & ~1, data };
}

export interface NdiSourceOptions {
  /** Source name: the full NDI name "HOST (Name)", or just "Name". */
  name: string;
  clock: Clock;
  /** The library (default: loadNdi()). */
  lib?: NdiLib;
  load?: NdiLoadOptions;
  /** How long one capture call may block on the worker thread (default 100 ms). */
  captureTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Receives an NDI source as I420 frames, stamped with the runtime clock on arrival.
 * Throws IoUnavailableError at construction when the NDI runtime is missing.
 */
export class NdiSource implements VideoSourceAdapter {
  readonly kind = 'ndi';
  private readonly lib: NdiLib;
  private recv: unknown = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private seq = 0;
  private lastProblem = '';
  private state: AdapterStatus;
  private readonly count: AdapterCounters = { frames: 0, dropped: 0, errors: 0 };
  /** The full name connected to (after matching a short name). */
  connectedTo = '';

  constructor(private readonly opts: NdiSourceOptions) {
    if (!opts.name.trim()) throw new RangeError('NDI receive: the source name is empty');
    this.lib = opts.lib ?? loadNdi(opts.load);
    this.state = { state: 'waiting', message: `looking for NDI source "${opts.name}"` };
  }

  start(onFrame: (frame: VideoFrame) => void): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run(onFrame).catch((error: unknown) => {
      this.count.errors++;
      this.state = { state: 'error', message: `NDI receive stopped: ${(error as Error).message}` };
      this.opts.log?.(this.state.message!);
    });
  }

  private async run(onFrame: (frame: VideoFrame) => void): Promise<void> {
    const { lib, opts } = this;
    let target = opts.name;
    if (!/\(.*\)\s*$/.test(target)) {
      // A short name: ask discovery for the full one ("HOST (Name)").
      const found = matchNdiSource(await findNdiSources(lib, 1000), target);
      if (found) target = found.name;
    }
    if (!this.running) return;
    this.connectedTo = target;
    this.recv = lib.recvCreate({
      source: { name: target, url: null },
      colorFormat: RECV_COLOR_UYVY_BGRA,
      bandwidth: RECV_BANDWIDTH_HIGHEST,
      allowVideoFields: false,
      recvName: 'Patchbay',
    });
    if (!this.recv) throw new Error('NDIlib_recv_create_v3 returned no receiver');
    this.state = { state: 'waiting', message: `waiting for frames from NDI source "${target}"` };
    const timeout = opts.captureTimeoutMs ?? 100;
    while (this.running) {
      const frame: Partial<NdiVideoFrame> = {};
      const type = await lib.recvCapture(this.recv, frame, timeout);
      if (type === FRAME_TYPE.error) {
        this.state = { state: 'waiting', message: `NDI source "${target}" is not connected; retrying` };
        continue;
      }
      if (type !== FRAME_TYPE.video) continue;
      try {
        // Copy out before freeing: the SDK reuses the buffer.
        const img = ndiFrameToI420(lib, frame as NdiVideoFrame);
        if (!this.running) continue;
        this.count.frames++;
        // A dropped frame stays visible (with the count) after good ones follow.
        this.state = this.lastProblem
          ? { state: 'running', message: `${this.count.dropped} frame(s) dropped; last: ${this.lastProblem}` }
          : { state: 'running' };
        onFrame({ ...img, timestampMs: opts.clock.now(), seq: this.seq++ });
      } catch (error) {
        this.count.dropped++;
        this.lastProblem = (error as Error).message;
        this.state = { state: 'running', message: this.lastProblem };
      } finally {
        lib.recvFreeVideo(this.recv, frame);
      }
    }
  }

  /** Stops capturing (waits for the capture in flight) and destroys the receiver. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.loop = null;
    if (this.recv) this.lib.recvDestroy(this.recv);
    this.recv = null;
    if (this.state.state !== 'error') this.state = { state: 'closed' };
  }

  status(): AdapterStatus {
    return this.state;
  }

  counters(): AdapterCounters {
    return { ...this.count };
  }
}

export interface NdiSinkOptions {
  /** The sender name others see ("HOST (name)"). */
  name: string;
  /** Frame rate announced with each frame (default 30). */
  fps?: number;
  lib?: NdiLib;
  load?: NdiLoadOptions;
}

/**
 * Sends I420 frames as an NDI source (UYVY). Throws IoUnavailableError at construction when
 * the NDI runtime is missing.
 */
export class NdiSink implements VideoSinkAdapter {
  readonly kind = 'ndi';
  private readonly lib: NdiLib;
  private sender: unknown;
  private buf = new Uint8Array(0);
  private state: AdapterStatus = { state: 'idle' };
  private readonly count: AdapterCounters = { frames: 0, dropped: 0, errors: 0 };

  constructor(private readonly opts: NdiSinkOptions) {
    if (!opts.name.trim()) throw new RangeError('NDI send: the sender name is empty');
    this.lib = opts.lib ?? loadNdi(opts.load);
    this.sender = this.lib.sendCreate({
      p_ndi_name: opts.name,
      p_groups: null,
      clock_video: false,
      clock_audio: false,
    });
    if (!this.sender) throw new Error(`NDIlib_send_create refused the sender name "${opts.name}"`);
    this.state = { state: 'running', message: `sending as "${opts.name}"` };
  }

  send(frame: VideoFrame): boolean {
    if (!this.sender) return false;
    try {
      const need = frame.width * frame.height * 2;
      if (this.buf.length !== need) this.buf = new Uint8Array(need);
      fromI420(frame, 'uyvy', this.buf);
      const fps = this.opts.fps ?? 30;
      this.lib.sendVideo(this.sender, {
        xres: frame.width,
        yres: frame.height,
        FourCC: FOURCC.UYVY,
        frame_rate_N: Math.round(fps * 1000),
        frame_rate_D: 1000,
        picture_aspect_ratio: frame.width / frame.height,
        frame_format_type: FRAME_FORMAT_PROGRESSIVE,
        timecode: TIMECODE_SYNTHESIZE,
        p_data: this.buf,
        line_stride_in_bytes: frame.width * 2,
        p_metadata: null,
        timestamp: 0,
      });
      this.count.frames++;
      return true;
    } catch (error) {
      this.count.dropped++;
      this.state = { state: 'running', message: `frame not sent: ${(error as Error).message}` };
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.sender) this.lib.sendDestroy(this.sender);
    this.sender = null;
    this.state = { state: 'closed' };
  }

  status(): AdapterStatus {
    return this.state;
  }

  counters(): AdapterCounters {
    return { ...this.count };
  }
}
