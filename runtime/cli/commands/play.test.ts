import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../../io';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main';
import { headlessPatch, parseDuration, parsePlayArgs } from './play';

const EXAMPLE = new URL('../../../patches/examples/test-pattern-gray.patch', import.meta.url).pathname;
const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'patchbay-play-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('patchbay play', () => {
  it('plays the gray example with a fixed clock and writes gray PNGs and stats.json', async () => {
    const dir = await tmp();
    const { io, out } = capture();
    const code = await main(
      ['play', EXAMPLE, '--duration', '2s', '--clock', 'fixed', '--out', dir, '--every', '15'],
      io,
    );
    expect(code).toBe(0);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      'output-000000.png',
      'output-000015.png',
      'output-000030.png',
      'output-000045.png',
      'stats.json',
    ]);
    for (const f of files.filter((f) => f.endsWith('.png'))) {
      const png = decodeImage(await readFile(join(dir, f)), f);
      expect([png.width, png.height]).toEqual([512, 512]);
      let colourful = 0;
      for (let i = 0; i < png.data.length; i += 4)
        if (png.data[i] !== png.data[i + 1] || png.data[i + 1] !== png.data[i + 2]) colourful++;
      expect(colourful).toBe(0);
    }
    const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8'));
    expect(stats.outputs).toEqual({ output: 60 });
    expect(stats.nodes.gray).toMatchObject({ status: 'running', frames_out: 60, drops: 0 });
    expect(stats.engine.workersAlive).toBe(0);
    expect(out.join('\n')).toMatch(/played 2\.0 s \(fixed clock\)/);

    // Each PNG carries the patch that made it: `patchbay import` gives it back, as it was.
    const back = join(dir, 'back.patch');
    const imported = capture();
    expect(await main(['import', join(dir, 'output-000015.png'), '-o', back], imported.io)).toBe(0);
    expect(imported.out.join('\n')).toMatch(/carries the patch that made it/);
    const original = JSON.parse(await readFile(EXAMPLE, 'utf8'));
    const reopened = JSON.parse(await readFile(back, 'utf8'));
    expect(reopened.nodes).toEqual(original.nodes);
    expect(reopened.edges).toEqual(original.edges);
    // A PNG that was not written by Patchbay says so.
    const plain = join(dir, 'plain.png');
    const { encodePng } = await import('../../io');
    await writeFile(
      plain,
      encodePng({ width: 4, height: 4, data: new Uint8Array(24), timestampMs: 0, seq: 0 }),
    );
    const none = capture();
    expect(await main(['import', plain, '-o', join(dir, 'x.patch')], none.io)).toBe(1);
    expect(none.err.join('\n')).toMatch(/plain\.png: carries no patch/);
  });

  it('runs as the real CLI, with workers started from bin/patchbay.mjs', async () => {
    const { execFile } = await import('node:child_process');
    const bin = new URL('../../../bin/patchbay.mjs', import.meta.url).pathname;
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'play', EXAMPLE, '--duration', '1s', '--clock', 'fixed'],
        { timeout: 25_000 },
        (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/played 1\.0 s \(fixed clock\)/);
    expect(result.stdout).toMatch(/gray\s+running\s+in\s+30\s+out\s+30/);
  });

  it('exits 1 with the compiler errors for a bad patch', async () => {
    const dir = await tmp();
    const file = join(dir, 'bad.patch');
    const patch = JSON.parse(await readFile(EXAMPLE, 'utf8'));
    patch.edges.push({
      id: 'loop',
      from: { node: 'gray', port: 'video' },
      to: { node: 'gray', port: 'video' },
    });
    await writeFile(file, JSON.stringify(patch));
    const { io, err } = capture();
    expect(await main(['play', file, '--clock', 'fixed', '--duration', '1s'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/cannot be played/);
    expect(err.length).toBeGreaterThan(1);
    const missing = capture();
    expect(await main(['play', join(dir, 'nope.patch')], missing.io)).toBe(1);
    expect(missing.err[0]).toMatch(/no such file/);
  });

  it('parses its arguments and substitutes the test pattern for a browser camera', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('soon')).toBeNull();
    expect(parsePlayArgs(['a.patch', '--fps', '0'])).toEqual({ error: '--fps takes a number from 1 to 120' });
    expect(parsePlayArgs(['--clock', 'fast', 'a.patch'])).toMatchObject({
      error: expect.stringMatching(/--clock/),
    });
    expect(parsePlayArgs(['a.patch', '--every', '1', '--clock', 'fixed'])).toMatchObject({
      file: 'a.patch',
      every: 1,
      clock: 'fixed',
    });
    const { patch, substituted } = headlessPatch(
      {
        format: 'patchbay',
        format_version: 1,
        metadata: { name: 'x', created_at: '', app_version: '' },
        nodes: [{ id: 'cam', type: 'camera', version: 1, params: {}, position: { x: 0, y: 0 } }],
        edges: [],
      },
      24,
    );
    expect(substituted).toEqual(['cam']);
    expect(patch.nodes[0]!.params).toEqual({ source_mode: 'test_pattern', fps: 24 });
  });
});
