import { Handle, Position, useStore as useFlowStore, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { NodeStats } from '../../../runtime/protocol';
import { useEditor } from '../state/react';
import { keyParams, type FlowNodeData } from '../graph';
import { VideoView } from './VideoView';

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

/** The stats badge: fps, ms per frame and drops, or the node's status word. */
function Badge({ id, stats }: { id: string; stats: NodeStats | undefined }) {
  if (!stats) return null;
  const warming = stats.status === 'warming';
  return (
    <div className={`badge status-${stats.status}`} data-testid={`badge-${id}`} data-status={stats.status}>
      {warming ? (
        <span className="warming" data-testid={`warming-${id}`}>
          warming…
        </span>
      ) : (
        <span className="status-word">{stats.status}</span>
      )}
      <span title="frames per second out">{fmt(stats.fps_out, 1)} fps</span>
      <span title="ms per frame (p50)">{fmt(stats.ms_p50, 1)} ms</span>
      <span title="frames dropped" className={stats.drops ? 'drops' : ''}>
        {stats.drops} drop{stats.drops === 1 ? '' : 's'}
      </span>
    </div>
  );
}

/** A node body: title, ports, key params, live stats, errors, and the video on Output nodes. */
export const NodeView = memo(function NodeView({ id, data, selected }: NodeProps & { data: FlowNodeData }) {
  const { node, def, ports } = data;
  const stats = useEditor((s) => s.stats[id]);
  const runtimeError = useEditor((s) => s.nodeErrors[id]);
  const diagnostics = useEditor((s) => s.diagnostics);
  const compileErrors = diagnostics.filter((d) => d.node === id);
  const stream = useEditor((s) => s.streams[id]);
  // Zoomed far out, bodies are too small to read: draw only the frame and ports (much less DOM
  // for big patches; the selector changes only when crossing the threshold).
  const compact = useFlowStore((s) => s.transform[2] < 0.45);
  const params = compact ? [] : keyParams(node, def);
  const problems = [
    ...compileErrors.map((e) => (e.hint ? `${e.message} — ${e.hint}` : e.message)),
    ...(runtimeError ? [runtimeError] : []),
  ];
  const rows = Math.max(ports.inputs.length, ports.outputs.length);
  return (
    <div
      className={`pb-node cat-${def?.category ?? 'unknown'}${selected ? ' selected' : ''}${problems.length ? ' has-error' : ''}${compact ? ' compact' : ''}${stats ? ` st-${stats.status}` : ''}`}
      data-testid={`node-${id}`}
      data-type={node.type}
    >
      <div className="pb-node-head">
        <span className="pb-node-title">{def?.displayName ?? `Unknown: ${node.type}`}</span>
        <span className="pb-node-id">{id}</span>
      </div>
      <div className="pb-node-ports" style={{ minHeight: rows * 22 }}>
        {ports.inputs.map((p, i) => (
          <div key={`in-${p.name}`} className="port-row in" style={{ top: i * 22 }}>
            <Handle
              type="target"
              position={Position.Left}
              id={p.name}
              className={`handle port-${p.type}`}
              data-testid={`port-${id}-in-${p.name}`}
              title={`${p.name} (${p.type})${p.required ? ', required' : ''}: ${p.description}`}
            />
            {!compact && <span className="port-label">{p.name}</span>}
          </div>
        ))}
        {ports.outputs.map((p, i) => (
          <div key={`out-${p.name}`} className="port-row out" style={{ top: i * 22 }}>
            {!compact && <span className="port-label">{p.name}</span>}
            <Handle
              type="source"
              position={Position.Right}
              id={p.name}
              className={`handle port-${p.type}`}
              data-testid={`port-${id}-out-${p.name}`}
              title={`${p.name} (${p.type}): ${p.description}`}
            />
          </div>
        ))}
      </div>
      {params.length > 0 && (
        <dl className="pb-node-params">
          {params.map((p) => (
            <div key={p.name} data-testid={`keyparam-${id}-${p.name}`}>
              <dt>{p.label}</dt>
              <dd>{p.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {node.type === 'output' && !compact && (
        <div className="pb-node-video">
          {stream ? (
            <VideoView stream={stream} testId={`node-video-${id}`} />
          ) : (
            <div className="no-video">no signal</div>
          )}
        </div>
      )}
      {!compact && <Badge id={id} stats={stats} />}
      {problems.length > 0 && (
        <div className="pb-node-error" data-testid={`node-error-${id}`}>
          {problems.map((p, i) => (
            <div key={i}>{p}</div>
          ))}
        </div>
      )}
    </div>
  );
});
