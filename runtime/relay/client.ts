import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import WebSocket from 'ws';
import type { VideoFrame } from '../../nodes';
import { realClock, type Clock } from '../clock';
import { EventEmitterLog, startHeartbeat, type EventSink } from '../events';
import type { MediaPeerOptions } from '../media';
import { RemoteLink, type LinkEvents, type LinkSpec, type Signaller } from './link';
import { CLOSE, reconnectDelay, RELAY_PATH, type ServerMessage } from './protocol';

/**
 * The local runtime's side of the cloud relay: one WebSocket to a `--cloud` runtime, and one
 * WebRTC session through it per remote Pipeline node. When the WebSocket or a peer drops, the
 * client reconnects on LiveKit's schedule (0, 0.3, 1.2, 2.7, 4.8 s, then every 7 s, with
 * jitter) and sets every link up again; meanwhile the nodes hold or pass through (their
 * processors decide from the state this client reports).
 */

export interface RelayClientOptions {
  sinks?: readonly EventSink[];
  clock?: Clock;
  log?: (line: string) => void;
  /** Media settings for the peers (loopback-only is decided from the cloud URL when unset). */
  media?: MediaPeerOptions;
  /** How long a request (offer, api) may wait for its reply (default 15 s). */
  requestTimeoutMs?: number;
  random?: () => number;
  /** The user id sent with set_user_id (default the OS user name). */
  userId?: string;
}

/** SCOPE-COMPAT.md `/api/v1/cloud/status`. */
export interface CloudStatus {
  connected: boolean;
  connecting: boolean;
  error: string | null;
  webrtc_connected: boolean;
  connection_id: string | null;
  url: string | null;
  stats: {
    frames_sent_to_cloud: number;
    frames_received_from_cloud: number;
    reconnects: number;
    remote_nodes: number;
  };
  last_close_code: number | null;
  last_close_reason: string | null;
}

/** Close codes after which reconnecting would not help. */
const FINAL_CODES = new Set<number>([CLOSE.TOKEN_REQUIRED, CLOSE.TOKEN_INVALID, CLOSE.MAX_DURATION]);

interface Pending {
  resolve: (msg: ServerMessage) => void;
  reject: (error: Error) => void;
  cancel: () => void;
}

/** Turns `http(s)://host:port` (or ws(s)://) into the relay WebSocket URL. */
export function relayUrlOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new Error(`the cloud URL must be http(s):// or ws(s)://, got "${url}"`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = RELAY_PATH;
  return u.toString();
}

const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');

export class RelayClient {
  private ws: WebSocket | null = null;
  private url: string | null = null;
  private token: string | null = null;
  private wanted = false;
  private connecting = false;
  private connected = false;
  private error: string | null = null;
  private connectionId: string | null = null;
  private lastClose: { code: number; reason: string } | null = null;
  private attempt = 0;
  private reconnects = 0;
  private cancelRetry: (() => void) | null = null;
  private stopHeartbeat: (() => void) | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly links = new Map<string, RemoteLink>();
  private readonly linkRetry = new Map<string, { attempt: number; cancel: (() => void) | null }>();
  private events: EventEmitterLog;
  private framesSent = 0;
  private framesReceived = 0;
  private connectedAt = 0;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly frameListeners = new Set<(spec: LinkSpec, frame: VideoFrame) => void>();
  private readonly stateListeners = new Set<(spec: LinkSpec, connected: boolean, message: string) => void>();
  private readonly linkEvents: LinkEvents;

  constructor(private readonly options: RelayClientOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? (() => {});
    this.events = this.newEvents();
    this.linkEvents = {
      frame: (spec, frame) => {
        this.framesReceived++;
        const link = this.links.get(spec.proc);
        if (link && link.framesReceived === 1 && link.firstSentAt !== null)
          this.events.emit('playback_ready', {
            ttff_ms: Math.round(performance.now() - link.firstSentAt),
            node_id: spec.nodeId,
          });
        for (const cb of this.frameListeners) cb(spec, frame);
      },
      state: (spec, connected, message) => {
        for (const cb of this.stateListeners) cb(spec, connected, message);
      },
      lost: (link, reason) => {
        this.events.error('stream_failed', `${link.spec.nodeId}: ${reason}`, true);
        void link.teardown(reason, false).then(() => this.scheduleLink(link));
      },
    };
  }

