import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { createOfferPeer, type MediaPeer } from '../../runtime/media';
import { launchChromium, servePages } from '../lib/chromium';
import { rssBytes, sleep } from '../lib/proc';
import { startPatchbay } from '../lib/servers';
import { measureStream } from '../lib/stream';
import { atLeast, atMost, figure, round } from '../stats';
import type { Scenario } from '../types';
import { CLIENT_DIR } from './passthrough';

/** One sample of the server process. */
interface ProcSample {
  t_s: number;
  fds: number;
  threads: number;
  rss_mb: number;
  shown: number;
}

function procSample(pid: number): Omit<ProcSample, 't_s' | 'shown'> {
  let fds = NaN;
  let threads = NaN;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
    threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    /* the process is gone: NaN */
  }
  const rss = rssBytes(pid);
  return { fds, threads, rss_mb: rss === null ? NaN : round(rss / 2 ** 20, 1) };
}

/** Back to baseline: fds and threads within a few of it, RSS within 10 % (the allocator keeps some). */
function atBaseline(s: ProcSample, base: ProcSample): boolean {
  return s.fds <= base.fds + 4 && s.threads <= base.threads + 2 && s.rss_mb <= base.rss_mb * 1.1;
}

const ORPHANS = 50;
const FLOOD = 10_000;

/**
 * Scenario 9 — abuse (opt-in: `patchbay bench abuse`): while the scenario 2 passthrough stream
 * runs, 50 offers that never connect (a valid SDP posted 50 times; the client never applies an
 * answer) and a 10,000-message flood on the stream's own "parameters" channel. Figures: fps
 * shown per second during the attack (the minimum and the whole window), what the server
 * refused, and how long fds / threads / RSS take to return to their baseline after the attack.
 * Targets (issue 18): ≥ 25 fps throughout, back to baseline within 20 s.
 */
