import { createRequire } from 'node:module';
import type { VideoFrame } from '../../../nodes';
import type { Clock } from '../../clock';
import { SPOUT_INSTALL_HINT } from '../../host';
import { fromI420, toI420 } from '../convert';
import {
  IoUnavailableError,
  type AdapterCounters,
  type AdapterStatus,
  type VideoSinkAdapter,
  type VideoSourceAdapter,
} from '../types';

/**
 * Spout (Windows GPU texture sharing) behind the same source/sink interface as NDI. The native
 * side is SpoutLibrary.dll (Spout 2.007, "C-compatible" build): `GetSpout()` returns a
 * SPOUTLIBRARY object whose methods are reached through its virtual table with koffi. The
 * adapters only use {@link SpoutApi}, so they are tested against a fake object; on other
 * platforms loading reports "Spout exists on Windows only".
 */

/** GL pixel formats SpoutLibrary's image calls take. */
export const GL_RGBA = 0x1908;

/** The SPOUTLIBRARY methods Patchbay calls (one object per sender or receiver, as Spout asks). */
export interface SpoutApi {
  /** Creates a hidden OpenGL context: SendImage/ReceiveImage need one and Node has none. */
  createOpenGL(): boolean;
  closeOpenGL(): boolean;
  setSenderName(name: string): void;
  sendImage(pixels: Uint8Array, width: number, height: number, glFormat: number, invert: boolean): boolean;
  releaseSender(): void;
  setReceiverName(name: string): void;
  receiveImage(pixels: Uint8Array, glFormat: number, invert: boolean): boolean;
  isUpdated(): boolean;
  isConnected(): boolean;
  isFrameNew(): boolean;
  getSenderWidth(): number;
  getSenderHeight(): number;
  releaseReceiver(): void;
  /** Frees the object. */
  release(): void;
}

/**
 * Virtual-table slots in SpoutLibrary.h (Spout 2.007.x, built with a Windows 10+ SDK, so the
 * NTDDI_WIN10_RS4 block is present). Counted from the header's declarations; slots 0–23 come
 * before any overload or #ifdef and are the same in every 2.007 build.
 */
export const SPOUT_VTABLE = {
  SetSenderName: 0,
  ReleaseSender: 2,
  SendImage: 5,
  SetReceiverName: 14,
  ReleaseReceiver: 15,
  ReceiveImage: 17,
  IsUpdated: 18,
  IsConnected: 19,
  IsFrameNew: 20,
  GetSenderWidth: 22,
  GetSenderHeight: 23,
  CreateOpenGL: 133,
  CloseOpenGL: 134,
  Release: 148,
} as const;

/** What makes a SpoutApi object (the DLL on Windows, a fake in tests). */
export type SpoutFactory = () => SpoutApi;

export interface SpoutLoadOptions {
  platform?: NodeJS.Platform;
  /** Path of SpoutLibrary.dll (default: next to Patchbay or on PATH). */
  path?: string;
}

/**
 * Loads SpoutLibrary.dll and returns a factory of SPOUTLIBRARY objects. Throws
 * IoUnavailableError off Windows ("Spout exists on Windows only") or when the DLL is missing.
 */
