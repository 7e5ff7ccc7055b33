import { registry } from '../../../nodes';
import { applyChanges, parsePatch, serializePatch, type Patch, type PortRef } from '../../../patches';
import type {
  ChangeRefusal,
  CompileError,
  NodeStats,
  PatchChange,
  RuntimeServerMessage,
  SessionStateName,
} from '../../../runtime/protocol';
import {
  checkConnection,
  clipboardText,
  commit,
  copySelection,
  createHistory,
  createNode,
  edgeId,
  emptyPatch,
  mediaLayout,
  parseClipboard,
  pasteChanges,
  redo,
  removeNodesChanges,
  undo,
  type CommitOptions,
  type History,
  type PaletteItem,
} from '../graph';
import { readAutosave, writeAutosave, type StorageLike } from '../files';
import {
  CameraError,
  defaultPatchName,
  MediaSession,
  openCamera,
  readPatch,
  RuntimeClient,
  writePatch,
  type ConnectionState,
  type SocketLike,
} from '../runtime';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
  action?: { label: string; run: () => void };
}

export interface TimelineState {
  time: number;
  playing: boolean;
  entry: number | null;
}

/** Everything the editor shows; replaced (never mutated) on each update. */
export interface EditorState {
  patch: Patch;
  history: History;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  fileName: string | null;
  dirty: boolean;
  connection: ConnectionState;
  connectionDetail: string | null;
  sessionId: string | null;
  runState: SessionStateName;
  runError: string | null;
  revision: number;
  stats: Record<string, NodeStats>;
  diagnostics: CompileError[];
  nodeErrors: Record<string, string>;
  timelines: Record<string, TimelineState>;
  streams: Record<string, MediaStream>;
  /** Node id shown in the big preview panel (an Output), or null for the first one. */
  previewNode: string | null;
  toasts: Toast[];
  /** The refusal shown near the cursor after a failed connect. */
  connectHint: { text: string; x: number; y: number } | null;
  cameraProblem: { message: string; nodes: string[] } | null;
  /** Whether Run was pressed (the user's intent, kept while the runtime reconnects). */
  wantRunning: boolean;
  /**
   * Edits the runtime refused since it last took the whole patch (newest last, at most 20):
   * nothing of them runs. Cleared when a resent patch is applied.
   */
  refusedEdits: RefusedEdit[];
}

/** A change batch (or patch load) the runtime refused, as its ack said. */
export interface RefusedEdit {
  requestId: string;
  /** The runtime revision the edit was made on, and the one the runtime stayed at. */
  baseRevision: number | null;
  revision: number;
  error: string;
  /** Each refused change with its reason and node/edge (index -1: the patch would not compile). */
  refused: ChangeRefusal[];
}

type Listener = () => void;

export interface StoreOptions {
  storage?: StorageLike | null;
  /** ws:// URL of /api/v1/runtime (with the launch token); null: work offline. */
  runtimeUrl?: string | null;
  createSocket?: (url: string) => SocketLike;
  /** Clock for history coalescing. */
  now?: () => number;
}

/**
 * The editor's single store. Components read it with useEditor() and call its methods; every
 * patch edit goes through `apply`, which records undo history, sends the same change objects to
 * the runtime (live edits, nothing is locked while running) and schedules the autosaves.
 */
export class EditorStore {
  private state: EditorState;
  private listeners = new Set<Listener>();
  private client: RuntimeClient | null = null;
  private media: MediaSession | null = null;
  private mediaKey = '';
  private cameraStreams: MediaStream[] = [];
  private localTimer: ReturnType<typeof setTimeout> | null = null;
  private remoteTimer: ReturnType<typeof setTimeout> | null = null;
  private toastId = 0;
  private requestSeq = 0;
  private readonly storage: StorageLike | null;
  private readonly now: () => number;
  /** True when the constructor found an autosave to restore (then the default patch is not opened). */
  private readonly restoredAutosave: boolean;

