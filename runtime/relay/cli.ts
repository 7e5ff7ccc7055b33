import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultEventSinks } from '../events';
import {
  enableCloudMode,
  DEFAULT_MAX_SESSION_MS,
  MIN_CLOUD_TOKEN_LENGTH,
  type CloudHost,
  type CloudMode,
} from './cloud-server';
import { RELAY_PATH } from './protocol';

/**
 * `patchbay serve --cloud [--cloud-token T] [--max-session-duration D]`: the flags that turn a
 * runtime into a cloud runtime, parsed apart from serve's own so the two stay independent.
 */

export interface CloudArgs {
  token: string;
  maxSessionMs: number;
  /** No token was given: this one is random, written to `<dataDir>/cloud-token` (never printed). */
  generated?: boolean;
}

export const CLOUD_USAGE =
  '[--cloud [--cloud-token T (32+ characters; generated when absent)] [--max-session-duration 1h|30m|90s|500ms]]';

/** Parses a duration: a number of seconds, or a number with ms, s, m or h. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`--max-session-duration must be like 3600, 90s, 30m, 2h or 500ms, got "${text}"`);
  const n = Number(m[1]);
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(ms >= 1 && ms <= 7 * 24 * 3_600_000))
    throw new Error(`--max-session-duration must be between 1 ms and 7 days, got "${text}"`);
  return Math.round(ms);
}

/**
 * Takes the cloud flags out of serve's arguments. Returns the rest for serve's own parser and
 * the cloud settings (null without `--cloud`). Throws an Error naming what is wrong.
 */
export function extractCloudArgs(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { rest: string[]; cloud: CloudArgs | null } {
  const rest: string[] = [];
  let cloud = false;
  let token: string | undefined;
  let maxSessionMs: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--cloud') cloud = true;
    else if (flag === '--cloud-token') token = value();
    else if (flag === '--max-session-duration') maxSessionMs = parseDuration(value());
    else rest.push(arg);
  }
  if (!cloud) {
    if (token !== undefined || maxSessionMs !== undefined)
      throw new Error('--cloud-token and --max-session-duration only apply with --cloud');
    return { rest, cloud: null };
  }
  token ??= env.PATCHBAY_CLOUD_TOKEN?.trim() || undefined;
  const maxMs = maxSessionMs ?? DEFAULT_MAX_SESSION_MS;
  if (!token)
    return { rest, cloud: { token: randomBytes(32).toString('hex'), maxSessionMs: maxMs, generated: true } };
  if (token.length < MIN_CLOUD_TOKEN_LENGTH)
    throw new Error(
      `the cloud token must be at least ${MIN_CLOUD_TOKEN_LENGTH} characters (leave it out and one is generated)`,
    );
  return { rest, cloud: { token, maxSessionMs: maxMs } };
}

/** Turns the built server into a cloud runtime with the default event sinks; returns a line to print. */
export async function startCloudMode(
  server: CloudHost,
  cloud: CloudArgs,
  dataDir: string | undefined,
  log: (line: string) => void,
): Promise<{ mode: CloudMode; message: string }> {
  const dir = dataDir ?? join(homedir(), '.patchbay');
  const sinks = await defaultEventSinks(dir, process.env, log);
  const mode = enableCloudMode(server, { token: cloud.token, maxSessionMs: cloud.maxSessionMs, sinks, log });
  let where = '';
  if (cloud.generated) {
    // The token never goes to stdout or a log: it is written where only this user can read it.
    const file = join(dir, 'cloud-token');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${cloud.token}\n`, { mode: 0o600 });
    where = `; no token was given, so a random one was written to ${file} (readable by you only)`;
  }
  return {
    mode,
    message: `Cloud mode: relay WebSocket at ${RELAY_PATH} (token required${where}; sessions end after ${Math.round(cloud.maxSessionMs / 1000)} s); plain HTTP closed except /health`,
  };
}