export function loadSpout(opts: SpoutLoadOptions = {}): SpoutFactory {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'win32')
    throw new IoUnavailableError(`Spout exists on Windows only (this is ${platform})`, SPOUT_INSTALL_HINT);
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const path = opts.path ?? 'SpoutLibrary.dll';
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(path);
  } catch (error) {
    throw new IoUnavailableError(
      `SpoutLibrary.dll could not be loaded: ${(error as Error).message.split('\n')[0]}`,
      SPOUT_INSTALL_HINT,
    );
  }
  const getSpout = lib.func('__stdcall', 'GetSpout', 'void *', []);
  const proto = (name: string, ret: string, args: string[]) =>
    koffi.proto(`${ret} ${name}(void *self${args.map((a) => `, ${a}`).join('')})`);
  const P = {
    voidStr: proto('SpoutVoidStr', 'void', ['const char *']),
    voidDword: proto('SpoutVoidDword', 'void', ['uint32_t']),
    voidNone: proto('SpoutVoidNone', 'void', []),
    boolNone: proto('SpoutBoolNone', 'bool', []),
    uintNone: proto('SpoutUintNone', 'unsigned int', []),
    send: proto('SpoutSendImage', 'bool', [
      'const uint8_t *',
      'unsigned int',
      'unsigned int',
      'unsigned int',
      'bool',
    ]),
    receive: proto('SpoutReceiveImage', 'bool', ['uint8_t *', 'unsigned int', 'bool', 'unsigned int']),
  };
  return () => {
    const self = getSpout() as unknown;
    if (!self) throw new Error('GetSpout() returned no object');
    const vtable = koffi.decode(self, 'void *') as unknown;
    const slot = (i: number) => koffi.decode(vtable, i * koffi.sizeof('void *'), 'void *') as unknown;
    const call = <T>(i: number, p: ReturnType<typeof koffi.proto>, ...args: unknown[]) =>
      koffi.call(slot(i), p, self, ...args) as T;
    const V = SPOUT_VTABLE;
    return {
      createOpenGL: () => call<boolean>(V.CreateOpenGL, P.boolNone),
      closeOpenGL: () => call<boolean>(V.CloseOpenGL, P.boolNone),
      setSenderName: (name) => call<void>(V.SetSenderName, P.voidStr, name),
      sendImage: (px, w, h, fmt, inv) => call<boolean>(V.SendImage, P.send, px, w, h, fmt, inv),
      releaseSender: () => call<void>(V.ReleaseSender, P.voidDword, 0),
      setReceiverName: (name) => call<void>(V.SetReceiverName, P.voidStr, name),
      receiveImage: (px, fmt, inv) => call<boolean>(V.ReceiveImage, P.receive, px, fmt, inv, 0),
      isUpdated: () => call<boolean>(V.IsUpdated, P.boolNone),
      isConnected: () => call<boolean>(V.IsConnected, P.boolNone),
      isFrameNew: () => call<boolean>(V.IsFrameNew, P.boolNone),
      getSenderWidth: () => call<number>(V.GetSenderWidth, P.uintNone),
      getSenderHeight: () => call<number>(V.GetSenderHeight, P.uintNone),
      releaseReceiver: () => call<void>(V.ReleaseReceiver, P.voidNone),
      release: () => call<void>(V.Release, P.voidNone),
    };
  };
}

export interface SpoutSinkOptions {
  name: string;
  /** Default: loadSpout(). */
  factory?: SpoutFactory;
  load?: SpoutLoadOptions;
}

/** Publishes I420 frames as a Spout sender (RGBA through SendImage). */
export class SpoutSink implements VideoSinkAdapter {
  readonly kind = 'spout';
  private api: SpoutApi | null;
  private rgba = new Uint8Array(0);
  private state: AdapterStatus;
  private readonly count: AdapterCounters = { frames: 0, dropped: 0, errors: 0 };

  constructor(opts: SpoutSinkOptions) {
    if (!opts.name.trim()) throw new RangeError('Spout send: the sender name is empty');
    const api = (opts.factory ?? loadSpout(opts.load))();
    if (!api.createOpenGL()) {
      api.release();
      throw new Error('Spout: could not create the OpenGL context SendImage needs');
    }
    api.setSenderName(opts.name);
    this.api = api;
    this.state = { state: 'running', message: `sending as "${opts.name}"` };
  }

