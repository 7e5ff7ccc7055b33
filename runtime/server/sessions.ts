/**
 * The server's live sessions: RuntimeSessions (WebRTC, headless, editor) and the WebRTC peers
 * attached to them. Owns the wiring between a peer and its session (frames both ways — frame
 * path step 2 of 8 in CONTEXT.md: the peer's decoded frames into the session's input port, its
 * output port straight to the peer — the "parameters" channel, Scope's notifications) and the
 * teardown, so nothing outlives a session.
 */
import { randomUUID } from 'node:crypto';
import type { HostCapabilities, NodeRegistry, PipelineInfo } from '../../nodes';
import type { Patch } from '../../patches';
import type { RuntimeSession } from '../engine/api';
import type { EventSink } from '../events';
import type { ServerPeer, SessionFactory } from './deps';
import { SessionTrace, traceOfferFailed } from './lifecycle';
import { ParameterGate } from '../guards';

export type SessionKind = 'webrtc' | 'headless' | 'editor';

export interface RuntimeEntry {
  id: string;
  kind: SessionKind;
  session: RuntimeSession;
  createdAt: number;
  /** WebRTC session ids of peers attached to this runtime. */
  peers: Set<string>;
  /**
   * The live parameters (Scope's frame-processor `parameters`): every applied data-channel /
   * REST update merged, node-routed ones under `node_parameters[node_id]`.
   */
  parameters: Record<string, unknown>;
}

interface PeerEntry {
  id: string;
  peer: ServerPeer;
  runtimeId: string;
  /** The runtime exists for this peer only and is disposed with it (Scope's sessions). */
  ownsRuntime: boolean;
  unsubscribe: (() => void)[];
  closing: Promise<void> | null;
  trace: SessionTrace | null;
  /** Rate limit and per-frame coalescing of the "parameters" channel. */
  gate: ParameterGate;
  /** Closes the session when the peer has not connected in time (cleared once it connects). */
  connectTimer: ReturnType<typeof setTimeout> | null;
  /** Who made the offer (address or relay connection), for the per-client limits. */
  client: string | null;
}

export interface SessionManagerDeps {
  createSession: SessionFactory;
  capabilities: () => Promise<HostCapabilities>;
  modelsDir: string;
  assetsDir: string;
  /** Where node recordings go (the folder /api/v1/recordings serves). */
  recordingsDir?: string;
  /** Pipelines beyond the catalog (user ONNX models), for every compile of every session. */
  extraPipelines?: () => readonly PipelineInfo[];
  /** Node types (built-ins plus loaded node packages), read when a session is created. */
  registry?: () => NodeRegistry;
  /** Where lifecycle events of plain WebRTC sessions go (none: not traced). */
  eventSinks?: readonly EventSink[];
  /** `stream_heartbeat` interval (default 10 s). */
  heartbeatMs?: number;
  /** Clock of new sessions unless one asks for another (default real). */
  clockMode?: 'real' | 'fixed';
  /**
   * A WebRTC session whose peer has not connected after this long is closed and freed (default
   * 15 s): an offer that never completes ICE would otherwise hold its sockets, threads and
   * session forever.
   */
  connectTimeoutMs?: number;
  /** Data-channel messages per second per session, and the burst (default 100 / 200). */
  dataRate?: { perSecond: number; burst: number };
  log: (line: string) => void;
}

/** Default of {@link SessionManagerDeps.connectTimeoutMs}. */
export const CONNECT_TIMEOUT_MS = 15_000;

/** Engine-wide counters for `/session/metrics` (the leak test reads these). */
export interface ManagerMetrics {
  sessions: number;
  peers: number;
  workers: number;
  /** Messages dropped by the rate limits since the server started. */
  messages_dropped: { data_channel: number; runtime_ws: number };
}

export class SessionManager {
  private readonly runtimes = new Map<string, RuntimeEntry>();
  private readonly peers = new Map<string, PeerEntry>();
  private readonly closedCbs = new Set<(runtimeId: string) => void>();
  private readonly dropped = { data_channel: 0, runtime_ws: 0 };

  constructor(private readonly deps: SessionManagerDeps) {}

