import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, LightMyRequestResponse } from 'fastify';
import type { WebSocket } from 'ws';
import { registry } from '../../nodes';
import type { NodeStats } from '../protocol';
import { realClock, type Clock } from '../clock';
import { EventEmitterLog, startHeartbeat, type EventSink } from '../events';
import { patchFromPipelines } from '../../patches';
import { printable, WindowCounter } from '../guards';
import { offerIsTextMode } from '../media/sdp-offer';
import type { PipelineLoader, PipelineRequest } from '../pipelines/state';
import { ConnectionAssets } from './assets';
import {
  CLOSE,
  MAX_MESSAGE_BYTES,
  parseClientMessage,
  RELAY_PATH,
  RelayMessageError,
  type ClientMessage,
  type RelayErrorCode,
  type ServerMessage,
} from './protocol';

/**
 * `patchbay serve --cloud`: the relay endpoint a local runtime connects to (SCOPE-COMPAT.md
 * "Cloud relay"). Every connection must present the token before anything but `ready` is
 * answered; its WebRTC sessions and uploads are its own and are removed when it ends; a
 * maximum duration ends it with MAX_DURATION_EXCEEDED. Offers and `api` calls are served by the
 * same runtime's HTTP routes through `app.inject`, so the relay speaks exactly the Scope API
 * the server implements. In cloud mode plain HTTP is closed except `/health`.
 */

export interface CloudModeOptions {
  /** The shared secret clients present (`PATCHBAY_CLOUD_TOKEN` or `--cloud-token`). */
  token: string;
  /** Longest a connection may last (default 1 h). */
  maxSessionMs?: number;
  /** How long a new connection may take to present its token (default 10 s). */
  authTimeoutMs?: number;
  /** Failed token attempts per address per minute before further attempts are refused (default 10). */
  maxFailedAuthPerMinute?: number;
  sinks?: readonly EventSink[];
  clock?: Clock;
  log?: (line: string) => void;
}

/** What the relay needs of the server's session manager: the frame counts of a session. */
export interface CloudSessions {
  runtimeOfPeer(peerId: string): { session: { stats(): Record<string, NodeStats> } } | undefined;
}

/** The server parts cloud mode attaches to (a PatchbayServer fits). */
export interface CloudHost {
  app: FastifyInstance;
  sessions: CloudSessions;
  /** A fresh pipeline load state: each connection loads pipelines for itself only. */
  newPipelineLoader(): PipelineLoader;
  /** Reads Scope's pipeline load body (both forms); throws an Error naming the problem. */
  parseLoadRequest(body: Record<string, unknown>): PipelineRequest[];
}

/** The shortest cloud token accepted (a generated one is 64 hex characters). */
export const MIN_CLOUD_TOKEN_LENGTH = 32;

export const DEFAULT_MAX_SESSION_MS = 60 * 60 * 1000;

/** Paths a relay connection may call through `api` (anything else is refused with 403). */
const API_ALLOWED: { method: string; re: RegExp }[] = [
  {
    method: 'GET',
    re: /^\/api\/v1\/(hardware\/info|pipelines\/schemas|nodes\/definitions|models\/status|loras|webrtc\/ice-servers)(\?.*)?$/,
  },
  { method: 'POST', re: /^\/api\/v1\/models\/download$/ },
];

function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : null;
}

/** The state of one relay connection (tests read it). */
export interface CloudConnectionInfo {
  connection_id: string;
  authenticated: boolean;
  user_id: string | null;
  sessions: string[];
  assets_dir: string | null;
}

export interface CloudMode {
  /** Live connections. */
  connections(): CloudConnectionInfo[];
  /** Closes every relay connection (server shutdown). */
  closeAll(): Promise<void>;
}

/**
 * Turns a built (not yet listening) server into a cloud runtime: registers the relay WebSocket
 * at {@link RELAY_PATH} and closes plain HTTP except `/health`.
 *
 * @example
 * const server = createServer({ port: 0, createSession, createPeer });
 * enableCloudMode(server, { token: process.env.PATCHBAY_CLOUD_TOKEN! });
 * await server.listen();
 */
