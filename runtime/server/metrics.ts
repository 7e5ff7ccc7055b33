/**
 * `GET /metrics`: Prometheus text (prom-client), read at scrape time from what the server already
 * counts — SessionManager (sessions, peers, workers, per-node stats) and the engine's
 * process-wide counters (`engineMetrics`: workers alive, restarts, frames, frame pool) — plus
 * prom-client's default process metrics (process_*, nodejs_*: CPU, memory, event-loop lag, handles). One registry per
 * server, so two servers in one process (tests) do not share series.
 *
 * Like every route it passes the Host and Origin checks: a Prometheus on this machine scraping
 * http://127.0.0.1:PORT/metrics sends neither an Origin nor a foreign Host, so it works; a scraper
 * elsewhere needs `--host` and `--allow-host` like any other client. No token (nothing here can
 * change the runtime, and a browser page on another origin is refused by the Origin check).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { NodeStats } from '../protocol';
import type { ServerContext } from './context';

interface SessionSnapshot {
  kind: string;
  nodes: Record<string, NodeStats>;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Builds the registry; every value is read when scraped. */
export function createMetricsRegistry(ctx: Pick<ServerContext, 'sessions' | 'engineMetrics'>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const snapshot = () => ctx.sessions.sessionStats() as Record<string, SessionSnapshot>;
  const engine = () => (ctx.engineMetrics?.() ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

  new Gauge({
    name: 'patchbay_sessions',
    help: 'Runtime sessions alive, by kind (webrtc, headless, editor)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>([
        ['webrtc', 0],
        ['headless', 0],
        ['editor', 0],
      ]);
      for (const s of Object.values(snapshot())) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
      for (const [kind, n] of counts) this.set({ kind }, n);
    },
  });
  new Gauge({
    name: 'patchbay_peers',
    help: 'WebRTC peer connections attached to sessions',
    registers: [registry],
    collect() {
      this.set(ctx.sessions.metrics().peers);
    },
  });
  new Gauge({
    name: 'patchbay_workers',
    help: 'Pipeline worker threads alive in the engine',
    registers: [registry],
    collect() {
      const e = engine();
      this.set('workersAlive' in e ? num(e.workersAlive) : ctx.sessions.metrics().workers);
    },
  });
  new Counter({
    name: 'patchbay_worker_restarts_total',
    help: 'Pipeline workers restarted after a crash since the process started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(num(engine().workerRestarts));
    },
  });
  new Counter({
    name: 'patchbay_frames_produced_total',
    help: 'Frames produced by the engine since the process started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(num(engine().framesProduced));
    },
  });
  new Gauge({
    name: 'patchbay_frame_pool_bytes',
    help: 'Bytes held by the shared frame pools',
    registers: [registry],
    collect() {
      this.set(num(engine().poolBytes));
    },
  });

  const perNode = <T extends Gauge | Counter>(
    make: (cfg: { name: string; help: string; labelNames: string[]; registers: Registry[] }) => T,
    name: string,
    help: string,
    value: (s: NodeStats) => number,
  ) => {
    const metric = make({ name, help, labelNames: ['session', 'kind', 'node'], registers: [registry] });
    (metric as unknown as { collect: () => void }).collect = () => {
      metric.reset();
      for (const [session, s] of Object.entries(snapshot()))
        for (const [node, stats] of Object.entries(s.nodes ?? {})) {
          const v = value(stats);
          const labels = { session, kind: s.kind, node };
          if (metric instanceof Counter) metric.inc(labels, num(v));
          else (metric as Gauge).set(labels, num(v));
        }
    };
    return metric;
  };
  const gauge = (cfg: ConstructorParameters<typeof Gauge>[0]) => new Gauge(cfg);
  const counter = (cfg: ConstructorParameters<typeof Counter>[0]) => new Counter(cfg);
  perNode(gauge, 'patchbay_node_fps', 'Frames per second out of a node', (s) => s.fps_out);
  perNode(
    gauge,
    'patchbay_node_latency_p50_ms',
    'Median milliseconds of processing per frame',
    (s) => s.ms_p50,
  );
  perNode(
    gauge,
    'patchbay_node_latency_p99_ms',
    '99th percentile milliseconds of processing per frame',
    (s) => s.ms_p99,
  );
  perNode(gauge, 'patchbay_node_queue_depth', 'Frames waiting in the node input queue', (s) => s.queue_depth);
  perNode(counter, 'patchbay_node_drops_total', 'Frames a node dropped (drop-oldest queues)', (s) => s.drops);
  perNode(counter, 'patchbay_node_frames_out_total', 'Frames a node produced', (s) => s.frames_out);
  return registry;
}

export function metricsRoute(app: FastifyInstance, ctx: ServerContext): void {
  const registry = createMetricsRegistry(ctx);
  app.get('/metrics', async (_req, reply) =>
    reply
      .type(METRICS_CONTENT_TYPE)
      .header('cache-control', 'no-store')
      .send(await registry.metrics()),
  );
}
