/**
 * ICE servers for `/api/v1/webrtc/ice-servers` from the environment, for clients that reach the
 * runtime across NATs. Provider-neutral: every TURN service (coturn, Cloudflare Calls, Twilio
 * Network Traversal, Metered, …) hands out URLs plus a username and credential, which go in:
 *
 * | variable | what |
 * |---|---|
 * | `PATCHBAY_STUN_URLS` | comma-separated `stun:` URLs |
 * | `PATCHBAY_TURN_URLS` | comma-separated `turn:` / `turns:` URLs |
 * | `PATCHBAY_TURN_USERNAME`, `PATCHBAY_TURN_CREDENTIAL` | that service's credentials (both required with TURN URLs) |
 *
 * Nothing is set by default (loopback needs no ICE servers); no service is built in.
 */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Reads the variables above; throws naming the variable when one is malformed. */
export function iceServersFromEnv(env: NodeJS.ProcessEnv): IceServer[] {
  const out: IceServer[] = [];
  const stun = list(env.PATCHBAY_STUN_URLS);
  for (const u of stun)
    if (!/^stuns?:/.test(u)) throw new Error(`PATCHBAY_STUN_URLS: "${u}" is not a stun: or stuns: URL`);
  if (stun.length) out.push({ urls: stun });
  const turn = list(env.PATCHBAY_TURN_URLS);
  for (const u of turn)
    if (!/^turns?:/.test(u)) throw new Error(`PATCHBAY_TURN_URLS: "${u}" is not a turn: or turns: URL`);
  if (turn.length) {
    const username = env.PATCHBAY_TURN_USERNAME;
    const credential = env.PATCHBAY_TURN_CREDENTIAL;
    if (!username || !credential)
      throw new Error(
        'PATCHBAY_TURN_URLS is set: PATCHBAY_TURN_USERNAME and PATCHBAY_TURN_CREDENTIAL are required too',
      );
    out.push({ urls: turn, username, credential });
  }
  return out;
}
