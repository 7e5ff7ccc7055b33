import type { BrowserContext, Page } from 'playwright-core';
import { cpuMs, sleep, waitFor } from './proc';

/** What the bench client page measured between its 'start' and 'end' marks. */
export interface StreamSummary {
  seconds: number;
  drawn_fps: number;
  sent_fps: number | null;
  shown_fps: number;
  decoded_fps: number | null;
  distinct_shown: number;
  unreadable: number;
  latency_p50: number | null;
  latency_p99: number | null;
  latency_n: number;
  gap_max: number | null;
  gap_p99: number | null;
  sent_size: string | null;
  quality_limitation: string | null;
  shown_size: string;
  frames_dropped_rx: number | null;
  /** Server CPU (all threads) per shown frame over the window, ms; null without a server process. */
  cpu_ms_per_frame: number | null;
  /** Server CPU over the window as a share of one core. */
  cpu_cores: number | null;
}

export interface StreamOptions {
  /** Query string for bench-client.html (server=…, direct=1, initial=…). */
  query: Record<string, string>;
  warmupMs: number;
  durationMs: number;
  /** The server process whose CPU is measured. */
  pid?: number;
  /** Runs during the measured window instead of a plain wait (live edits); gets the page. */
  during?: (page: Page, durationMs: number) => Promise<void>;
  log?: (line: string) => void;
}

interface ClientState {
  phase: string;
  error: string | null;
  received: unknown[];
}

/**
 * Opens the bench client page, waits until frames come back, warms up, then measures for
 * `durationMs` between two marks and returns the page's summary plus the server's CPU per frame.
 */
export async function measureStream(
  context: BrowserContext,
  origin: string,
  o: StreamOptions,
): Promise<StreamSummary> {
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  try {
    await page.goto(`${origin}/bench-client.html?${new URLSearchParams(o.query).toString()}`);
    const state = () =>
      page.evaluate(() => (window as unknown as { bench: { state: ClientState } }).bench.state);
    await waitFor(
      'the first frames back at the client page',
      async () => {
        const s = await state();
        if (s.phase === 'error') throw new Error(`client page: ${s.error}`);
        return s.received.length >= 10;
      },
      60_000,
    ).catch(async (e: Error) => {
      const s = await state().catch(() => null);
      throw new Error(
        `${e.message}; page phase ${s?.phase ?? '?'}${logs.length ? `; console: ${logs.slice(-5).join(' | ')}` : ''}`,
      );
    });
    await sleep(o.warmupMs);
    const cpu0 = o.pid ? cpuMs(o.pid) : null;
    const w0 = performance.now();
    await page.evaluate(() =>
      (window as unknown as { bench: { mark(n: string): Promise<number> } }).bench.mark('start'),
    );
    if (o.during) await o.during(page, o.durationMs);
    else await sleep(o.durationMs);
    await page.evaluate(() =>
      (window as unknown as { bench: { mark(n: string): Promise<number> } }).bench.mark('end'),
    );
    const wallS = (performance.now() - w0) / 1000;
    const cpu1 = o.pid ? cpuMs(o.pid) : null;
    const s = (await page.evaluate(() =>
      (window as unknown as { bench: { summary(): unknown } }).bench.summary(),
    )) as Omit<StreamSummary, 'cpu_ms_per_frame' | 'cpu_cores'>;
    const shown = s.shown_fps * s.seconds;
    const cpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    const phase = (await state()).phase;
    if (phase === 'error') throw new Error(`client page: ${(await state()).error}`);
    return {
      ...s,
      cpu_ms_per_frame: cpu !== null && shown > 0 ? cpu / shown : null,
      cpu_cores: cpu !== null ? cpu / 1000 / wallS : null,
    };
  } finally {
    await page
      .evaluate(() => (window as unknown as { bench?: { stop(): Promise<void> } }).bench?.stop())
      .catch(() => {});
    await page.close().catch(() => {});
  }
}
