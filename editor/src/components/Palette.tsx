import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { registry } from '../../../nodes';
import { paletteItems, searchPalette, type PaletteItem } from '../graph';
import { nodePackages, type NodePackageReport } from '../runtime/api';
import { PALETTE_MIME } from './Canvas';

const ITEMS = paletteItems(registry);
const CATEGORY_LABEL: Record<string, string> = {
  source: 'Sources',
  pipeline: 'Pipelines',
  control: 'Control',
  sink: 'Outputs',
};

/** Search box + results; Enter adds the highlighted item, arrows move the highlight. */
function SearchList({
  onPick,
  autoFocus,
  testPrefix,
  onEscape,
  inputRef,
}: {
  onPick: (item: PaletteItem) => void;
  autoFocus?: boolean;
  testPrefix: string;
  onEscape?: () => void;
  inputRef?: React.RefObject<HTMLInputElement | null>;
}) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const results = useMemo(() => searchPalette(ITEMS, query), [query]);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, results.length - 1));
    else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
    else if (e.key === 'Enter' && results[active]) {
      onPick(results[active]!);
      setQuery('');
      setActive(0);
    } else if (e.key === 'Escape') onEscape?.();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  let lastCat = '';
  return (
    <>
      <input
        ref={inputRef}
        className="search"
        data-testid={`${testPrefix}-search`}
        placeholder="Search nodes and pipelines…"
        value={query}
        autoFocus={autoFocus}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKey}
      />
      <ul className="palette-list" role="listbox">
        {results.map((item, i) => {
          const header =
            !query && item.category !== lastCat ? (CATEGORY_LABEL[item.category] ?? item.category) : null;
          lastCat = item.category;
          return (
            <li key={item.key} role="option" aria-selected={i === active}>
              {header && <div className="palette-cat">{header}</div>}
              <button
                className={`palette-item cat-${item.category}${i === active ? ' active' : ''}`}
                data-testid={`${testPrefix}-item-${item.key}`}
                title={item.description}
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(
                    PALETTE_MIME,
                    JSON.stringify({ type: item.type, params: item.params }),
                  );
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onMouseEnter={() => setActive(i)}
                onClick={() => onPick(item)}
              >
                <span className="dot" />
                <span className="palette-label">{item.label}</span>
              </button>
            </li>
          );
        })}
        {!results.length && <li className="empty">Nothing matches “{query}”.</li>}
      </ul>
    </>
  );
}

/**
 * Node packages the runtime loaded or refused at start. A refused one is shown with its reason,
 * the file and what to fix (the rest of the runtime runs without it). Packaged types run in
 * patches that use them; the palette lists the built-in types only (this editor bundle's).
 */
function PackageNotice() {
  const [report, setReport] = useState<NodePackageReport | null>(null);
  useEffect(() => {
    let live = true;
    nodePackages().then(
      (r) => live && setReport(r),
      () => undefined, // No runtime (a static build): nothing to report.
    );
    return () => {
      live = false;
    };
  }, []);
  if (!report || (!report.refused.length && !report.packages.length)) return null;
  return (
    <div className="palette-packages" data-testid="palette-packages">
      {report.packages.map((p) => (
        <div key={p.package} className="package-loaded" title={`${p.package}@${p.version}`}>
          Node package {p.package}: {p.types.join(', ')} (runs in patches that use it; not in this palette
          yet)
        </div>
      ))}
      {report.refused.map((r) => (
        <div key={r.package} className="package-refused" role="alert" title={r.file}>
          <strong>Node package {r.package} refused:</strong> {r.reason}. <em>{r.file}</em> — {r.fix}
        </div>
      ))}
    </div>
  );
}

/** The left sidebar: search-to-add, and every item draggable onto the canvas. */
export function Palette({
  onAdd,
  inputRef,
}: {
  onAdd: (item: PaletteItem) => void;
  inputRef: React.RefObject<HTMLInputElement | null>;
}) {
  return (
    <aside className="palette" data-testid="palette">
      <div className="panel-title">Add node</div>
      <SearchList onPick={onAdd} testPrefix="palette" inputRef={inputRef} />
      <PackageNotice />
      <div className="palette-tip">Enter adds · drag onto the canvas · Tab or double-click on the canvas</div>
    </aside>
  );
}

/** The floating search opened by double-click / Tab on the canvas; adds at that point. */
export function QuickAdd({
  at,
  onPick,
  onClose,
}: {
  at: { x: number; y: number };
  onPick: (item: PaletteItem) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    window.addEventListener('mousedown', away);
    return () => window.removeEventListener('mousedown', away);
  }, [onClose]);
  const left = Math.min(at.x, window.innerWidth - 300);
  const top = Math.min(at.y, window.innerHeight - 360);
  return (
    <div className="quick-add" ref={ref} style={{ left, top }} data-testid="quick-add">
      <SearchList onPick={onPick} autoFocus testPrefix="quickadd" onEscape={onClose} />
    </div>
  );
}
