import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStamp, testPatternFrame, type VideoFrame } from '../../../nodes';
import { NDI_INSTALL_HINT, probeNdi, realProbeEnv } from '../../host';
import { realClock } from '../../clock';
import { i420ToPacked, toI420 } from '../convert';
import { IoUnavailableError } from '../types';
import { FOURCC, loadNdi, type NdiLib } from './binding';
import { findNdiSources, matchNdiSource, NdiSink, NdiSource } from './ndi';

/**
 * The real binding against a stand-in NDI library compiled here from test/fake-ndi.c (the SDK's
 * function names and struct layouts; a loopback "network" that records what is sent and serves
 * it to receivers). Skipped, visibly, when this machine has no C compiler.
 */

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');

function findCompiler(): string | null {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!cc) continue;
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      /* try the next */
    }
  }
  return null;
}
const compiler = findCompiler();
if (!compiler)
  console.warn('NDI binding tests skipped: no C compiler (cc/gcc/clang) to build the stand-in library');

let dir = '';
let lib: NdiLib;
let fake: {
  counter: (what: string) => number;
  lastRecvSource: () => string;
  lastSent: (hdr: object, out: Uint8Array, cap: number) => number;
  addSource: (name: string) => void;
  queueFrame: (
    source: string,
    fourcc: number,
    w: number,
    h: number,
    stride: number,
    data: Uint8Array,
  ) => void;
  sizeofVideoFrame: () => number;
  sizeofRecvCreate: () => number;
};