  /**
   * Creates a RuntimeSession for `patch` and starts it. Rejects (and frees everything) when the
   * patch does not compile, with the diagnostics in the message.
   */
  async createRuntime(kind: SessionKind, patch: Patch, id: string = randomUUID()): Promise<RuntimeEntry> {
    const session = await this.deps.createSession({
      patch,
      capabilities: await this.deps.capabilities(),
      modelsDir: this.deps.modelsDir,
      assetsDir: this.deps.assetsDir,
      ...(this.deps.recordingsDir ? { recordingsDir: this.deps.recordingsDir } : {}),
      ...(this.deps.extraPipelines ? { extraPipelines: this.deps.extraPipelines } : {}),
      ...(this.deps.registry ? { registry: this.deps.registry() } : {}),
      clockMode: this.deps.clockMode ?? 'real',
      log: (line) => this.deps.log(`[${kind} ${id.slice(0, 8)}] ${line}`),
    });
    const entry: RuntimeEntry = {
      id,
      kind,
      session,
      createdAt: Date.now(),
      peers: new Set(),
      parameters: {},
    };
    this.runtimes.set(id, entry);
    try {
      await session.start();
      if (session.state() === 'error' || !session.plan()) throw new Error(describeFailure(session));
    } catch (error) {
      await this.closeRuntime(id, 'start failed');
      throw error;
    }
    return entry;
  }

  /** Registers a runtime created elsewhere (the editor's WebSocket session), not started yet. */
  async createIdleRuntime(
    kind: SessionKind,
    patch: Patch,
    id: string = randomUUID(),
    clockMode?: 'real' | 'fixed',
  ): Promise<RuntimeEntry> {
    const session = await this.deps.createSession({
      patch,
      capabilities: await this.deps.capabilities(),
      modelsDir: this.deps.modelsDir,
      assetsDir: this.deps.assetsDir,
      ...(this.deps.recordingsDir ? { recordingsDir: this.deps.recordingsDir } : {}),
      ...(this.deps.extraPipelines ? { extraPipelines: this.deps.extraPipelines } : {}),
      ...(this.deps.registry ? { registry: this.deps.registry() } : {}),
      clockMode: clockMode ?? this.deps.clockMode ?? 'real',
      log: (line) => this.deps.log(`[${kind} ${id.slice(0, 8)}] ${line}`),
    });
    const entry: RuntimeEntry = {
      id,
      kind,
      session,
      createdAt: Date.now(),
      peers: new Set(),
      parameters: {},
    };
    this.runtimes.set(id, entry);
    return entry;
  }

  /**
   * Applies Scope parameters to a runtime's session and records what was applied as its live
   * parameters (GET /session/parameters reads them back).
   */
  setParameters(
    entry: RuntimeEntry,
    params: Record<string, unknown>,
  ): { applied: Record<string, unknown>; ignored: Record<string, string> } {
    const result = entry.session.setParameters(params);
    const applied = { ...result.applied };
    delete applied.node_id;
    if (Object.keys(applied).length) {
      if (typeof params.node_id === 'string') {
        const byNode = (entry.parameters.node_parameters ?? {}) as Record<string, Record<string, unknown>>;
        byNode[params.node_id] = { ...byNode[params.node_id], ...applied };
        entry.parameters.node_parameters = byNode;
      } else Object.assign(entry.parameters, applied);
    }
    return result;
  }

  /** Sends a Scope notification to every WebRTC client attached to a runtime. */
  notify(entry: RuntimeEntry, message: Record<string, unknown>): void {
    for (const p of entry.peers) this.peers.get(p)?.peer.sendData(message);
  }

  runtime(id: string): RuntimeEntry | undefined {
    return this.runtimes.get(id);
  }

  runtimesOf(kind: SessionKind): RuntimeEntry[] {
    return [...this.runtimes.values()].filter((r) => r.kind === kind);
  }

  /** The runtime a WebRTC session id points at. */
  runtimeOfPeer(peerId: string): RuntimeEntry | undefined {
    const p = this.peers.get(peerId);
    return p ? this.runtimes.get(p.runtimeId) : undefined;
  }

