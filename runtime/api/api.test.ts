import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openPatch, PatchError, startRuntime } from '.';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const example = join(root, 'patches/examples/test-pattern-gray.patch');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pb-api-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('openPatch', () => {
  it('loads a file, JSON text or an object built in code', async () => {
    const fromFile = await openPatch(example);
    const fromText = await openPatch(readFileSync(example, 'utf8'));
    const fromObject = await openPatch(JSON.parse(readFileSync(example, 'utf8')) as object);
    expect(fromFile.nodes.map((n) => n.id)).toEqual(fromText.nodes.map((n) => n.id));
    expect(fromObject.nodes.length).toBe(fromFile.nodes.length);
  });

  it('throws a PatchError naming every problem', async () => {
    await expect(openPatch(join(tmp(), 'missing.patch'))).rejects.toThrow(
      /missing\.patch[\s\S]*no such file/,
    );
    const bad = {
      format: 'patchbay',
      version: 1,
      nodes: [{ id: 'x', type: 'pipeline', params: {} }],
      edges: [{ id: 'e', from: { node: 'nope', port: 'video' }, to: { node: 'x', port: 'video' } }],
    };
    const error = await openPatch(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatchError);
    expect((error as PatchError).problems.length).toBeGreaterThan(0);
  });
});

describe('startRuntime', () => {
  it('runs a patch headless: frames, live params, stats', async () => {
    const patch = await openPatch(example);
    const output = patch.nodes.find((n) => n.type === 'output')!.id;
    const rt = await startRuntime(patch, { clock: 'fixed', dataDir: tmp() });
    try {
      const frame = await rt.nextFrame(output);
      expect(frame.width).toBeGreaterThan(0);
      expect(rt.latestFrame()).not.toBeNull();
      const pipeline = patch.nodes.find((n) => n.type === 'pipeline');
      if (pipeline) await rt.setParams(pipeline.id, { strength: 0.25 });
      await new Promise((r) => setTimeout(r, 1500));
      const stats = rt.stats();
      expect(stats[output]!.frames_in).toBeGreaterThan(0);
    } finally {
      await rt.stop();
    }
  });

  it('serves a patch: the URL answers /health and the session shows up in /metrics', async () => {
    const rt = await startRuntime(example, { serve: { port: 0 }, dataDir: tmp() });
    try {
      expect(rt.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${rt.url}/health`)).status).toBe(200);
      await rt.nextFrame();
      expect(await (await fetch(`${rt.url}/metrics`)).text()).toMatch(
        /patchbay_sessions\{kind="headless"\} 1/,
      );
    } finally {
      await rt.stop();
    }
  });
});
