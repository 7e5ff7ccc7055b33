/**
 * Measures the VP8 codec candidates frame by frame at 512×512 and 640×480 with realtime
 * settings (cpu-used 8, no lag, 2 Mbit/s) and prints a table. Run:
 *
 *   npx tsx runtime/media/codec/measure.ts [--frames 150] [--libav /tmp/libavx]
 *
 * node-av is what the runtime uses. libav.js (WebAssembly) is measured only when it is installed
 * outside the repository (it is not a dependency): `cd /tmp/libavx && npm init -y &&
 * npm i @libav.js/variant-webm-vp9`, then pass that folder with --libav (or LIBAV_DIR).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measureCodecFloor, percentile, type CodecTiming } from './floor';
import { patternFrame } from '../testing/pattern';

interface Row {
  codec: string;
  size: string;
  encode: CodecTiming;
  decode: CodecTiming;
  bytes: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const SIZES: [number, number][] = [
  [512, 512],
  [640, 480],
];

/** The subset of libav.js's API used here (its own types live in the scratch install). */
interface LibAvInstance {
  ff_init_encoder(
    name: string,
    opts: { ctx: Record<string, number>; time_base: [number, number]; options: Record<string, string> },
  ): Promise<[number, number, number, number, number]>;
  ff_encode_multi(
    c: number,
    frame: number,
    pkt: number,
    frames: unknown[],
  ): Promise<{ data: Uint8Array; flags?: number }[]>;
  ff_free_encoder(c: number, frame: number, pkt: number): Promise<void>;
  ff_init_decoder(name: string): Promise<[number, number, number, number]>;
  ff_decode_multi(c: number, pkt: number, frame: number, pkts: unknown[], cfg?: unknown): Promise<unknown[]>;
  ff_free_decoder(c: number, pkt: number, frame: number): Promise<void>;
  terminate?: () => void;
}

async function measureLibav(dir: string, width: number, height: number, frames: number): Promise<Row | null> {
  const pkgDir = join(dir, 'node_modules', '@libav.js', 'variant-webm-vp9');
  if (!existsSync(pkgDir)) return null;
  const require = createRequire(pathToFileURL(join(dir, 'index.js')).href);
  const mod = require('@libav.js/variant-webm-vp9') as {
    LibAV: (o: { noworker: boolean; nothreads: boolean }) => Promise<LibAvInstance>;
  };
  const libav = await mod.LibAV({ noworker: true, nothreads: true });
  const [, c, frame, pkt] = await libav.ff_init_encoder('libvpx', {
    ctx: {
      width,
      height,
      pix_fmt: 0, // yuv420p
      bit_rate: 2_000_000,
      rc_min_rate: 2_000_000,
      rc_max_rate: 2_000_000,
      gop_size: 300,
      qmin: 2,
      qmax: 56,
      framerate_num: 30,
      framerate_den: 1,
    },
    time_base: [1, 1000],
    options: {
      deadline: 'realtime',
      'cpu-used': '8',
      'lag-in-frames': '0',
      'error-resilient': '1',
      'auto-alt-ref': '0',
    },
  });
  // This variant carries libvpx for decoding too (FFmpeg's own vp8 decoder is not built in).
  const [, dc, dpkt, dframe] = await libav
    .ff_init_decoder('libvpx')
    .catch(() => libav.ff_init_decoder('vp8'));
  const layout = [
    { offset: 0, stride: width },
    { offset: width * height, stride: width >> 1 },
    { offset: width * height + (width >> 1) * (height >> 1), stride: width >> 1 },
  ];
  const enc: number[] = [];
  const dec: number[] = [];
  let bytes = 0;
  const warmup = 10;
  const inputs = Array.from({ length: 60 }, (_, i) => patternFrame(width, height, i));
  for (let i = 0; i < frames + warmup; i++) {
    const src = inputs[i % inputs.length]!;
    const f = {
      data: src.data,
      format: 0,
      width,
      height,
      layout,
      pts: Math.round(i * 33.3),
      time_base_num: 1,
      time_base_den: 1000,
    };
    const t0 = performance.now();
    const packets = await libav.ff_encode_multi(c, frame, pkt, [f]);
    const t1 = performance.now();
    const out = packets.length ? await libav.ff_decode_multi(dc, dpkt, dframe, packets) : [];
    const t2 = performance.now();
    if (packets.length && out.length === 0) throw new Error('libav.js decoded no frame');
    if (i < warmup) continue;
    enc.push(t1 - t0);
    dec.push(t2 - t1);
    bytes += packets.reduce((n, p) => n + p.data.length, 0);
  }
  await libav.ff_free_encoder(c, frame, pkt);
  await libav.ff_free_decoder(dc, dpkt, dframe);
  libav.terminate?.();
  enc.sort((a, b) => a - b);
  dec.sort((a, b) => a - b);
  return {
    codec: 'libav.js 6.10 webm-vp9 (wasm, no threads; libvpx both ways)',
    size: `${width}×${height}`,
    encode: { medianMs: percentile(enc, 50), p90Ms: percentile(enc, 90) },
    decode: { medianMs: percentile(dec, 50), p90Ms: percentile(dec, 90) },
    bytes: bytes / enc.length,
  };
}

async function main(): Promise<void> {
  const frames = Number(arg('--frames') ?? 150);
  const libavDir = arg('--libav') ?? process.env['LIBAV_DIR'] ?? '/tmp/libavx';
  const rows: Row[] = [];
  for (const [w, h] of SIZES) {
    const f = measureCodecFloor({ width: w, height: h, frames });
    rows.push({
      codec: 'node-av 6.1 (FFmpeg 8.1 libvpx / vp8)',
      size: `${w}×${h}`,
      encode: f.encode,
      decode: f.decode,
      bytes: f.meanFrameBytes,
    });
  }
  let libavNote = '';
  for (const [w, h] of SIZES) {
    try {
      const r = await measureLibav(libavDir, w, h, frames);
      if (r) rows.push(r);
      else libavNote = `libav.js not found under ${libavDir} (skipped)`;
    } catch (error) {
      libavNote = `libav.js failed: ${(error as Error).message}`;
    }
  }
  const fmt = (t: CodecTiming): string => `${t.medianMs.toFixed(2)} / ${t.p90Ms.toFixed(2)}`;
  console.log(`VP8, ${frames} frames each, realtime settings, 2 Mbit/s; ms per frame, median / p90`);
  console.log('| codec | size | encode | decode | mean frame bytes |');
  console.log('|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.codec} | ${r.size} | ${fmt(r.encode)} | ${fmt(r.decode)} | ${Math.round(r.bytes)} |`);
  if (libavNote) console.log(libavNote);
}

main().catch((error: unknown) => {
  console.error(`measure: ${(error as Error).message}`);
  process.exitCode = 1;
});