export function enableCloudMode(host: CloudHost, options: CloudModeOptions): CloudMode {
  if (!options.token || options.token.length < MIN_CLOUD_TOKEN_LENGTH)
    throw new Error(
      `cloud mode needs a token of at least ${MIN_CLOUD_TOKEN_LENGTH} characters (PATCHBAY_CLOUD_TOKEN or --cloud-token; without one a random token is generated)`,
    );
  const { app } = host;
  const log = options.log ?? (() => {});
  const clock = options.clock ?? realClock;
  const maxSessionMs = options.maxSessionMs ?? DEFAULT_MAX_SESSION_MS;
  const authTimeoutMs = options.authTimeoutMs ?? 10_000;
  const sinks = options.sinks ?? [];
  // Requests the relay makes to its own routes carry this; nothing outside the process knows it.
  const internal = randomBytes(24).toString('hex');
  const live = new Map<string, Connection>();
  const failedAuth = new WindowCounter(options.maxFailedAuthPerMinute ?? 10, 60_000);

  // Uploads travel as base64 inside a relay message (8 MiB of file ≈ 11 MiB of text); in cloud
  // mode the relay is the only WebSocket there is, so its cap is the server's.
  app.addHook('onReady', async () => {
    const wss = (app as unknown as { websocketServer?: { options: { maxPayload?: number } } })
      .websocketServer;
    if (wss) wss.options.maxPayload = Math.max(wss.options.maxPayload ?? 0, MAX_MESSAGE_BYTES);
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    if (path === '/health' || path === RELAY_PATH) return undefined;
    if (req.headers['x-patchbay-relay'] === internal) return undefined;
    return reply
      .code(403)
      .type('application/json')
      .send({
        error: `this runtime runs in cloud mode: use the relay WebSocket (${RELAY_PATH}) with the token`,
        detail: 'cloud mode',
      });
  });

  void app.register(async (scoped) => {
    scoped.get(RELAY_PATH, { websocket: true }, (socket: WebSocket, req: FastifyRequest) => {
      const conn = new Connection(socket, req, {
        app,
        sessions: host.sessions,
        token: options.token,
        internal,
        clock,
        maxSessionMs,
        authTimeoutMs,
        sinks,
        log,
        failedAuth,
        pipelines: host.newPipelineLoader(),
        parseLoadRequest: (body) => host.parseLoadRequest(body),
        onEnd: (id) => live.delete(id),
      });
      live.set(conn.id, conn);
    });
  });

  return {
    connections: () => [...live.values()].map((c) => c.info()),
    async closeAll() {
      await Promise.all([...live.values()].map((c) => c.end(CLOSE.SHUTDOWN, 'server shutting down')));
    },
  };
}

interface ConnectionDeps {
  app: FastifyInstance;
  sessions: CloudSessions;
  token: string;
  internal: string;
  clock: Clock;
  maxSessionMs: number;
  authTimeoutMs: number;
  sinks: readonly EventSink[];
  log: (line: string) => void;
  /** Failed token attempts by remote address (shared by every connection). */
  failedAuth: WindowCounter;
  /** This connection's own Scope pipeline load state. */
  pipelines: PipelineLoader;
  parseLoadRequest: CloudHost['parseLoadRequest'];
  onEnd: (id: string) => void;
}

/** Sum of frames into the first node and out of the last (a relayed session is a chain). */
function sessionFrames(stats: Record<string, NodeStats>): { frames_in: number; frames_out: number } {
  const all = Object.values(stats);
  if (!all.length) return { frames_in: 0, frames_out: 0 };
  return { frames_in: Math.max(...all.map((s) => s.frames_in)), frames_out: all[all.length - 1]!.frames_out };
}

class Connection {
  readonly id = randomUUID();
  private authed = false;
  private userId: string | null = null;
  private readonly sessions = new Set<string>();
  private readonly assets: ConnectionAssets;
  private readonly events: EventEmitterLog;
  private readonly timers: (() => void)[] = [];
  private readonly openedAt: number;
  private readonly hostHeader: string;
  private ending: Promise<void> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly remote: string;

