/**
 * The runtime link slice: the /api/v1/runtime WebSocket. Sends the patch (whole on connect and
 * open, as change objects on each edit) and the run/stop/timeline commands; folds what the
 * runtime reports (session state, diagnostics, stats, node errors, timelines, acks) into the state.
 */
import { applyChanges, type Patch } from '../../../patches';
import type { PatchChange, RuntimeClientMessage, RuntimeServerMessage } from '../../../runtime/protocol';
import { RuntimeClient, type SocketLike } from '../runtime';
import type { MediaSlice } from './media';
import { isLive, type StoreCore } from './types';
import type { UiSlice } from './ui';

export class RuntimeLink {
  private client: RuntimeClient | null = null;
  private requestSeq = 0;

  constructor(
    private readonly core: StoreCore,
    private readonly ui: UiSlice,
    private readonly media: MediaSlice,
  ) {}

  /** Connects to the runtime WebSocket (when a URL was given). */
  connect(): void {
    const url = this.core.opts.runtimeUrl;
    if (!url || this.client) return;
    const createSocket =
      this.core.opts.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
    this.client = new RuntimeClient({
      url,
      createSocket,
      onOpen: () => this.sendLoad(),
      onMessage: (m) => this.onServerMessage(m),
      onConnection: (connection, detail) => {
        this.core.set({ connection, connectionDetail: detail ?? null });
        if (connection === 'closed') void this.media.stop();
      },
    });
    this.client.connect();
  }

  /** Closes the connection. */
  close(): void {
    this.client?.close();
    this.client = null;
  }

  /** Sends a message; false when not connected. */
  send(message: RuntimeClientMessage): boolean {
    return this.client?.send(message) ?? false;
  }

  /** Sends the whole patch (connect, open, and after a refused change). */
  sendLoad(patch: Patch = this.core.get().patch): void {
    this.send({ type: 'patch.load', patch, requestId: `l${++this.requestSeq}` });
  }

  /** Sends one edit's change objects against the last revision the runtime reported. */
  sendChanges(changes: PatchChange[]): void {
    this.send({
      type: 'patch.change',
      changes,
      revision: this.core.get().revision,
      requestId: `c${++this.requestSeq}`,
    });
  }

  private onServerMessage(m: RuntimeServerMessage): void {
    const { core } = this;
    const state = core.get();
    switch (m.type) {
      case 'hello':
        core.set({ sessionId: m.sessionId });
        return;
      case 'state': {
        const wasRunning = isLive(state.runState);
        core.set({ runState: m.state, runError: m.error ?? null, revision: m.revision });
        if (isLive(m.state)) void this.media.ensure();
        else if (wasRunning && (m.state === 'idle' || m.state === 'stopping')) {
          void this.media.stop();
          core.set({ stats: {} });
        }
        if (m.state === 'error' && m.error) this.ui.toast('error', `Runtime: ${m.error}`);
        return;
      }
      case 'diagnostics':
        core.set({ diagnostics: m.errors, revision: m.revision });
        return;
      case 'stats': {
        // Errors that a node reported clear once it runs again.
        const nodeErrors = { ...state.nodeErrors };
        for (const [id, s] of Object.entries(m.nodes)) if (s.status === 'running') delete nodeErrors[id];
        core.set({ stats: m.nodes, nodeErrors });
        return;
      }
      case 'node.error':
        core.set({ nodeErrors: { ...state.nodeErrors, [m.node]: m.message } });
        return;
      case 'timeline':
        core.set({
          timelines: { ...state.timelines, [m.node]: { time: m.time, playing: m.playing, entry: m.entry } },
        });
        return;
      case 'ack': {
        const edit = m.requestId.startsWith('c') || m.requestId.startsWith('l');
        if (edit) core.set({ revision: m.revision });
        if (m.ok) {
          if (m.requestId.startsWith('l') && core.get().refusedEdits.length) core.set({ refusedEdits: [] });
          return;
        }
        if (edit)
          core.set({
            refusedEdits: [
              ...core.get().refusedEdits.slice(-19),
              {
                requestId: m.requestId,
                baseRevision: m.baseRevision ?? null,
                revision: m.revision,
                error: m.error ?? '',
                refused: m.refused ?? [],
              },
            ],
          });
        // A refused change may have left the runtime's patch behind ours: resend the whole patch
        // (once; a refused load is a compile problem, which the diagnostics already show).
        if (m.requestId.startsWith('c')) this.sendLoad();
        if (m.error && isLive(core.get().runState))
          this.ui.toast('error', `Runtime refused an edit: ${m.error}`);
        return;
      }
      case 'patch.changes': {
        // Scope's data channel changed the runtime's patch: follow it (not an undo step). If it
        // does not fit ours, ours is the document: send it whole.
        const r = applyChanges(core.get().patch, m.changes);
        if (r.refused.length) this.sendLoad();
        else core.set({ patch: r.patch, revision: m.revision });
        return;
      }
      case 'pong':
        return;
    }
  }

  /** Timeline transport: goes to the runtime clock, which reports back the time. */
  timeline(node: string, action: 'play' | 'pause' | { seek: number }): void {
    if (action === 'play') this.send({ type: 'timeline.play', node });
    else if (action === 'pause') this.send({ type: 'timeline.pause', node });
    else this.send({ type: 'timeline.seek', node, time: action.seek });
    const { timelines } = this.core.get();
    const cur = timelines[node] ?? { time: 0, playing: false, entry: null };
    const next =
      typeof action === 'object' ? { ...cur, time: action.seek } : { ...cur, playing: action === 'play' };
    this.core.set({ timelines: { ...timelines, [node]: next } });
  }
}
