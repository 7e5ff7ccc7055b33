import { createRequire } from 'node:module';
import { ndiLibraryCandidates, NDI_INSTALL_HINT } from '../../host';
import { IoUnavailableError } from '../types';

/**
 * A koffi binding of the NDI SDK's C API subset Patchbay uses (NDI 5/6, Processing.NDI.Lib.h):
 * initialize, find (v2), receive (v3: capture, free), send (video v2). Struct layouts are the
 * SDK's own (NDIlib_source_t, NDIlib_find_create_t, NDIlib_recv_create_v3_t,
 * NDIlib_video_frame_v2_t, NDIlib_send_create_t). The library is loaded at run time from
 * NDI_RUNTIME_DIR_V6/V5 or the standard names (runtime/host's list), so Patchbay installs and
 * runs without it; a machine without it gets the same reason and hint as /api/v1/hardware/info.
 */

const require = createRequire(import.meta.url);
type Koffi = typeof import('koffi');
type KoffiFunction = ReturnType<ReturnType<Koffi['load']>['func']>;

/** NDIlib_FourCC_video_type_e values (little-endian FourCC codes). */
export const FOURCC = {
  UYVY: 0x59565955,
  UYVA: 0x41565955,
  BGRA: 0x41524742,
  BGRX: 0x58524742,
  RGBA: 0x41424752,
  RGBX: 0x58424752,
  I420: 0x30323449,
  NV12: 0x3231564e,
} as const;

/** NDIlib_frame_type_e values returned by recv_capture_v3. */
export const FRAME_TYPE = { none: 0, video: 1, audio: 2, metadata: 3, error: 4, status_change: 100 } as const;
/** NDIlib_recv_color_format_e: UYVY when opaque, BGRA when the source has alpha. */
export const RECV_COLOR_UYVY_BGRA = 1;
/** NDIlib_recv_bandwidth_e highest. */
export const RECV_BANDWIDTH_HIGHEST = 100;
/** NDIlib_frame_format_type_e progressive. */
export const FRAME_FORMAT_PROGRESSIVE = 1;
/** NDIlib_send_timecode_synthesize: let NDI make the timecode. */
export const TIMECODE_SYNTHESIZE = 9223372036854775807n;

/** NDIlib_video_frame_v2_t as JS sees it. Pointers stay opaque so they go back unchanged. */
export interface NdiVideoFrame {
  xres: number;
  yres: number;
  FourCC: number;
  frame_rate_N: number;
  frame_rate_D: number;
  picture_aspect_ratio: number;
  frame_format_type: number;
  timecode: bigint | number;
  p_data: unknown;
  line_stride_in_bytes: number;
  p_metadata: unknown;
  timestamp: bigint | number;
}

/** The bound functions (opaque instance pointers are `unknown`). */
export interface NdiLib {
  readonly path: string;
  initialize(): boolean;
  findCreate(settings: {
    show_local_sources: boolean;
    p_groups: string | null;
    p_extra_ips: string | null;
  }): unknown;
  findWaitForSources(finder: unknown, timeoutMs: number): Promise<boolean>;
  findCurrentSources(finder: unknown): { name: string; url: string }[];
  findDestroy(finder: unknown): void;
  recvCreate(settings: {
    source: { name: string; url: string | null };
    colorFormat: number;
    bandwidth: number;
    allowVideoFields: boolean;
    recvName: string | null;
  }): unknown;
  /** Runs on koffi's worker thread (the call blocks up to timeoutMs). Resolves to the frame type. */
  recvCapture(recv: unknown, frame: Partial<NdiVideoFrame>, timeoutMs: number): Promise<number>;
  recvFreeVideo(recv: unknown, frame: Partial<NdiVideoFrame>): void;
  recvDestroy(recv: unknown): void;
  sendCreate(settings: {
    p_ndi_name: string;
    p_groups: string | null;
    clock_video: boolean;
    clock_audio: boolean;
  }): unknown;
  sendVideo(sender: unknown, frame: Omit<NdiVideoFrame, 'p_data'> & { p_data: Uint8Array }): void;
  sendDestroy(sender: unknown): void;
  /** A view on `bytes` bytes at a native pointer (no copy; copy before freeing the frame). */
  view(ptr: unknown, bytes: number): Uint8Array;
}

