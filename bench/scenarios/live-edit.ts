import type { Patch, PatchEdge, PatchNode } from '../../patches';
import type { PatchChange } from '../../runtime/protocol';
import { launchChromium, servePages } from '../lib/chromium';
import { sleep } from '../lib/proc';
import { openRuntimeSocket } from '../lib/runtime-socket';
import { startPatchbay } from '../lib/servers';
import type { StreamSummary } from '../lib/stream';
import { measureStream } from '../lib/stream';
import { atMost, figure, round, withFloor } from '../stats';
import type { Scenario } from '../types';
import { CLIENT_DIR, streamTiming } from './passthrough';

const pos = { x: 0, y: 0 };
const edge = (id: string, from: string, to: string): PatchEdge => ({
  id,
  from: { node: from, port: 'video' },
  to: { node: to, port: 'video' },
});

/** Camera (the page's canvas) → Pipeline (gray) → Output: the patch the edits start from. */
export function liveEditPatch(): Patch {
  const nodes: PatchNode[] = [
    {
      id: 'cam',
      type: 'camera',
      version: 1,
      position: pos,
      params: { source_mode: 'camera', width: 512, height: 512, fps: 30 },
    },
    { id: 'fx', type: 'pipeline', version: 1, position: pos, params: { pipeline_id: 'gray' } },
    { id: 'out', type: 'output', version: 1, position: pos, params: { name: 'out' } },
  ];
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: 'bench live edit', created_at: new Date(0).toISOString(), app_version: '0.1.0' },
    nodes,
    edges: [edge('e-cam-fx', 'cam', 'fx'), edge('e-fx-out', 'fx', 'out')],
  };
}

/**
 * `count` random edits from a seeded generator, each a list of changes valid against the patch
 * as it stands after the previous ones: a live param (strength), a load param (the pipeline id,
 * which restarts the node), inserting or removing a second pipeline between fx and out, and
 * adding or removing a side Output.
 */
export function randomEdits(count: number, seed = 42): { kind: string; changes: PatchChange[] }[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  let inserted = false;
  let side = false;
  let pipe = 'gray';
  const out: { kind: string; changes: PatchChange[] }[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.4) {
      out.push({
        kind: 'param',
        changes: [{ op: 'node.params', id: 'fx', params: { strength: round(rnd(), 2) } }],
      });
    } else if (r < 0.6) {
      pipe = pipe === 'gray' ? 'passthrough' : 'gray';
      out.push({
        kind: 'pipeline',
        changes: [{ op: 'node.params', id: 'fx', params: { pipeline_id: pipe } }],
      });
    } else if (r < 0.8) {
      out.push({
        kind: inserted ? 'remove node' : 'insert node',
        changes: inserted
          ? [
              { op: 'edge.remove', id: 'e-fx-fx2' },
              { op: 'edge.remove', id: 'e-fx2-out' },
              { op: 'node.remove', id: 'fx2' },
              { op: 'edge.add', edge: edge('e-fx-out', 'fx', 'out') },
            ]
          : [
              {
                op: 'node.add',
                node: {
                  id: 'fx2',
                  type: 'pipeline',
                  version: 1,
                  position: pos,
                  params: { pipeline_id: 'passthrough' },
                },
              },
              { op: 'edge.remove', id: 'e-fx-out' },
              { op: 'edge.add', edge: edge('e-fx-fx2', 'fx', 'fx2') },
              { op: 'edge.add', edge: edge('e-fx2-out', 'fx2', 'out') },
            ],
      });
      inserted = !inserted;
    } else {
      out.push({
        kind: side ? 'remove output' : 'add output',
        changes: side
          ? [
              { op: 'edge.remove', id: 'e-side' },
              { op: 'node.remove', id: 'side' },
            ]
          : [
              {
                op: 'node.add',
                node: {
                  id: 'side',
                  type: 'output',
                  version: 1,
                  position: pos,
                  params: { name: 'side', preview: false },
                },
              },
              { op: 'edge.add', edge: edge('e-side', 'fx', 'side') },
            ],
      });
      side = !side;
    }
  }
  return out;
}

/**
 * Scenario 4 — live edit: the bench client streams its canvas through an editor session
 * (the runtime WebSocket's protocol: patch.load, session.start, patch.change) while 50 random
 * edits are applied, spread evenly over the window. Reported: the maximum and p99 gap between
 * frames shown by the page during the edits, beside the same gaps over an equal window without
 * edits just before (the floor).
 */
