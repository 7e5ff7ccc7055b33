import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Clock ticks per second for /proc/PID/stat (USER_HZ is 100 on every Linux this runs on). */
const HZ = 100;

/** CPU time (user + system) a process and all its threads have used, in ms; null off Linux. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes; null off Linux. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 200 ms until it returns a truthy value; throws naming `what` after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | false | undefined>,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${ms / 1000} s waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`,
  );
}

/** A child process with its output kept (last 20 kB) for error messages. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Spawns a program; `stop()` sends SIGTERM, then SIGKILL after 5 s. */
export function startChild(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Child {
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    pid: proc.pid ?? -1,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
