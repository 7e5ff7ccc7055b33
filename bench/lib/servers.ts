import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkipScenario } from '../types';
import { freePort, startChild, waitFor, type Child } from './proc';

export const ROOT = join(import.meta.dirname, '..', '..');

/** A running server the client page talks to, with its process id (for CPU and RSS). */
export interface RunningServer {
  name: string;
  url: string;
  pid: number;
  child: Child;
  stop: () => Promise<void>;
}

/** Starts `patchbay serve` on a free loopback port with a fresh data folder, as a user would. */
export async function startPatchbay(extraArgs: string[] = []): Promise<RunningServer> {
  const data = mkdtempSync(join(tmpdir(), 'patchbay-bench-data-'));
  const child = startChild(
    process.execPath,
    [join(ROOT, 'bin/patchbay.mjs'), 'serve', '--port', '0', '--data-dir', data, ...extraArgs],
    {
      cwd: ROOT,
    },
  );
  const url = await waitFor(
    'patchbay serve to print its URL',
    async () => {
      if (child.proc.exitCode !== null)
        throw new Error(`patchbay serve exited with ${child.proc.exitCode}: ${child.output().slice(-2000)}`);
      return /listening on (http:\/\/\S+)/.exec(child.output())?.[1] ?? null;
    },
    60_000,
  );
  return {
    name: 'patchbay',
    url,
    pid: child.pid,
    child,
    stop: async () => {
      await child.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Where Scope's media-stack peer lives: ../shared/peers/aiortc-passthrough (or PATCHBAY_PEER_DIR). */
export function peerScript(): string {
  return join(
    process.env.PATCHBAY_PEER_DIR ?? join(ROOT, '..', 'shared', 'peers', 'aiortc-passthrough'),
    'server.py',
  );
}

const PYTHON = '/usr/bin/python3';
const PEER_PACKAGES = ['python3-aiortc', 'python3-av', 'python3-aiohttp'];

function peerModulesPresent(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import aiortc, av, aiohttp'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure the aiortc peer can run: its script exists, and Debian's python3 has aiortc, av and
 * aiohttp. When they are missing, installs them with apt-get if `install` is set or this runs as
 * root with apt-get present (saying so first); otherwise skips with the command to run.
 */
export function ensurePeer(install: boolean, log: (line: string) => void): string {
  const script = peerScript();
  if (!existsSync(script))
    throw new SkipScenario(`the aiortc peer is not at ${script} (set PATCHBAY_PEER_DIR)`);
  if (!existsSync(PYTHON)) throw new SkipScenario(`no ${PYTHON} (Debian's python3) for the aiortc peer`);
  if (peerModulesPresent()) return script;
  const root = process.getuid?.() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  const cmd = `apt-get install -y ${PEER_PACKAGES.join(' ')}`;
  if (!apt || !(install || root))
    throw new SkipScenario(
      `the aiortc peer needs Debian packages: run "${cmd}" as root (or patchbay bench --install-peer as root)`,
    );
  log(`  installing the aiortc peer's Debian packages (${cmd}); this downloads from the Debian mirror once`);
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...PEER_PACKAGES], {
      stdio: 'ignore',
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new SkipScenario(
      `installing the aiortc peer failed (${(error as Error).message.split('\n')[0]}); run "${cmd}" yourself`,
    );
  }
  if (!peerModulesPresent())
    throw new SkipScenario(`after "${cmd}", ${PYTHON} still cannot import aiortc, av and aiohttp`);
  return script;
}

/** Starts the aiortc peer on a free loopback port and waits for its /health. */
export async function startPeer(script: string): Promise<RunningServer> {
  const port = await freePort();
  const child = startChild(PYTHON, [script, '--host', '127.0.0.1', '--port', String(port)]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the aiortc peer to answer /health',
    async () => {
      if (child.proc.exitCode !== null)
        throw new Error(`the peer exited with ${child.proc.exitCode}: ${child.output().slice(-2000)}`);
      return (await fetch(`${url}/health`)).ok;
    },
    60_000,
  );
  return { name: 'aiortc peer', url, pid: child.pid, child, stop: () => child.stop() };
}
