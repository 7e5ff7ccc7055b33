import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureOpen500 } from './open500';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const haveChromium = existsSync('/usr/bin/chromium');
let proc: ChildProcess | null = null;
let url = '';
let tmp = '';

beforeAll(async () => {
  if (!haveChromium) return;
  tmp = mkdtempSync(join(tmpdir(), 'pb-bench-open500-'));
  if (!existsSync(join(root, 'editor/dist/index.html'))) {
    const b = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'editor/vite.config.ts',
        '--logLevel',
        'error',
      ],
      { cwd: root },
    );
    if (b.status !== 0) throw new Error('editor build failed');
  }
  proc = spawn(
    process.execPath,
    [join(root, 'bin/patchbay.mjs'), 'serve', '--port', '0', '--data-dir', join(tmp, 'data')],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    let err = '';
    proc!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc!.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}, 120_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await new Promise((r) => proc!.once('exit', r));
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveChromium)('measureOpen500', () => {
  it('opens 500 nodes and reports open time and pan frame times', async () => {
    const r = await measureOpen500({ url: `${url}/`, panSteps: 20 });
    console.log(`[bench] open500: ${JSON.stringify(r)}`);
    expect(r.nodes).toBe(500);
    expect(r.openMs).toBeGreaterThan(0);
    expect(r.firstPaintMs).toBeGreaterThanOrEqual(r.openMs);
    expect(r.pan.frames).toBeGreaterThanOrEqual(10);
    expect(r.pan.p50).toBeGreaterThan(0);
  }, 90_000);
});
