/** Converters between Patchbay patches and Daydream Scope's files and graph wire form. */
export { LAYOUT_SPACING, layoutLeftToRight } from './layout';
export type { LayoutEdge } from './layout';
export { patchToScopeGraph, scopeGraphToPatch, scopeGraphSchema } from './scope-graph';
export type { ScopeGraph, ScopeGraphNode, ScopeGraphEdge, ScopeWireType } from './scope-graph';
export {
  importScopeWorkflow,
  patchToScopeWorkflow,
  scaleScopeWeights,
  scopeWorkflowSchema,
} from './scope-workflow';
export type { ExportOptions, ImportOptions, ImportResult } from './scope-workflow';
export { importScopeTimeline, scopeLegacyTimelineSchema, camelToSnake } from './scope-timeline';
export { detectImportKind, importDocument } from './detect';
export { patchFromPipelines } from './scope-pipelines';
export type { PipelinePatchOptions } from './scope-pipelines';
export type { ImportKind, ImportDocumentResult } from './detect';