  constructor(
    private readonly socket: WebSocket,
    req: FastifyRequest,
    private readonly deps: ConnectionDeps,
  ) {
    this.openedAt = deps.clock.now();
    this.hostHeader = String(req.headers.host ?? '127.0.0.1');
    this.assets = new ConnectionAssets(this.id);
    this.events = new EventEmitterLog(deps.sinks, { client_source: 'cloud', connection_id: this.id });
    this.log(`connected from ${req.socket.remoteAddress ?? '?'}`);
    this.remote = req.socket.remoteAddress ?? '?';
    this.send({ type: 'ready', connection_id: this.id });
    const presented = bearer(req);
    if (presented !== null) {
      if (!this.checkToken(presented)) return;
      this.authenticate();
    } else {
      this.timers.push(
        deps.clock.setTimeout(() => {
          if (!this.authed) void this.end(CLOSE.TOKEN_REQUIRED, 'no token presented in time');
        }, deps.authTimeoutMs),
      );
    }
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      // One at a time, in order: an offer's answer comes before a later message's reply.
      this.queue = this.queue
        .then(() => this.onMessage(data, isBinary))
        .catch((error: Error) => {
          this.log(`message failed: ${error.stack ?? error.message}`);
          this.sendError('INTERNAL', `internal error: ${error.message}`);
        });
    });
    socket.on(
      'close',
      (code: number, reason: Buffer) => void this.end(code, reason.toString() || 'client closed'),
    );
    socket.on('error', (error: Error) => this.log(`socket error: ${error.message}`));
  }

  info(): CloudConnectionInfo {
    return {
      connection_id: this.id,
      authenticated: this.authed,
      user_id: this.userId,
      sessions: [...this.sessions],
      assets_dir: this.assets.path,
    };
  }

  private log(line: string): void {
    this.deps.log(`[cloud ${this.id.slice(0, 8)}] ${line}`);
  }

  private send(msg: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  private sendError(code: RelayErrorCode, error: string, requestId?: string): void {
    this.send({ type: 'error', error, code, ...(requestId ? { request_id: requestId } : {}) });
  }

  /**
   * Checks a presented token; a wrong one ends the connection and counts against the address.
   * Past the limit of failed attempts, even the right token is refused until the window passes,
   * so the token cannot be guessed by trying.
   */
  private checkToken(presented: string): boolean {
    if (this.deps.failedAuth.blocked(this.remote)) {
      const wait = Math.ceil(this.deps.failedAuth.retryAfterMs(this.remote) / 1000);
      this.log(`refused: too many failed token attempts from ${this.remote}`);
      void this.end(CLOSE.TOKEN_INVALID, `too many failed token attempts; try again in ${wait} s`);
      return false;
    }
    if (tokenMatches(presented, this.deps.token)) return true;
    this.deps.failedAuth.hit(this.remote);
    void this.end(CLOSE.TOKEN_INVALID, 'invalid token');
    return false;
  }

  private authenticate(): void {
    this.authed = true;
    this.events.emit('websocket_connected');
    this.timers.push(
      this.deps.clock.setTimeout(() => {
        this.sendError('MAX_DURATION_EXCEEDED', 'Max duration exceeded');
        void this.end(CLOSE.MAX_DURATION, 'max session duration exceeded');
      }, this.deps.maxSessionMs),
    );
    this.timers.push(
      startHeartbeat(this.events, this.deps.clock, () => {
        let frames_in = 0;
        let frames_out = 0;
        for (const id of this.sessions) {
          const rt = this.deps.sessions.runtimeOfPeer(id);
          if (!rt) continue;
          const f = sessionFrames(rt.session.stats());
          frames_in += f.frames_in;
          frames_out += f.frames_out;
        }
        return { frames_in, frames_out };
      }),
    );
  }

  private async onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    if (this.ending) return;
    if (!this.authed) {
      // Before the token, nothing is answered: one `auth` or the connection ends.
      let msg: ClientMessage | null;
      try {
        msg = isBinary ? null : parseClientMessage(data);
      } catch {
        msg = null;
      }
      if (!msg || msg.type !== 'auth') return void this.end(CLOSE.TOKEN_REQUIRED, 'token required first');
      if (!this.checkToken(msg.token)) return;
      this.authenticate();
      return;
    }
    if (isBinary) return this.sendError('BAD_MESSAGE', 'binary messages are not part of the relay protocol');
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(data);
    } catch (error) {
      if (error instanceof RelayMessageError)
        return this.sendError(error.code, error.message, error.requestId);
      throw error;
    }
    const rid = 'request_id' in msg && msg.request_id ? { request_id: msg.request_id } : {};
    switch (msg.type) {
      case 'auth':
        return; // already authenticated; a repeated token changes nothing
      case 'ping':
        return this.send({ type: 'pong', timestamp: Date.now(), ...rid });
      case 'set_user_id':
        this.userId = msg.user_id;
        this.events.set({ user_id: msg.user_id });
        return this.send({ type: 'user_id_set', user_id: msg.user_id, ...rid });
      case 'get_ice_servers': {
        const res = await this.inject('GET', '/api/v1/webrtc/ice-servers');
        const body = res.json() as { iceServers?: unknown[] };
        return this.send({ type: 'ice_servers', data: { iceServers: body.iceServers ?? [] }, ...rid });
      }
      case 'offer':
        return this.offer(msg, rid);
      case 'icecandidate': {
        if (!this.sessions.has(msg.sessionId))
          return this.sendError('UNKNOWN_SESSION', `unknown session "${msg.sessionId}"`, msg.request_id);
        const res = await this.inject('PATCH', `/api/v1/webrtc/offer/${encodeURIComponent(msg.sessionId)}`, {
          candidates: [msg.candidate],
        });
        if (res.statusCode >= 400) return this.sendError('BAD_MESSAGE', errorOf(res), msg.request_id);
        return this.send({ type: 'icecandidate_ack', sessionId: msg.sessionId, ...rid });
      }
      case 'api':
        return this.send({
          type: 'api_response',
          ...(await this.api(msg.method, msg.path, msg.body)),
          ...rid,
        });
    }
  }

  private async offer(
    msg: Extract<ClientMessage, { type: 'offer' }>,
    rid: { request_id?: string },
  ): Promise<void> {
    const initial: Record<string, unknown> = { ...msg.initialParameters };
    if (initial.patchbay_session !== undefined)
      return this.sendError(
        'OFFER_FAILED',
        '"patchbay_session" names an editor session of this runtime; relayed offers bring their own patch, graph or pipeline_ids',
        msg.request_id,
      );
    // Without a patch or graph, the session runs this connection's pipelines: the ones its
    // offer names (pipeline_ids) or the ones it loaded — never another connection's.
    if (initial.patch === undefined && initial.graph === undefined) {
      const loaded = this.deps.pipelines.loaded();
      const named = Array.isArray(initial.pipeline_ids)
        ? initial.pipeline_ids.filter((x): x is string => typeof x === 'string').slice(0, 16)
        : null;
      if (named && !named.length)
        return this.sendError(
          'OFFER_FAILED',
          '"pipeline_ids" must name at least one pipeline',
          msg.request_id,
        );
      if (!named && !loaded) return this.sendError('OFFER_FAILED', 'Pipeline not loaded', msg.request_id);
      const ids = named ?? loaded!.map((p) => p.pipeline_id);
      const same = loaded && loaded.length === ids.length && loaded.every((p, i) => p.pipeline_id === ids[i]);
      try {
        initial.patch = patchFromPipelines({
          pipelineIds: ids,
          ...(same ? { nodeIds: loaded.map((p) => p.node_id), loadParams: loaded[0]?.load_params } : {}),
          inputMode: initial.input_mode === 'text' || offerIsTextMode(msg.sdp) ? 'text' : 'video',
        });
      } catch (error) {
        return this.sendError('OFFER_FAILED', (error as Error).message, msg.request_id);
      }
      delete initial.pipeline_ids;
    }
    const pipelineIds = pipelineIdsOf(initial);
    this.events.set({ pipeline_ids: pipelineIds });
    this.events.emit('pipeline_load_start');
    const t0 = this.deps.clock.now();
    const res = await this.inject('POST', '/api/v1/webrtc/offer', {
      sdp: msg.sdp,
      type: 'offer',
      initialParameters: initial,
    });
    if (res.statusCode >= 400) {
      const error = errorOf(res);
      this.events.error('webrtc_offer_failed', error, true);
      return this.sendError('OFFER_FAILED', error, msg.request_id);
    }
    const answer = res.json() as { sdp: string; sessionId: string };
    this.sessions.add(answer.sessionId);
    this.events.set({ session_id: answer.sessionId });
    this.events.emit('pipeline_loaded', { load_duration_ms: Math.round(this.deps.clock.now() - t0) });
    this.events.emit('session_created', { mode: 'relay' });
    this.events.emit('stream_started');
    this.watchFirstFrame(answer.sessionId, t0);
    this.send({
      type: 'logs',
      lines: [`session ${answer.sessionId} created for ${pipelineIds.join(', ') || 'the graph'}`],
    });
    this.send({ type: 'answer', sdp: answer.sdp, sdp_type: 'answer', sessionId: answer.sessionId, ...rid });
  }

  /** `playback_ready` once the session's output has produced a frame (polled on the clock). */
  private watchFirstFrame(sessionId: string, t0: number): void {
    const check = (): void => {
      if (this.ending || !this.sessions.has(sessionId)) return;
      const rt = this.deps.sessions.runtimeOfPeer(sessionId);
      if (rt && sessionFrames(rt.session.stats()).frames_out > 0) {
        this.events.emit('playback_ready', { ttff_ms: Math.round(this.deps.clock.now() - t0) });
        return;
      }
      this.timers.push(this.deps.clock.setTimeout(check, 100));
    };
    check();
  }

  /** One proxied REST call: assets and sessions are this connection's own; the rest is an allow-list. */
  private async api(
    method: string,
    path: string,
    body: unknown,
  ): Promise<{ status: number; data?: unknown; error?: string }> {
    const url = new URL(path, 'http://relay');
    const p = url.pathname;
    try {
      // Pipeline load state is this connection's own (Scope's load → status → offer).
      if (p === '/api/v1/pipeline/load' && method === 'POST') {
        let requests;
        try {
          requests = this.deps.parseLoadRequest(
            body !== null && typeof body === 'object' && !Array.isArray(body)
              ? (body as Record<string, unknown>)
              : {},
          );
        } catch (error) {
          return { status: 400, error: (error as Error).message };
        }
        void this.deps.pipelines.load(requests);
        return { status: 200, data: { message: `loading ${requests.map((r) => r.pipeline_id).join(', ')}` } };
      }
      if (p === '/api/v1/pipeline/status' && method === 'GET')
        return { status: 200, data: this.deps.pipelines.status() };
      if (p === '/api/v1/assets' && method === 'GET')
        return {
          status: 200,
          data: { assets: await this.assets.list(url.searchParams.get('type') ?? undefined) },
        };
      if (p === '/api/v1/assets' && method === 'POST') {
        const name = url.searchParams.get('filename') ?? '';
        const b = body as { data_base64?: unknown } | undefined;
        if (typeof b?.data_base64 !== 'string')
          return { status: 400, error: 'upload through the relay: body {data_base64: "<the file, base64>"}' };
        try {
          return { status: 200, data: await this.assets.save(name, Buffer.from(b.data_base64, 'base64')) };
        } catch (error) {
          return { status: 400, error: `filename "${name.slice(0, 100)}": ${(error as Error).message}` };
        }
      }
      if (p.startsWith('/api/v1/assets/') && method === 'GET') {
        const name = decodeURIComponent(p.slice('/api/v1/assets/'.length));
        const bytes = await this.assets.read(name);
        if (!bytes) return { status: 404, error: `no asset "${name.slice(0, 100)}" in this connection` };
        return { status: 200, data: { name, size: bytes.length, data_base64: bytes.toString('base64') } };
      }
      const session = /^\/api\/v1\/webrtc\/offer\/([^/]+)$/.exec(p);
      if (session && (method === 'PATCH' || method === 'DELETE')) {
        const id = decodeURIComponent(session[1]!);
        if (!this.sessions.has(id)) return { status: 404, error: `unknown session "${id.slice(0, 100)}"` };
        const res = await this.inject(method, p, body);
        if (method === 'DELETE' && res.statusCode < 300) this.closedSession(id);
        return reply(res);
      }
      if (!API_ALLOWED.some((a) => a.method === method && a.re.test(p + url.search)))
        return { status: 403, error: `${method} ${p} is not available through the cloud relay` };
      return reply(await this.inject(method, p + url.search, body));
    } catch (error) {
      this.log(
        `api ${method} ${printable(p, 100)} failed: ${(error as Error).stack ?? (error as Error).message}`,
      );
      return { status: 500, error: 'internal error; see the cloud runtime log' };
    }
  }

  private closedSession(id: string): void {
    if (!this.sessions.delete(id)) return;
    this.events.emit('stream_stopped');
    this.events.emit('session_closed');
  }

  private inject(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> {
    return this.deps.app.inject({
      method: method as 'GET',
      url,
      headers: {
        host: this.hostHeader,
        'x-patchbay-relay': this.deps.internal,
        'x-patchbay-relay-connection': this.id,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
  }

  /** Ends the connection: its sessions are closed, its uploads removed, then the socket closes. */
  end(code: number, reason: string): Promise<void> {
    this.ending ??= (async () => {
      for (const cancel of this.timers.splice(0)) cancel();
      await this.queue.catch(() => {});
      for (const id of [...this.sessions]) {
        await this.inject('DELETE', `/api/v1/webrtc/offer/${encodeURIComponent(id)}`).catch(() => null);
        this.closedSession(id);
      }
      this.deps.pipelines.unload();
      await this.assets.remove().catch((e: Error) => this.log(`could not remove assets: ${e.message}`));
      if (this.authed)
        this.events.emit('websocket_disconnected', {
          duration_ms: Math.round(this.deps.clock.now() - this.openedAt),
          close_code: code,
          close_reason: reason,
        });
      this.log(`closed (${code}: ${reason})`);
      const state = this.socket.readyState;
      if (state === this.socket.OPEN || state === this.socket.CONNECTING) this.socket.close(code, reason);
      this.deps.onEnd(this.id);
    })();
    return this.ending;
  }
}

function reply(res: LightMyRequestResponse): { status: number; data?: unknown; error?: string } {
  if (res.statusCode >= 400) return { status: res.statusCode, error: errorOf(res) };
  if (res.statusCode === 204 || !res.body) return { status: res.statusCode };
  try {
    return { status: res.statusCode, data: res.json() };
  } catch {
    return { status: res.statusCode, data: res.body };
  }
}

function errorOf(res: LightMyRequestResponse): string {
  try {
    const b = res.json() as { error?: unknown; detail?: unknown };
    return String(b.error ?? b.detail ?? res.body);
  } catch {
    return res.body || `HTTP ${res.statusCode}`;
  }
}

/** The pipeline ids an offer's initialParameters names (a patch, a graph or pipeline_ids). */
export function pipelineIdsOf(ip: Record<string, unknown> | undefined): string[] {
  if (!ip) return [];
  const out: string[] = [];
  const patch = ip.patch as { nodes?: { type?: unknown; params?: { pipeline_id?: unknown } }[] } | undefined;
  for (const n of Array.isArray(patch?.nodes) ? patch.nodes : [])
    if (
      typeof n?.type === 'string' &&
      registry.get(n.type)?.category === 'pipeline' &&
      typeof n.params?.pipeline_id === 'string'
    )
      out.push(n.params.pipeline_id);
  const graph = ip.graph as { nodes?: { pipeline_id?: unknown }[] } | undefined;
  for (const n of Array.isArray(graph?.nodes) ? graph.nodes : [])
    if (typeof n?.pipeline_id === 'string') out.push(n.pipeline_id);
  if (Array.isArray(ip.pipeline_ids))
    for (const id of ip.pipeline_ids) if (typeof id === 'string') out.push(id);
  return out.slice(0, 16);
}
