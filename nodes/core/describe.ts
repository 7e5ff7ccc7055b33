import { z } from 'zod';
import { findPipeline, PIPELINES, type PipelineInfo } from '../pipeline/catalog';
import type { NodeDefinition, ParamsShape, PortDefinition } from './types';

/**
 * Everything outside `nodes/` sees of a definition derives from here: the JSON Schema of its
 * params, and Scope's `/api/v1/nodes/definitions` and `/api/v1/pipelines/schemas` shapes.
 */

type JsonSchema = Record<string, unknown>;

/** The JSON Schema (draft 2020-12) of a node's params, each property carrying a `ui` object. */
export function paramsJsonSchema(def: NodeDefinition<ParamsShape>): JsonSchema {
  const schema = z.toJSONSchema(def.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, meta] of Object.entries(def.paramMeta)) {
    if (!props[name]) continue;
    props[name] = {
      ...props[name],
      title: meta.label,
      description: meta.description,
      ui: {
        is_load_param: meta.mark === 'load',
        mark: meta.mark,
        widget: meta.widget,
        key: meta.key ?? false,
      },
    };
  }
  return {
    ...schema,
    title: def.displayName,
    description: def.description,
    'x-patchbay-node': def.type,
    'x-patchbay-version': def.version,
  };
}

function paramType(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return 'enum';
  const t = schema.type;
  if (t === 'integer' || t === 'number') return 'number';
  if (typeof t === 'string') return t;
  return 'object';
}

function scopePort(p: PortDefinition, defaults: Record<string, unknown>) {
  return {
    name: p.name,
    port_type: p.type,
    required: p.required,
    default_value: defaults[p.name] ?? null,
    description: p.description,
  };
}

/** One node in Scope's `/api/v1/nodes/definitions` shape (plus Patchbay's version and category). */
export function describeNode(def: NodeDefinition<ParamsShape>) {
  const schema = paramsJsonSchema(def);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const defaults = def.params.parse({}) as Record<string, unknown>;
  return {
    node_type_id: def.type,
    version: def.version,
    display_name: def.displayName,
    category: def.category,
    description: def.description,
    inputs: def.inputs.map((p) => scopePort(p, {})),
    outputs: def.outputs.map((p) => scopePort(p, {})),
    params: Object.entries(def.paramMeta).map(([name, meta]) => ({
      name,
      param_type: paramType(props[name] ?? {}),
      default: defaults[name],
      ui: { ...meta, is_load_param: meta.mark === 'load' },
      schema: props[name],
    })),
    continuous: def.continuous,
  };
}

/** Scope's `/api/v1/nodes/definitions` response. */
export function describeNodes(defs: readonly NodeDefinition<ParamsShape>[]) {
  return { nodes: defs.map(describeNode) };
}

/** Availability of a pipeline on this host, as the runtime reports it. */
export interface PipelineAvailability {
  available: boolean;
  reason?: string;
}

/** Pipeline-node params every pipeline has (where it runs, its size). */
const COMMON_PIPELINE_FIELDS = ['backend', 'remote_url', 'remote_fallback', 'device', 'height', 'width'];
/** What each kind of pipeline reads besides those. */
const KIND_FIELDS: Record<PipelineInfo['kind'], readonly string[]> = {
  builtin: [],
  onnx: ['strength'],
  gpu: ['seed', 'noise_scale', 'noise_controller', 'denoising_step_list', 'manage_cache'],
};

/** The Pipeline-node params a pipeline reads: the common ones, its kind's, and prompt blending when it takes prompts. */
export function pipelineFields(info: PipelineInfo): string[] {
  return [
    ...COMMON_PIPELINE_FIELDS,
    ...KIND_FIELDS[info.kind],
    ...(info.supportsPrompts ? ['prompt_interpolation_method'] : []),
  ];
}

/**
 * One pipeline in Scope's `/api/v1/pipelines/schemas` shape. `config_schema` holds only the
 * Pipeline-node params this pipeline reads ({@link pipelineFields}; `pipeline_id` is the
 * selection itself, not a setting), with its default size, and each field's `ui` carries
 * Scope's `label`, `category` ("configuration": its Settings panel) and `order`.
 */
export function describePipeline(
  info: PipelineInfo,
  pipelineNode: NodeDefinition<ParamsShape>,
  availability: PipelineAvailability = { available: true },
) {
  const schema = paramsJsonSchema(pipelineNode);
  const all = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const props: Record<string, JsonSchema> = {};
  pipelineFields(info).forEach((name, order) => {
    const prop = all[name];
    if (!prop) return;
    const meta = pipelineNode.paramMeta[name];
    props[name] = {
      ...prop,
      ui: { ...(prop.ui as object), label: meta?.label ?? name, category: 'configuration', order },
    };
  });
  if (props.width) props.width = { ...props.width, default: info.defaultWidth };
  if (props.height) props.height = { ...props.height, default: info.defaultHeight };
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => r in props) : undefined;
  return {
    id: info.id,
    name: info.name,
    description: info.description,
    version: '1',
    kind: info.kind,
    estimated_vram_gb: info.estimatedVramGb,
    supports_vace: info.supportsVace,
    supports_prompts: info.supportsPrompts,
    inputs: info.supportedModes.includes('video') ? ['video'] : [],
    outputs: ['video'],
    supported_modes: [...info.supportedModes],
    default_mode: info.defaultMode,
    config_schema: { ...schema, properties: props, ...(required ? { required } : {}) },
    mode_defaults: Object.fromEntries(
      info.supportedModes.map((m) => [m, { height: info.defaultHeight, width: info.defaultWidth }]),
    ),
    available: availability.available,
    unavailable_reason: availability.available ? null : (availability.reason ?? 'unavailable'),
  };
}

/** Scope's `/api/v1/pipelines/schemas` response for the given pipelines. */
export function describePipelines(
  pipelineNode: NodeDefinition<ParamsShape>,
  infos: readonly PipelineInfo[] = PIPELINES,
  availability: (info: PipelineInfo) => PipelineAvailability = () => ({ available: true }),
) {
  return {
    pipelines: Object.fromEntries(
      infos.map((i) => [i.id, describePipeline(i, pipelineNode, availability(i))]),
    ),
  };
}

export { findPipeline };
