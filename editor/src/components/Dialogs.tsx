import { useEffect, useState } from 'react';
import { listPatches, type PatchListing } from '../runtime';

function Modal({
  title,
  onClose,
  children,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: React.ReactNode;
  testId: string;
}) {
  return (
    <div className="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" data-testid={testId} role="dialog" aria-label={title}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button className="icon" onClick={onClose} title="Close (Esc)">
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

/** The keyboard cheat sheet (the app passes its shortcuts table). */
export function ShortcutsDialog({
  shortcuts,
  onClose,
}: {
  shortcuts: readonly { keys: string; label: string }[];
  onClose: () => void;
}) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} testId="shortcuts-dialog">
      <table className="shortcuts">
        <tbody>
          {shortcuts.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys.replace(/Mod/g, navigator.platform.includes('Mac') ? '⌘' : 'Ctrl')}</kbd>
              </td>
              <td>{s.label}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

/** Open: the example gallery, the runtime's patches folder, and a file from disk. */
export function OpenDialog({
  onClose,
  onOpenName,
  onUpload,
}: {
  onClose: () => void;
  onOpenName: (l: PatchListing) => void;
  onUpload: () => void;
}) {
  const [list, setList] = useState<PatchListing[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listPatches()
      .then(setList)
      .catch((e: Error) => setError(e.message));
  }, []);
  const examples = (list ?? []).filter((p) => p.source === 'example' || p.example);
  const saved = (list ?? []).filter((p) => !(p.source === 'example' || p.example));
  const card = (p: PatchListing) => (
    <button
      key={`${p.folder ?? ''}/${p.name}`}
      className="gallery-card"
      data-testid={`open-${p.name}`}
      onClick={() => onOpenName(p)}
    >
      <b>{p.title ?? p.name}</b>
      {p.description && <span className="muted">{p.description}</span>}
    </button>
  );
  return (
    <Modal title="Open" onClose={onClose} testId="open-dialog">
      <div className="open-actions">
        <button className="primary" onClick={onUpload} data-testid="open-file">
          Open a file from this computer…
        </button>
        <span className="muted">.patch, Scope workflow (.json) or Scope timeline (.json)</span>
      </div>
      {error && <div className="field-error">{error}</div>}
      {!list && !error && <div className="muted">Loading…</div>}
      {examples.length > 0 && (
        <>
          <h3>Examples</h3>
          <div className="gallery" data-testid="gallery">
            {examples.map(card)}
          </div>
        </>
      )}
      {saved.length > 0 && (
        <>
          <h3>Saved in the runtime</h3>
          <div className="gallery">{saved.map(card)}</div>
        </>
      )}
    </Modal>
  );
}

/** Save as: a name, then to the runtime's patches folder or as a browser download. */
export function SaveAsDialog({
  initial,
  onClose,
  onSave,
}: {
  initial: string;
  onClose: () => void;
  onSave: (name: string, where: 'runtime' | 'download') => void;
}) {
  const [name, setName] = useState(initial);
  return (
    <Modal title="Save as" onClose={onClose} testId="saveas-dialog">
      <label className="field">
        <span className="field-label">File name</span>
        <input
          autoFocus
          data-testid="saveas-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && onSave(name, 'runtime')}
        />
      </label>
      <div className="modal-actions">
        <button className="primary" data-testid="saveas-runtime" onClick={() => onSave(name, 'runtime')}>
          Save to the patches folder
        </button>
        <button data-testid="saveas-download" onClick={() => onSave(name, 'download')}>
          Download .patch
        </button>
      </div>
    </Modal>
  );
}
