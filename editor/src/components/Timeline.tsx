import { useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useEditor, useStore } from '../state/react';
import { PromptList } from './ParamField';

interface Entry {
  start_time: number;
  end_time: number;
  prompts: { text: string; weight: number }[];
  transition_steps: number;
  temporal_interpolation_method: 'linear' | 'slerp';
}

/** Pure: an entry moved (`mode` move) or resized (`end`/`start`) by `dt` seconds, snapped to 0.1 s. */
export function dragEntry(e: Entry, mode: 'move' | 'start' | 'end', dt: number): Entry {
  const snap = (t: number) => Math.round(t * 10) / 10;
  if (mode === 'move') {
    const d = Math.max(-e.start_time, dt);
    return { ...e, start_time: snap(e.start_time + d), end_time: snap(e.end_time + d) };
  }
  if (mode === 'start')
    return { ...e, start_time: snap(Math.min(Math.max(0, e.start_time + dt), e.end_time - 0.1)) };
  return { ...e, end_time: snap(Math.max(e.end_time + dt, e.start_time + 0.1)) };
}

/**
 * The prompt-timeline editor: a track of entries to drag and resize, a playhead from the
 * runtime clock, play/pause/seek, and the selected entry's prompts, weights and transition.
 */
export function TimelinePanel({ nodeId }: { nodeId: string }) {
  const store = useStore();
  const node = useEditor((s) => s.patch.nodes.find((n) => n.id === nodeId));
  const clock = useEditor((s) => s.timelines[nodeId]);
  const [selected, setSelected] = useState(0);
  const [pxPerSec, setPxPerSec] = useState(40);
  const drag = useRef<{
    index: number;
    mode: 'move' | 'start' | 'end';
    x0: number;
    base: Entry;
    entries: Entry[];
  } | null>(null);
  if (!node) return null;
  const entries = (node.params.entries as Entry[] | undefined) ?? [];
  const total = Math.max(30, ...entries.map((e) => e.end_time + 5));
  const set = (next: Entry[], coalesce: boolean) => store.setParam(nodeId, 'entries', next, coalesce);
  const cur = entries[Math.min(selected, entries.length - 1)];
  const time = clock?.time ?? 0;

  const startDrag = (ev: ReactPointerEvent, index: number, mode: 'move' | 'start' | 'end') => {
    ev.stopPropagation();
    (ev.target as HTMLElement).setPointerCapture(ev.pointerId);
    drag.current = { index, mode, x0: ev.clientX, base: entries[index]!, entries };
    setSelected(index);
  };
  const onMove = (ev: ReactPointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const moved = dragEntry(d.base, d.mode, (ev.clientX - d.x0) / pxPerSec);
    set(
      d.entries.map((e, i) => (i === d.index ? moved : e)),
      true,
    );
  };
  const endDrag = () => {
    drag.current = null;
  };
  const addEntry = () => {
    const start = entries.length ? Math.max(...entries.map((e) => e.end_time)) : 0;
    set(
      [
        ...entries,
        {
          start_time: start,
          end_time: start + 10,
          prompts: [{ text: 'a new prompt', weight: 1 }],
          transition_steps: 0,
          temporal_interpolation_method: 'linear',
        },
      ],
      false,
    );
    setSelected(entries.length);
  };

  return (
    <div className="timeline" data-testid={`timeline-${nodeId}`}>
      <div className="timeline-bar">
        <span className="panel-title">Timeline · {nodeId}</span>
        <button
          data-testid="timeline-play"
          onClick={() => store.timeline(nodeId, clock?.playing ? 'pause' : 'play')}
        >
          {clock?.playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <button onClick={() => store.timeline(nodeId, { seek: 0 })} title="Back to the start">
          ⇤ 0
        </button>
        <span className="timecode" data-testid="timeline-time">
          {time.toFixed(1)} s
        </span>
        <button onClick={addEntry} data-testid="timeline-add">
          + entry
        </button>
        <label className="muted">
          zoom{' '}
          <input
            type="range"
            min={10}
            max={120}
            value={pxPerSec}
            onChange={(e) => setPxPerSec(Number(e.target.value))}
          />
        </label>
      </div>
      <div className="timeline-scroll">
        <div
          className="timeline-track"
          style={{ width: total * pxPerSec }}
          onPointerMove={onMove}
          onPointerUp={endDrag}
          onPointerDown={(e) => {
            const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
            store.timeline(nodeId, { seek: Math.max(0, (e.clientX - rect.left) / pxPerSec) });
          }}
        >
          {Array.from({ length: Math.ceil(total / 5) + 1 }, (_, i) => (
            <span key={i} className="tick" style={{ left: i * 5 * pxPerSec }}>
              {i * 5}s
            </span>
          ))}
          {entries.map((e, i) => (
            <div
              key={i}
              className={`entry${i === selected ? ' selected' : ''}${clock?.entry === i ? ' current' : ''}`}
              data-testid={`timeline-entry-${i}`}
              style={{ left: e.start_time * pxPerSec, width: (e.end_time - e.start_time) * pxPerSec }}
              onPointerDown={(ev) => startDrag(ev, i, 'move')}
              title={e.prompts.map((p) => `${p.text} (${p.weight})`).join(' + ')}
            >
              <span className="grip start" onPointerDown={(ev) => startDrag(ev, i, 'start')} />
              <span className="entry-text">{e.prompts.map((p) => p.text).join(' + ')}</span>
              {e.transition_steps > 0 && <span className="entry-tr">↝{e.transition_steps}</span>}
              <span
                className="grip end"
                data-testid={`timeline-entry-${i}-end`}
                onPointerDown={(ev) => startDrag(ev, i, 'end')}
              />
            </div>
          ))}
          <div className="playhead" style={{ left: time * pxPerSec }} />
        </div>
      </div>
      {cur && (
        <div className="timeline-entry-editor">
          <PromptList
            prompts={cur.prompts}
            testId={`timeline-prompts`}
            onChange={(prompts, c) =>
              set(
                entries.map((e, i) => (i === selected ? { ...e, prompts } : e)),
                c,
              )
            }
          />
          <div className="entry-fields">
            <label>
              start{' '}
              <input
                type="number"
                step={0.1}
                min={0}
                value={cur.start_time}
                onChange={(e) =>
                  set(
                    entries.map((x, i) =>
                      i === selected
                        ? { ...x, start_time: Math.min(Number(e.target.value), x.end_time - 0.1) }
                        : x,
                    ),
                    true,
                  )
                }
              />
            </label>
            <label>
              end{' '}
              <input
                type="number"
                step={0.1}
                min={0}
                value={cur.end_time}
                onChange={(e) =>
                  set(
                    entries.map((x, i) =>
                      i === selected
                        ? { ...x, end_time: Math.max(Number(e.target.value), x.start_time + 0.1) }
                        : x,
                    ),
                    true,
                  )
                }
              />
            </label>
            <label title="Frames to blend from the previous prompts (0: switch at once)">
              transition steps{' '}
              <input
                type="number"
                min={0}
                max={100}
                step={1}
                value={cur.transition_steps}
                onChange={(e) =>
                  set(
                    entries.map((x, i) =>
                      i === selected
                        ? {
                            ...x,
                            transition_steps: Math.max(0, Math.min(100, Math.round(Number(e.target.value)))),
                          }
                        : x,
                    ),
                    true,
                  )
                }
              />
            </label>
            <label>
              blend{' '}
              <select
                value={cur.temporal_interpolation_method}
                onChange={(e) =>
                  set(
                    entries.map((x, i) =>
                      i === selected
                        ? { ...x, temporal_interpolation_method: e.target.value as 'linear' | 'slerp' }
                        : x,
                    ),
                    false,
                  )
                }
              >
                <option value="linear">linear</option>
                <option value="slerp">slerp</option>
              </select>
            </label>
            <button
              className="danger small"
              disabled={entries.length <= 1}
              onClick={() =>
                set(
                  entries.filter((_, i) => i !== selected),
                  false,
                )
              }
            >
              Delete entry
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