  private newEvents(): EventEmitterLog {
    return new EventEmitterLog(this.options.sinks ?? [], {
      client_source: 'local',
      connection_id: null,
      user_id: this.userId(),
    });
  }

  private userId(): string {
    if (this.options.userId) return this.options.userId;
    try {
      return userInfo().username || 'local';
    } catch {
      return 'local';
    }
  }

  /** Processed frames from any link (the hub forwards them to the node's worker). */
  onFrame(cb: (spec: LinkSpec, frame: VideoFrame) => void): () => void {
    this.frameListeners.add(cb);
    return () => this.frameListeners.delete(cb);
  }

  /** A link went up or down. */
  onLinkState(cb: (spec: LinkSpec, connected: boolean, message: string) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  /** Opens (or re-targets) the relay connection. Resolves once the first attempt has started. */
  connect(url: string, token: string): void {
    const target = relayUrlOf(url);
    if (!token) throw new Error('a cloud token is required (api_key, or PATCHBAY_CLOUD_TOKEN)');
    this.disconnectSocket('re-targeted');
    this.url = target;
    this.token = token;
    this.wanted = true;
    this.error = null;
    this.attempt = 0;
    this.open();
  }

  /** Closes the relay connection and stops reconnecting. Links stay registered, waiting. */
  async disconnect(): Promise<void> {
    this.wanted = false;
    this.cancelRetry?.();
    this.cancelRetry = null;
    // Sessions first (ended on the cloud while the socket is still there), then the socket.
    await this.teardownLinks('cloud relay disconnected');
    this.disconnectSocket('disconnected by the user');
  }

  status(): CloudStatus {
    return {
      connected: this.connected,
      connecting: this.connecting || (this.wanted && !this.connected),
      error: this.error,
      webrtc_connected: [...this.links.values()].some((l) => l.up),
      connection_id: this.connectionId,
      url: this.url,
      stats: {
        frames_sent_to_cloud: this.framesSent,
        frames_received_from_cloud: this.framesReceived,
        reconnects: this.reconnects,
        remote_nodes: this.links.size,
      },
      last_close_code: this.lastClose?.code ?? null,
      last_close_reason: this.lastClose?.reason ?? null,
    };
  }

  /** Registers a remote node; its session is set up now or as soon as the relay is connected. */
  addLink(spec: LinkSpec): void {
    const link = new RemoteLink(spec, this.linkEvents, this.mediaOptions(), this.log);
    this.links.set(spec.proc, link);
    if (this.connected) void this.establish(link);
    else this.linkEvents.state(spec, false, this.waitingMessage());
  }

  /** A frame from a remote node's worker. */
  sendFrame(proc: string, frame: VideoFrame): void {
    const link = this.links.get(proc);
    if (link?.send(frame)) {
      this.framesSent++;
      if (link.framesSent === 1) this.events.emit('stream_started', { node_id: link.spec.nodeId });
    }
  }

  updateLink(proc: string, params: Record<string, unknown>): void {
    this.links.get(proc)?.setParams(params);
  }

  async removeLink(proc: string): Promise<void> {
    const link = this.links.get(proc);
    if (!link) return;
    this.links.delete(proc);
    this.linkRetry.get(proc)?.cancel?.();
    this.linkRetry.delete(proc);
    const had = link.session !== null;
    await link.close();
    if (had) this.closedSessionEvents(link);
  }

  /**
   * Proxies a REST call to the cloud runtime (`api` → `api_response`).
   *
   * @example
   * const { status, data } = await client.api('GET', '/api/v1/pipelines/schemas');
   */
  async api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; data?: unknown; error?: string }> {
    const reply = await this.request({ type: 'api', method, path, ...(body !== undefined ? { body } : {}) });
    if (reply.type === 'error') return { status: 502, error: reply.error };
    if (reply.type !== 'api_response') return { status: 502, error: `unexpected reply "${reply.type}"` };
    return {
      status: reply.status,
      ...(reply.data !== undefined ? { data: reply.data } : {}),
      ...(reply.error ? { error: reply.error } : {}),
    };
  }

  /** Stops everything (server shutdown). */
  async close(): Promise<void> {
    await this.disconnect();
    for (const proc of [...this.links.keys()]) await this.removeLink(proc);
  }

  // --- internals ------------------------------------------------------------------------------

