import {
  findPipeline,
  isOnnxPath,
  onnxPipeline,
  isStreamPort,
  PIPELINES,
  portsFor,
  migrateNodeParams,
  showsResult,
  type Capability,
  type CapabilityStatus,
  type NodeDefinition,
  type NodeRegistry,
  type ParamsShape,
  type PipelineInfo,
  type PortDefinition,
  type PortType,
} from '../../nodes';
import type { Patch, PortRef } from '../../patches';
import type {
  CompileContext,
  CompileError,
  CompileErrorCode,
  CompileResult,
  InputTrack,
  OutputTrack,
  Placement,
  Plan,
  PlanEdge,
  PlanNode,
  SinkBinding,
  WorkerAssignment,
} from './types';
import { isRecord, MinHeap, pathText, q, setKey } from './util';

/** A node of the patch as the compiler sees it while it works. */
interface Entry {
  /** Position in `patch.nodes` (ties in the topological order go to the lower one). */
  index: number;
  id: string;
  type: string;
  def: NodeDefinition<ParamsShape> | undefined;
  /** Validated params when `valid`, else the (migrated) raw params. */
  params: Record<string, unknown>;
  valid: boolean;
  disabled: PlanNode['disabled'];
  degraded: PlanNode['degraded'];
  /** Resolved ports; undefined for an unknown type (any port name is accepted then). */
  inputs: readonly PortDefinition[] | undefined;
  outputs: readonly PortDefinition[] | undefined;
  pipeline: PipelineInfo | undefined;
}

/** An edge that passed every check, with the indexes of its ends in the entry list. */
interface GoodEdge {
  index: number;
  id: string;
  from: PortRef;
  to: PortRef;
  portType: PortType;
  src: number;
  dst: number;
}

type Path = (string | number)[];

/** Stops listing the same kind of problem after this many (a fuzzed patch can have thousands). */
const MAX_PER_CODE = 50;

/**
 * Compiles a patch into a plan the runtime can run: checks every edge and param, disables
 * (but keeps) nodes that cannot run here, orders nodes by their stream edges, places pipelines
 * on workers and allocates WebRTC tracks and sinks. Pure: no I/O, never throws.
 *
 * @example
 * const result = compile(patch, registry, { capabilities: defaultCapabilities() });
 * if (result.ok) engine.start(result.plan); else show(result.errors);
 */
export function compile(patch: Patch, registry: NodeRegistry, ctx: CompileContext): CompileResult {
  try {
    return compileChecked(patch as unknown, registry, ctx);
  } catch (error) {
    // A safety net, not a code path: the fuzz test asserts it is never reached.
    return {
      ok: false,
      errors: [
        {
          code: 'INVALID_PATCH',
          fatal: true,
          message: `internal compiler error: ${(error as Error)?.message ?? String(error)}`,
          hint: 'This is a bug in Patchbay; please report it with the patch file.',
          path: [],
        },
      ],
    };
  }
}

class Diagnostics {
  readonly fatal: CompileError[] = [];
  readonly warnings: CompileError[] = [];
  private readonly counts = new Map<CompileErrorCode, { n: number; fatal: boolean }>();

  add(error: CompileError): void {
    const c = this.counts.get(error.code) ?? { n: 0, fatal: error.fatal };
    c.n++;
    this.counts.set(error.code, c);
    if (c.n > MAX_PER_CODE) return;
    (error.fatal ? this.fatal : this.warnings).push(error);
  }

  /** Adds one summary line per code that overflowed, so nothing is dropped silently. */
  summarise(): void {
    for (const [code, { n, fatal }] of this.counts) {
      if (n <= MAX_PER_CODE) continue;
      (fatal ? this.fatal : this.warnings).push({
        code,
        fatal,
        message: `${n - MAX_PER_CODE} more ${code} problems not listed (${n} in all)`,
        hint: 'Fix the ones listed and compile again.',
        path: [],
      });
    }
  }
}

