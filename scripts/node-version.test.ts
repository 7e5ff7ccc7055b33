import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

// Patchbay supports Node ≥ 22 (package.json engines). On a machine whose own Node is older, the
// `node` devDependency puts Node 24 at node_modules/.bin/node, which npm scripts (npm test,
// npm start) and npx find first on PATH. These checks fail if any layer falls back to the
// machine's Node: the vitest worker, a worker thread it starts, a child found through PATH (as
// the desktop app's default `node` and shell scripts find it) and the CLI's child process.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = (version: string) => Number(/^v?(\d+)/.exec(version)![1]);

describe('the Node that runs Patchbay', () => {
  it('the test worker itself runs on Node >= 22', () => {
    expect(major(process.version)).toBeGreaterThanOrEqual(22);
  });

  it('a worker thread runs on Node >= 22', async () => {
    const worker = new Worker("require('node:worker_threads').parentPort.postMessage(process.version)", {
      eval: true,
    });
    const version = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(major(version)).toBeGreaterThanOrEqual(22);
  });

  it('`node` found through PATH is Node >= 22', () => {
    const version = execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    expect(major(version)).toBeGreaterThanOrEqual(22);
  });

  it('the CLI spawned as the e2e harness and the app spawn it reports Node >= 22', () => {
    const out = execFileSync(process.execPath, [join(root, 'bin/patchbay.mjs'), '--version'], {
      encoding: 'utf8',
    });
    const node = /node (v\d+\.\d+\.\d+)/.exec(out);
    expect(node, out).not.toBeNull();
    expect(major(node![1]!)).toBeGreaterThanOrEqual(22);
  });
});
