import { JsonInputError, isJsonObject, parseUntrustedJson } from '../json';

/**
 * The cloud relay's WebSocket protocol (SCOPE-COMPAT.md "Cloud relay"): JSON messages with a
 * `type`; request/response pairs carry a `request_id` the reply repeats. Patchbay adds `auth`
 * (the token, for clients that cannot set an Authorization header) and close codes.
 */

/** The WebSocket path of the relay endpoint on a `--cloud` runtime. */
export const RELAY_PATH = '/api/v1/cloud/ws';

/** Close codes (4000–4999 are the application's). */
export const CLOSE = {
  /** No token was presented (a message came first, or none within the auth timeout). */
  TOKEN_REQUIRED: 4401,
  /** The token was wrong. */
  TOKEN_INVALID: 4403,
  /** The maximum session duration passed. */
  MAX_DURATION: 4408,
  /** The server is shutting down. */
  SHUTDOWN: 1001,
  /** The client disconnected on purpose. */
  NORMAL: 1000,
} as const;

/** Error codes in `{type:"error", error, code}`. */
export type RelayErrorCode =
  'BAD_MESSAGE' | 'UNKNOWN_TYPE' | 'OFFER_FAILED' | 'UNKNOWN_SESSION' | 'MAX_DURATION_EXCEEDED' | 'INTERNAL';

/** Largest relay message: an 8 MiB upload travels as base64 (≈ 11 MiB) inside an `api` message. */
export const MAX_MESSAGE_BYTES = 12 * 1024 * 1024;
const MAX_DEPTH = 32;

export type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'set_user_id'; user_id: string; request_id?: string }
  | { type: 'get_ice_servers'; request_id?: string }
  | {
      type: 'offer';
      sdp: string;
      sdp_type?: string;
      initialParameters?: Record<string, unknown>;
      request_id?: string;
    }
  | {
      type: 'icecandidate';
      sessionId: string;
      candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };
      request_id?: string;
    }
  | { type: 'api'; method: string; path: string; body?: unknown; request_id?: string }
  | { type: 'ping'; request_id?: string; timestamp?: number };

export type ServerMessage =
  | { type: 'ready'; connection_id: string }
  | { type: 'user_id_set'; user_id: string; request_id?: string }
  | { type: 'ice_servers'; data: { iceServers: unknown[] }; request_id?: string }
  | { type: 'answer'; sdp: string; sdp_type: 'answer'; sessionId: string; request_id?: string }
  | { type: 'icecandidate_ack'; sessionId: string; request_id?: string }
  | { type: 'api_response'; status: number; data?: unknown; error?: string; request_id?: string }
  | { type: 'pong'; timestamp: number; request_id?: string }
  | { type: 'logs'; lines: string[] }
  | { type: 'error'; error: string; code: RelayErrorCode; request_id?: string };

/** A message that could not be used, with the reply to send. */
export class RelayMessageError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'RelayMessageError';
  }
}

const API_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

const str = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * Parses and checks one client message: size and depth capped before `JSON.parse`, then the
 * fields its type needs. Throws RelayMessageError naming what is wrong.
 */
export function parseClientMessage(raw: string | Buffer): ClientMessage {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  let value: unknown;
  try {
    value = parseUntrustedJson(text, { maxBytes: MAX_MESSAGE_BYTES, maxDepth: MAX_DEPTH });
  } catch (error) {
    const why = error instanceof JsonInputError ? error.message : 'not JSON';
    // The reply still names the request, so a client waiting on it hears why.
    const rid = /"request_id"\s*:\s*"([^"\\]{1,200})"/.exec(text.slice(0, 4096))?.[1];
    throw new RelayMessageError('BAD_MESSAGE', `the message is not usable JSON: ${why}`, rid);
  }
  if (!isJsonObject(value)) throw new RelayMessageError('BAD_MESSAGE', 'a message must be a JSON object');
  const rid = value.request_id;
  if (rid !== undefined && !str(rid, 200))
    throw new RelayMessageError('BAD_MESSAGE', '"request_id" must be a string of 1 to 200 characters');
  const requestId = rid as string | undefined;
  const bad = (message: string) => new RelayMessageError('BAD_MESSAGE', message, requestId);
  const withId = <T extends object>(m: T): T => (requestId ? { ...m, request_id: requestId } : m);
  switch (value.type) {
    case 'auth':
      if (!str(value.token, 1000)) throw bad('"auth" needs a "token" string');
      return { type: 'auth', token: value.token };
    case 'set_user_id':
      if (!str(value.user_id, 200))
        throw bad('"set_user_id" needs a "user_id" string of 1 to 200 characters');
      return withId({ type: 'set_user_id', user_id: value.user_id });
    case 'get_ice_servers':
      return withId({ type: 'get_ice_servers' });
    case 'offer': {
      if (!str(value.sdp, 100_000)) throw bad('"offer" needs an "sdp" string');
      if (value.sdp_type !== undefined && value.sdp_type !== 'offer') throw bad('"sdp_type" must be "offer"');
      const ip = value.initialParameters;
      if (ip !== undefined && !isJsonObject(ip)) throw bad('"initialParameters" must be an object');
      return withId({
        type: 'offer',
        sdp: value.sdp,
        sdp_type: 'offer',
        ...(ip ? { initialParameters: ip } : {}),
      });
    }
    case 'icecandidate': {
      if (!str(value.sessionId, 200)) throw bad('"icecandidate" needs a "sessionId"');
      const c = value.candidate;
      if (!isJsonObject(c) || typeof c.candidate !== 'string')
        throw bad('"candidate" must be {candidate, sdpMid, sdpMLineIndex}');
      return withId({
        type: 'icecandidate',
        sessionId: value.sessionId,
        candidate: {
          candidate: c.candidate,
          sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : null,
          sdpMLineIndex: typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : null,
        },
      });
    }
    case 'api': {
      const method = typeof value.method === 'string' ? value.method.toUpperCase() : '';
      if (!API_METHODS.has(method)) throw bad(`"api" needs a "method" (${[...API_METHODS].join(', ')})`);
      if (!str(value.path, 2000) || !value.path.startsWith('/api/v1/'))
        throw bad('"api" needs a "path" under /api/v1/');
      return withId({
        type: 'api',
        method,
        path: value.path,
        ...(value.body !== undefined ? { body: value.body } : {}),
      });
    }
    case 'ping':
      return withId({
        type: 'ping',
        ...(typeof value.timestamp === 'number' ? { timestamp: value.timestamp } : {}),
      });
    case undefined:
      throw bad('a message needs a "type"');
    default:
      throw new RelayMessageError(
        'UNKNOWN_TYPE',
        `unknown message type "${String(value.type).slice(0, 50)}"`,
        requestId,
      );
  }
}

/**
 * Reconnect delays (FIELD-NOTES: LiveKit's schedule): 0, 0.3, 1.2, 2.7, 4.8 s, then 7 s, each
 * after the first with up to 1 s of jitter. `attempt` counts from 0.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const steps = [0, 300, 1200, 2700, 4800];
  const base = attempt < steps.length ? steps[attempt]! : 7000;
  return attempt === 0 ? 0 : base + Math.floor(random() * 1000);
}
