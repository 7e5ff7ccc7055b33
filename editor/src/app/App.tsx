import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { serializePatch } from '../../../patches';
import { Canvas } from '../components/Canvas';
import { OpenDialog, SaveAsDialog, ShortcutsDialog } from '../components/Dialogs';
import { Inspector } from '../components/Inspector';
import { Palette, QuickAdd } from '../components/Palette';
import { Preview } from '../components/Preview';
import { TimelinePanel } from '../components/Timeline';
import { Overlays } from '../components/Toasts';
import { Toolbar } from '../components/Toolbar';
import { openPatchText, patchFileName } from '../files';
import { autoLayout, emptyPatch, freeSpot, type PaletteItem } from '../graph';
import { readPatch, writePatch, type PatchListing } from '../runtime';
import { isLive } from '../state';
import { useEditor, useStore } from '../state/react';
import { matchShortcut, SHORTCUTS, type Command } from './shortcuts';

type Dialog = null | 'open' | 'saveAs' | 'shortcuts';

function isField(el: EventTarget | null): boolean {
  const t = el as HTMLElement | null;
  return (
    !!t &&
    (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
  );
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Editor() {
  const store = useStore();
  const flow = useReactFlow();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [quickAdd, setQuickAdd] = useState<{ x: number; y: number } | null>(null);
  const pointer = useRef({ x: 400, y: 300 });
  const searchRef = useRef<HTMLInputElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const timelineNode = useEditor((s) => {
    const sel = [...s.selectedNodes].find(
      (id) => s.patch.nodes.find((n) => n.id === id)?.type === 'prompt-timeline',
    );
    return sel ?? s.patch.nodes.find((n) => n.type === 'prompt-timeline')?.id ?? null;
  });

  /** Adds an item at a screen point, or in the middle of the view. */
  const addAt = useCallback(
    (item: PaletteItem, screen?: { x: number; y: number }) => {
      const rect = document.querySelector('.canvas')?.getBoundingClientRect();
      const { patch, selectedNodes } = store.getState();
      // From the palette, a new node goes right of the selected one, so a chain builds left to right.
      const anchor =
        !screen && selectedNodes.size
          ? patch.nodes.find((n) => n.id === [...selectedNodes].at(-1))
          : undefined;
      let pos: { x: number; y: number };
      if (anchor) pos = { x: anchor.position.x + 300, y: anchor.position.y };
      else {
        const point =
          screen ??
          (rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 } : { x: 400, y: 300 });
        const p = flow.screenToFlowPosition(point);
        pos = { x: p.x - 100, y: p.y - 30 };
      }
      const spot = freeSpot(patch, pos);
      store.addNode(item, spot);
      if (rect) {
        // Keep the new node in view: pan when it landed outside the visible area.
        const tl = flow.screenToFlowPosition({ x: rect.left, y: rect.top });
        const br = flow.screenToFlowPosition({ x: rect.right, y: rect.bottom });
        if (spot.x < tl.x || spot.x + 220 > br.x || spot.y < tl.y || spot.y + 160 > br.y) {
          setTimeout(() => void flow.fitView({ padding: 0.25, maxZoom: 1.1, duration: 0 }), 30);
        }
      }
    },
    [flow, store],
  );

  const save = useCallback(
    async (name: string | null, where: 'runtime' | 'download' = 'runtime') => {
      if (!name) {
        setDialog('saveAs');
        return;
      }
      const file = patchFileName(name);
      // A first save names an untitled patch after its file.
      if (store.getState().patch.metadata.name === 'Untitled')
        store.renamePatch(file.replace(/\.patch$/, '').replace(/[-_]+/g, ' '));
      let text: string;
      try {
        text = serializePatch(store.getState().patch);
      } catch (e) {
        store.toast('error', (e as Error).message);
        return;
      }
      if (where === 'download') {
        download(file, text);
        store.markSaved(file);
        store.toast('success', `Downloaded ${file}`);
        return;
      }
      try {
        await writePatch(file, text);
        store.markSaved(file);
        store.toast('success', `Saved ${file} to the patches folder`);
      } catch (e) {
        store.toast('error', `${(e as Error).message} — use Save as → Download instead.`, {
          label: 'Download',
          run: () => download(file, text),
        });
      }
    },
    [store],
  );

  const openText = useCallback(
    (text: string, name: string) => {
      const res = openPatchText(text, name);
      if (!res.ok) {
        store.toast('error', res.error);
        return;
      }
      store.loadPatch(res.patch, res.imported ? null : name);
      setDialog(null);
      setTimeout(() => flow.fitView({ padding: 0.25, maxZoom: 1.1, duration: 200 }), 50);
      if (res.warnings.length)
        store.toast('info', `Opened with ${res.warnings.length} problem(s): ${res.warnings[0]}`);
      else store.toast('success', res.imported ? `Imported ${res.imported}` : `Opened ${name}`);
    },
    [flow, store],
  );

  const openListing = useCallback(
    async (l: PatchListing) => {
      try {
        const data = await readPatch(l.path ?? l.name);
        const doc =
          data && typeof data === 'object' && 'patch' in (data as object)
            ? (data as { patch: unknown }).patch
            : data;
        openText(
          typeof doc === 'string' ? doc : JSON.stringify(doc),
          l.folder === 'examples' || l.example ? `${l.name}` : l.name,
        );
      } catch (e) {
        store.toast('error', (e as Error).message);
      }
    },
    [openText, store],
  );

  const run = useCallback(
    async (cmd: Command) => {
      const s = store.getState();
      switch (cmd) {
        case 'undo':
          return store.undo();
        case 'redo':
          return store.redo();
        case 'copy':
        case 'cut': {
          const text = store.copyText();
          if (!text) return;
          try {
            await navigator.clipboard.writeText(text);
          } catch {
            localStorage.setItem('patchbay.clipboard', text);
          }
          // Also kept locally: a paste in a tab without clipboard permission still works.
          localStorage.setItem('patchbay.clipboard', text);
          if (cmd === 'cut') store.deleteSelection();
          return;
        }
        case 'paste': {
          let text: string;
          try {
            text = await navigator.clipboard.readText();
          } catch {
            text = localStorage.getItem('patchbay.clipboard') ?? '';
          }
          if (!text.includes('patchbay-clipboard')) text = localStorage.getItem('patchbay.clipboard') ?? text;
          const at = flow.screenToFlowPosition(pointer.current);
          const parsed = JSON.parse(text || 'null') as {
            nodes?: { position: { x: number; y: number } }[];
          } | null;
          const first = parsed?.nodes?.[0]?.position;
          store.pasteText(
            text,
            first ? { x: Math.round(at.x - first.x), y: Math.round(at.y - first.y) } : undefined,
          );
          return;
        }
        case 'duplicate':
          return store.duplicate();
        case 'delete':
          return store.deleteSelection();
        case 'selectAll':
          return store.selectAll();
        case 'quickAdd':
          return setQuickAdd({ ...pointer.current });
        case 'fitView':
          return void flow.fitView({ padding: 0.25, maxZoom: 1.1, duration: 200 });
        case 'layout':
          store.apply(autoLayout(s.patch), { label: 'Auto-layout' });
          setTimeout(() => flow.fitView({ padding: 0.25, maxZoom: 1.1, duration: 200 }), 50);
          return;
        case 'save':
          return void save(s.fileName);
        case 'saveAs':
          return setDialog('saveAs');
        case 'open':
          return setDialog('open');
        case 'new':
          if (
            s.dirty &&
            !window.confirm('Start a new patch? The current one is autosaved but not saved to a file.')
          )
            return;
          store.loadPatch(emptyPatch(), null);
          return;
        case 'run':
          return isLive(s.runState) ? store.stop() : void store.run();
        case 'search':
          return searchRef.current?.focus();
        case 'shortcuts':
          return setDialog('shortcuts');
        case 'escape':
          if (dialog || quickAdd) {
            setDialog(null);
            setQuickAdd(null);
          } else store.select([], []);
          return;
      }
    },
    [dialog, flow, quickAdd, save, store],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const cmd = matchShortcut(e, isField(e.target));
      if (!cmd) return;
      if (dialog && cmd !== 'escape') return;
      e.preventDefault();
      void run(cmd);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialog, run]);

  return (
    <div className="app">
      <Toolbar
        onNew={() => void run('new')}
        onOpen={() => setDialog('open')}
        onSave={() => void run('save')}
        onSaveAs={() => setDialog('saveAs')}
        onImport={() => fileRef.current?.click()}
        onFit={() => void run('fitView')}
        onLayout={() => void run('layout')}
        onShortcuts={() => setDialog('shortcuts')}
      />
      <div className="main">
        <Palette onAdd={(item) => addAt(item)} inputRef={searchRef} />
        <div className="center">
          <Canvas
            onOpenGallery={() => setDialog('open')}
            onQuickAdd={(p) => setQuickAdd(p)}
            onPaneMouse={(p) => (pointer.current = p)}
          />
          {timelineNode && <TimelinePanel nodeId={timelineNode} />}
        </div>
        <div className="side">
          <Preview />
          <Inspector />
        </div>
      </div>
      {quickAdd && (
        <QuickAdd
          at={quickAdd}
          onClose={() => setQuickAdd(null)}
          onPick={(item) => {
            addAt(item, quickAdd);
            setQuickAdd(null);
          }}
        />
      )}
      {dialog === 'shortcuts' && <ShortcutsDialog shortcuts={SHORTCUTS} onClose={() => setDialog(null)} />}
      {dialog === 'open' && (
        <OpenDialog
          onClose={() => setDialog(null)}
          onOpenName={(l) => void openListing(l)}
          onUpload={() => fileRef.current?.click()}
        />
      )}
      {dialog === 'saveAs' && (
        <SaveAsDialog
          initial={store.getState().fileName ?? patchFileName(store.getState().patch.metadata.name)}
          onClose={() => setDialog(null)}
          onSave={(name, where) => {
            setDialog(null);
            void save(name, where);
          }}
        />
      )}
      <input
        ref={fileRef}
        type="file"
        accept=".patch,.json,application/json"
        hidden
        data-testid="file-input"
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) openText(await file.text(), file.name);
        }}
      />
      <Overlays />
    </div>
  );
}

/** The whole editor. */
export function App() {
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}