  peer(peerId: string): ServerPeer | undefined {
    return this.peers.get(peerId)?.peer;
  }

  /**
   * Connects a peer to a runtime: client camera frames in, output frames out, the parameters
   * channel both ways; a peer that dies by itself closes its session. Returns the peer's id
   * (Scope's `sessionId`).
   */
  attachPeer(
    runtime: RuntimeEntry,
    peer: ServerPeer,
    ownsRuntime: boolean,
    id: string = randomUUID(),
    trace?: { offerAt: number } | null,
    client: string | null = null,
  ): string {
    const { session } = runtime;
    const log = (line: string) => this.deps.log(`[webrtc ${id.slice(0, 8)}] ${line}`);
    const applyParameters = (message: Record<string, unknown>) => {
      const { applied, ignored } = this.setParameters(runtime, message);
      for (const [key, reason] of Object.entries(ignored)) log(`data channel: ignored "${key}": ${reason}`);
      if (Object.keys(applied).length) peer.sendData({ type: 'parameters_updated', parameters: applied });
    };
    const connectTimeoutMs = this.deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const entry: PeerEntry = {
      id,
      peer,
      runtimeId: runtime.id,
      ownsRuntime,
      unsubscribe: [],
      closing: null,
      trace:
        trace && this.deps.eventSinks
          ? new SessionTrace(
              {
                sinks: this.deps.eventSinks,
                sessionId: id,
                pipelineIds: pipelineIdsOf(session),
                offerAt: trace.offerAt,
                ...(this.deps.heartbeatMs ? { heartbeatMs: this.deps.heartbeatMs } : {}),
              },
              session,
              peer,
            )
          : null,
      gate: new ParameterGate({
        ratePerSecond: this.deps.dataRate?.perSecond ?? 100,
        burst: this.deps.dataRate?.burst ?? 200,
        apply: applyParameters,
        onDrop: () => this.countDropped('data_channel'),
        warn: (message) => {
          log('data channel: rate limit reached; dropping the excess (counted in /session/metrics)');
          peer.sendData(message);
        },
      }),
      client,
      connectTimer: setTimeout(() => {
        entry.connectTimer = null;
        void this.closePeer(id, `the peer did not connect within ${connectTimeoutMs} ms`, false);
      }, connectTimeoutMs),
    };
    this.peers.set(id, entry);
    runtime.peers.add(id);
    peer.onConnected(() => {
      if (entry.connectTimer) clearTimeout(entry.connectTimer);
      entry.connectTimer = null;
    });

    // The frame path through the server: input port ← peer, output port → peer. Nothing between.
    peer.onInputFrame((index, frame) => session.pushInputFrame(index, frame));
    entry.unsubscribe.push(session.onOutputFrame((index, frame) => peer.sendFrame(index, frame)));
    peer.onData((message) => entry.gate.push(message));
    entry.unsubscribe.push(
      session.on('state', ({ state, error }) => {
        if (state === 'error') {
          peer.sendData({
            type: 'stream_stopped',
            error_message: error ?? 'the session stopped with an error',
          });
          if (ownsRuntime) void this.closePeer(id, `session error: ${error ?? 'unknown'}`, false);
        }
      }),
    );
    peer.onClosed((reason) => {
      log(`peer closed: ${reason}`);
      void this.closePeer(id, reason, false);
    });
    return id;
  }

  /**
   * Closes a WebRTC session: tells the client (stream_stopped) when it is still there, closes the
   * peer, and disposes the runtime when the peer owned it. Idempotent.
   */
  closePeer(peerId: string, reason: string, notify = true): Promise<void> {
    const entry = this.peers.get(peerId);
    if (!entry) return Promise.resolve();
    entry.closing ??= (async () => {
      this.deps.log(`[webrtc ${peerId.slice(0, 8)}] closing: ${reason}`);
      entry.trace?.close(reason);
      if (entry.connectTimer) clearTimeout(entry.connectTimer);
      entry.connectTimer = null;
      entry.gate.close();
      if (notify) entry.peer.sendData({ type: 'stream_stopped' });
      for (const u of entry.unsubscribe) u();
      const runtime = this.runtimes.get(entry.runtimeId);
      runtime?.peers.delete(peerId);
      try {
        await entry.peer.close();
      } catch (error) {
        this.deps.log(`[webrtc ${peerId.slice(0, 8)}] close failed: ${(error as Error).message}`);
      }
      this.peers.delete(peerId);
      if (entry.ownsRuntime && runtime) await this.closeRuntime(runtime.id, reason);
    })();
    return entry.closing;
  }