function compileChecked(patch: unknown, registry: NodeRegistry, ctx: CompileContext): CompileResult {
  const diag = new Diagnostics();
  const fail = (): CompileResult => {
    diag.summarise();
    return { ok: false, errors: [...diag.fatal, ...diag.warnings] };
  };

  if (!isRecord(patch)) {
    diag.add(invalid([], 'the patch is not a JSON object', 'Load a .patch file (format "patchbay").'));
    return fail();
  }
  const rawNodes = patch.nodes;
  const rawEdges = patch.edges;
  if (!Array.isArray(rawNodes))
    diag.add(invalid(['nodes'], '"nodes" must be a list of nodes', 'Add "nodes": [].'));
  if (!Array.isArray(rawEdges))
    diag.add(invalid(['edges'], '"edges" must be a list of edges', 'Add "edges": [].'));
  if (!Array.isArray(rawNodes) || !Array.isArray(rawEdges)) return fail();

  // ── nodes: shape, unique ids, then each node resolved on its own ──────────────────────────
  const entries: Entry[] = [];
  const byId = new Map<string, number>();
  const firstIndex = new Map<string, number>();
  rawNodes.forEach((raw: unknown, i) => {
    if (!isRecord(raw))
      return diag.add(
        invalid(['nodes', i], `nodes[${i}] is not an object`, 'Each node needs an id, a type and params.'),
      );
    if (typeof raw.id !== 'string' || raw.id === '')
      return diag.add(
        invalid(['nodes', i, 'id'], `nodes[${i}] has no id`, 'Give the node a unique, non-empty string id.'),
      );
    if (typeof raw.type !== 'string')
      return diag.add(
        invalid(
          ['nodes', i, 'type'],
          `node ${q(raw.id)} has no type`,
          'Set "type" to a node type id, e.g. "camera".',
        ),
      );
    const seen = firstIndex.get(raw.id);
    if (seen !== undefined) {
      return diag.add({
        code: 'DUPLICATE_NODE_ID',
        fatal: true,
        node: raw.id,
        path: ['nodes', i, 'id'],
        message: `node id ${q(raw.id)} is used twice (nodes[${seen}] and nodes[${i}])`,
        hint: 'Give each node a unique id; edges refer to nodes by id.',
      });
    }
    firstIndex.set(raw.id, i);
    byId.set(raw.id, entries.length);
    entries.push(
      resolveNode(raw as Record<string, unknown> & { id: string; type: string }, i, registry, ctx, diag),
    );
  });

  // ── edges: shape, unique ids, ends, ports, types, one stream per input ────────────────────
  const goodEdges: GoodEdge[] = [];
  const edgeIds = new Map<string, number>();
  const inputTaken = new Map<string, GoodEdge>();
  rawEdges.forEach((raw: unknown, i) => {
    const edge = checkEdgeShape(raw, i, diag);
    if (!edge) return;
    const seen = edgeIds.get(edge.id);
    if (seen !== undefined) {
      diag.add({
        code: 'DUPLICATE_EDGE_ID',
        fatal: true,
        edge: edge.id,
        path: ['edges', i, 'id'],
        message: `edge id ${q(edge.id)} is used twice (edges[${seen}] and edges[${i}])`,
        hint: 'Give each edge a unique id.',
      });
    } else edgeIds.set(edge.id, i);

    const src = byId.get(edge.from.node);
    const dst = byId.get(edge.to.node);
    for (const [end, idx] of [
      ['from', src],
      ['to', dst],
    ] as const) {
      if (idx !== undefined) continue;
      const ref = edge[end];
      diag.add({
        code: 'UNKNOWN_NODE',
        fatal: true,
        edge: edge.id,
        node: ref.node,
        path: ['edges', i, end, 'node'],
        message: `edge ${q(edge.id)} ${end === 'from' ? 'comes from' : 'goes to'} node ${q(ref.node)}, which is not in the patch`,
        hint: `Delete the edge, or point it at an existing node${suggest(ref.node, [...byId.keys()])}.`,
      });
    }
    if (src === undefined || dst === undefined) return;
    const a = entries[src]!;
    const b = entries[dst]!;
    const fromPort = findPort(a, 'out', edge.from.port, edge, i, diag);
    const toPort = findPort(b, 'in', edge.to.port, edge, i, diag);
    if (fromPort === null || toPort === null) return;
    if (fromPort && toPort && fromPort.type !== toPort.type) {
      diag.add(typeMismatch(edge, i, a, fromPort, b, toPort));
      return;
    }
    // An unknown-type end cannot say its type; the known end decides. Both unknown: treated as a
    // stream so the order still follows it (it carries nothing either way).
    const portType: PortType = fromPort?.type ?? toPort?.type ?? 'video';
    const good: GoodEdge = { index: i, id: edge.id, from: edge.from, to: edge.to, portType, src, dst };
    const key = `${edge.to.node}\u0000${edge.to.port}`;
    const first = inputTaken.get(key);
    if (first) {
      const stream = isStreamPort(portType);
      diag.add({
        code: stream ? 'MULTIPLE_STREAM_INPUTS' : 'MULTIPLE_CONTROL_INPUTS',
        fatal: true,
        edge: edge.id,
        node: b.id,
        port: edge.to.port,
        path: ['edges', i, 'to'],
        message: `input ${q(edge.to.port)} of node ${q(b.id)} has two ${stream ? 'stream' : 'control'} edges: ${q(first.id)} (from ${q(first.from.node)}) and ${q(edge.id)} (from ${q(edge.from.node)})`,
        hint: stream
          ? 'An input takes one stream. Delete one of the edges, or add a second node to take the other stream.'
          : 'An input takes one control source. Delete one of the edges.',
      });
      return;
    }
    inputTaken.set(key, good);
    goodEdges.push(good);
  });

  // ── cycles of stream edges ────────────────────────────────────────────────────────────────
  const streamEdges = goodEdges.filter((e) => isStreamPort(e.portType));
  for (const cycle of findCycles(entries.length, streamEdges)) {
    const names = cycle.map((e) => entries[e.src]!.id);
    const first = cycle[0]!;
    diag.add({
      code: 'CYCLE',
      fatal: true,
      node: names[0],
      edge: first.id,
      path: ['edges', first.index],
      message: `stream edges form a cycle: ${[...names, names[0]].map(q).join(' → ')}`,
      hint: `Delete one of the edges ${cycle.map((e) => q(e.id)).join(', ')}. For feedback, use a pipeline with built-in feedback (e.g. "trails").`,
    });
  }

  // ── required inputs of enabled nodes ─────────────────────────────────────────────────────
  const connected = new Set(goodEdges.map((e) => `${e.to.node}\u0000${e.to.port}`));
  for (const entry of entries) {
    if (entry.disabled || !entry.inputs) continue;
    for (const p of entry.inputs) {
      if (!p.required || connected.has(`${entry.id}\u0000${p.name}`)) continue;
      const sources = entries.filter((e) => e.outputs?.some((o) => o.type === p.type)).map((e) => q(e.id));
      diag.add({
        code: 'MISSING_REQUIRED_INPUT',
        fatal: true,
        node: entry.id,
        port: p.name,
        path: ['nodes', entry.index],
        message: `node ${q(entry.id)} (${entry.type}) needs its ${p.type} input ${q(p.name)} connected`,
        hint: sources.length
          ? `Connect a ${p.type} output (from ${sources.slice(0, 3).join(', ')}) to ${q(entry.id)}.${p.name}, or delete the node.`
          : `Add a node with a ${p.type} output (e.g. a Camera) and connect it to ${q(entry.id)}.${p.name}, or delete the node.`,
      });
    }
  }

  if (!entries.some((e) => showsResult(e.def))) {
    diag.add({
      code: 'NO_OUTPUT',
      fatal: true,
      path: ['nodes'],
      message: 'the patch has no Output node, so nothing would be shown or sent anywhere',
      hint: 'Add an Output node and connect the last video output to it.',
    });
  }

  if (diag.fatal.length) return fail();

  // ── the plan ─────────────────────────────────────────────────────────────────────────────
  const order = topologicalOrder(entries.length, streamEdges);
  warnDisabledUpstream(entries, goodEdges, order, diag);

  const into = new Map<string, GoodEdge[]>();
  for (const g of goodEdges) {
    const list = into.get(g.to.node);
    if (list) list.push(g);
    else into.set(g.to.node, [g]);
  }
  const planNodes: PlanNode[] = order.map((idx) => planNode(entries[idx]!, into.get(entries[idx]!.id) ?? []));
  const workers: WorkerAssignment[] = planNodes
    .filter((n) => n.placement.kind === 'worker')
    .map((n) => ({ id: (n.placement as { worker: string }).worker, nodes: [n.id] }));

  const inputTracks: InputTrack[] = [];
  const outputTracks: OutputTrack[] = [];
  const sinks: SinkBinding[] = [];
  const available = (c: Capability) => capabilityStatus(ctx, c).available;
  for (const e of entries) {
    if (e.disabled || !e.def) continue;
    const media = e.def.media?.(e.params);
    if (!media) continue;
    if (media.inputTrack) inputTracks.push({ node: e.id, index: inputTracks.length });
    if (media.outputTrack)
      outputTracks.push({ node: e.id, index: outputTracks.length, name: media.outputTrack.name });
    for (const sink of media.sinks ?? [])
      if (!sink.capability || available(sink.capability))
        sinks.push({ node: e.id, kind: sink.kind, name: sink.name });
  }

  diag.summarise();
  const plan: Plan = {
    nodes: planNodes,
    streamEdges: goodEdges.filter((e) => isStreamPort(e.portType)).map(planEdge),
    controlEdges: goodEdges.filter((e) => !isStreamPort(e.portType)).map(planEdge),
    workers,
    inputTracks,
    outputTracks,
    sinks,
    warnings: diag.warnings,
  };
  return { ok: true, plan };
}