export const abuseScenario: Scenario = {
  id: 'abuse',
  number: 9,
  title: 'Abuse (50 orphan offers + a 10,000-message data-channel flood during a stream)',
  optIn: true,
  async run(ctx, result) {
    const server = await startPatchbay();
    const browser = await launchChromium();
    const pages = await servePages(CLIENT_DIR, ['bench-client.html']);
    const samples: ProcSample[] = [];
    let base: ProcSample | null = null;
    let attackStartS = 0;
    let attackEndS = 0;
    const offers = { accepted: 0, refused_429: 0, other: 0 };
    const peers: MediaPeer[] = [];
    let flood = { sent: 0, ms: 0 };
    let stream: Awaited<ReturnType<typeof measureStream>>;
    try {
      stream = await measureStream(browser.context, pages.origin, {
        query: { server: server.url },
        warmupMs: 3000,
        durationMs: 30_000,
        pid: server.pid,
        during: async (page: Page, ms: number) => {
          const t0 = performance.now();
          const shownNow = () =>
            page.evaluate(
              () =>
                (window as unknown as { bench: { state: { received: unknown[] } } }).bench.state.received
                  .length,
            );
          const sample = async () => {
            const s = {
              t_s: round((performance.now() - t0) / 1000, 1),
              ...procSample(server.pid),
              shown: await shownNow(),
            };
            samples.push(s);
            return s;
          };
          for (let i = 0; i < 3; i++) {
            base = await sample();
            await sleep(500);
          }
          attackStartS = (performance.now() - t0) / 1000;
          // 50 orphan offers: a real offer's SDP, posted again and again, never answered.
          const { peer, offerSdp } = await createOfferPeer({ camera: 'sendrecv' }, { log: () => {} });
          peers.push(peer);
          await Promise.all(
            Array.from({ length: ORPHANS }, async () => {
              const r = await fetch(`${server.url}/api/v1/webrtc/offer`, {
                method: 'POST',
                body: JSON.stringify({ sdp: offerSdp, type: 'offer' }),
              });
              await r.arrayBuffer();
              if (r.status === 200) offers.accepted++;
              else if (r.status === 429) offers.refused_429++;
              else offers.other++;
            }),
          );
          // The flood, on the stream's own data channel, as fast as the page can send.
          flood = await page.evaluate((n) => {
            const ch = (window as unknown as { channel: RTCDataChannel }).channel;
            const s = performance.now();
            let sent = 0;
            for (let i = 0; i < n; i++) {
              ch.send(
                JSON.stringify({ noise_scale: (i % 100) / 100, prompts: [{ text: `p${i}`, weight: 1 }] }),
              );
              sent++;
            }
            return { sent, ms: performance.now() - s };
          }, FLOOD);
          attackEndS = (performance.now() - t0) / 1000;
          ctx.log(
            `  attack: ${offers.accepted} orphan offers accepted, ${offers.refused_429} refused (429); ${flood.sent} messages sent in ${round(flood.ms, 0)} ms`,
          );
          // Then 25 s of samples: the orphans' connect timeout is 15 s.
          while (performance.now() - t0 < Math.max(ms, attackEndS * 1000 + 25_000)) {
            const s = await sample();
            if (samples.length % 5 === 0)
              ctx.log(
                `  ${s.t_s} s: fds ${s.fds}, threads ${s.threads}, RSS ${s.rss_mb} MB, shown ${s.shown}`,
              );
            await sleep(1000);
          }
        },
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${server.child.output().slice(-1500)}`, { cause: error });
    } finally {
      for (const p of peers) await p.close().catch(() => {});
      const metrics = (await fetch(`${server.url}/api/v1/session/metrics`)
        .then((r) => r.json())
        .catch(() => null)) as { engine?: { messages_dropped?: unknown } } | null;
      result.details = {
        ...(result.details ?? {}),
        messages_dropped: metrics?.engine?.messages_dropped ?? null,
      };
      await browser.close();
      await pages.close();
      await server.stop();
    }
    const b = base as ProcSample | null;
    if (!b) throw new Error('no baseline sample');
    // Per-second fps from consecutive samples after the attack started.
    const after = samples.filter((s) => s.t_s >= attackStartS);
    const perSecond: number[] = [];
    for (let i = 1; i < after.length; i++) {
      const dt = after[i]!.t_s - after[i - 1]!.t_s;
      if (dt > 0.5) perSecond.push((after[i]!.shown - after[i - 1]!.shown) / dt);
    }
    const later = samples.filter((s) => s.t_s > attackEndS);
    const backAt = later.findIndex((_, i) => later.slice(i).every((x) => atBaseline(x, b)));
    const recoveryS = backAt >= 0 ? later[backAt]!.t_s - attackEndS : NaN;
    const peak = (k: 'fds' | 'threads' | 'rss_mb') => Math.max(...samples.map((s) => s[k]));
    const last = samples[samples.length - 1]!;
    const minFps = perSecond.length ? Math.min(...perSecond) : NaN;
    result.figures.push(
      figure('abuse_shown_fps', 'fps shown over the whole window', 'fps', [stream.shown_fps]),
      figure('abuse_min_fps_1s', 'lowest fps shown in any second after the attack began', 'fps', [minFps]),
      figure('abuse_gap_max', 'longest gap between shown frames', 'ms', [stream.gap_max ?? NaN]),
      figure('abuse_orphans_accepted', 'orphan offers accepted (the rest: 429)', 'offers', [offers.accepted]),
      figure('abuse_recovery_s', 'fds, threads and RSS back to baseline after the attack', 's', [recoveryS]),
      figure('abuse_fds', 'fds: baseline / peak / end', 'fds', [b.fds]),
      figure('abuse_fds_peak', 'fds at the peak', 'fds', [peak('fds')]),
      figure('abuse_fds_end', 'fds at the end', 'fds', [last.fds]),
      figure('abuse_threads', 'threads: baseline', 'threads', [b.threads]),
      figure('abuse_threads_peak', 'threads at the peak', 'threads', [peak('threads')]),
      figure('abuse_threads_end', 'threads at the end', 'threads', [last.threads]),
      figure('abuse_rss', 'RSS: baseline', 'MB', [b.rss_mb]),
      figure('abuse_rss_peak', 'RSS at the peak', 'MB', [peak('rss_mb')]),
      figure('abuse_rss_end', 'RSS at the end', 'MB', [last.rss_mb]),
    );
    result.targets.push(
      atLeast('fps shown in every second during and after the attack', minFps, 25, 'fps'),
      atMost('fds, threads and RSS back to baseline', recoveryS, 20, 's'),
    );
    result.details = {
      ...(result.details ?? {}),
      offers,
      flood,
      attack_s: [round(attackStartS, 1), round(attackEndS, 1)],
      samples,
      per_second_fps: perSecond,
      stream,
    };
    result.notes.push(
      `${ORPHANS} orphan offers (one real offer SDP posted ${ORPHANS} times, never answered) and ${FLOOD} data-channel messages on the stream's own channel, right after a 1.5 s baseline; baseline = fds ≤ +4, threads ≤ +2, RSS ≤ +10 %`,
    );
  },
};