let types: ReturnType<typeof defineTypes> | null = null;

function defineTypes(koffi: Koffi) {
  const source = koffi.struct('NDIlib_source_t', {
    p_ndi_name: 'const char *',
    p_url_address: 'const char *',
  });
  const findCreate = koffi.struct('NDIlib_find_create_t', {
    show_local_sources: 'bool',
    p_groups: 'const char *',
    p_extra_ips: 'const char *',
  });
  const recvCreate = koffi.struct('NDIlib_recv_create_v3_t', {
    source_to_connect_to: source,
    color_format: 'int',
    bandwidth: 'int',
    allow_video_fields: 'bool',
    p_ndi_recv_name: 'const char *',
  });
  const videoFrame = koffi.struct('NDIlib_video_frame_v2_t', {
    xres: 'int',
    yres: 'int',
    FourCC: 'uint32_t',
    frame_rate_N: 'int',
    frame_rate_D: 'int',
    picture_aspect_ratio: 'float',
    frame_format_type: 'int',
    timecode: 'int64_t',
    // void* rather than uint8_t*/char*: the pointers the SDK hands out must go back to
    // recv_free_video_v2 unchanged, not as copies koffi made of them.
    p_data: 'void *',
    line_stride_in_bytes: 'int', // a union with data_size_in_bytes: both are int
    p_metadata: 'void *',
    timestamp: 'int64_t',
  });
  const sendCreate = koffi.struct('NDIlib_send_create_t', {
    p_ndi_name: 'const char *',
    p_groups: 'const char *',
    clock_video: 'bool',
    clock_audio: 'bool',
  });
  return { source, findCreate, recvCreate, videoFrame, sendCreate };
}

function loadKoffi(): Koffi {
  try {
    return require('koffi') as Koffi;
  } catch (error) {
    throw new IoUnavailableError(
      `the koffi FFI module could not be loaded (${(error as Error).message.split('\n')[0]})`,
      "Reinstall Patchbay (npm install) so koffi's prebuilt binary is present",
    );
  }
}

/** Where to look and what platform this is (injected in tests). */
export interface NdiLoadOptions {
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  /** Exact library paths to try instead of the standard list. */
  paths?: string[];
}

const loaded = new Map<string, NdiLib>();

/**
 * Loads the NDI runtime and initialises it (once per library path). Throws IoUnavailableError
 * with runtime/host's reason format and NDI_INSTALL_HINT when no candidate loads.
 */
export function loadNdi(opts: NdiLoadOptions = {}): NdiLib {
  const candidates =
    opts.paths ?? ndiLibraryCandidates(opts.platform ?? process.platform, opts.env ?? process.env);
  const koffi = loadKoffi();
  const reasons: string[] = [];
  for (const path of candidates) {
    const cached = loaded.get(path);
    if (cached) return cached;
    let lib: ReturnType<Koffi['load']>;
    try {
      lib = koffi.load(path);
    } catch (error) {
      reasons.push(`${path}: ${(error as Error).message.split('\n')[0]!.slice(0, 300)}`);
      continue;
    }
    let bound: NdiLib;
    try {
      bound = bind(koffi, lib, path);
    } catch (error) {
      throw new IoUnavailableError(
        `${path} loaded but is not a usable NDI runtime (${(error as Error).message.split('\n')[0]})`,
        NDI_INSTALL_HINT,
      );
    }
    if (!bound.initialize())
      throw new IoUnavailableError(
        'NDIlib_initialize() failed: this CPU is not supported by the NDI runtime',
        NDI_INSTALL_HINT,
      );
    loaded.set(path, bound);
    return bound;
  }
  throw new IoUnavailableError(
    `the NDI runtime library could not be loaded (${reasons[0] ?? 'no candidates'})`,
    NDI_INSTALL_HINT,
  );
}

