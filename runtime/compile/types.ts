import type { Capability, HostCapabilities, NodeCategory, PipelineInfo, PortType } from '../../nodes';
import type { PortRef } from '../../patches';

/**
 * The compiler's output: what the runtime needs to run a patch. Pure data (JSON-serialisable),
 * so it can be posted to workers, diffed and shown in the editor.
 */

export type CompileErrorCode =
  | 'INVALID_PATCH'
  | 'DUPLICATE_NODE_ID'
  | 'DUPLICATE_EDGE_ID'
  | 'UNKNOWN_NODE_TYPE'
  | 'INVALID_PARAMS'
  | 'UNKNOWN_NODE'
  | 'UNKNOWN_PORT'
  | 'PORT_TYPE_MISMATCH'
  | 'MULTIPLE_STREAM_INPUTS'
  /** Two edges into one control input (which one would win is ambiguous). */
  | 'MULTIPLE_CONTROL_INPUTS'
  | 'CYCLE'
  | 'MISSING_REQUIRED_INPUT'
  | 'NO_OUTPUT'
  | 'MISSING_CAPABILITY'
  | 'UNKNOWN_PIPELINE'
  | 'DISABLED_UPSTREAM';

/**
 * One diagnostic. `fatal` ones stop the plan (no plan is produced); the others disable only
 * the node they name (it is kept as a placeholder) and the rest of the patch runs.
 */
export interface CompileError {
  code: CompileErrorCode;
  fatal: boolean;
  message: string;
  /** What the user can do about it. */
  hint?: string;
  node?: string;
  port?: string;
  edge?: string;
  /** JSON path into the patch (e.g. ["nodes", 2, "params", "fps"]). */
  path?: (string | number)[];
  capability?: Capability;
}

/** Which thread a node runs on. Control and I/O nodes run on the main thread. */
export type Placement = { kind: 'main' } | { kind: 'worker'; worker: string };

export interface PlanNode {
  id: string;
  type: string;
  category: NodeCategory;
  /** Validated params with defaults applied, at the definition's current version. */
  params: Record<string, unknown>;
  /** A disabled node is a placeholder: it runs nothing; `reason` says why. */
  disabled: { reason: string; code: CompileErrorCode } | null;
  /** Features dropped because a capability is missing (e.g. NDI sink); the node still runs. */
  degraded: { capability: Capability; why: string; reason: string }[];
  placement: Placement;
  /** For pipeline nodes: the catalog entry (or a user model's) it resolved to. */
  pipeline?: PipelineInfo;
  /** Stream inputs in port order: which node/port feeds each (null: nothing connected). */
  streamInputs: Record<string, PortRef | null>;
  /** Control inputs: the node/port feeding each connected control port. */
  controlInputs: Record<string, PortRef>;
}

export interface PlanEdge {
  id: string;
  from: PortRef;
  to: PortRef;
  portType: PortType;
}

/** A video track in from the client (a Camera node in camera mode), by transceiver index. */
export interface InputTrack {
  node: string;
  index: number;
}

/** A video track out to the client (an Output node with preview), by transceiver index. */
export interface OutputTrack {
  node: string;
  index: number;
  name: string;
}

export interface SinkBinding {
  node: string;
  kind: 'ndi' | 'spout' | 'record';
  name: string;
}

export interface WorkerAssignment {
  id: string;
  nodes: string[];
}

export interface Plan {
  /** Nodes in topological order of stream edges (sources first). */
  nodes: PlanNode[];
  streamEdges: PlanEdge[];
  controlEdges: PlanEdge[];
  workers: WorkerAssignment[];
  inputTracks: InputTrack[];
  outputTracks: OutputTrack[];
  sinks: SinkBinding[];
  /** Non-fatal diagnostics (disabled and degraded nodes). */
  warnings: CompileError[];
}

export type CompileResult = { ok: true; plan: Plan } | { ok: false; errors: CompileError[] };

/** What the compiler knows about the host. */
export interface CompileContext {
  capabilities: HostCapabilities;
  /** Pipelines beyond the built-in catalog (user ONNX models found by the runtime). */
  extraPipelines?: readonly PipelineInfo[];
}

/** What to change to go from one running plan to the next (live edits). */
export interface PlanDiff {
  /** Nodes that are new, or whose type, load params or placement changed (restarted). */
  start: string[];
  /** Nodes that are gone, or are being restarted. */
  stop: string[];
  /** Nodes that stay as they are (possibly with live param updates). */
  keep: string[];
  /** Live param changes on kept nodes: node id → changed params only. */
  update: Record<string, Record<string, unknown>>;
  /** Edges added and removed (by id). */
  edgesAdded: string[];
  edgesRemoved: string[];
  /** True when track layout (input/output tracks) changed; output tracks stay open regardless. */
  tracksChanged: boolean;
  /** True when nothing at all changed. */
  empty: boolean;
}