function invalid(path: Path, message: string, hint: string): CompileError {
  return { code: 'INVALID_PATCH', fatal: true, path, message, hint };
}

function capabilityStatus(ctx: CompileContext, c: Capability): CapabilityStatus {
  const s = isRecord(ctx.capabilities) ? ctx.capabilities[c] : undefined;
  return isRecord(s) && typeof s.available === 'boolean'
    ? s
    : { available: false, reason: 'the host did not report it' };
}

/** " (did you mean "x"?)" when a close name exists, else "". */
function suggest(name: string, known: readonly string[]): string {
  const lower = name.toLowerCase();
  const hit =
    known.find((k) => k.toLowerCase() === lower) ??
    known.find((k) => k.startsWith(name) || name.startsWith(k));
  return hit && hit !== name ? ` (did you mean ${q(hit)}?)` : '';
}

// ── node resolution ───────────────────────────────────────────────────────────────────────────

function resolveNode(
  raw: Record<string, unknown> & { id: string; type: string },
  index: number,
  registry: NodeRegistry,
  ctx: CompileContext,
  diag: Diagnostics,
): Entry {
  const rawParams = isRecord(raw.params) ? raw.params : {};
  const entry: Entry = {
    index,
    id: raw.id,
    type: raw.type,
    def: registry.get(raw.type),
    params: rawParams,
    valid: false,
    disabled: null,
    degraded: [],
    inputs: undefined,
    outputs: undefined,
    pipeline: undefined,
  };
  const where = `node ${q(raw.id)}`;
  const disable = (error: Omit<CompileError, 'fatal' | 'node'>) => {
    diag.add({ ...error, fatal: false, node: raw.id });
    if (!entry.disabled) entry.disabled = { reason: error.message, code: error.code };
  };

  const def = entry.def;
  if (!def) {
    const known = registry.list().map((d) => d.type);
    disable({
      code: 'UNKNOWN_NODE_TYPE',
      path: ['nodes', index, 'type'],
      message: `${where} has unknown type ${q(raw.type)}; it is kept as a disabled placeholder`,
      hint: `Install the node package that provides ${q(raw.type)}, or change the type${suggest(raw.type, known)}. Known types: ${known.join(', ')}.`,
    });
    return entry;
  }
  // Until params validate, the static ports stand in: for direction-dependent nodes they are
  // the union, so edges are not refused because of an unrelated bad param.
  entry.inputs = def.inputs;
  entry.outputs = def.outputs;
  const label = `${where} (${def.type})`;

  if (raw.params !== undefined && !isRecord(raw.params)) {
    disable({
      code: 'INVALID_PARAMS',
      path: ['nodes', index, 'params'],
      message: `${label}: params must be an object keyed by param name`,
      hint: 'Set "params" to an object such as {} (missing params take their defaults).',
    });
    return entry;
  }

  // Node-version migrations: bring older params up to the definition's version.
  const version = raw.version === undefined ? def.version : raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    disable({
      code: 'INVALID_PARAMS',
      path: ['nodes', index, 'version'],
      message: `${label}: version must be a whole number ≥ 1, got ${q(JSON.stringify(version) ?? String(version))}`,
      hint: `Set "version" to ${def.version} (the current ${def.type} version) if the params are current.`,
    });
    return entry;
  }
  // Node-version migrations (nodes/core/migrate.ts, the one place they run).
  const migrated = migrateNodeParams(def, version, rawParams);
  if (!migrated.ok) {
    if (migrated.code === 'NODE_VERSION_TOO_NEW')
      disable({
        code: 'INVALID_PARAMS',
        path: ['nodes', index, 'version'],
        message: `${label} is version ${version}, newer than this Patchbay's ${def.type} version ${def.version}`,
        hint: `Open the patch in a newer Patchbay, or set "version" to ${def.version} if the params are compatible.`,
      });
    else if (migrated.step?.name === undefined)
      disable({
        code: 'INVALID_PARAMS',
        path: ['nodes', index, 'version'],
        message: `${label}: no migration from ${def.type} version ${migrated.step?.from} to ${(migrated.step?.from ?? 0) + 1}`,
        hint: 'This is a bug in the node definition; report it with the patch file.',
      });
    else
      disable({
        code: 'INVALID_PARAMS',
        path: ['nodes', index, 'params'],
        message: `${label}: migration ${q(migrated.step.name)} (version ${migrated.step.from} → ${migrated.step.from + 1}) failed: ${migrated.cause}`,
        hint: `Fix the params by hand to match ${def.type} version ${def.version}, then set "version" to ${def.version}.`,
      });
    return entry;
  }
  const params = migrated.params;
  entry.params = params;

  const parsed = def.params.safeParse(params);
  if (!parsed.success) {
    const defaults = def.params.safeParse({});
    for (const issue of parsed.error.issues.slice(0, 10)) {
      const sub = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
      const top = sub[0];
      const fallback =
        typeof top === 'string' && defaults.success && top in defaults.data
          ? `, or delete it to use the default (${truncate(JSON.stringify((defaults.data as Record<string, unknown>)[top]))})`
          : '';
      const at = pathText(['nodes', index, 'params', ...sub]);
      disable({
        code: 'INVALID_PARAMS',
        path: ['nodes', index, 'params', ...sub],
        message: `${label}: param ${q(sub.length ? pathText(sub) : 'params')}: ${issue.message}`,
        hint: `Fix the value at ${at}${fallback}.`,
      });
    }
    return entry;
  }
  entry.params = parsed.data as Record<string, unknown>;
  entry.valid = true;

  const ports = portsFor(def, parsed.data, { validated: true });
  entry.inputs = ports.inputs;
  entry.outputs = ports.outputs;

  const pipelineId = entry.params.pipeline_id;
  if (def.category === 'pipeline' && typeof pipelineId === 'string') {
    entry.pipeline = resolvePipeline(pipelineId, ctx);
    if (!entry.pipeline) {
      const ids = [...PIPELINES, ...(ctx.extraPipelines ?? [])].map((p) => p.id);
      disable({
        code: 'UNKNOWN_PIPELINE',
        path: ['nodes', index, 'params', 'pipeline_id'],
        message: `${label}: pipeline ${q(pipelineId)} is not a known pipeline`,
        hint: `Pick one of ${ids.join(', ')}${suggest(pipelineId, ids)}, or "onnx:<path to model.onnx>" for your own ONNX model.`,
      });
      return entry;
    }
  }

  let requirements: ReturnType<typeof def.requires>;
  try {
    requirements = def.requires(parsed.data);
  } catch (error) {
    disable({
      code: 'INVALID_PARAMS',
      path: ['nodes', index, 'params'],
      message: `${label}: could not work out what it needs from its params: ${(error as Error)?.message ?? String(error)}`,
      hint: 'This is a bug in the node definition; report it with the patch file.',
    });
    return entry;
  }
  for (const req of requirements) {
    const status = capabilityStatus(ctx, req.capability);
    if (status.available) continue;
    const reason = status.reason ?? `${req.capability} is not available on this host`;
    const path: Path = ['nodes', index, 'params', ...(req.param ? req.param.split('.') : [])];
    if (req.whenMissing === 'error') {
      disable({
        code: 'MISSING_CAPABILITY',
        capability: req.capability,
        path,
        message: `${label} needs ${req.capability} (${req.why}), which is missing: ${reason}`,
        hint: status.install_hint ?? `Run this patch on a host with ${req.capability}, or remove the node.`,
      });
    } else {
      entry.degraded.push({ capability: req.capability, why: req.why, reason });
      diag.add({
        code: 'MISSING_CAPABILITY',
        fatal: false,
        node: raw.id,
        capability: req.capability,
        path,
        message: `${label} runs without ${req.capability} (${req.why}): ${reason}`,
        hint: status.install_hint ?? `Install ${req.capability} support, or turn the feature off.`,
      });
    }
  }
  return entry;
}