function bind(koffi: Koffi, lib: ReturnType<Koffi['load']>, path: string): NdiLib {
  types ??= defineTypes(koffi);
  const t = types;
  type TypeSpec = Parameters<Koffi['out']>[0];
  const fn = (ret: string, name: string, args: unknown[]): KoffiFunction =>
    lib.func(name, ret, args as TypeSpec[]);
  const initialize = fn('bool', 'NDIlib_initialize', []);
  const findCreate = fn('void *', 'NDIlib_find_create_v2', [koffi.pointer(t.findCreate)]);
  const findWait = fn('bool', 'NDIlib_find_wait_for_sources', ['void *', 'uint32_t']);
  const findSources = fn('void *', 'NDIlib_find_get_current_sources', [
    'void *',
    koffi.out(koffi.pointer('uint32_t')),
  ]);
  const findDestroy = fn('void', 'NDIlib_find_destroy', ['void *']);
  const recvCreate = fn('void *', 'NDIlib_recv_create_v3', [koffi.pointer(t.recvCreate)]);
  const recvCapture = fn('int', 'NDIlib_recv_capture_v3', [
    'void *',
    koffi.out(koffi.pointer(t.videoFrame)),
    'void *',
    'void *',
    'uint32_t',
  ]);
  const recvFree = fn('void', 'NDIlib_recv_free_video_v2', ['void *', koffi.pointer(t.videoFrame)]);
  const recvDestroy = fn('void', 'NDIlib_recv_destroy', ['void *']);
  const sendCreate = fn('void *', 'NDIlib_send_create', [koffi.pointer(t.sendCreate)]);
  const sendVideo = fn('void', 'NDIlib_send_send_video_v2', ['void *', koffi.pointer(t.videoFrame)]);
  const sendDestroy = fn('void', 'NDIlib_send_destroy', ['void *']);

  return {
    path,
    initialize: () => initialize() as boolean,
    findCreate: (s) => findCreate(s),
    findWaitForSources: (finder, timeoutMs) =>
      new Promise((resolve, reject) =>
        findWait.async(finder, timeoutMs, (err: unknown, r: boolean) =>
          err ? reject(err as Error) : resolve(r),
        ),
      ),
    findCurrentSources(finder) {
      const count = [0];
      const ptr = findSources(finder, count);
      const n = count[0] ?? 0;
      if (!ptr || n <= 0) return [];
      const list = koffi.decode(ptr, koffi.array(t.source, n)) as {
        p_ndi_name: string | null;
        p_url_address: string | null;
      }[];
      return list.map((s) => ({ name: s.p_ndi_name ?? '', url: s.p_url_address ?? '' }));
    },
    findDestroy: (finder) => findDestroy(finder),
    recvCreate: (s) =>
      recvCreate({
        source_to_connect_to: { p_ndi_name: s.source.name, p_url_address: s.source.url },
        color_format: s.colorFormat,
        bandwidth: s.bandwidth,
        allow_video_fields: s.allowVideoFields,
        p_ndi_recv_name: s.recvName,
      }),
    recvCapture: (recv, frame, timeoutMs) =>
      new Promise((resolve, reject) =>
        recvCapture.async(recv, frame, null, null, timeoutMs, (err: unknown, r: number) =>
          err ? reject(err as Error) : resolve(r),
        ),
      ),
    recvFreeVideo: (recv, frame) => recvFree(recv, frame),
    recvDestroy: (recv) => recvDestroy(recv),
    sendCreate: (s) => sendCreate(s),
    sendVideo: (sender, frame) => sendVideo(sender, frame),
    sendDestroy: (sender) => sendDestroy(sender),
    view(ptr, bytes) {
      try {
        return new Uint8Array(koffi.view(ptr, bytes));
      } catch {
        // Runtimes that forbid external buffers (Electron) get a copy instead.
        return koffi.decode(ptr, koffi.array('uint8_t', bytes, 'Typed')) as Uint8Array;
      }
    },
  };
}
