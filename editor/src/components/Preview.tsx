import { useEditor, useStore } from '../state/react';
import { VideoView } from './VideoView';

/** The larger preview panel: one Output's video, chosen from the patch's Output nodes. */
export function Preview() {
  const store = useStore();
  const patch = useEditor((s) => s.patch);
  const streams = useEditor((s) => s.streams);
  const chosen = useEditor((s) => s.previewNode);
  const outputs = patch.nodes.filter((n) => n.type === 'output');
  const id =
    chosen && outputs.some((o) => o.id === chosen)
      ? chosen
      : (outputs.find((o) => streams[o.id])?.id ?? outputs[0]?.id);
  const stream = id ? streams[id] : undefined;
  return (
    <section className="preview" data-testid="preview">
      <div className="panel-title">
        Preview
        {outputs.length > 1 && (
          <select value={id} onChange={(e) => store.setPreview(e.target.value)} data-testid="preview-select">
            {outputs.map((o) => (
              <option key={o.id} value={o.id}>
                {String(o.params.name ?? o.id)} ({o.id})
              </option>
            ))}
          </select>
        )}
      </div>
      <div className="preview-frame">
        {stream ? (
          <VideoView stream={stream} testId="preview-video" />
        ) : (
          <div className="no-video">
            {outputs.length ? 'Press Run to see the output' : 'Add an Output node to preview'}
          </div>
        )}
      </div>
    </section>
  );
}