  send(frame: VideoFrame): boolean {
    if (!this.api) return false;
    try {
      const need = frame.width * frame.height * 4;
      if (this.rgba.length !== need) this.rgba = new Uint8Array(need);
      fromI420(frame, 'rgba', this.rgba);
      if (!this.api.sendImage(this.rgba, frame.width, frame.height, GL_RGBA, false)) {
        this.count.dropped++;
        this.state = { state: 'running', message: 'Spout refused a frame (SendImage returned false)' };
        return false;
      }
      this.count.frames++;
      return true;
    } catch (error) {
      this.count.errors++;
      this.state = { state: 'error', message: `Spout send failed: ${(error as Error).message}` };
      return false;
    }
  }

  async close(): Promise<void> {
    const api = this.api;
    this.api = null;
    if (!api) return;
    api.releaseSender();
    api.closeOpenGL();
    api.release();
    this.state = { state: 'closed' };
  }

  status(): AdapterStatus {
    return this.state;
  }

  counters(): AdapterCounters {
    return { ...this.count };
  }
}

export interface SpoutSourceOptions {
  /** Sender to receive from (empty: the active sender). */
  name: string;
  clock: Clock;
  /** How often to poll for a new frame (default 60 per second). */
  pollFps?: number;
  factory?: SpoutFactory;
  load?: SpoutLoadOptions;
}

/** Receives a Spout sender's frames (RGBA through ReceiveImage) as I420, polled on the clock. */
export class SpoutSource implements VideoSourceAdapter {
  readonly kind = 'spout';
  private api: SpoutApi | null;
  private rgba = new Uint8Array(4);
  private width = 0;
  private height = 0;
  private cancel: (() => void) | null = null;
  private seq = 0;
  private state: AdapterStatus;
  private readonly count: AdapterCounters = { frames: 0, dropped: 0, errors: 0 };

  constructor(private readonly opts: SpoutSourceOptions) {
    const api = (opts.factory ?? loadSpout(opts.load))();
    if (!api.createOpenGL()) {
      api.release();
      throw new Error('Spout: could not create the OpenGL context ReceiveImage needs');
    }
    if (opts.name) api.setReceiverName(opts.name);
    this.api = api;
    this.state = { state: 'waiting', message: `waiting for Spout sender "${opts.name || 'active sender'}"` };
  }

  start(onFrame: (frame: VideoFrame) => void): void {
    if (this.cancel || !this.api) return;
    const interval = 1000 / Math.min(240, Math.max(1, this.opts.pollFps ?? 60));
    const poll = (): void => {
      this.poll(onFrame);
      if (this.api) this.cancel = this.opts.clock.setTimeout(poll, interval);
    };
    poll();
  }

  private poll(onFrame: (frame: VideoFrame) => void): void {
    const api = this.api;
    if (!api) return;
    try {
      if (!api.receiveImage(this.rgba, GL_RGBA, false)) {
        if (this.state.state === 'running')
          this.state = {
            state: 'waiting',
            message: `Spout sender "${this.opts.name}" closed; waiting for it`,
          };
        return;
      }
      if (api.isUpdated()) {
        // The sender is new or changed size: size the buffer and take the next frame.
        this.width = api.getSenderWidth();
        this.height = api.getSenderHeight();
        this.rgba = new Uint8Array(Math.max(4, this.width * this.height * 4));
        return;
      }
      if (!api.isFrameNew() || this.width < 2 || this.height < 2) return;
      const data = toI420('rgba', this.rgba, this.width, this.height);
      this.count.frames++;
      this.state = { state: 'running' };
      onFrame({
        width: this.width & ~1,
        height: this.height & ~1,
        data,
        timestampMs: this.opts.clock.now(),
        seq: this.seq++,
      });
    } catch (error) {
      this.count.errors++;
      this.state = { state: 'error', message: `Spout receive failed: ${(error as Error).message}` };
    }
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = null;
    const api = this.api;
    this.api = null;
    if (!api) return;
    api.releaseReceiver();
    api.closeOpenGL();
    api.release();
    if (this.state.state !== 'error') this.state = { state: 'closed' };
  }

  status(): AdapterStatus {
    return this.state;
  }

  counters(): AdapterCounters {
    return { ...this.count };
  }
}
