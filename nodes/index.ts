/**
 * The node vocabulary: types, definitions, registry, the pipeline catalog and pure helpers.
 * Nothing here imports Node-only modules, the DOM, React or xstate.
 */
export * from './core/types';
export { defineNode, port, defaultParams, showsResult } from './core/define';
export { portsFor } from './core/ports';
export type { NodePorts } from './core/ports';
export { migrateNodeParams } from './core/migrate';
export type { NodeMigrateResult } from './core/migrate';
export type { VideoFrame } from './core/frame';
export { i420Size, i420Planes, blackFrame } from './core/frame';
export { i420ToRgba, rgbaToI420 } from './core/pixels';
export {
  paramsJsonSchema,
  describeNode,
  describeNodes,
  describePipeline,
  describePipelines,
} from './core/describe';
export type { PipelineAvailability } from './core/describe';
export { builtinNodes, builtinNodeTypes, registry, createRegistry } from './registry';
export { NODE_API_VERSION, nodeType, describeError } from './core/runtime';
export type {
  AdapterCounters,
  AdapterStatus,
  AnyNodeType,
  Clock,
  ControlValue,
  FrameHandle,
  FramePoolApi,
  IoHost,
  NodeContext,
  NodeHost,
  NodeRuntime,
  NodeStats,
  NodeStatus,
  NodeType,
  PipelineFrame,
  PipelineWorker,
  PipelineWorkerEvents,
  PipelineWorkerInit,
  PipelineWorkerMessage,
  PortAddress,
  RecordedFile,
  RecorderSink,
  RuntimeFactory,
  RuntimeNode,
  TimelineEvent,
  VideoSink,
  VideoSource,
} from './core/runtime';
export { BaseRuntime, PlaceholderRuntime, copyFrame } from './core/base-runtime';
export { NodeMeter, percentile } from './core/meter';
export { DropOldestQueue } from './core/queue';
export { IoSinkRuntime, IoSourceRuntime } from './core/io-runtime';
export { QUEUE_DEPTH } from './pipeline/runtime';
export type { BuiltinNodeType, NodeRegistry } from './registry';
export { PIPELINES, findPipeline, isOnnxPath, onnxPipeline } from './pipeline/catalog';
export type { PipelineInfo, PipelineBackendKind } from './pipeline/catalog';
export { cameraNode } from './camera/definition';
export { spoutNode } from './spout/definition';
export { ndiNode } from './ndi/definition';
export { pipelineNode } from './pipeline/definition';
export { promptTimelineNode, weightedPrompt, timelineEntry } from './prompt-timeline/definition';
export type { WeightedPrompt, TimelineEntry } from './prompt-timeline/definition';
export { vaceNode } from './vace/definition';
export { outputNode } from './output/definition';
export { recordNode } from './record/definition';
export { testPatternFrame, decodeStamp, stampBlockSize, stampStripeHeight } from './camera/test-pattern';
export type { FrameStamp } from './camera/test-pattern';
export {
  BUILTIN_PIPELINE_IDS,
  isBuiltinPipeline,
  passthroughFrame,
  grayFrame,
  runBuiltin,
} from './pipeline/builtin';
export type { BuiltinPipelineId } from './pipeline/builtin';
export {
  TimelinePlayer,
  activeEntryAt,
  boundariesBetween,
  entryControl,
  entryPrompts,
  timelineDuration,
  timelinePosition,
} from './prompt-timeline/evaluate';
export type {
  PromptControl,
  TimelineClock,
  TimelineMessage,
  TimelinePlayerOptions,
  TimelineReason,
  TimelineState,
  TimelineEntryInput,
} from './prompt-timeline/evaluate';
export { vaceConditioning, vaceScopeParams, hasVace, isSafeAssetRef } from './vace/conditioning';
export type {
  VaceControl,
  VaceParamsInput,
  VaceFrameConditioning,
  VaceScopeParams,
} from './vace/conditioning';
