/** What every route module gets: options, the live state and helpers. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HostProbe, NodePackages } from '../host';
import type { PeerFactory } from './deps';
import { JsonInputError, isJsonObject, parseUntrustedJson } from '../json';
import type { PipelineLoader } from '../pipelines/state';
import type { SessionManager } from './sessions';

export interface ResolvedServerOptions {
  host: string;
  port: number;
  allowOrigins: string[];
  allowHosts: string[];
  dataDir: string;
  assetsDir: string;
  patchesDir: string;
  modelsDir: string;
  recordingsDir: string;
  examplesDir: string;
  editorDir: string;
  maxUploadBytes: number;
  maxJsonBytes: number;
  maxWsPayloadBytes: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  version: string;
  defaultPatch: string;
  /** Clock of new sessions: `fixed` advances one frame per produced frame (`--clock fixed`). */
  clockMode: 'real' | 'fixed';
  limits: ServerLimits;
}

/** What one client may use (README "Threat model"); every figure can be set in ServerOptions. */
export interface ServerLimits {
  /** A WebRTC session whose peer is not connected after this long is closed (default 15 s). */
  connectTimeoutMs: number;
  /** Concurrent WebRTC sessions on this server (default 16); more offers get 429. */
  maxWebrtcSessions: number;
  /** Offers per client (address, or relay connection) per minute (default 60); more get 429. */
  offersPerMinute: number;
  /**
   * Sessions of one client still negotiating (answered, peer not connected yet) at once (default
   * 4); more offers get 429. Orphan offers cost a whole session each until the connect timeout.
   */
  maxPendingPerClient: number;
  /** Data-channel messages per second per session and the burst (default 100 / 200). */
  dataMessagesPerSecond: number;
  dataMessagesBurst: number;
  /** Runtime WebSocket messages per second per socket and the burst (default 200 / 400). */
  wsMessagesPerSecond: number;
  wsMessagesBurst: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  connectTimeoutMs: 15_000,
  maxWebrtcSessions: 16,
  offersPerMinute: 60,
  maxPendingPerClient: 4,
  dataMessagesPerSecond: 100,
  dataMessagesBurst: 200,
  wsMessagesPerSecond: 200,
  wsMessagesBurst: 400,
};

export interface ServerContext {
  opts: ResolvedServerOptions;
  sessions: SessionManager;
  pipelines: PipelineLoader;
  probe: () => Promise<HostProbe>;
  /** Null when the media layer is not available in this build (offers answer 503). */
  createPeer: PeerFactory | null;
  token: string;
  startedAt: Date;
  log: (line: string) => void;
  engineMetrics: (() => Record<string, unknown>) | null;
  /** Built-in node types plus the node packages loaded at start (and those refused, with why). */
  nodes: () => NodePackages;
  /** Resolves once node packages are loaded (listen() waits for it). */
  nodesReady: Promise<void>;
}

/** An error that becomes an HTTP status with `{error: message}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * The request body as a JSON object. Bodies arrive as text (any content type: file:// pages
 * post text/plain to avoid a CORS preflight) and are parsed here with the size/depth caps.
 */
export function jsonBody(
  req: FastifyRequest,
  opts: { optional?: boolean; maxBytes: number },
): Record<string, unknown> {
  const raw = req.body;
  if (raw === undefined || raw === null || (Buffer.isBuffer(raw) && raw.length === 0) || raw === '') {
    if (opts.optional) return {};
    throw new HttpError(400, 'a JSON object body is required');
  }
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : null;
  if (text === null) throw new HttpError(400, 'the body must be JSON text');
  let value: unknown;
  try {
    value = parseUntrustedJson(text, { maxBytes: opts.maxBytes });
  } catch (error) {
    if (error instanceof JsonInputError) throw new HttpError(400, error.message);
    throw error;
  }
  if (!isJsonObject(value)) throw new HttpError(400, 'the body must be a JSON object');
  return value;
}

/** A 429 with the time to wait, for a client over one of the {@link ServerLimits}. */
export class TooManyRequests extends HttpError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(429, message);
  }
}

/** Sends `{error}` with a status. */
export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: message, detail: message });
}
