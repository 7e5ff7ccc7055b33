import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Patch } from '../../patches';
import { launchChromium, servePages } from '../lib/chromium';
import { freePort, waitFor } from '../lib/proc';
import { ROOT, startPatchbay, type RunningServer } from '../lib/servers';
import { measureStream, type StreamSummary } from '../lib/stream';
import { figure, withFloor } from '../stats';
import { SkipScenario, type Scenario } from '../types';
import { CLIENT_DIR, streamTiming } from './passthrough';

const TOKEN = 'patchbay-bench-relay-token-0123456789';

/** Camera (the page) → Pipeline(passthrough, local or remote backend) → Output. */
export function relayPatch(backend: 'local' | 'remote'): Patch {
  const pos = { x: 0, y: 0 };
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: `bench relay ${backend}`, created_at: new Date(0).toISOString(), app_version: '0.1.0' },
    nodes: [
      {
        id: 'camera',
        type: 'camera',
        version: 1,
        position: pos,
        params: { source_mode: 'camera', width: 512, height: 512, fps: 30 },
      },
      {
        id: 'fx',
        type: 'pipeline',
        version: 1,
        position: pos,
        params: { pipeline_id: 'passthrough', backend, remote_fallback: 'hold' },
      },
      { id: 'output', type: 'output', version: 1, position: pos, params: { name: 'out' } },
    ],
    edges: [
      { id: 'e1', from: { node: 'camera', port: 'video' }, to: { node: 'fx', port: 'video' } },
      { id: 'e2', from: { node: 'fx', port: 'video' }, to: { node: 'output', port: 'video' } },
    ],
  };
}

/**
 * Scenario 8 — relay: scenario 2's stream through a cloud runtime on loopback. Two `patchbay
 * serve` processes: a local one the page talks to, and a `--cloud` one it connects to
 * (`POST /api/v1/cloud/connect`); the patch's Pipeline runs with backend "remote", so every
 * frame goes local → cloud → local. Beside it in the same run, the same patch with the pipeline
 * local. Added latency of the relay hop = the two glass-to-glass figures' difference.
 */
export const relayScenario: Scenario = {
  id: 'relay',
  number: 8,
  title: 'Relay (scenario 2 through a cloud runtime on loopback)',
  async run(ctx, result) {
    if (!existsSync(join(ROOT, 'runtime/relay/cli.ts')))
      throw new SkipScenario('the relay does not exist yet (runtime/relay)');
    const { warmupMs, durationMs, runs } = streamTiming(ctx);
    const browser = await launchChromium();
    const pages = await servePages(CLIENT_DIR, ['bench-client.html']);
    const local: StreamSummary[] = [];
    const relayed: StreamSummary[] = [];
    try {
      for (let r = 0; r < runs; r++) {
        const servers: RunningServer[] = [];
        try {
          const lp = await startPatchbay();
          servers.push(lp);
          ctx.log(`  run ${r + 1}/${runs}: local pipeline…`);
          local.push(
            await measureStream(browser.context, pages.origin, {
              query: { server: lp.url, initial: JSON.stringify({ patch: relayPatch('local') }) },
              warmupMs,
              durationMs,
              pid: lp.pid,
            }),
          );
          const port = await freePort();
          const cloud = await startPatchbay(['--port', String(port), '--cloud', '--cloud-token', TOKEN]);
          servers.push(cloud);
          const res = await fetch(`${lp.url}/api/v1/cloud/connect`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ url: cloud.url, api_key: TOKEN }),
          });
          if (!res.ok) throw new Error(`cloud/connect answered ${res.status}: ${await res.text()}`);
          await waitFor(
            'the relay to connect',
            async () =>
              ((await (await fetch(`${lp.url}/api/v1/cloud/status`)).json()) as { connected?: boolean })
                .connected,
            20_000,
          );
          ctx.log(`  run ${r + 1}/${runs}: through the cloud runtime…`);
          relayed.push(
            await measureStream(browser.context, pages.origin, {
              query: { server: lp.url, initial: JSON.stringify({ patch: relayPatch('remote') }) },
              warmupMs,
              durationMs,
              pid: lp.pid,
            }),
          );
          const s = relayed[relayed.length - 1]!;
          ctx.log(
            `    shown ${s.shown_fps.toFixed(1)} fps, glass to glass p50 ${s.latency_p50?.toFixed(0)} / p99 ${s.latency_p99?.toFixed(0)} ms (local ${local[local.length - 1]!.latency_p50?.toFixed(0)} ms)`,
          );
        } catch (error) {
          throw new Error(
            `${(error as Error).message}\n${servers.map((s) => s.child.output().slice(-800)).join('\n---\n')}`,
            { cause: error },
          );
        } finally {
          for (const s of servers.reverse()) await s.stop();
        }
      }
    } finally {
      await browser.close();
      await pages.close();
    }
    const v = (xs: StreamSummary[], k: 'latency_p50' | 'latency_p99' | 'shown_fps') =>
      xs.map((s) => s[k] ?? NaN);
    const l50 = figure('local_g2g_p50', 'pipeline local: glass to glass p50', 'ms', v(local, 'latency_p50'));
    const l99 = figure('local_g2g_p99', 'pipeline local: glass to glass p99', 'ms', v(local, 'latency_p99'));
    const r50 = withFloor(
      figure('relay_g2g_p50', 'through the cloud: glass to glass p50', 'ms', v(relayed, 'latency_p50')),
      l50,
    );
    const r99 = withFloor(
      figure('relay_g2g_p99', 'through the cloud: glass to glass p99', 'ms', v(relayed, 'latency_p99')),
      l99,
    );
    const hop = (k: 'latency_p50' | 'latency_p99') =>
      relayed.map((s, i) => (s[k] ?? NaN) - (local[i]?.[k] ?? NaN));
    result.figures.push(
      figure('local_shown_fps', 'pipeline local: fps shown', 'fps', v(local, 'shown_fps')),
      figure('relay_shown_fps', 'through the cloud: fps shown', 'fps', v(relayed, 'shown_fps')),
      l50,
      l99,
      r50,
      r99,
      figure('relay_hop_p50', 'added by the relay hop, p50', 'ms', hop('latency_p50')),
      figure('relay_hop_p99', 'added by the relay hop, p99', 'ms', hop('latency_p99')),
    );
    result.details = { local, relayed };
    result.notes.push(
      `${runs} run(s) of ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up; the same client page as scenario 2 with the patch in initialParameters; cloud runtime = a second patchbay serve --cloud on loopback`,
    );
  },
};