function truncate(s: string | undefined): string {
  const t = s ?? 'undefined';
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** The catalog entry, a runtime-found model, or a user ONNX file described from its id. */
function resolvePipeline(id: string, ctx: CompileContext): PipelineInfo | undefined {
  const found = findPipeline(id) ?? ctx.extraPipelines?.find((p) => p.id === id);
  if (found) return found;
  if (!isOnnxPath(id)) return undefined;
  const file = id.slice(5).split(/[\\/]/).pop() || id;
  return onnxPipeline(id, file, 'Your ONNX image model (one frame in, one frame out).');
}

// ── edges ─────────────────────────────────────────────────────────────────────────────────────

interface EdgeShape {
  id: string;
  from: PortRef;
  to: PortRef;
}

function checkEdgeShape(raw: unknown, i: number, diag: Diagnostics): EdgeShape | undefined {
  if (!isRecord(raw)) {
    diag.add(
      invalid(
        ['edges', i],
        `edges[${i}] is not an object`,
        'Each edge needs an id, a from {node, port} and a to {node, port}.',
      ),
    );
    return undefined;
  }
  if (typeof raw.id !== 'string' || raw.id === '') {
    diag.add(
      invalid(['edges', i, 'id'], `edges[${i}] has no id`, 'Give the edge a unique, non-empty string id.'),
    );
    return undefined;
  }
  for (const end of ['from', 'to'] as const) {
    const ref = raw[end];
    if (!isRecord(ref)) {
      diag.add(
        invalid(
          ['edges', i, end],
          `edge ${q(raw.id)} has no "${end}"`,
          `Set "${end}" to {"node": <node id>, "port": <port name>}.`,
        ),
      );
      return undefined;
    }
    for (const key of ['node', 'port'] as const) {
      if (typeof ref[key] !== 'string') {
        diag.add(
          invalid(
            ['edges', i, end, key],
            `edge ${q(raw.id)}: ${end}.${key} must be a string`,
            `Set ${end}.${key} to a ${key === 'node' ? 'node id' : 'port name'}.`,
          ),
        );
        return undefined;
      }
    }
  }
  const from = raw.from as { node: string; port: string };
  const to = raw.to as { node: string; port: string };
  return { id: raw.id, from: { node: from.node, port: from.port }, to: { node: to.node, port: to.port } };
}

/** The port an edge names; undefined when the node's ports are unknown; null when it is missing. */
function findPort(
  entry: Entry,
  side: 'in' | 'out',
  name: string,
  edge: EdgeShape,
  i: number,
  diag: Diagnostics,
): PortDefinition | undefined | null {
  const list = side === 'out' ? entry.outputs : entry.inputs;
  if (!list) return undefined;
  const hit = list.find((p) => p.name === name);
  if (hit) return hit;
  const other = side === 'out' ? entry.inputs : entry.outputs;
  const names = list.map((p) => `${q(p.name)} (${p.type})`);
  const wrongWay = other?.some((p) => p.name === name)
    ? ` ${q(name)} is an ${side === 'out' ? 'input' : 'output'} of ${q(entry.id)}; edges run from an output to an input.`
    : '';
  diag.add({
    code: 'UNKNOWN_PORT',
    fatal: true,
    edge: edge.id,
    node: entry.id,
    port: name,
    path: ['edges', i, side === 'out' ? 'from' : 'to', 'port'],
    message: `edge ${q(edge.id)}: node ${q(entry.id)} (${entry.type}) has no ${side === 'out' ? 'output' : 'input'} ${q(name)}`,
    hint:
      (names.length
        ? `Use one of its ${side === 'out' ? 'outputs' : 'inputs'}: ${names.join(', ')}.`
        : `${q(entry.id)} has no ${side === 'out' ? 'outputs' : 'inputs'}${entry.valid ? ' with these params' : ''}; delete the edge.`) +
      wrongWay,
  });
  return null;
}

function typeMismatch(
  edge: EdgeShape,
  i: number,
  a: Entry,
  fromPort: PortDefinition,
  b: Entry,
  toPort: PortDefinition,
): CompileError {
  const fitsIn = (b.inputs ?? []).filter((p) => p.type === fromPort.type).map((p) => q(p.name));
  const fitsOut = (a.outputs ?? []).filter((p) => p.type === toPort.type).map((p) => q(p.name));
  const options: string[] = [];
  if (fitsIn.length) options.push(`connect it to ${q(b.id)}'s ${fitsIn.join(' or ')} input instead`);
  if (fitsOut.length) options.push(`take ${q(a.id)}'s ${fitsOut.join(' or ')} output instead`);
  return {
    code: 'PORT_TYPE_MISMATCH',
    fatal: true,
    edge: edge.id,
    node: b.id,
    port: toPort.name,
    path: ['edges', i],
    message: `edge ${q(edge.id)} connects ${q(a.id)}.${fromPort.name} (${fromPort.type}) to ${q(b.id)}.${toPort.name} (${toPort.type}): the types differ`,
    hint: options.length
      ? `${options.join(', or ')}.`.replace(/^./, (c) => c.toUpperCase())
      : `No input of ${q(b.id)} takes ${fromPort.type}; delete the edge.`,
  };
}

// ── graph order ───────────────────────────────────────────────────────────────────────────────

/** Up to 20 distinct cycles among the stream edges, each as its edges in order. */
function findCycles(n: number, edges: readonly GoodEdge[]): GoodEdge[][] {
  const out: GoodEdge[][] = [];
  const removed = new Uint8Array(n);
  const dead = new Set<GoodEdge>();
  // Peel off nodes with no incoming (then no outgoing) live edges; what remains is cycles and
  // the paths between them, where every node has a live successor to walk to.
  const prune = () => {
    for (const dir of ['in', 'out'] as const) {
      const deg = new Int32Array(n);
      for (const e of edges)
        if (!dead.has(e) && !removed[e.src] && !removed[e.dst]) deg[dir === 'in' ? e.dst : e.src]!++;
      const adj = adjacency(n, edges, dir === 'in' ? 'src' : 'dst');
      const stack: number[] = [];
      for (let v = 0; v < n; v++) if (!removed[v] && deg[v] === 0) stack.push(v);
      while (stack.length) {
        const v = stack.pop()!;
        if (removed[v]) continue;
        removed[v] = 1;
        for (const e of adj[v]!) {
          if (dead.has(e)) continue;
          const w = dir === 'in' ? e.dst : e.src;
          if (!removed[w] && --deg[w]! === 0) stack.push(w);
        }
      }
    }
  };
  const succ = adjacency(n, edges, 'src');
  prune();
  while (out.length < 20) {
    let start = -1;
    for (let v = 0; v < n; v++) if (!removed[v]) { start = v; break; } // prettier-ignore
    if (start < 0) break;
    const seenAt = new Map<number, number>();
    const walk: GoodEdge[] = [];
    let v = start;
    while (!seenAt.has(v)) {
      seenAt.set(v, walk.length);
      const next = succ[v]!.find((e) => !dead.has(e) && !removed[e.dst]);
      if (!next) break; // cannot happen after pruning; guards against a logic slip
      walk.push(next);
      v = next.dst;
    }
    const at = seenAt.get(v);
    if (at === undefined || walk.length === 0) break;
    const cycle = walk.slice(at);
    out.push(cycle);
    for (const e of cycle) {
      dead.add(e);
      removed[e.src] = 1;
    }
    prune();
  }
  return out;
}

function adjacency(n: number, edges: readonly GoodEdge[], by: 'src' | 'dst'): GoodEdge[][] {
  const adj: GoodEdge[][] = Array.from({ length: n }, () => []);
  for (const e of edges) adj[e[by]]!.push(e);
  return adj;
}

/** Kahn's algorithm over stream edges; among ready nodes the one earliest in the patch goes first. */
function topologicalOrder(n: number, streamEdges: readonly GoodEdge[]): number[] {
  const indegree = new Int32Array(n);
  const succ = adjacency(n, streamEdges, 'src');
  for (const e of streamEdges) indegree[e.dst]!++;
  const ready = new MinHeap();
  for (let v = 0; v < n; v++) if (indegree[v] === 0) ready.push(v);
  const order: number[] = [];
  while (ready.size) {
    const v = ready.pop()!;
    order.push(v);
    for (const e of succ[v]!) if (--indegree[e.dst]! === 0) ready.push(e.dst);
  }
  return order;
}

/** A warning on every enabled node that a disabled node feeds, directly or further up. */
function warnDisabledUpstream(
  entries: Entry[],
  edges: readonly GoodEdge[],
  order: number[],
  diag: Diagnostics,
): void {
  const succ = adjacency(entries.length, edges, 'src');
  const upstream = new Map<number, number[]>();
  for (let d = 0; d < entries.length; d++) {
    if (!entries[d]!.disabled) continue;
    const seen = new Uint8Array(entries.length);
    const stack = [d];
    seen[d] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      for (const e of succ[v]!) {
        if (seen[e.dst]) continue;
        seen[e.dst] = 1;
        stack.push(e.dst);
        if (!entries[e.dst]!.disabled) upstream.set(e.dst, [...(upstream.get(e.dst) ?? []), d]);
      }
    }
  }
  for (const v of order) {
    const from = upstream.get(v);
    if (!from) continue;
    const entry = entries[v]!;
    const names = from.map((d) => q(entries[d]!.id));
    diag.add({
      code: 'DISABLED_UPSTREAM',
      fatal: false,
      node: entry.id,
      path: ['nodes', entry.index],
      message: `node ${q(entry.id)} gets nothing from disabled node${names.length > 1 ? 's' : ''} ${names.join(', ')}; it stays enabled and runs when input arrives`,
      hint: `Fix ${names.join(', ')} (see its warning), or rewire ${q(entry.id)} to another source.`,
    });
  }
}

