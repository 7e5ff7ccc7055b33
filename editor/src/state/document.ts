/**
 * The document slice: the patch, its undo history, the selection and the file it came from.
 * Every edit goes through `apply`, which records history, sends the same change objects to the
 * runtime (live edits, nothing is locked while running) and schedules the autosaves.
 */
import { registry } from '../../../nodes';
import { parsePatch, type Patch, type PortRef } from '../../../patches';
import type { PatchChange } from '../../../runtime/protocol';
import {
  checkConnection,
  clipboardText,
  commit,
  copySelection,
  createHistory,
  createNode,
  edgeId,
  parseClipboard,
  pasteChanges,
  redo,
  removeNodesChanges,
  undo,
  type CommitOptions,
  type History,
  type PaletteItem,
} from '../graph';
import { defaultPatchName, readPatch } from '../runtime';
import type { Autosave } from './autosave';
import type { MediaSlice } from './media';
import type { RuntimeLink } from './runtime-link';
import { isLive, type StoreCore } from './types';
import type { UiSlice } from './ui';

export class DocumentSlice {
  constructor(
    private readonly core: StoreCore,
    private readonly slices: { ui: UiSlice; link: RuntimeLink; media: MediaSlice; autosave: Autosave },
    /** True when the store started from an autosave (then the default patch is not opened). */
    private readonly restoredAutosave: boolean,
  ) {}

  /**
   * Applies changes as one undoable step and sends them to the runtime. A change that does not
   * fit (a stale id) is reported as a toast and nothing changes.
   */
  apply(changes: PatchChange[], opts: CommitOptions = {}): boolean {
    if (!changes.length) return true;
    const { patch, history } = this.core.get();
    let result;
    try {
      result = commit(patch, history, changes, { now: this.core.now(), ...opts });
    } catch (error) {
      this.slices.ui.toast('error', (error as Error).message);
      return false;
    }
    this.afterEdit(result.patch, result.history, result.changes);
    return true;
  }

  private afterEdit(patch: Patch, history: History, changes: PatchChange[]): void {
    const { selectedNodes, selectedEdges } = this.core.get();
    const ids = new Set(patch.nodes.map((n) => n.id));
    const edgeIds = new Set(patch.edges.map((e) => e.id));
    this.core.set({
      patch,
      history,
      dirty: true,
      selectedNodes: new Set([...selectedNodes].filter((id) => ids.has(id))),
      selectedEdges: new Set([...selectedEdges].filter((id) => edgeIds.has(id))),
    });
    this.slices.link.sendChanges(changes);
    this.slices.autosave.schedule();
    if (isLive(this.core.get().runState)) void this.slices.media.ensure();
  }

  undo(): void {
    const { patch, history } = this.core.get();
    const r = undo(patch, history);
    if (r) this.afterEdit(r.patch, r.history, r.changes);
  }

  redo(): void {
    const { patch, history } = this.core.get();
    const r = redo(patch, history);
    if (r) this.afterEdit(r.patch, r.history, r.changes);
  }

  /**
   * First run (nothing autosaved, nothing edited yet): opens the runtime's default patch, so a
   * fresh `npm start` shows camera → passthrough → output ready to Run. Resolves to whether it did.
   */
  async openDefaultOnFirstRun(): Promise<boolean> {
    if (this.restoredAutosave || this.core.get().patch.nodes.length > 0) return false;
    try {
      const name = await defaultPatchName();
      if (!name) return false;
      const data = await readPatch(name);
      const doc =
        data && typeof data === 'object' && 'patch' in data ? (data as { patch: unknown }).patch : data;
      const res = parsePatch(typeof doc === 'string' ? doc : JSON.stringify(doc));
      // The user may have started editing while this was on its way: never replace their work.
      const now = this.core.get();
      if (!res.ok || now.patch.nodes.length > 0 || now.history.past.length > 0) return false;
      this.loadPatch(res.patch, null);
      this.slices.ui.toast(
        'info',
        `Opened the default patch "${res.patch.metadata.name}". Press Run to start.`,
      );
      return true;
    } catch {
      return false; // no runtime (offline page): stay on the empty patch
    }
  }