describe.skipIf(!compiler)('NDI binding (stand-in library)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-ndi-'));
    // Named like the real runtime and found through NDI_RUNTIME_DIR_V6, as on a user's machine.
    execFileSync(compiler!, [
      '-shared',
      '-fPIC',
      '-O1',
      '-pthread',
      '-o',
      join(dir, 'libndi.so.6'),
      join(here, 'test/fake-ndi.c'),
    ]);
    lib = loadNdi({ platform: 'linux', env: { NDI_RUNTIME_DIR_V6: dir } });
    const raw = koffi.load(lib.path);
    const frameT = koffi.struct('fake_frame_hdr', {
      xres: 'int',
      yres: 'int',
      FourCC: 'uint32_t',
      frame_rate_N: 'int',
      frame_rate_D: 'int',
      picture_aspect_ratio: 'float',
      frame_format_type: 'int',
      timecode: 'int64_t',
      p_data: 'void *',
      line_stride_in_bytes: 'int',
      p_metadata: 'void *',
      timestamp: 'int64_t',
    });
    fake = {
      counter: raw.func('int fake_counter(const char *)'),
      lastRecvSource: raw.func('const char *fake_last_recv_source(void)'),
      lastSent: raw.func('fake_last_sent', 'int', [koffi.out(koffi.pointer(frameT)), 'uint8_t *', 'int']),
      addSource: raw.func('void fake_add_source(const char *)'),
      queueFrame: raw.func('void fake_queue_frame(const char *, uint32_t, int, int, int, const uint8_t *)'),
      sizeofVideoFrame: raw.func('int fake_sizeof_video_frame(void)'),
      sizeofRecvCreate: raw.func('int fake_sizeof_recv_create(void)'),
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads through NDI_RUNTIME_DIR_V6, initialises once, and agrees with C on the struct sizes', () => {
    expect(lib.path).toBe(join(dir, 'libndi.so.6'));
    expect(fake.counter('init')).toBe(1);
    expect(loadNdi({ platform: 'linux', env: { NDI_RUNTIME_DIR_V6: dir } })).toBe(lib);
    expect(fake.counter('init')).toBe(1);
    expect(koffi.sizeof(koffi.type('NDIlib_video_frame_v2_t'))).toBe(fake.sizeofVideoFrame());
    expect(koffi.sizeof(koffi.type('NDIlib_recv_create_v3_t'))).toBe(fake.sizeofRecvCreate());
    // host's probe sees the same library as available
    expect(probeNdi({ ...realProbeEnv, platform: 'linux', env: { NDI_RUNTIME_DIR_V6: dir } })).toEqual({
      available: true,
    });
  });

  it('send: I420 → UYVY with the SDK header fields; 60 frames round-trip through a receiver with their stamps', async () => {
    const sink = new NdiSink({ name: 'Patchbay Test', fps: 30, lib });
    expect(fake.counter('senders')).toBe(1);
    const sources = await findNdiSources(lib, 100);
    expect(sources.map((s) => s.name)).toContain('FAKE-HOST (Patchbay Test)');

    const got: VideoFrame[] = [];
    const source = new NdiSource({ name: 'Patchbay Test', clock: realClock, lib, captureTimeoutMs: 20 });
    source.start((f) => got.push(f));
    await until(() => fake.counter('receivers') === 1);
    expect(fake.lastRecvSource()).toBe('FAKE-HOST (Patchbay Test)'); // the short name was matched by discovery
    expect(fake.counter('color_format')).toBe(1); // UYVY_BGRA

    for (let i = 0; i < 60; i++) {
      expect(sink.send(testPatternFrame(320, 240, i, i * 33))).toBe(true);
      if (i === 0) {
        const hdr: Record<string, unknown> = {};
        const bytes = new Uint8Array(320 * 240 * 2);
        expect(fake.lastSent(hdr, bytes, bytes.length)).toBe(320 * 240 * 2);
        expect(hdr).toMatchObject({
          xres: 320,
          yres: 240,
          FourCC: FOURCC.UYVY,
          frame_rate_N: 30000,
          frame_rate_D: 1000,
          frame_format_type: 1,
          line_stride_in_bytes: 640,
        });
        expect(hdr.picture_aspect_ratio).toBeCloseTo(4 / 3, 5);
        expect(BigInt(hdr.timecode as bigint)).toBe(9223372036854775807n);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => got.length === 60);
    expect(fake.counter('sent')).toBe(60);
    expect(got.map((f) => decodeStamp(f)?.seq)).toEqual([...Array(60).keys()]);
    expect(got[0]).toMatchObject({ width: 320, height: 240 });
    expect(got.map((f) => f.seq)).toEqual([...Array(60).keys()]);
    await source.stop();
    await sink.close();
    expect(fake.counter('receivers')).toBe(0);
    expect(fake.counter('senders')).toBe(0);
    expect(fake.counter('outstanding_video')).toBe(0); // every captured frame was freed
    expect(source.counters()).toMatchObject({ frames: 60, dropped: 0 });
  });

  it('receive: BGRA with a padded stride converts to the same picture; an unknown FourCC is dropped and counted', async () => {
    fake.addSource('OTHER-HOST (Resolume)');
    const ref = testPatternFrame(64, 48, 7, 0);
    const bgra = i420ToPacked(ref, 'bgra');
    const stride = 64 * 4 + 32;
    const padded = new Uint8Array(stride * 48);
    for (let y = 0; y < 48; y++) padded.set(bgra.subarray(y * 256, (y + 1) * 256), y * stride);
    const got: VideoFrame[] = [];
    const source = new NdiSource({
      name: 'OTHER-HOST (Resolume)',
      clock: realClock,
      lib,
      captureTimeoutMs: 10,
    });
    source.start((f) => got.push(f));
    await until(() => fake.counter('receivers') === 1);
    fake.queueFrame('OTHER-HOST (Resolume)', 0x31313131, 64, 48, 256, new Uint8Array(256 * 48));
    fake.queueFrame('OTHER-HOST (Resolume)', FOURCC.BGRA, 64, 48, stride, padded);
    await until(() => got.length === 1);
    expect(decodeStamp(got[0]!)?.seq).toBe(7);
    // The padded rows were read at their stride: the same bytes as converting the tight image.
    expect(Buffer.from(got[0]!.data).equals(Buffer.from(toI420('bgra', bgra, 64, 48)))).toBe(true);
    expect(source.counters()).toMatchObject({ frames: 1, dropped: 1 });
    expect(source.status().message).toMatch(/pixel format "1111" is not supported/);
    await source.stop();
    expect(fake.counter('outstanding_video')).toBe(0);
  });

  it('matches short names to full NDI names', () => {
    const list = [
      { name: 'STUDIO (Resolume Arena)', url: '' },
      { name: 'LAPTOP (OBS)', url: '' },
    ];
    expect(matchNdiSource(list, 'obs')?.name).toBe('LAPTOP (OBS)');
    expect(matchNdiSource(list, 'STUDIO (Resolume Arena)')?.name).toBe('STUDIO (Resolume Arena)');
    expect(matchNdiSource(list, 'TouchDesigner')).toBeNull();
  });
});

describe('NDI without the runtime library', () => {
  it('says why and how to install, in the same words as /api/v1/hardware/info', () => {
    const env = { NDI_RUNTIME_DIR_V6: '/nonexistent/ndi' };
    let error: unknown;
    try {
      loadNdi({ platform: 'linux', env, paths: ['/nonexistent/ndi/libndi.so.6'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IoUnavailableError);
    expect((error as Error).message).toMatch(
      /^the NDI runtime library could not be loaded \(\/nonexistent\/ndi\/libndi\.so\.6: /,
    );
    expect((error as IoUnavailableError).installHint).toBe(NDI_INSTALL_HINT);
    const probe = probeNdi({
      ...realProbeEnv,
      platform: 'linux',
      env: {},
      loadLibrary: () => {
        throw new Error('nope');
      },
    });
    expect(probe.available).toBe(false);
    expect(probe.install_hint).toBe(NDI_INSTALL_HINT);
    expect(() => new NdiSink({ name: 'x', load: { paths: ['/nonexistent/libndi.so.6'] } })).toThrow(
      IoUnavailableError,
    );
  });
});

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