// ── plan pieces ───────────────────────────────────────────────────────────────────────────────

function planNode(e: Entry, into: readonly GoodEdge[]): PlanNode {
  const streamInputs: Record<string, PortRef | null> = {};
  const controlInputs: Record<string, PortRef> = {};
  const ref = (g: GoodEdge): PortRef => ({ node: g.from.node, port: g.from.port });
  if (e.inputs) {
    for (const p of e.inputs) {
      const g = into.find((x) => x.to.port === p.name);
      if (isStreamPort(p.type)) setKey(streamInputs, p.name, g ? ref(g) : null);
      else if (g) setKey(controlInputs, p.name, ref(g));
    }
  } else {
    // Unknown type: its ports are whatever its edges say.
    for (const g of into) {
      if (isStreamPort(g.portType)) setKey(streamInputs, g.to.port, ref(g));
      else setKey(controlInputs, g.to.port, ref(g));
    }
  }
  const placement: Placement =
    e.def?.category === 'pipeline' && !e.disabled
      ? { kind: 'worker', worker: `w:${e.id}` }
      : { kind: 'main' };
  const node: PlanNode = {
    id: e.id,
    type: e.type,
    // An unknown type has no category of its own; it runs nothing, on the main thread.
    category: e.def?.category ?? 'control',
    params: e.params,
    disabled: e.disabled,
    degraded: e.degraded,
    placement,
    streamInputs,
    controlInputs,
  };
  if (e.pipeline) node.pipeline = e.pipeline;
  return node;
}

function planEdge(g: GoodEdge): PlanEdge {
  return { id: g.id, from: { ...g.from }, to: { ...g.to }, portType: g.portType };
}
