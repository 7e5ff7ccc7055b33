import type { z } from 'zod';

/**
 * The node-definition API: one definition per node type is the single source of truth for the
 * editor's inspector, the runtime's validation, `/api/v1/nodes/definitions` and the JSON Schema.
 */

/** What flows along an edge. `video` edges are streams; the rest are control edges. */
export const PORT_TYPES = ['video', 'prompts', 'vace', 'number', 'string', 'boolean', 'trigger'] as const;
export type PortType = (typeof PORT_TYPES)[number];

/** True for port types whose edges carry frames (streams) rather than control values. */
export function isStreamPort(type: PortType): boolean {
  return type === 'video';
}

export interface PortDefinition {
  name: string;
  type: PortType;
  required: boolean;
  description: string;
}

/** `live`: applies on the next frame. `load`: applies when the model/node reloads. */
export type ParamMark = 'live' | 'load';

export type ParamWidget =
  | 'slider'
  | 'number'
  | 'text'
  | 'textarea'
  | 'select'
  | 'toggle'
  | 'prompt-list'
  | 'asset'
  | 'asset-list'
  | 'timeline'
  | 'sinks'
  | 'json';

export interface ParamMeta {
  mark: ParamMark;
  label: string;
  description: string;
  /** How the inspector edits it; derived from the schema when omitted. */
  widget?: ParamWidget;
  /** For asset widgets: which asset kind to pick. */
  assetType?: 'image' | 'video';
  /** Shown on the node body in the editor. */
  key?: boolean;
  /** Slider step. */
  step?: number;
  /** Hidden from the inspector unless another param has a value (e.g. remote_url when backend=remote). */
  visibleWhen?: { param: string; equals: string | number | boolean | readonly (string | number | boolean)[] };
}

export type NodeCategory = 'source' | 'pipeline' | 'control' | 'sink';

/** Host capabilities a node may need; each is probed by the runtime (`/api/v1/hardware/info`). */
export const CAPABILITIES = ['spout', 'ndi', 'cuda', 'camera', 'remote'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CapabilityStatus {
  available: boolean;
  /** Why not, when unavailable. */
  reason?: string;
  /** What to do about it. */
  install_hint?: string;
}

export type HostCapabilities = Record<Capability, CapabilityStatus>;

/** A requirement a node has for given params, with why it needs it. */
export interface CapabilityRequirement {
  capability: Capability;
  /** Which param caused it (for the error's path). */
  param?: string;
  why: string;
  /**
   * What happens when it is missing: `error` stops the compile of that node (it is disabled);
   * `degrade` keeps the node running without that feature (e.g. an Output's NDI sink).
   */
  whenMissing: 'error' | 'degrade';
}

/** A named step that upgrades a node's params from `from` to `from + 1`. */
export interface NodeMigration {
  from: number;
  name: string;
  up: (params: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * How a node maps to Scope's graph wire form (SCOPE-COMPAT.md). A `sink` shows the patch's
 * result (an Output): the compiler wants at least one in a patch.
 */
export interface ScopeMapping {
  wireType: 'source' | 'pipeline' | 'sink' | 'record' | 'node';
}

/** What a node adds to a plan's media wiring for given params (the compiler reads it). */
export interface NodeMedia {
  /** Takes a video track in from the client (a Camera in camera mode). */
  inputTrack?: boolean;
  /** Sends a video track to the client, named so (an Output with preview). */
  outputTrack?: { name: string };
  /** Sinks it feeds; one with a `capability` is bound only when the host has it. */
  sinks?: { kind: 'ndi' | 'spout' | 'record'; name: string; capability?: Capability }[];
}

export type ParamsShape = z.ZodObject<z.ZodRawShape>;

export interface NodeDefinition<S extends ParamsShape = ParamsShape> {
  /** Stable id, kebab-case, never renamed (saved in every .patch). */
  type: string;
  /** Current version of the params layout; `migrations` lead up to it. */
  version: number;
  displayName: string;
  category: NodeCategory;
  description: string;
  inputs: readonly PortDefinition[];
  outputs: readonly PortDefinition[];
  /** zod object schema of the params; every field has a default. */
  params: S;
  /** One entry per param, keyed by the same names as the schema. */
  paramMeta: { [K in keyof z.infer<S> & string]: ParamMeta };
  migrations: readonly NodeMigration[];
  /** Host capabilities needed for these params. */
  requires: (params: z.infer<S>) => CapabilityRequirement[];
  /** Inputs/outputs that depend on params (e.g. an NDI node's direction); defaults to the static ones. */
  ports?: (params: z.infer<S>) => { inputs: readonly PortDefinition[]; outputs: readonly PortDefinition[] };
  scope: ScopeMapping;
  /**
   * How the node plays with no client attached (`patchbay play`), from its saved (raw) params:
   * a Camera swaps the browser's track for the test pattern. `fps` is the player's rate override
   * (null: none). Omitted: the node plays as saved.
   */
  headless?: (
    params: Record<string, unknown>,
    options: { fps: number | null },
  ) => { params: Record<string, unknown>; substituted: boolean };
  /** Client tracks and sinks for these params; none when omitted. */
  media?: (params: z.infer<S>) => NodeMedia;
  /** Continuous nodes produce output without input (sources, clocks). */
  continuous: boolean;
}

/** The params type of a definition. */
export type ParamsOf<D> = D extends NodeDefinition<infer S> ? z.infer<S> : never;
