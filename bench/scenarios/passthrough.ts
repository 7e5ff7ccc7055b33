import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureCodecFloor, type RuntimeLatency } from '../../runtime/media';
import { launchChromium, servePages } from '../lib/chromium';
import { ensurePeer, ROOT, startPatchbay, startPeer, type RunningServer } from '../lib/servers';
import { measureStream, type StreamSummary } from '../lib/stream';
import { atLeast, atMost, figure, round, withFloor } from '../stats';
import { SkipScenario, type Figure, type ScenarioContext, type Scenario, type Target } from '../types';
import { floorKey } from './codec';

export const CLIENT_DIR = join(ROOT, 'bench', 'client');

/** The codec floor at 512×512 (encode + decode): scenario 1's when it ran, else measured now. */
export function codecFloor512(ctx: ScenarioContext): Figure {
  const prev = ctx.done.get('codec')?.figures.find((f) => f.key === floorKey(512, 512));
  if (prev) return prev;
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const f = measureCodecFloor({ width: 512, height: 512, frames: 60 });
    runs.push(f.encode.medianMs + f.decode.medianMs);
  }
  return figure(floorKey(512, 512), 'VP8 encode + decode 512×512', 'ms/frame', runs);
}

type Key = keyof StreamSummary;
const pick = (runs: StreamSummary[], k: Key): number[] =>
  runs.map((r) => r[k]).filter((v): v is number => typeof v === 'number');

/** Stream timing for the end-to-end scenarios: 30 s (5 s with --quick) after a 3 s warm-up. */
export function streamTiming(ctx: ScenarioContext): { warmupMs: number; durationMs: number; runs: number } {
  return {
    warmupMs: ctx.options.quick ? 2000 : 3000,
    durationMs: ctx.options.quick ? 5000 : 30_000,
    runs: ctx.options.repeat ?? 1,
  };
}

/**
 * The runtime's own per-frame in→out figures for the session with the most measured frames,
 * from `GET /api/v1/session/metrics` (the media peer's `latency`: RTP packets of a camera frame
 * complete → the packets of the frame made from it sent). Null when no session has any.
 */
export async function readRuntimeLatency(serverUrl: string): Promise<RuntimeLatency | null> {
  const r = await fetch(`${serverUrl}/api/v1/session/metrics`);
  if (!r.ok) throw new Error(`GET /api/v1/session/metrics: HTTP ${r.status}`);
  const body = (await r.json()) as {
    sessions?: Record<string, { webrtc?: { latency?: RuntimeLatency }[] }>;
  };
  let best: RuntimeLatency | null = null;
  for (const s of Object.values(body.sessions ?? {}))
    for (const w of s.webrtc ?? [])
      if (w.latency && w.latency.frames > 0 && (!best || w.latency.frames > best.frames)) best = w.latency;
  return best;
}

/**
 * Scenario 2 — passthrough end to end: the bench client page in Chromium sends a 512×512 canvas
 * at 30 fps (frame counter in its pixels) to `patchbay serve` over loopback WebRTC, the runtime
 * runs the passthrough pipeline and sends it back, and the page reads the counter of every
 * frame it shows. In the same run and with the same page: the browser alone (a second peer in
 * the page echoes the track: the floor of the glass path) and the aiortc peer (Scope's media
 * stack doing the same passthrough).
 */
