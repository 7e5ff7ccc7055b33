import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { i420Planes, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { createServer, patchFromPipelines, type PatchbayServer } from '../server';
import { mediaPeerFactory } from '../server/media';
import { createSession } from '../session';
import { enableCloudMode } from './cloud-server';

/**
 * A Prompt-timeline wired into a remote prompt-tint: the timeline's prompts travel with the
 * frames (Scope's data-channel `prompts`, addressed to the node) through the relay to the cloud
 * runtime's pipeline, so the colour of what comes back follows the timeline: red, then — after
 * a seek into the next entry — blue. (Before, the remote got the frames only: neutral gray.)
 */

const TOKEN = 'relay-prompts-token-0123456789abcdef0123456789';
let local: PatchbayServer;
let cloud: PatchbayServer;
let localUrl: string;
let cloudUrl: string;
const dirs: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(fn: () => T | null | undefined | false, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Mean U and V of a frame (128: neutral; red has V above U, blue U above V). */
function chroma(f: VideoFrame): { u: number; v: number } {
  const p = i420Planes(f.width, f.height);
  let u = 0;
  let v = 0;
  for (let i = 0; i < p.chroma; i++) {
    u += f.data[p.u + i]!;
    v += f.data[p.v + i]!;
  }
  return { u: u / p.chroma, v: v / p.chroma };
}

beforeAll(async () => {
  const make = () => {
    const d = mkdtempSync(join(tmpdir(), 'pb-relay-prompts-'));
    dirs.push(d);
    return createServer({
      port: 0,
      dataDir: d,
      createSession: (o) => createSession(o),
      createPeer: mediaPeerFactory(),
      log: () => {},
    });
  };
  local = make();
  cloud = make();
  enableCloudMode(cloud, { token: TOKEN });
  localUrl = await local.listen();
  cloudUrl = await cloud.listen();
});

afterAll(async () => {
  await local?.close();
  await cloud?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a timeline into a remote pipeline', () => {
  it('red then blue through the relay changes the remote prompt-tint output colour', async () => {
    await fetch(`${localUrl}/api/v1/cloud/connect`, {
      method: 'POST',
      body: JSON.stringify({ url: cloudUrl, api_key: TOKEN }),
    });
    for (let i = 0; i < 100; i++) {
      const s = (await (await fetch(`${localUrl}/api/v1/cloud/status`)).json()) as { connected: boolean };
      if (s.connected) break;
      await sleep(100);
    }
    const base = patchFromPipelines({
      pipelineIds: ['prompt-tint'],
      inputMode: 'text',
      loadParams: { backend: 'remote' },
      name: 'remote tint',
    }) as Patch;
    const pipeline = base.nodes.find((n) => n.type === 'pipeline')!;
    const patch: Patch = {
      ...base,
      nodes: [
        ...base.nodes,
        {
          id: 'timeline',
          type: 'prompt-timeline',
          version: 1,
          position: { x: 0, y: 300 },
          params: {
            loop: false,
            entries: [
              { start_time: 0, end_time: 1000, prompts: [{ text: 'red', weight: 1 }] },
              { start_time: 1000, end_time: 2000, prompts: [{ text: 'blue', weight: 1 }] },
            ],
          },
        },
      ],
      edges: [
        ...base.edges,
        {
          id: 'e_tl',
          from: { node: 'timeline', port: 'prompts' },
          to: { node: pipeline.id, port: 'prompts' },
        },
      ],
    };
    const start = await fetch(`${localUrl}/api/v1/session/start`, {
      method: 'POST',
      body: JSON.stringify({ patch }),
    });
    expect(start.status, await start.clone().text()).toBe(200);
    const session = local.sessions.runtime('headless')!.session;
    const output = session.plan()!.nodes.find((n) => n.type === 'output')!.id;
    const red = await until(
      () => {
        const f = session.latestFrame(output);
        const c = f && chroma(f);
        return c && c.v - c.u > 20 ? c : null;
      },
      30_000,
      'red frames from the remote',
    );
    session.timelineSeek('timeline', 1000.5);
    const blue = await until(
      () => {
        const f = session.latestFrame(output);
        const c = f && chroma(f);
        return c && c.u - c.v > 20 ? c : null;
      },
      15_000,
      'blue frames from the remote',
    );
    expect(red.v).toBeGreaterThan(blue.v);
    expect(blue.u).toBeGreaterThan(red.u);
    // The frames really went through the cloud runtime.
    const s = (await (await fetch(`${localUrl}/api/v1/cloud/status`)).json()) as {
      stats: { frames_received_from_cloud: number };
    };
    expect(s.stats.frames_received_from_cloud).toBeGreaterThan(1);
    await fetch(`${localUrl}/api/v1/session/stop`, { method: 'POST' });
    await fetch(`${localUrl}/api/v1/cloud/disconnect`, { method: 'POST' });
  }, 60_000);
});
