import { readdirSync } from 'node:fs';
import { launchChromium, servePages } from '../lib/chromium';
import { rssBytes, sleep } from '../lib/proc';
import { startPatchbay } from '../lib/servers';
import { measureStream } from '../lib/stream';
import { atMost, figure, median, round } from '../stats';
import type { Scenario } from '../types';
import { CLIENT_DIR } from './passthrough';

/** One sample of the server process. */
interface SoakSample {
  t_s: number;
  rss_mb: number;
  heap_mb: number | null;
  open_handles: number | null;
  fds: number | null;
}

function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Growth of the last samples over the first ones after warm-up, in % (medians of 3 each). */
export function growthPercent(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const k = Math.min(3, Math.floor(values.length / 2));
  const first = median(values.slice(0, k));
  const last = median(values.slice(-k));
  return first > 0 ? ((last - first) / first) * 100 : NaN;
}

/**
 * Scenario 7 — soak (`--soak 10m`, not in CI): the passthrough stream of scenario 2 runs for the
 * whole duration while the server process's RSS, heap, open handles (Node's active resources)
 * and file descriptors are sampled every 10 s. Growth is the median of the last three samples
 * over the median of the first three after warm-up (the first fifth of the run, at most 60 s).
 */
export const soakScenario: Scenario = {
  id: 'soak',
  number: 7,
  title: 'Soak (RSS and open handles while streaming)',
  optIn: true,
  async run(ctx, result) {
    const total = ctx.options.soakMs ?? 600_000;
    const every = total >= 60_000 ? 10_000 : 2000;
    const warmup = Math.min(60_000, total / 5);
    const samples: SoakSample[] = [];
    const server = await startPatchbay();
    const browser = await launchChromium();
    const pages = await servePages(CLIENT_DIR, ['bench-client.html']);
    let stream: Awaited<ReturnType<typeof measureStream>>;
    try {
      stream = await measureStream(browser.context, pages.origin, {
        query: { server: server.url },
        warmupMs: 0,
        durationMs: total,
        pid: server.pid,
        during: async (_page, ms) => {
          const t0 = performance.now();
          for (let i = 0; performance.now() - t0 < ms; i++) {
            const m = (await (
              await fetch(`${server.url}/api/v1/session/metrics`)
            )
              .json()
              .catch(() => null)) as {
              engine?: { open_handles?: number; heap_used?: number };
            } | null;
            const rss = rssBytes(server.pid);
            samples.push({
              t_s: round((performance.now() - t0) / 1000, 1),
              rss_mb: rss === null ? NaN : round(rss / 2 ** 20, 1),
              heap_mb:
                typeof m?.engine?.heap_used === 'number' ? round(m.engine.heap_used / 2 ** 20, 1) : null,
              open_handles: m?.engine?.open_handles ?? null,
              fds: openFds(server.pid),
            });
            if (i % 6 === 0) {
              const s = samples[samples.length - 1]!;
              ctx.log(
                `  ${s.t_s.toFixed(0)} s: RSS ${s.rss_mb} MB, heap ${s.heap_mb} MB, handles ${s.open_handles}, fds ${s.fds}`,
              );
            }
            await sleep(Math.max(0, t0 + (i + 1) * every - performance.now()));
          }
        },
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${server.child.output().slice(-1500)}`, { cause: error });
    } finally {
      await browser.close();
      await pages.close();
      await server.stop();
    }
    const after = samples.filter((s) => s.t_s * 1000 >= warmup);
    const series = (k: keyof SoakSample) =>
      after.map((s) => s[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const g = (k: keyof SoakSample) => growthPercent(series(k));
    const rssGrowth = g('rss_mb');
    result.figures.push(
      figure('rss_start_mb', 'RSS after warm-up', 'MB', [series('rss_mb')[0] ?? NaN]),
      figure('rss_end_mb', 'RSS at the end', 'MB', [series('rss_mb').at(-1) ?? NaN]),
      figure('rss_growth', 'RSS growth after warm-up', '%', [rssGrowth]),
      figure('heap_growth', 'heap growth after warm-up', '%', [g('heap_mb')]),
      figure('handles_growth', 'open handles: end − start', 'handles', [
        (series('open_handles').at(-1) ?? NaN) - (series('open_handles')[0] ?? NaN),
      ]),
      figure('fds_growth', 'file descriptors: end − start', 'fds', [
        (series('fds').at(-1) ?? NaN) - (series('fds')[0] ?? NaN),
      ]),
      figure('soak_shown_fps', 'fps shown over the soak', 'fps', [stream.shown_fps]),
    );
    result.targets.push(atMost('RSS growth after warm-up', rssGrowth, 5, '%'));
    result.details = { samples, stream };
    result.notes.push(
      `${round(total / 60_000, 1)} min of the scenario 2 passthrough stream; a sample every ${every / 1000} s (${samples.length} samples); warm-up ${round(warmup / 1000, 0)} s; growth compares the median of the last 3 samples with the first 3 after warm-up`,
    );
  },
};