export const passthroughScenario: Scenario = {
  id: 'passthrough',
  number: 2,
  title: 'Passthrough end to end (Chromium → runtime → Chromium, 512×512 @ 30 fps)',
  async run(ctx, result) {
    const { warmupMs, durationMs, runs } = streamTiming(ctx);
    const floor = codecFloor512(ctx);
    let peerScript: string | null = null;
    let peerSkip: string | null = null;
    try {
      peerScript = ensurePeer(ctx.options.installPeer, ctx.log);
    } catch (error) {
      if (!(error instanceof SkipScenario)) throw error;
      peerSkip = error.message;
      ctx.log(`  aiortc peer skipped: ${peerSkip}`);
    }
    const browser = await launchChromium();
    const pages = await servePages(CLIENT_DIR, ['bench-client.html']);
    const direct: StreamSummary[] = [];
    const pb: StreamSummary[] = [];
    const peer: StreamSummary[] = [];
    // The runtime's own in→out per Patchbay run, read at the end of its measured window.
    const runtime: (RuntimeLatency | null)[] = [];
    try {
      for (let r = 0; r < runs; r++) {
        ctx.log(`  run ${r + 1}/${runs}: browser alone…`);
        direct.push(
          await measureStream(browser.context, pages.origin, {
            query: { direct: '1' },
            warmupMs,
            durationMs,
          }),
        );
        for (const [name, start, into] of [
          ['patchbay', () => startPatchbay(), pb],
          ...(peerScript ? ([['aiortc peer', () => startPeer(peerScript), peer]] as const) : []),
        ] as const) {
          ctx.log(`  run ${r + 1}/${runs}: ${name}…`);
          const server: RunningServer = await start();
          try {
            into.push(
              await measureStream(browser.context, pages.origin, {
                query: { server: server.url },
                warmupMs,
                durationMs,
                pid: server.pid,
                // Read while the session still exists (it ends when the page closes).
                ...(into === pb
                  ? {
                      during: async (_page, ms) => {
                        await sleep(ms);
                        runtime.push(await readRuntimeLatency(server.url));
                      },
                    }
                  : {}),
              }),
            );
          } catch (error) {
            throw new Error(`${name}: ${(error as Error).message}\n${server.child.output().slice(-1500)}`, {
              cause: error,
            });
          } finally {
            await server.stop();
          }
          const s = into[into.length - 1]!;
          ctx.log(
            `    sent ${s.sent_fps?.toFixed(1)} fps, shown ${s.shown_fps.toFixed(1)} fps (${s.shown_size}), glass to glass p50 ${s.latency_p50?.toFixed(0)} / p99 ${s.latency_p99?.toFixed(0)} ms, CPU ${s.cpu_ms_per_frame?.toFixed(2)} ms/frame`,
          );
          const rt = into === pb ? runtime[runtime.length - 1] : undefined;
          if (rt)
            ctx.log(
              `    runtime in→out p50 ${rt.inToOutMs.p50} / p99 ${rt.inToOutMs.p99} ms over ${rt.frames} frames (decode ${rt.receiveToDecodedMs.p50}, engine ${rt.decodedToOutputMs.p50}, encode+send ${rt.outputToSentMs.p50} ms p50)`,
            );
          else if (rt === null) ctx.log('    runtime in→out: no session reported any matched frame');
        }
      }
    } finally {
      await browser.close();
      await pages.close();
    }
    const f = (runsOf: StreamSummary[], k: Key, key: string, label: string, unit: string) =>
      figure(key, label, unit, pick(runsOf, k));
    const d50 = f(direct, 'latency_p50', 'browser_g2g_p50', 'browser alone: glass to glass p50', 'ms');
    const d99 = f(direct, 'latency_p99', 'browser_g2g_p99', 'browser alone: glass to glass p99', 'ms');
    const sent = f(pb, 'sent_fps', 'patchbay_sent_fps', 'Patchbay: fps sent by the client', 'fps');
    const shown = f(pb, 'shown_fps', 'patchbay_shown_fps', 'Patchbay: fps shown', 'fps');
    const received = f(
      pb,
      'decoded_fps',
      'patchbay_received_fps',
      'Patchbay: fps received (decoded by the client)',
      'fps',
    );
    const g50 = f(pb, 'latency_p50', 'patchbay_g2g_p50', 'Patchbay: glass to glass p50', 'ms');
    const g99 = f(pb, 'latency_p99', 'patchbay_g2g_p99', 'Patchbay: glass to glass p99', 'ms');
    const added = (k: 'latency_p50' | 'latency_p99') =>
      pb.map((s, i) => (s[k] ?? NaN) - (direct[i]?.[k] ?? NaN));
    const a50 = withFloor(
      figure(
        'patchbay_added_p50',
        'Patchbay: glass to glass − browser alone p50 (upper bound on runtime in→out)',
        'ms',
        added('latency_p50'),
      ),
      floor,
    );
    const a99 = figure(
      'patchbay_added_p99',
      'Patchbay: glass to glass − browser alone p99 (upper bound on runtime in→out)',
      'ms',
      added('latency_p99'),
    );
    const rt = (pick: (l: RuntimeLatency) => number | null) =>
      runtime.map((l) => (l ? (pick(l) ?? NaN) : NaN));
    const r50 = withFloor(
      figure(
        'patchbay_runtime_in_out_p50',
        'Patchbay: runtime in→out p50 (RTP in complete → RTP out sent)',
        'ms',
        rt((l) => l.inToOutMs.p50),
      ),
      floor,
    );
    const r99 = withFloor(
      figure(
        'patchbay_runtime_in_out_p99',
        'Patchbay: runtime in→out p99 (RTP in complete → RTP out sent)',
        'ms',
        rt((l) => l.inToOutMs.p99),
      ),
      floor,
    );
    const rDec = figure(
      'patchbay_runtime_decode_p50',
      'Patchbay: runtime in→out, RTP complete → decoded p50',
      'ms',
      rt((l) => l.receiveToDecodedMs.p50),
    );
    const rEng = figure(
      'patchbay_runtime_engine_p50',
      'Patchbay: runtime in→out, decoded → to the encoder (engine) p50',
      'ms',
      rt((l) => l.decodedToOutputMs.p50),
    );
    const rEnc = figure(
      'patchbay_runtime_encode_p50',
      'Patchbay: runtime in→out, to the encoder → RTP sent p50',
      'ms',
      rt((l) => l.outputToSentMs.p50),
    );
    const cpu = withFloor(
      f(pb, 'cpu_ms_per_frame', 'patchbay_cpu_per_frame', 'Patchbay: server CPU per frame', 'ms/frame'),
      floor,
    );
    result.figures.push(floor, d50, d99, sent, received, shown, g50, g99, r50, r99, rDec, rEng, rEnc);
    result.figures.push(a50, a99, cpu);
    result.figures.push(f(direct, 'shown_fps', 'browser_shown_fps', 'browser alone: fps shown', 'fps'));
    if (peer.length) {
      const ps = f(peer, 'shown_fps', 'peer_shown_fps', 'aiortc peer: fps shown', 'fps');
      const pr = f(
        peer,
        'decoded_fps',
        'peer_received_fps',
        'aiortc peer: fps received (decoded by the client)',
        'fps',
      );
      const p50 = f(peer, 'latency_p50', 'peer_g2g_p50', 'aiortc peer: glass to glass p50', 'ms');
      const p99 = f(peer, 'latency_p99', 'peer_g2g_p99', 'aiortc peer: glass to glass p99', 'ms');
      const pcpu = withFloor(
        f(peer, 'cpu_ms_per_frame', 'peer_cpu_per_frame', 'aiortc peer: server CPU per frame', 'ms/frame'),
        floor,
      );
      result.figures.push(pr, ps, p50, p99, pcpu);
      result.figures.push(
        withFloor({ ...shown, key: 'patchbay_vs_peer_fps', label: "Patchbay fps shown / peer's" }, ps),
        withFloor(
          { ...g50, key: 'patchbay_vs_peer_g2g_p50', label: "Patchbay glass to glass p50 / peer's" },
          p50,
        ),
        withFloor(
          { ...g99, key: 'patchbay_vs_peer_g2g_p99', label: "Patchbay glass to glass p99 / peer's" },
          p99,
        ),
        withFloor({ ...cpu, key: 'patchbay_vs_peer_cpu', label: "Patchbay CPU per frame / peer's" }, pcpu),
      );
    } else {
      result.notes.push(`aiortc peer not run: ${peerSkip}`);
    }
    const targets: Target[] = [
      atLeast('fps sent', round(sent.median, 1), 30, 'fps'),
      atLeast('fps shown', round(shown.median, 1), 29, 'fps'),
      atMost(
        "runtime's own in→out p50 ≤ 1.5 × codec floor",
        r50.runs > 0 ? r50.median : null,
        round(1.5 * floor.median, 2),
        'ms',
        `≤ 1.5 × ${floor.median} ms = ${round(1.5 * floor.median, 2)} ms`,
      ),
      atMost('glass to glass p50', g50.median, 40, 'ms'),
      atMost('glass to glass p99', g99.median, 80, 'ms'),
    ];
    result.targets.push(...targets);
    result.details = { browser_alone: direct, patchbay: pb, patchbay_runtime_latency: runtime, peer };
    result.notes.push(
      `${runs} run(s) of ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up; one headless Chromium, one page (bench/client/bench-client.html) for all three; latency = shown (requestVideoFrameCallback) − drawn, read from the counter in the pixels; runtime in→out = the media peer's own per-frame time from the RTP packets of a camera frame complete to the packets of the frame made from it sent (p50/p99 over its last 600 frames, read from /api/v1/session/metrics at the end of the window), split into decode, engine and encode+send; glass to glass − browser alone = Patchbay's glass to glass − the browser-alone loop's in the same run (it adds one more network hop and jitter buffer: an upper bound on the runtime's own in→out, kept for comparison); CPU = the server process's user+system time (/proc) over the window ÷ frames shown; received size Patchbay ${pb.map((s) => s.shown_size).join(', ')}${peer.length ? `, peer ${peer.map((s) => s.shown_size).join(', ')}` : ''}`,
    );
  },
};
