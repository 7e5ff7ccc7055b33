import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, afterEach } from 'vitest';
import { findFreePort, probeHealth, runtimeCommand, spawnChild } from './runtime-process';
import { RuntimeSupervisor, type SupervisorDeps } from './runtime-supervisor';

const fakeRuntime = fileURLToPath(new URL('./test-fixtures/fake-runtime.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

const realClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
};

function realDeps(mode: string, extraEnv: Record<string, string> = {}): SupervisorDeps {
  return {
    launch: (port) =>
      spawnChild(
        runtimeCommand(
          {
            nodePath: process.execPath,
            electronAsNode: false,
            entry: fakeRuntime,
            root,
            baseEnv: { ...process.env, FAKE_RUNTIME_MODE: mode, ...extraEnv },
          },
          port,
        ),
      ),
    findFreePort: () => findFreePort(),
    probeHealth: (url) => probeHealth(url, 500),
    clock: realClock,
    random: Math.random,
  };
}

const running: RuntimeSupervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('runtimeCommand', () => {
  it('runs `serve` on loopback with the port, without Electron variables or NODE_OPTIONS', () => {
    const cmd = runtimeCommand(
      {
        nodePath: '/opt/Patchbay/patchbay',
        electronAsNode: true,
        entry: '/r/bin/patchbay.mjs',
        root: '/r',
        baseEnv: {
          PATH: '/usr/bin',
          NODE_OPTIONS: '--inspect',
          ELECTRON_ENABLE_LOGGING: '1',
          HOME: undefined,
        },
        extraArgs: ['--patch', '/p/a.patch'],
      },
      4123,
    );
    expect(cmd.command).toBe('/opt/Patchbay/patchbay');
    expect(cmd.args).toEqual([
      '/r/bin/patchbay.mjs',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '4123',
      '--patch',
      '/p/a.patch',
    ]);
    expect(cmd.env).toEqual({
      PATH: '/usr/bin',
      ELECTRON_RUN_AS_NODE: '1',
      PATCHBAY_LAUNCHED_BY: 'patchbay-app',
    });
    expect(cmd.cwd).toBe('/r');
  });

  it('refuses a port out of range', () => {
    const spec = { nodePath: 'node', electronAsNode: false, entry: 'e', root: '/', baseEnv: {} };
    expect(() => runtimeCommand(spec, 0)).toThrow(/invalid runtime port 0/);
    expect(() => runtimeCommand(spec, 70_000)).toThrow(/invalid runtime port 70000/);
  });
});

describe('findFreePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    await new Promise<void>((resolve, reject) => {
      const server = createServer().once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});

describe('probeHealth', () => {
  it('is false, not an exception, when nothing listens', async () => {
    const port = await findFreePort();
    expect(await probeHealth(`http://127.0.0.1:${port}`, 500)).toBe(false);
  });
});

describe('RuntimeSupervisor with a real child process', () => {
  it('starts, waits for /health, and stops with SIGTERM', async () => {
    const sup = new RuntimeSupervisor(realDeps('healthy'), { healthIntervalMs: 50 });
    running.push(sup);
    const url = await sup.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await probeHealth(url)).toBe(true);
    expect(await sup.stop()).toEqual({ graceful: true });
    expect(await probeHealth(url, 300)).toBe(false);
    expect(sup.logTail().join('\n')).toMatch(/SIGTERM, closing/);
  });

  it('restarts a child that crashes, then serves again', async () => {
    const sup = new RuntimeSupervisor(realDeps('crash-after', { FAKE_RUNTIME_CRASH_MS: '400' }), {
      healthIntervalMs: 50,
      backoffMs: [100],
    });
    running.push(sup);
    const readyPids: number[] = [];
    sup.onReady(() => readyPids.push(sup.snapshot().pid ?? -1));
    await sup.start();
    // Poll rather than sleep a fixed time: the machine is shared and child start-up varies.
    for (let waited = 0; readyPids.length < 2 && waited < 15_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(readyPids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(readyPids).size).toBe(readyPids.length);
    expect(sup.snapshot().restarts).toBeGreaterThanOrEqual(1);
    expect(sup.logTail().join('\n')).toMatch(/crashing on purpose/);
  });

  it('reports a runtime that exits before listening, with its output', async () => {
    const sup = new RuntimeSupervisor(realDeps('exit-early'), { maxStartFailures: 2, backoffMs: [50] });
    running.push(sup);
    const error = (await sup.start().then(
      () => new Error('resolved'),
      (e: unknown) => e,
    )) as Error & { log: string[] };
    expect(error.message).toMatch(/exited with code 3 before it became healthy/);
    expect(error.log.join('\n')).toMatch(/failing on purpose before listening/);
  });

  it('kills a runtime that ignores SIGTERM', async () => {
    const sup = new RuntimeSupervisor(realDeps('ignore-sigterm'), {
      healthIntervalMs: 50,
      stopTimeoutMs: 300,
    });
    running.push(sup);
    const url = await sup.start();
    expect(await sup.stop()).toEqual({ graceful: false });
    expect(await probeHealth(url, 300)).toBe(false);
  });

  it('reports a missing node binary as a failed start, not a crash of the app', async () => {
    const deps = realDeps('healthy');
    deps.launch = (port) =>
      spawnChild(
        runtimeCommand(
          { nodePath: '/nonexistent/node', electronAsNode: false, entry: fakeRuntime, root, baseEnv: {} },
          port,
        ),
      );
    const sup = new RuntimeSupervisor(deps, { maxStartFailures: 1 });
    running.push(sup);
    const error = (await sup.start().then(
      () => new Error('resolved'),
      (e: unknown) => e,
    )) as Error & { log: string[] };
    expect(error.log.join('\n')).toMatch(/could not start \/nonexistent\/node/);
  });
});
