/**
 * The editor's one store, made of four slices that share its state (types.ts `StoreCore`):
 *
 *   document.ts      the patch, undo history, selection, file name; autosave.ts writes it down
 *   runtime-link.ts  the /api/v1/runtime WebSocket: patch and commands out, reports in
 *   media.ts         cameras and the WebRTC session bringing each Output's stream back
 *   ui.ts            toasts, the connect hint, the preview choice
 *
 * Components read it with useEditor() and call its methods; each method is one slice's, or
 * (Run, Stop, dispose) a few slices' in order.
 */
import type { PatchChange } from '../../../runtime/protocol';
import { createHistory, emptyPatch, type CommitOptions, type PaletteItem } from '../graph';
import type { Patch, PortRef } from '../../../patches';
import { Autosave } from './autosave';
import { DocumentSlice } from './document';
import { MediaSlice } from './media';
import { RuntimeLink } from './runtime-link';
import type { EditorState, StoreCore, StoreOptions, Toast } from './types';
import { UiSlice } from './ui';

export { isLive } from './types';
export type { EditorState, RefusedEdit, StoreOptions, TimelineState, Toast } from './types';

type Listener = () => void;

export class EditorStore {
  private state: EditorState;
  private listeners = new Set<Listener>();
  private readonly ui: UiSlice;
  private readonly media: MediaSlice;
  private readonly link: RuntimeLink;
  private readonly autosave: Autosave;
  private readonly doc: DocumentSlice;

  constructor(opts: StoreOptions = {}) {
    const storage = opts.storage ?? null;
    const restored = Autosave.restore(storage);
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
      cameraProblem: null,
      wantRunning: false,
      refusedEdits: [],
      previewNode: null,
      toasts: [],
      connectHint: null,
    };
    const core: StoreCore = {
      opts,
      now: opts.now ?? (() => Date.now()),
      get: () => this.state,
      set: (partial) => this.set(partial),
    };
    this.ui = new UiSlice(core);
    this.media = new MediaSlice(core, this.ui);
    this.link = new RuntimeLink(core, this.ui, this.media);
    this.autosave = new Autosave(core, storage, this.ui);
    this.doc = new DocumentSlice(
      core,
      { ui: this.ui, link: this.link, media: this.media, autosave: this.autosave },
      restored !== null,
    );
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

  // ---- runtime link ----

  /** Connects to the runtime WebSocket (when a URL was given). */
  connect(): void {
    this.link.connect();
  }

  /** Closes the runtime connection and media (page unload, tests). */
  dispose(): void {
    this.link.close();
    void this.media.stop();
    this.autosave.flush();
  }

  /** Run: asks for the camera first when the patch needs it, then starts the session. */
  async run(): Promise<void> {
    this.set({ wantRunning: true, cameraProblem: null });
    const ok = await this.media.prepareCameras();
    if (!ok) {
      this.set({ wantRunning: false });
      return;
    }
    if (!this.link.send({ type: 'session.start' })) {
      this.ui.toast('error', 'The runtime is not connected; Run will work once it is back.');
    }
  }

  stop(): void {
    this.set({ wantRunning: false });
    this.link.send({ type: 'session.stop' });
    void this.media.stop();
  }

  /** Timeline transport: goes to the runtime clock, which reports back the time. */
  timeline(node: string, action: 'play' | 'pause' | { seek: number }): void {
    this.link.timeline(node, action);
  }

  // ---- document ----

  /**
   * Applies changes as one undoable step and sends them to the runtime. A change that does not
   * fit (a stale id) is reported as a toast and nothing changes.
   */
  apply(changes: PatchChange[], opts: CommitOptions = {}): boolean {
    return this.doc.apply(changes, opts);
  }

  undo(): void {
    this.doc.undo();
  }

  redo(): void {
    this.doc.redo();
  }

  /** First run (nothing autosaved, nothing edited yet): opens the runtime's default patch. */
  openDefaultOnFirstRun(): Promise<boolean> {
    return this.doc.openDefaultOnFirstRun();
  }

  /** Replaces the whole patch (New, Open, gallery); clears history and tells the runtime. */
  loadPatch(patch: Patch, fileName: string | null): void {
    this.doc.loadPatch(patch, fileName);
  }

  /** Adds a palette item at a flow position; selects it and returns its id. */
  addNode(item: Pick<PaletteItem, 'type' | 'params'>, position: { x: number; y: number }): string | null {
    return this.doc.addNode(item, position);
  }

  /** Connects two ports if the types fit; a refusal shows a hint near `at` and returns false. */
  connectPorts(from: PortRef, to: PortRef, at: { x: number; y: number } = { x: 0, y: 0 }): boolean {
    return this.doc.connectPorts(from, to, at);
  }

  /** Sets one param; slider drags pass `coalesce` so the drag is one undo step. */
  setParam(nodeId: string, name: string, value: unknown, coalesce = false): void {
    this.doc.setParam(nodeId, name, value, coalesce);
  }

  select(nodes: readonly string[], edges: readonly string[]): void {
    this.doc.select(nodes, edges);
  }

  selectAll(): void {
    this.doc.selectAll();
  }

  deleteSelection(): void {
    this.doc.deleteSelection();
  }

  /** The selection as clipboard text (or null when nothing is selected). */
  copyText(): string | null {
    return this.doc.copyText();
  }

  /** Pastes clipboard text; returns false (with a toast) when it is not Patchbay nodes. */
  pasteText(text: string, offset = { x: 40, y: 40 }): boolean {
    return this.doc.pasteText(text, offset);
  }

  duplicate(): void {
    this.doc.duplicate();
  }

  /** Switches camera-mode Camera nodes to the test pattern (the way out of a denied camera). */
  useTestPattern(nodes: readonly string[]): void {
    this.doc.apply(
      nodes.map((id) => ({ op: 'node.params' as const, id, params: { source_mode: 'test_pattern' } })),
      { label: 'Use test pattern' },
    );
    this.set({ cameraProblem: null });
  }

  /** Marks the patch saved under a name. */
  markSaved(fileName: string): void {
    this.doc.markSaved(fileName);
  }

  renamePatch(name: string): void {
    this.doc.renamePatch(name);
  }

  /** Writes pending autosaves now (before unload). */
  flushAutosave(): void {
    this.autosave.flush();
  }

  // ---- ui ----

  /** Shows a hint near a point for a few seconds (connect refusals). */
  showHint(text: string, at: { x: number; y: number }): void {
    this.ui.showHint(text, at);
  }

  setPreview(node: string | null): void {
    this.ui.setPreview(node);
  }

  toast(kind: Toast['kind'], text: string, action?: Toast['action']): void {
    this.ui.toast(kind, text, action);
  }

  dismiss(id: number): void {
    this.ui.dismiss(id);
  }
}
