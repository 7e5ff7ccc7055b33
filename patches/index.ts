/** The .patch format: types, schema, migrations, converters, importers. */
export * from './format/types';
export { PATCH_ISSUE_CODES, formatPath, issue, patchErrors } from './format/issues';
export type { PatchIssueCode } from './format/issues';
export { PATCH_LIMITS, checkJsonText, checkJsonValue, parseJsonSafely } from './format/guard';
export type { PatchLimits } from './format/guard';
export {
  ID_PATTERN,
  MAX_NODES,
  MAX_EDGES,
  patchSchema,
  patchNodeSchema,
  patchEdgeSchema,
  patchMetadataSchema,
  portRefSchema,
  positionSchema,
} from './format/schema';
export {
  FORMAT_MIGRATIONS,
  OLDEST_FORMAT_VERSION,
  connectionsToEdges,
  migrateFormat,
  migrateNodeParams,
} from './format/migrations';
export type {
  FormatMigration,
  MigrationContext,
  MigrateResult,
  NodeMigrateResult,
} from './format/migrations';
export { parsePatch, isValidPatch, detectForeignFormat } from './format/parse';
export type { ParsePatchOptions, ParsePatchResult } from './format/parse';
export { serializePatch } from './format/serialize';
export {
  LAYOUT_SPACING,
  layoutLeftToRight,
  patchToScopeGraph,
  scopeGraphToPatch,
  scopeGraphSchema,
  importScopeWorkflow,
  patchToScopeWorkflow,
  scopeWorkflowSchema,
  importScopeTimeline,
  scopeLegacyTimelineSchema,
  camelToSnake,
  detectImportKind,
  importDocument,
  patchFromPipelines,
} from './convert';
export type {
  LayoutEdge,
  ScopeGraph,
  ScopeGraphNode,
  ScopeGraphEdge,
  ScopeWireType,
  ExportOptions,
  ImportOptions,
  ImportResult,
  ImportKind,
  ImportDocumentResult,
  PipelinePatchOptions,
} from './convert';
export {
  applyChanges,
  invertChanges,
  jsonSafeChanges,
  removeNodesChanges,
  PATCH_CHANGE_OPS,
} from './changes';
export type { ApplyChangesResult, ChangeRefusal, PatchChange, PatchChangeOp } from './changes';
