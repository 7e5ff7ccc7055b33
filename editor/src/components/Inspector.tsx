import { useMemo } from 'react';
import { paramsJsonSchema, registry } from '../../../nodes';
import { useEditor, useStore } from '../state/react';
import { visible } from '../graph';
import { ParamField, type FieldSchema } from './ParamField';

/** The right panel: the selected node's params, generated from its definition. */
export function Inspector() {
  const store = useStore();
  const selected = useEditor((s) => s.selectedNodes);
  const patch = useEditor((s) => s.patch);
  const stats = useEditor((s) => s.stats);
  const diagnostics = useEditor((s) => s.diagnostics);
  const ids = [...selected];
  const node = ids.length === 1 ? patch.nodes.find((n) => n.id === ids[0]) : undefined;
  const def = node ? registry.get(node.type) : undefined;
  const props = useMemo(
    () => (def ? ((paramsJsonSchema(def).properties ?? {}) as Record<string, FieldSchema>) : {}),
    [def],
  );

  if (!node) {
    return (
      <section className="inspector" data-testid="inspector">
        <div className="panel-title">Inspector</div>
        <div className="inspector-empty">
          {ids.length > 1 ? `${ids.length} nodes selected` : 'Select a node to edit its params.'}
        </div>
        <PatchInfo />
      </section>
    );
  }
  if (!def) {
    return (
      <section className="inspector" data-testid="inspector">
        <div className="panel-title">Unknown node type “{node.type}”</div>
        <div className="inspector-empty">
          This node is kept as a placeholder; its params are saved unchanged.
        </div>
      </section>
    );
  }
  const defaults = def.params.parse({}) as Record<string, unknown>;
  const params = { ...defaults, ...node.params };
  const s = stats[node.id];
  const errors = diagnostics.filter((d) => d.node === node.id);
  return (
    <section className="inspector" data-testid="inspector">
      <div className="panel-title">
        {def.displayName} <span className="muted">{node.id}</span>
      </div>
      <p className="inspector-desc">{def.description}</p>
      {errors.map((e, i) => (
        <div key={i} className="inspector-error" data-testid="inspector-error">
          <b>{e.code}</b> {e.message}
          {e.hint && <div className="muted">{e.hint}</div>}
        </div>
      ))}
      {s && (
        <div className="inspector-stats">
          {s.status} · in {s.fps_in.toFixed(1)} / out {s.fps_out.toFixed(1)} fps · p50 {s.ms_p50.toFixed(1)}{' '}
          ms · p99 {s.ms_p99.toFixed(1)} ms · queue {s.queue_depth} · {s.drops} drops
        </div>
      )}
      <div className="fields">
        {Object.entries(def.paramMeta).map(([name, meta]) => {
          if (!visible(meta.visibleWhen, params)) return null;
          const field = def.params.shape[name] as unknown as {
            safeParse: (v: unknown) => { success: boolean; error?: { issues: { message: string }[] } };
          };
          return (
            <ParamField
              key={name}
              nodeId={node.id}
              name={name}
              meta={meta}
              schema={props[name] ?? {}}
              value={params[name]}
              validate={(v) => {
                const r = field.safeParse(v);
                return r.success ? null : (r.error?.issues[0]?.message ?? 'invalid value');
              }}
              onChange={(v, coalesce) => store.setParam(node.id, name, v, coalesce)}
            />
          );
        })}
      </div>
    </section>
  );
}

function PatchInfo() {
  const store = useStore();
  const name = useEditor((s) => s.patch.metadata.name);
  const count = useEditor((s) => s.patch.nodes.length);
  return (
    <div className="fields">
      <div className="field">
        <div className="field-label">
          <label>Patch name</label>
        </div>
        <input
          type="text"
          data-testid="patch-name"
          value={name}
          onChange={(e) => store.renamePatch(e.target.value)}
        />
      </div>
      <div className="field-note">{count} nodes</div>
    </div>
  );
}