  /** Replaces the whole patch (New, Open, gallery); clears history and tells the runtime. */
  loadPatch(patch: Patch, fileName: string | null): void {
    this.core.set({
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
    this.slices.link.sendLoad();
    this.slices.autosave.schedule();
    if (isLive(this.core.get().runState)) void this.slices.media.ensure();
  }

  /** Adds a palette item at a flow position; selects it and returns its id. */
  addNode(item: Pick<PaletteItem, 'type' | 'params'>, position: { x: number; y: number }): string | null {
    let node;
    try {
      node = createNode(this.core.get().patch, registry, item.type, position, item.params);
    } catch (error) {
      this.slices.ui.toast('error', (error as Error).message);
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
    const { patch } = this.core.get();
    const check = checkConnection(patch, registry, from, to);
    if (!check.ok) {
      this.slices.ui.showHint(check.hint, at);
      return false;
    }
    const taken = new Set(patch.edges.map((e) => e.id));
    const changes: PatchChange[] = [
      ...check.replaces.map((id) => ({ op: 'edge.remove' as const, id })),
      { op: 'edge.add', edge: { id: edgeId(from, to, taken), from, to } },
    ];
    this.core.set({ connectHint: null });
    return this.apply(changes, { label: 'Connect' });
  }

  /** Sets one param; slider drags pass `coalesce` so the drag is one undo step. */
  setParam(nodeId: string, name: string, value: unknown, coalesce = false): void {
    const opts: CommitOptions = coalesce
      ? { coalesceKey: `${nodeId}.${name}`, label: `Edit ${name}` }
      : { label: `Edit ${name}` };
    this.apply([{ op: 'node.params', id: nodeId, params: { [name]: value } }], opts);
  }

  select(nodes: readonly string[], edges: readonly string[]): void {
    this.core.set({ selectedNodes: new Set(nodes), selectedEdges: new Set(edges) });
  }

  selectAll(): void {
    const { patch } = this.core.get();
    this.select(
      patch.nodes.map((n) => n.id),
      patch.edges.map((e) => e.id),
    );
  }

  deleteSelection(): void {
    const { patch, selectedNodes, selectedEdges } = this.core.get();
    const changes = removeNodesChanges(patch, [...selectedNodes], [...selectedEdges]);
    if (changes.length) this.apply(changes, { label: selectedNodes.size ? 'Delete' : 'Disconnect' });
  }

  /** The selection as clipboard text (or null when nothing is selected). */
  copyText(): string | null {
    const { patch, selectedNodes } = this.core.get();
    if (!selectedNodes.size) return null;
    return clipboardText(copySelection(patch, [...selectedNodes]));
  }

  /** Pastes clipboard text; returns false (with a toast) when it is not Patchbay nodes. */
  pasteText(text: string, offset = { x: 40, y: 40 }): boolean {
    const parsed = parseClipboard(text);
    if (!parsed.ok) {
      this.slices.ui.toast('info', `Nothing to paste: ${parsed.error}.`);
      return false;
    }
    const { changes, nodeIds } = pasteChanges(this.core.get().patch, parsed.payload, offset);
    if (!this.apply(changes, { label: 'Paste' })) return false;
    this.select(nodeIds, []);
    return true;
  }

  duplicate(): void {
    const text = this.copyText();
    if (text) this.pasteText(text);
  }

  /** Marks the patch saved under a name. */
  markSaved(fileName: string): void {
    this.core.set({ fileName, dirty: false });
    this.slices.autosave.schedule();
  }

  renamePatch(name: string): void {
    this.apply([{ op: 'metadata', metadata: { name } }], {
      label: 'Rename patch',
      coalesceKey: 'metadata.name',
    });
  }
}
