/**
 * The real-world side of runtime supervision: finding a free loopback port, spawning the
 * runtime as a child process, and probing its `/health`. Node-only (net, child_process, fetch);
 * no Electron, so the integration test runs it against a real child.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { ChildHandle } from './runtime-supervisor';

/** Asks the OS for a free port on 127.0.0.1 (listen on 0, read it, close). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS returned no port'))));
    });
  });
}

/** How to start the runtime: the command line and environment for one port. */
export interface RuntimeCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Where the runtime lives and which Node runs it. */
export interface RuntimeCommandSpec {
  /** A Node binary, or Electron's own binary used as Node (then `electronAsNode` is true). */
  nodePath: string;
  electronAsNode: boolean;
  /** The `bin/patchbay.mjs` entry. */
  entry: string;
  /** The repository (or unpacked resources) root, the child's working directory. */
  root: string;
  /** The parent's environment, filtered before it is passed on. */
  baseEnv: Record<string, string | undefined>;
  /** Extra `serve` arguments (for example `--patch <file>`), after host and port. */
  extraArgs?: string[];
}

/**
 * Builds the `patchbay serve` command for a port. The runtime binds loopback only; Electron's
 * own variables that would change a Node child's behaviour are not passed on.
 */
export function runtimeCommand(spec: RuntimeCommandSpec, port: number): RuntimeCommand {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`invalid runtime port ${port}`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.baseEnv)) {
    if (value === undefined) continue;
    if (key.startsWith('ELECTRON_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  if (spec.electronAsNode) env.ELECTRON_RUN_AS_NODE = '1';
  env.PATCHBAY_LAUNCHED_BY = 'patchbay-app';
  return {
    command: spec.nodePath,
    args: [spec.entry, 'serve', '--host', '127.0.0.1', '--port', String(port), ...(spec.extraArgs ?? [])],
    env,
    cwd: spec.root,
  };
}

/** Spawns a command as a ChildHandle: output split into lines, exit reported once. */
export function spawnChild(cmd: RuntimeCommand): ChildHandle {
  const child = spawn(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: cmd.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outputListeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  let exit: { code: number | null; signal: string | null } | null = null;
  const emitLine = (stream: 'stdout' | 'stderr') => (line: string) => {
    for (const listener of outputListeners) listener(line, stream);
  };
  createInterface({ input: child.stdout }).on('line', emitLine('stdout'));
  createInterface({ input: child.stderr }).on('line', emitLine('stderr'));
  const finish = (code: number | null, signal: string | null) => {
    if (exit) return;
    exit = { code, signal };
    for (const listener of exitListeners) listener(code, signal);
  };
  child.once('exit', (code, signal) => finish(code, signal));
  // A binary that cannot be started emits 'error' and no 'exit'; report it as an exit so the
  // supervisor counts a failed start instead of waiting forever.
  child.once('error', (error) => {
    emitLine('stderr')(`could not start ${cmd.command}: ${error.message}`);
    finish(null, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    onOutput: (listener) => void outputListeners.push(listener),
    onExit: (listener) => {
      if (exit) listener(exit.code, exit.signal);
      else exitListeners.push(listener);
    },
    kill: (signal) => {
      if (!exit) child.kill(signal);
    },
  };
}

/**
 * One probe of `${baseUrl}/health`: true when it answers 200 with `{status: "healthy"}` within
 * `timeoutMs`. Never rejects: a refused connection is simply "not yet".
 */
export async function probeHealth(baseUrl: string, timeoutMs = 1_500): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return false;
    const body = (await response.json()) as { status?: unknown };
    return body?.status === 'healthy';
  } catch {
    return false;
  }
}