  constructor(private readonly opts: StoreOptions = {}) {
    this.storage = opts.storage ?? null;
    this.now = opts.now ?? (() => Date.now());
    const restored = this.storage ? readAutosave(this.storage) : null;
    this.restoredAutosave = restored !== null;
    this.state = {
      patch: restored?.patch ?? emptyPatch(),
      history: createHistory(200),
      selectedNodes: new Set(),
      selectedEdges: new Set(),
      fileName: restored?.fileName ?? null,
      dirty: false,
      connection: 'closed',
      connectionDetail: null,
      sessionId: null,
      runState: 'idle',
      runError: null,
      revision: 0,
      stats: {},
      diagnostics: [],
      nodeErrors: {},
      timelines: {},
      streams: {},
      previewNode: null,
      toasts: [],
      connectHint: null,
      cameraProblem: null,
      wantRunning: false,
      refusedEdits: [],
    };
  }

  // ---- subscription (useSyncExternalStore) ----

  readonly subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  readonly getState = (): EditorState => this.state;

  private set(partial: Partial<EditorState>): void {
    this.state = { ...this.state, ...partial };
    for (const fn of this.listeners) fn();
  }

  // ---- runtime connection ----

  /** Connects to the runtime WebSocket (when a URL was given). */
  connect(): void {
    const url = this.opts.runtimeUrl;
    if (!url || this.client) return;
    const createSocket = this.opts.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
    this.client = new RuntimeClient({
      url,
      createSocket,
      onOpen: () => this.sendLoad(),
      onMessage: (m) => this.onServerMessage(m),
      onConnection: (connection, detail) => {
        this.set({ connection, connectionDetail: detail ?? null });
        if (connection === 'closed') void this.stopMedia();
      },
    });
    this.client.connect();
  }

  private sendLoad(): void {
    this.client?.send({ type: 'patch.load', patch: this.state.patch, requestId: `l${++this.requestSeq}` });
  }

  /** Closes the runtime connection and media (page unload, tests). */
  dispose(): void {
    this.client?.close();
    this.client = null;
    void this.stopMedia();
    this.flushAutosave();
  }