  private mediaOptions(): MediaPeerOptions {
    const host = this.url ? new URL(this.url).hostname : '127.0.0.1';
    return { loopbackOnly: isLoopbackHost(host), ...this.options.media };
  }

  private waitingMessage(): string {
    if (this.error) return `cloud relay: ${this.error}`;
    return this.wanted
      ? 'cloud relay: reconnecting'
      : 'cloud relay not connected (POST /api/v1/cloud/connect)';
  }

  private open(): void {
    if (!this.url || !this.token || !this.wanted) return;
    this.connecting = true;
    const ws = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.token}` },
      handshakeTimeout: 5000,
    });
    this.ws = ws;
    ws.on('message', (data) => {
      if (this.ws !== ws) return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(data)) as ServerMessage;
      } catch {
        this.log('cloud relay: a message that is not JSON was ignored');
        return;
      }
      this.onMessage(msg);
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.onClosed(code, String(reason) || 'connection lost');
    });
    ws.on('error', (error) => {
      if (this.ws === ws) this.error = error.message;
    });
  }

  private onMessage(msg: ServerMessage): void {
    const rid = 'request_id' in msg ? msg.request_id : undefined;
    if (rid && this.pending.has(rid)) {
      const p = this.pending.get(rid)!;
      this.pending.delete(rid);
      p.cancel();
      p.resolve(msg);
      return;
    }
    switch (msg.type) {
      case 'ready':
        void this.onReady(msg.connection_id);
        break;
      case 'error':
        this.error = `${msg.code}: ${msg.error}`;
        this.log(`cloud relay: ${this.error}`);
        if (msg.code === 'MAX_DURATION_EXCEEDED') this.events.error('stream_failed', msg.error, false);
        break;
      case 'logs':
        for (const line of msg.lines.slice(0, 50)) this.log(`cloud: ${String(line).slice(0, 500)}`);
        break;
      default:
        break;
    }
  }

  private async onReady(connectionId: string): Promise<void> {
    this.connectionId = connectionId;
    this.events = this.newEvents();
    this.events.set({ connection_id: connectionId });
    try {
      await this.request({ type: 'set_user_id', user_id: this.userId() });
    } catch (error) {
      // A refused token closes the socket; onClosed reports it.
      this.log(`cloud relay: handshake failed: ${(error as Error).message}`);
      return;
    }
    this.connecting = false;
    this.connected = true;
    this.error = null;
    this.attempt = 0;
    this.connectedAt = this.clock.now();
    this.events.emit('websocket_connected', { connection_info: { url: this.url } });
    this.log(`cloud relay: connected (${connectionId})`);
    this.stopHeartbeat = startHeartbeat(this.events, this.clock, () => ({
      frames_in: this.framesReceived,
      frames_out: this.framesSent,
    }));
    for (const link of this.links.values()) void this.establish(link);
  }

  private onClosed(code: number, reason: string): void {
    const wasConnected = this.connected;
    this.ws = null;
    this.connected = false;
    this.connecting = false;
    this.lastClose = { code, reason };
    this.stopHeartbeat?.();
    this.stopHeartbeat = null;
    for (const [id, p] of this.pending) {
      p.cancel();
      p.reject(new Error(`the relay connection closed (${code}: ${reason})`));
      this.pending.delete(id);
    }
    // The sessions' end is logged before the socket's (teardownLinks emits synchronously).
    void this.teardownLinks(`cloud relay lost (${code}: ${reason})`, false);
    if (wasConnected)
      this.events.emit('websocket_disconnected', {
        duration_ms: Math.round(this.clock.now() - this.connectedAt),
        close_code: code,
        close_reason: reason,
      });
    if (FINAL_CODES.has(code)) {
      this.wanted = false;
      this.error =
        code === CLOSE.MAX_DURATION
          ? 'the cloud ended the session: maximum duration exceeded'
          : `the cloud refused the token (${code}: ${reason})`;
      this.log(`cloud relay: ${this.error}`);
      for (const link of this.links.values())
        this.linkEvents.state(link.spec, false, `cloud relay: ${this.error}`);
      return;
    }
    if (!this.wanted) return;
    const delay = reconnectDelay(this.attempt++, this.options.random);
    this.log(`cloud relay: closed (${code}: ${reason}); reconnecting in ${delay} ms`);
    this.cancelRetry = this.clock.setTimeout(() => {
      this.cancelRetry = null;
      this.reconnects++;
      this.open();
    }, delay);
  }

  private disconnectSocket(reason: string): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      const wasConnected = this.connected;
      this.connected = false;
      this.connecting = false;
      this.stopHeartbeat?.();
      this.stopHeartbeat = null;
      this.lastClose = { code: CLOSE.NORMAL, reason };
      if (wasConnected)
        this.events.emit('websocket_disconnected', {
          duration_ms: Math.round(this.clock.now() - this.connectedAt),
          close_code: CLOSE.NORMAL,
          close_reason: reason,
        });
      ws.close(CLOSE.NORMAL, reason);
    }
  }

  private teardownLinks(reason: string, tellRemote = true): Promise<void> {
    const tell = tellRemote && this.connected;
    const links = [...this.links.values()];
    for (const link of links) {
      this.linkRetry.get(link.spec.proc)?.cancel?.();
      if (link.session !== null) this.closedSessionEvents(link);
    }
    return Promise.all(
      links.map(async (link) => {
        await link.teardown(reason, tell);
        this.linkEvents.state(link.spec, false, this.waitingMessage());
      }),
    ).then(() => undefined);
  }

  private closedSessionEvents(link: RemoteLink): void {
    this.events.emit('stream_stopped', { node_id: link.spec.nodeId });
    this.events.emit('session_closed', { node_id: link.spec.nodeId });
  }

  private signaller(): Signaller {
    return {
      name: 'cloud relay',
      offer: async (sdp, initialParameters) => {
        const reply = await this.request({ type: 'offer', sdp, sdp_type: 'offer', initialParameters });
        if (reply.type === 'answer') return { sdp: reply.sdp, sessionId: reply.sessionId };
        throw new Error(reply.type === 'error' ? reply.error : `unexpected reply "${reply.type}"`);
      },
      close: async (sessionId) => {
        if (!this.connected) return;
        await this.api('DELETE', `/api/v1/webrtc/offer/${encodeURIComponent(sessionId)}`);
      },
    };
  }

  private async establish(link: RemoteLink): Promise<void> {
    if (!this.connected || link.closed) return;
    const t0 = this.clock.now();
    this.events.set({ pipeline_ids: [...this.links.values()].map((l) => l.spec.pipelineId) });
    this.events.emit('pipeline_load_start', { node_id: link.spec.nodeId });
    try {
      const { sessionId } = await link.establish(this.signaller());
      this.events.set({ session_id: sessionId });
      this.events.emit('pipeline_loaded', {
        node_id: link.spec.nodeId,
        load_duration_ms: Math.round(this.clock.now() - t0),
      });
      this.events.emit('session_created', { mode: 'relay', node_id: link.spec.nodeId });
      const retry = this.linkRetry.get(link.spec.proc);
      if (retry) retry.attempt = 0;
    } catch (error) {
      if (link.closed || !this.connected) return;
      const message = (error as Error).message;
      this.log(`cloud relay: ${link.spec.nodeId}: ${message}`);
      this.events.error('webrtc_offer_failed', `${link.spec.nodeId}: ${message}`, true);
      this.linkEvents.state(link.spec, false, `remote: ${message}`);
      this.scheduleLink(link);
    }
  }

  /** Sets a link up again after its peer failed, on the same backoff schedule. */
  private scheduleLink(link: RemoteLink): void {
    if (link.closed || !this.connected) return;
    const r = this.linkRetry.get(link.spec.proc) ?? { attempt: 0, cancel: null };
    this.linkRetry.set(link.spec.proc, r);
    r.cancel?.();
    const delay = reconnectDelay(r.attempt++, this.options.random);
    r.cancel = this.clock.setTimeout(() => {
      r.cancel = null;
      void this.establish(link);
    }, delay);
  }

  private request(msg: Record<string, unknown> & { type: string }): Promise<ServerMessage> {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN)
      return Promise.reject(new Error('the cloud relay is not connected'));
    const request_id = randomUUID();
    return new Promise<ServerMessage>((resolve, reject) => {
      const cancel = this.clock.setTimeout(() => {
        this.pending.delete(request_id);
        reject(new Error(`no reply to "${msg.type}" within ${this.options.requestTimeoutMs ?? 15_000} ms`));
      }, this.options.requestTimeoutMs ?? 15_000);
      this.pending.set(request_id, { resolve, reject, cancel });
      ws.send(JSON.stringify({ ...msg, request_id }));
    });
  }
}
