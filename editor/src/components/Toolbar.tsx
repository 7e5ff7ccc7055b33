import { useEditor, useStore } from '../state/react';
import { isLive } from '../state';

export interface ToolbarProps {
  onNew: () => void;
  onOpen: () => void;
  onSave: () => void;
  onSaveAs: () => void;
  onImport: () => void;
  onFit: () => void;
  onLayout: () => void;
  onShortcuts: () => void;
}

const STATE_LABEL: Record<string, string> = {
  idle: 'Stopped',
  compiling: 'Compiling…',
  loading: 'Loading models…',
  running: 'Running',
  reconfiguring: 'Applying edit…',
  stopping: 'Stopping…',
  error: 'Error',
};

/** The top bar: files, undo/redo, Run/Stop bound to the runtime's session state, connection. */
export function Toolbar(p: ToolbarProps) {
  const store = useStore();
  const name = useEditor((s) => s.patch.metadata.name);
  const fileName = useEditor((s) => s.fileName);
  const dirty = useEditor((s) => s.dirty);
  const runState = useEditor((s) => s.runState);
  const runError = useEditor((s) => s.runError);
  const connection = useEditor((s) => s.connection);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const undoLabel = useEditor((s) => s.history.past.at(-1)?.label);
  const redoLabel = useEditor((s) => s.history.future[0]?.label);
  const live = isLive(runState) || runState === 'compiling';
  const diagnostics = useEditor((s) => s.diagnostics);
  const blocker = diagnostics.find((d) => d.fatal && !d.node) ?? diagnostics.find((d) => d.fatal);
  return (
    <header className="toolbar">
      <div className="brand">
        <span className="logo">◉</span> Patchbay
      </div>
      <div className="group">
        <button onClick={p.onNew} data-testid="file-new" title="New patch (Mod+Alt+N)">
          New
        </button>
        <button onClick={p.onOpen} data-testid="file-open" title="Open a patch or an example (Mod+O)">
          Open
        </button>
        <button onClick={p.onSave} data-testid="file-save" title="Save (Mod+S)">
          Save
        </button>
        <button onClick={p.onSaveAs} data-testid="file-saveas" title="Save as (Mod+Shift+S)">
          Save as
        </button>
        <button
          onClick={p.onImport}
          data-testid="file-import"
          title="Import a .patch, Scope workflow or Scope timeline file"
        >
          Import
        </button>
      </div>
      <div className="group">
        <button
          onClick={() => store.undo()}
          disabled={!canUndo}
          data-testid="undo"
          title={`Undo ${undoLabel ?? ''} (Mod+Z)`}
        >
          ↶
        </button>
        <button
          onClick={() => store.redo()}
          disabled={!canRedo}
          data-testid="redo"
          title={`Redo ${redoLabel ?? ''} (Mod+Shift+Z)`}
        >
          ↷
        </button>
        <button onClick={p.onFit} title="Fit view (F)" data-testid="fit-view">
          ⤢
        </button>
        <button onClick={p.onLayout} title="Auto-layout (L)" data-testid="auto-layout">
          ⇶
        </button>
      </div>
      <div className="title" data-testid="patch-title">
        {name}
        <span className="muted"> {fileName ? `· ${fileName}` : ''}</span>
        {dirty && (
          <span className="dirty" title="Changed since the last save (autosaved)">
            {' '}
            ●
          </span>
        )}
      </div>
      <div className="group right">
        <span
          className={`conn conn-${connection}`}
          data-testid="connection"
          title={
            connection === 'open'
              ? 'Connected to the runtime'
              : 'Runtime not connected; edits are kept and sent on reconnect'
          }
        >
          {connection === 'open' ? 'runtime' : connection === 'connecting' ? 'connecting…' : 'offline'}
        </span>
        {blocker && (
          <span className="blocker" data-testid="run-blocker" title={blocker.hint ?? blocker.message}>
            Can’t run: {blocker.message}
          </span>
        )}
        <span className={`run-state state-${runState}`} data-testid="run-state" title={runError ?? ''}>
          {STATE_LABEL[runState] ?? runState}
        </span>
        {live ? (
          <button
            className="run stop"
            data-testid="run-button"
            data-running="true"
            onClick={() => store.stop()}
            title="Stop (Mod+Enter)"
          >
            ■ Stop
          </button>
        ) : (
          <button
            className="run"
            data-testid="run-button"
            data-running="false"
            onClick={() => void store.run()}
            title="Run (Mod+Enter)"
            disabled={connection !== 'open'}
          >
            ▶ Run
          </button>
        )}
        <button onClick={p.onShortcuts} title="Keyboard shortcuts (?)" data-testid="shortcuts-button">
          ?
        </button>
      </div>
    </header>
  );
}