export const liveEditScenario: Scenario = {
  id: 'live-edit',
  number: 4,
  title: 'Live edit (gaps between shown frames across 50 random edits)',
  async run(ctx, result) {
    const { warmupMs, durationMs, runs } = streamTiming(ctx);
    const count = ctx.options.quick ? 10 : 50;
    const browser = await launchChromium();
    const pages = await servePages(CLIENT_DIR, ['bench-client.html']);
    const quiet: StreamSummary[] = [];
    const edited: StreamSummary[] = [];
    const failures: string[] = [];
    const kinds: Record<string, number> = {};
    try {
      for (let r = 0; r < runs; r++) {
        const server = await startPatchbay();
        try {
          const socket = await openRuntimeSocket(server.url);
          try {
            const load = await socket.request({ type: 'patch.load', patch: liveEditPatch() });
            if (!load.ok) throw new Error(`patch.load refused: ${load.error}`);
            const start = await socket.request({ type: 'session.start' });
            if (!start.ok) throw new Error(`session.start refused: ${start.error}`);
            const edits = randomEdits(count, 42 + r);
            await measureStream(browser.context, pages.origin, {
              query: { server: server.url, initial: JSON.stringify({ patchbay_session: socket.sessionId }) },
              warmupMs,
              durationMs: 0,
              during: async (page) => {
                const ev = <T>(fn: string) => page.evaluate(fn) as Promise<T>;
                await ev('window.bench.mark("q0")');
                await sleep(durationMs);
                await ev('window.bench.mark("q1")');
                quiet.push(await ev<StreamSummary>('window.bench.summary("q0", "q1")'));
                await ev('window.bench.mark("e0")');
                const t0 = performance.now();
                for (let i = 0; i < edits.length; i++) {
                  const due = t0 + ((i + 0.5) * durationMs) / edits.length;
                  await sleep(Math.max(0, due - performance.now()));
                  const e = edits[i]!;
                  kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
                  const ack = await socket.request({ type: 'patch.change', changes: e.changes });
                  if (!ack.ok) failures.push(`edit ${i + 1} (${e.kind}): ${ack.error}`);
                }
                await sleep(Math.max(0, t0 + durationMs - performance.now()));
                await ev('window.bench.mark("e1")');
                edited.push(await ev<StreamSummary>('window.bench.summary("e0", "e1")'));
              },
            });
          } finally {
            socket.close();
          }
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${server.child.output().slice(-1500)}`, {
            cause: error,
          });
        } finally {
          await server.stop();
        }
        const e = edited[edited.length - 1]!;
        ctx.log(
          `  run ${r + 1}: ${count} edits, gap max ${e.gap_max?.toFixed(0)} ms, p99 ${e.gap_p99?.toFixed(0)} ms, shown ${e.shown_fps.toFixed(1)} fps; without edits max ${quiet[quiet.length - 1]!.gap_max?.toFixed(0)} ms`,
        );
      }
    } finally {
      await browser.close();
      await pages.close();
    }
    const num = (xs: StreamSummary[], k: 'gap_max' | 'gap_p99' | 'shown_fps') => xs.map((s) => s[k] ?? NaN);
    const qMax = figure(
      'quiet_gap_max',
      'no edits: max gap between shown frames',
      'ms',
      num(quiet, 'gap_max'),
    );
    const qP99 = figure('quiet_gap_p99', 'no edits: p99 gap', 'ms', num(quiet, 'gap_p99'));
    const eMax = withFloor(
      figure('edit_gap_max', `${count} edits: max gap between shown frames`, 'ms', num(edited, 'gap_max')),
      qMax,
    );
    const eP99 = withFloor(
      figure('edit_gap_p99', `${count} edits: p99 gap`, 'ms', num(edited, 'gap_p99')),
      qP99,
    );
    const fps = figure('edit_shown_fps', `${count} edits: fps shown`, 'fps', num(edited, 'shown_fps'));
    result.figures.push(qMax, qP99, eMax, eP99, fps);
    const interval = 1000 / 30;
    result.targets.push(
      atMost(
        'max gap across the edits',
        eMax.median,
        round(2 * interval, 1),
        'ms',
        `≤ 2 frame intervals (${round(2 * interval, 1)} ms)`,
      ),
    );
    result.details = { quiet, edited, kinds, failures };
    if (failures.length)
      result.notes.push(`${failures.length} edit(s) refused: ${failures.slice(0, 3).join('; ')}`);
    result.notes.push(
      `${runs} run(s): ${durationMs / 1000} s without edits, then ${count} edits evenly over ${durationMs / 1000} s (${Object.entries(
        kinds,
      )
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}); gaps between requestVideoFrameCallback calls in the client page`,
    );
  },
};
