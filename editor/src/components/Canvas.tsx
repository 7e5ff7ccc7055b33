import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type Node,
  type NodeChange,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import {
  useCallback,
  useMemo,
  useRef,
  useState,
  type DragEvent,
  type MouseEvent as ReactMouseEvent,
} from 'react';
import { registry } from '../../../nodes';
import { useEditor, useStore } from '../state/react';
import { checkConnection, freeSpot, moveChanges, toFlowEdges, toFlowNodes, type FlowNode } from '../graph';
import { NodeView } from './NodeView';

const nodeTypes = { patchbay: NodeView };

/** The drag payload type for palette items dropped on the canvas. */
export const PALETTE_MIME = 'application/x-patchbay-palette';

export interface CanvasProps {
  onQuickAdd: (screen: { x: number; y: number }) => void;
  onOpenGallery: () => void;
  onPaneMouse: (screen: { x: number; y: number }) => void;
}

/**
 * The React Flow canvas. The patch in the store is the truth: positions being dragged live in
 * local state until the drag ends, then become one node.move step; selection goes to the store.
 */
export function Canvas({ onQuickAdd, onPaneMouse, onOpenGallery }: CanvasProps) {
  const store = useStore();
  const patch = useEditor((s) => s.patch);
  const selectedNodes = useEditor((s) => s.selectedNodes);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const flow = useReactFlow();
  const [dragging, setDragging] = useState<Map<string, { x: number; y: number }>>(new Map());
  const cache = useRef(new Map<string, FlowNode>());

  // React Flow measures nodes and reports sizes as `dimensions` changes; kept here so the
  // minimap and fitView know each node's size (they read `measured` from the nodes we pass).
  const [sizes, setSizes] = useState<Map<string, { width: number; height: number }>>(new Map());
  const sized = useRef(new Map<FlowNode, FlowNode & { measured?: { width: number; height: number } }>());

  const nodes = useMemo(() => {
    const list = toFlowNodes(patch, registry, selectedNodes, cache.current);
    cache.current = new Map(list.map((n) => [n.id, n]));
    const nextSized = new Map<FlowNode, FlowNode & { measured?: { width: number; height: number } }>();
    const withSizes = list.map((n) => {
      const size = sizes.get(n.id);
      if (!size) return n;
      const prev = sized.current.get(n);
      const node = prev && prev.measured === size ? prev : { ...n, measured: size };
      nextSized.set(n, node);
      return node;
    });
    sized.current = nextSized;
    if (!dragging.size) return withSizes;
    return withSizes.map((n) => (dragging.has(n.id) ? { ...n, position: dragging.get(n.id)! } : n));
  }, [patch, selectedNodes, dragging, sizes]);
  const edges = useMemo(() => toFlowEdges(patch, registry, selectedEdges), [patch, selectedEdges]);

  // React Flow asks for selection as change records; the store holds the selection.
  const applySelect = useCallback(
    (changes: { type: string; id?: string; selected?: boolean }[], kind: 'nodes' | 'edges') => {
      if (!changes.length) return;
      const s = store.getState();
      const nodes = new Set(s.selectedNodes);
      const edges = new Set(s.selectedEdges);
      const set = kind === 'nodes' ? nodes : edges;
      for (const c of changes) {
        if (!c.id) continue;
        if (c.selected) set.add(c.id);
        else set.delete(c.id);
      }
      store.select([...nodes], [...edges]);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) =>
      applySelect(
        changes.filter((c) => c.type === 'select'),
        'edges',
      ),
    [applySelect],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      applySelect(
        changes.filter((c) => c.type === 'select'),
        'nodes',
      );
      const dims = changes.filter((c) => c.type === 'dimensions' && c.dimensions);
      if (dims.length) {
        setSizes((prev) => {
          const m = new Map(prev);
          for (const c of dims)
            if (c.type === 'dimensions' && c.dimensions)
              m.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
          return m;
        });
      }
      const next = new Map(dragging);
      const finished = new Map<string, { x: number; y: number }>();
      for (const c of changes) {
        if (c.type !== 'position') continue;
        if (c.dragging && c.position) next.set(c.id, c.position);
        else if (!c.dragging && next.has(c.id)) {
          finished.set(c.id, c.position ?? next.get(c.id)!);
          next.delete(c.id);
        }
      }
      if (finished.size) store.apply(moveChanges(store.getState().patch, finished), { label: 'Move' });
      if (next.size !== dragging.size || changes.some((c) => c.type === 'position' && c.dragging))
        setDragging(next);
    },
    [applySelect, dragging, store],
  );

  const onSelectionChange = useCallback(
    ({ nodes: ns, edges: es }: OnSelectionChangeParams) => {
      const s = store.getState();
      const n = ns.map((x) => x.id);
      const e = es.map((x) => x.id);
      if (
        n.length === s.selectedNodes.size &&
        n.every((id) => s.selectedNodes.has(id)) &&
        e.length === s.selectedEdges.size &&
        e.every((id) => s.selectedEdges.has(id))
      )
        return;
      store.select(n, e);
    },
    [store],
  );

  const lastPointer = useRef({ x: 0, y: 0 });

  const onConnect = useCallback(
    (c: Connection) => {
      if (!c.sourceHandle || !c.targetHandle) return;
      store.connectPorts(
        { node: c.source, port: c.sourceHandle },
        { node: c.target, port: c.targetHandle },
        lastPointer.current,
      );
    },
    [store],
  );

  const isValidConnection = useCallback(
    (
      c:
        | Connection
        | { source: string; target: string; sourceHandle?: string | null; targetHandle?: string | null },
    ) => {
      if (!c.sourceHandle || !c.targetHandle) return false;
      return checkConnection(
        store.getState().patch,
        registry,
        { node: c.source, port: c.sourceHandle },
        { node: c.target, port: c.targetHandle },
      ).ok;
    },
    [store],
  );

  // A drop on an incompatible handle: React Flow refuses it; we say why, next to the pointer.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      const point =
        'clientX' in event
          ? { x: event.clientX, y: event.clientY }
          : { x: event.changedTouches[0]!.clientX, y: event.changedTouches[0]!.clientY };
      lastPointer.current = point;
      if (state.isValid || !state.fromHandle || !state.toHandle) return;
      const a = { node: state.fromHandle.nodeId, port: state.fromHandle.id ?? '' };
      const b = { node: state.toHandle.nodeId, port: state.toHandle.id ?? '' };
      const [from, to] = state.fromHandle.type === 'source' ? [a, b] : [b, a];
      if (state.fromHandle.type === state.toHandle.type) {
        store.showHint(
          `Connect an output (right side) to an input (left side); both of these are ${state.fromHandle.type === 'source' ? 'outputs' : 'inputs'}.`,
          point,
        );
        return;
      }
      const check = checkConnection(store.getState().patch, registry, from, to);
      if (!check.ok) store.showHint(check.hint, point);
    },
    [store],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const raw = e.dataTransfer.getData(PALETTE_MIME);
      if (!raw) return;
      e.preventDefault();
      const item = JSON.parse(raw) as { type: string; params: Record<string, unknown> };
      const pos = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      store.addNode(item, freeSpot(store.getState().patch, { x: pos.x - 100, y: pos.y - 30 }));
    },
    [flow, store],
  );

  const onDoubleClick = useCallback(
    (e: ReactMouseEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('.react-flow__node') || !target.closest('.react-flow__pane')) return;
      onQuickAdd({ x: e.clientX, y: e.clientY });
    },
    [onQuickAdd],
  );

  return (
    <div
      className="canvas"
      data-testid="canvas"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(PALETTE_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }
      }}
      onDrop={onDrop}
      onDoubleClick={onDoubleClick}
      onMouseMove={(e) => onPaneMouse({ x: e.clientX, y: e.clientY })}
    >
      {patch.nodes.length === 0 && (
        <div className="empty-canvas" data-testid="empty-canvas">
          <h2>An empty patch</h2>
          <p>
            Type in <b>Add node</b> and press Enter, drag an item here, or double-click the canvas. Wire
            outputs (right) to inputs (left), then press <b>Run</b>.
          </p>
          <p>
            A quick start: <b>Camera</b> → <b>Gray pipeline</b> → <b>Output</b>.
          </p>
          <button className="primary" onClick={onOpenGallery} data-testid="empty-open-gallery">
            Open an example patch…
          </button>
        </div>
      )}
      <ReactFlow<Node, never>
        nodes={nodes as unknown as Node[]}
        edges={edges as never[]}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onSelectionChange={onSelectionChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        zoomOnDoubleClick={false}
        onlyRenderVisibleElements
        minZoom={0.1}
        maxZoom={2.5}
        fitView
        fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
        proOptions={{ hideAttribution: true }}
        colorMode="dark"
      >
        <Background variant={BackgroundVariant.Dots} gap={24} size={1.2} color="#2a3040" />
        <MiniMap
          pannable
          zoomable
          className="minimap"
          nodeColor={(n) => minimapColor((n.data as { def?: { category?: string } }).def?.category)}
          maskColor="rgba(8,10,14,0.7)"
        />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

function minimapColor(category: string | undefined): string {
  switch (category) {
    case 'source':
      return '#2fb58a';
    case 'pipeline':
      return '#7b6cff';
    case 'control':
      return '#e0a43a';
    case 'sink':
      return '#e25c7a';
    default:
      return '#667';
  }
}