  private onServerMessage(m: RuntimeServerMessage): void {
    switch (m.type) {
      case 'hello':
        this.set({ sessionId: m.sessionId });
        return;
      case 'state': {
        const wasRunning = isLive(this.state.runState);
        this.set({ runState: m.state, runError: m.error ?? null, revision: m.revision });
        if (isLive(m.state)) void this.ensureMedia();
        else if (wasRunning && (m.state === 'idle' || m.state === 'stopping')) {
          void this.stopMedia();
          this.set({ stats: {} });
        }
        if (m.state === 'error' && m.error) this.toast('error', `Runtime: ${m.error}`);
        return;
      }
      case 'diagnostics':
        this.set({ diagnostics: m.errors, revision: m.revision });
        return;
      case 'stats': {
        // Errors that a node reported clear once it runs again.
        const nodeErrors = { ...this.state.nodeErrors };
        for (const [id, s] of Object.entries(m.nodes)) if (s.status === 'running') delete nodeErrors[id];
        this.set({ stats: m.nodes, nodeErrors });
        return;
      }
      case 'node.error':
        this.set({ nodeErrors: { ...this.state.nodeErrors, [m.node]: m.message } });
        return;
      case 'timeline':
        this.set({
          timelines: {
            ...this.state.timelines,
            [m.node]: { time: m.time, playing: m.playing, entry: m.entry },
          },
        });
        return;
      case 'ack':
        if (m.requestId.startsWith('c') || m.requestId.startsWith('l')) this.set({ revision: m.revision });
        if (m.ok) {
          if (m.requestId.startsWith('l') && this.state.refusedEdits.length) this.set({ refusedEdits: [] });
          return;
        }
        if (m.requestId.startsWith('c') || m.requestId.startsWith('l'))
          this.set({
            refusedEdits: [
              ...this.state.refusedEdits.slice(-19),
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
        if (m.error && isLive(this.state.runState))
          this.toast('error', `Runtime refused an edit: ${m.error}`);
        return;
      case 'patch.changes': {
        // Scope's data channel changed the runtime's patch: follow it (not an undo step). If it
        // does not fit ours, ours is the document: send it whole.
        const r = applyChanges(this.state.patch, m.changes);
        if (r.refused.length) this.sendLoad();
        else this.set({ patch: r.patch, revision: m.revision });
        return;
      }
      case 'pong':
        return;
    }
  }

  // ---- editing ----

  /**
   * Applies changes as one undoable step and sends them to the runtime. A change that does not
   * fit (a stale id) is reported as a toast and nothing changes.
   */
  apply(changes: PatchChange[], opts: CommitOptions = {}): boolean {
    if (!changes.length) return true;
    let result;
    try {
      result = commit(this.state.patch, this.state.history, changes, { now: this.now(), ...opts });
    } catch (error) {
      this.toast('error', (error as Error).message);
      return false;
    }
    this.afterEdit(result.patch, result.history, result.changes);
    return true;
  }

  private afterEdit(patch: Patch, history: History, changes: PatchChange[]): void {
    const ids = new Set(patch.nodes.map((n) => n.id));
    const edgeIds = new Set(patch.edges.map((e) => e.id));
    this.set({
      patch,
      history,
      dirty: true,
      selectedNodes: new Set([...this.state.selectedNodes].filter((id) => ids.has(id))),
      selectedEdges: new Set([...this.state.selectedEdges].filter((id) => edgeIds.has(id))),
    });
    this.client?.send({
      type: 'patch.change',
      changes,
      revision: this.state.revision,
      requestId: `c${++this.requestSeq}`,
    });
    this.scheduleAutosave();
    if (isLive(this.state.runState)) void this.ensureMedia();
  }

  undo(): void {
    const r = undo(this.state.patch, this.state.history);
    if (r) this.afterEdit(r.patch, r.history, r.changes);
  }

  redo(): void {
    const r = redo(this.state.patch, this.state.history);
    if (r) this.afterEdit(r.patch, r.history, r.changes);
  }

  /**
   * First run (nothing autosaved, nothing edited yet): opens the runtime's default patch, so a
   * fresh `npm start` shows camera → passthrough → output ready to Run. Resolves to whether it did.
   */
  async openDefaultOnFirstRun(): Promise<boolean> {
    if (this.restoredAutosave || this.state.patch.nodes.length > 0) return false;
    try {
      const name = await defaultPatchName();
      if (!name) return false;
      const data = await readPatch(name);
      const doc =
        data && typeof data === 'object' && 'patch' in data ? (data as { patch: unknown }).patch : data;
      const res = parsePatch(typeof doc === 'string' ? doc : JSON.stringify(doc));
      // The user may have started editing while this was on its way: never replace their work.
      if (!res.ok || this.state.patch.nodes.length > 0 || this.state.history.past.length > 0) return false;
      this.loadPatch(res.patch, null);
      this.toast('info', `Opened the default patch "${res.patch.metadata.name}". Press Run to start.`);
      return true;
    } catch {
      return false; // no runtime (offline page): stay on the empty patch
    }
  }

  /** Replaces the whole patch (New, Open, gallery); clears history and tells the runtime. */
  loadPatch(patch: Patch, fileName: string | null): void {
    this.set({
      patch,
      history: createHistory(200),
      fileName,
      dirty: false,
      selectedNodes: new Set(),
      selectedEdges: new Set(),
      diagnostics: [],
      nodeErrors: {},
      stats: {},
      cameraProblem: null,
    });
    this.sendLoad();
    this.scheduleAutosave();
    if (isLive(this.state.runState)) void this.ensureMedia();
  }

  /** Adds a palette item at a flow position; selects it and returns its id. */
  addNode(item: Pick<PaletteItem, 'type' | 'params'>, position: { x: number; y: number }): string | null {
    let node;
    try {
      node = createNode(this.state.patch, registry, item.type, position, item.params);
    } catch (error) {
      this.toast('error', (error as Error).message);
      return null;
    }
    if (!this.apply([{ op: 'node.add', node }])) return null;
    this.select([node.id], []);
    return node.id;
  }

  /**
   * Connects two ports if the types fit. A refusal sets connectHint (shown near `at`) and
   * returns false; an occupied input's old edge is replaced in the same undo step.
   */
  connectPorts(from: PortRef, to: PortRef, at: { x: number; y: number } = { x: 0, y: 0 }): boolean {
    const check = checkConnection(this.state.patch, registry, from, to);
    if (!check.ok) {
      this.showHint(check.hint, at);
      return false;
    }
    const taken = new Set(this.state.patch.edges.map((e) => e.id));
    const changes: PatchChange[] = [
      ...check.replaces.map((id) => ({ op: 'edge.remove' as const, id })),
      { op: 'edge.add', edge: { id: edgeId(from, to, taken), from, to } },
    ];
    this.set({ connectHint: null });
    return this.apply(changes, { label: 'Connect' });
  }

  private hintTimer: ReturnType<typeof setTimeout> | null = null;

  /** Shows a hint near a point for a few seconds (connect refusals). */
  showHint(text: string, at: { x: number; y: number }): void {
    this.set({ connectHint: { text, x: at.x, y: at.y } });
    if (this.hintTimer) clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.set({ connectHint: null }), 6000);
  }

  /** Sets one param; slider drags pass `coalesce` so the drag is one undo step. */
  setParam(nodeId: string, name: string, value: unknown, coalesce = false): void {
    const opts: CommitOptions = coalesce
      ? { coalesceKey: `${nodeId}.${name}`, label: `Edit ${name}` }
      : { label: `Edit ${name}` };
    this.apply([{ op: 'node.params', id: nodeId, params: { [name]: value } }], opts);
  }

  select(nodes: readonly string[], edges: readonly string[]): void {
    this.set({ selectedNodes: new Set(nodes), selectedEdges: new Set(edges) });
  }

  selectAll(): void {
    this.select(
      this.state.patch.nodes.map((n) => n.id),
      this.state.patch.edges.map((e) => e.id),
    );
  }

  deleteSelection(): void {
    const { patch, selectedNodes, selectedEdges } = this.state;
    const changes = removeNodesChanges(patch, [...selectedNodes], [...selectedEdges]);
    if (changes.length) this.apply(changes, { label: selectedNodes.size ? 'Delete' : 'Disconnect' });
  }

  /** The selection as clipboard text (or null when nothing is selected). */
  copyText(): string | null {
    if (!this.state.selectedNodes.size) return null;
    return clipboardText(copySelection(this.state.patch, [...this.state.selectedNodes]));
  }

  /** Pastes clipboard text; returns false (with a toast) when it is not Patchbay nodes. */
  pasteText(text: string, offset = { x: 40, y: 40 }): boolean {
    const parsed = parseClipboard(text);
    if (!parsed.ok) {
      this.toast('info', `Nothing to paste: ${parsed.error}.`);
      return false;
    }
    const { changes, nodeIds } = pasteChanges(this.state.patch, parsed.payload, offset);
    if (!this.apply(changes, { label: 'Paste' })) return false;
    this.select(nodeIds, []);
    return true;
  }

  duplicate(): void {
    const text = this.copyText();
    if (text) this.pasteText(text);
  }

  // ---- running ----

  /** Run: asks for the camera first when the patch needs it, then starts the session. */
  async run(): Promise<void> {
    this.set({ wantRunning: true, cameraProblem: null });
    const ok = await this.prepareCameras();
    if (!ok) {
      this.set({ wantRunning: false });
      return;
    }
    if (!this.client?.send({ type: 'session.start' })) {
      this.toast('error', 'The runtime is not connected; Run will work once it is back.');
    }
  }

  stop(): void {
    this.set({ wantRunning: false });
    this.client?.send({ type: 'session.stop' });
    void this.stopMedia();
  }

  /** Switches camera-mode Camera nodes to the test pattern (the way out of a denied camera). */
  useTestPattern(nodes: readonly string[]): void {
    this.apply(
      nodes.map((id) => ({ op: 'node.params' as const, id, params: { source_mode: 'test_pattern' } })),
      { label: 'Use test pattern' },
    );
    this.set({ cameraProblem: null });
  }

  private async prepareCameras(): Promise<boolean> {
    const { cameras } = mediaLayout(this.state.patch);
    if (this.cameraStreams.length === cameras.length && this.cameraStreams.every((s) => s.active))
      return true;
    this.releaseCameras();
    try {
      for (const id of cameras) {
        const node = this.state.patch.nodes.find((n) => n.id === id)!;
        const p = node.params as { width?: number; height?: number; fps?: number; device?: string };
        const constraints: MediaTrackConstraints = {
          width: { ideal: p.width ?? 512 },
          height: { ideal: p.height ?? 512 },
          frameRate: { ideal: p.fps ?? 30 },
        };
        if (p.device) constraints.deviceId = { exact: p.device };
        this.cameraStreams.push(await openCamera(constraints));
      }
      return true;
    } catch (error) {
      this.releaseCameras();
      const message = error instanceof CameraError ? error.message : `Camera: ${(error as Error).message}`;
      this.set({ cameraProblem: { message, nodes: cameras } });
      return false;
    }
  }

  private releaseCameras(): void {
    for (const s of this.cameraStreams) for (const t of s.getTracks()) t.stop();
    this.cameraStreams = [];
  }

  /** Starts (or re-negotiates, when the track layout changed) the WebRTC media for a live session. */
  private async ensureMedia(): Promise<void> {
    const layout = mediaLayout(this.state.patch);
    const key = JSON.stringify(layout) + this.state.sessionId;
    if (this.media && key === this.mediaKey) return;
    if (!(await this.prepareCameras())) return;
    await this.stopMedia(false);
    this.mediaKey = key;
    const media = new MediaSession({
      patchbaySession: this.state.sessionId,
      cameraStreams: this.cameraStreams,
      outputs: layout.outputs,
      onTrack: (node, stream) => this.set({ streams: { ...this.state.streams, [node]: stream } }),
      onClosed: (reason) => {
        if (this.media === media) this.toast('error', `Media: ${reason}`);
      },
    });
    this.media = media;
    try {
      await media.start();
    } catch (error) {
      if (this.media === media) {
        this.media = null;
        this.mediaKey = '';
        this.toast('error', `Could not start the video connection: ${(error as Error).message}`);
      }
    }
  }

  private async stopMedia(releaseCameras = true): Promise<void> {
    const media = this.media;
    this.media = null;
    this.mediaKey = '';
    if (releaseCameras) this.releaseCameras();
    if (Object.keys(this.state.streams).length) this.set({ streams: {} });
    await media?.stop();
  }

  /** Timeline transport: goes to the runtime clock, which reports back the time. */
  timeline(node: string, action: 'play' | 'pause' | { seek: number }): void {
    if (action === 'play') this.client?.send({ type: 'timeline.play', node });
    else if (action === 'pause') this.client?.send({ type: 'timeline.pause', node });
    else this.client?.send({ type: 'timeline.seek', node, time: action.seek });
    const cur = this.state.timelines[node] ?? { time: 0, playing: false, entry: null };
    const next =
      typeof action === 'object' ? { ...cur, time: action.seek } : { ...cur, playing: action === 'play' };
    this.set({ timelines: { ...this.state.timelines, [node]: next } });
  }

  setPreview(node: string | null): void {
    this.set({ previewNode: node });
  }

  // ---- files ----

  private scheduleAutosave(): void {
    if (this.localTimer) clearTimeout(this.localTimer);
    this.localTimer = setTimeout(() => this.flushLocal(), 250);
    if (this.remoteTimer) clearTimeout(this.remoteTimer);
    this.remoteTimer = setTimeout(() => void this.flushRemote(), 1500);
  }

  private flushLocal(): void {
    this.localTimer = null;
    if (!this.storage) return;
    const err = writeAutosave(this.storage, this.state.patch, this.state.fileName, this.now());
    if (err) this.toast('error', err);
  }

  private async flushRemote(): Promise<void> {
    this.remoteTimer = null;
    if (!this.opts.runtimeUrl) return;
    try {
      await writePatch('autosave', serializePatch(this.state.patch));
    } catch {
      /* the local copy is kept; the runtime's copy is a second chance, not the only one */
    }
  }

  /** Writes pending autosaves now (before unload). */
  flushAutosave(): void {
    if (this.localTimer) {
      clearTimeout(this.localTimer);
      this.flushLocal();
    }
  }

  /** Marks the patch saved under a name. */
  markSaved(fileName: string): void {
    this.set({ fileName, dirty: false });
    this.scheduleAutosave();
  }

  renamePatch(name: string): void {
    this.apply([{ op: 'metadata', metadata: { name } }], {
      label: 'Rename patch',
      coalesceKey: 'metadata.name',
    });
  }

  // ---- messages ----

  toast(kind: Toast['kind'], text: string, action?: Toast['action']): void {
    const id = ++this.toastId;
    const toast: Toast = action ? { id, kind, text, action } : { id, kind, text };
    this.set({ toasts: [...this.state.toasts.slice(-3), toast] });
    setTimeout(() => this.dismiss(id), kind === 'error' ? 9000 : 4000);
  }

  dismiss(id: number): void {
    this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }
}

/** True for session states in which media flows. */
export function isLive(state: SessionStateName): boolean {
  return state === 'running' || state === 'reconfiguring' || state === 'loading';
}