  /** Records an offer that did not become a session (lifecycle `error` event). */
  offerFailed(message: string, pipelineIds: string[]): void {
    if (this.deps.eventSinks) traceOfferFailed(this.deps.eventSinks, pipelineIds, message);
  }

  /** Disposes a runtime and closes every peer attached to it. Idempotent. */
  async closeRuntime(runtimeId: string, reason: string): Promise<void> {
    const runtime = this.runtimes.get(runtimeId);
    if (!runtime) return;
    this.runtimes.delete(runtimeId);
    for (const cb of this.closedCbs) cb(runtimeId);
    await Promise.all([...runtime.peers].map((p) => this.closePeer(p, reason)));
    try {
      await runtime.session.dispose();
    } catch (error) {
      this.deps.log(`[${runtime.kind} ${runtimeId.slice(0, 8)}] dispose failed: ${(error as Error).message}`);
    }
  }

  /** Calls `cb(runtimeId)` when a runtime is being closed (before it is disposed). */
  onRuntimeClosed(cb: (runtimeId: string) => void): () => void {
    this.closedCbs.add(cb);
    return () => void this.closedCbs.delete(cb);
  }

  /** Stops everything (server shutdown). */
  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.peers.keys()].map((p) => this.closePeer(p, reason)));
    await Promise.all([...this.runtimes.keys()].map((r) => this.closeRuntime(r, reason)));
  }

  metrics(): ManagerMetrics {
    let workers = 0;
    for (const r of this.runtimes.values()) workers += r.session.plan()?.workers.length ?? 0;
    return {
      sessions: this.runtimes.size,
      peers: this.peers.size,
      workers,
      messages_dropped: { ...this.dropped },
    };
  }

  /** WebRTC sessions of `client` whose peer has not connected yet. */
  pendingOf(client: string): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.client === client && p.connectTimer) n++;
    return n;
  }

  /** Counts a message a rate limit dropped (shown in `/session/metrics` under engine). */
  countDropped(channel: 'data_channel' | 'runtime_ws'): void {
    this.dropped[channel]++;
  }

  /**
   * Per-session stats for Scope's `/session/metrics`, keyed as Scope's clients know them: a
   * Scope WebRTC session by the `sessionId` of its offer's answer, the headless one as
   * `headless`, an editor session by its runtime id.
   */
  sessionStats(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.runtimes.values()) {
      const owner =
        r.kind === 'webrtc' ? [...r.peers].find((p) => this.peers.get(p)?.ownsRuntime) : undefined;
      out[owner ?? r.id] = {
        ...(r.kind === 'headless' ? { headless: true } : {}),
        kind: r.kind,
        state: r.session.state(),
        revision: r.session.revision(),
        uptime_ms: Date.now() - r.createdAt,
        nodes: r.session.stats(),
        webrtc: [...r.peers].map((p) => {
          const e = this.peers.get(p);
          return { session_id: p, ...e?.peer.stats(), ...e?.gate.stats() };
        }),
      };
    }
    return out;
  }
}

/** The pipeline ids a session runs (for its lifecycle events). */
export function pipelineIdsOf(session: RuntimeSession): string[] {
  return (session.plan()?.nodes ?? []).flatMap((n) => (n.pipeline ? [n.pipeline.id] : []));
}

/** A readable reason a session did not start, from its diagnostics. */
export function describeFailure(session: RuntimeSession): string {
  const fatal = session.diagnostics().filter((d) => d.fatal);
  if (!fatal.length) return `the session did not start (state ${session.state()})`;
  return fatal.map((d) => (d.node ? `${d.node}: ${d.message}` : d.message)).join('; ');
}
