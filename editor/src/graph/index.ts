/**
 * Pure graph operations the editor's components call: connect validation, applying change
 * objects, undo/redo history, clipboard transforms, layout and the React Flow mapping. No React,
 * no DOM, so every one is unit-tested in Node.
 */
export { nodePorts, portsOf, checkConnection, portType } from './ports';
export type { NodePorts, ConnectCheck } from './ports';
// Patch edits themselves are patches/changes (the runtime applies them with the same function).
export { applyChanges, invertChanges, removeNodesChanges } from '../../../patches';
export {
  createHistory,
  commit,
  undo,
  redo,
  describeChanges,
  applyOrThrow,
  PatchChangeError,
} from './history';
export type { History, HistoryEntry, HistoryResult, CommitOptions } from './history';
export {
  emptyPatch,
  freshId,
  edgeId,
  createNode,
  paletteItems,
  searchPalette,
  EDITOR_VERSION,
} from './create';
export type { PaletteItem } from './create';
export { copySelection, clipboardText, parseClipboard, pasteChanges, CLIPBOARD_MAX_CHARS } from './clipboard';
export type { ClipboardPayload } from './clipboard';
export { autoLayout, patchBounds, freeSpot } from './layout';
export type { LayoutOptions } from './layout';
export { toFlowNodes, toFlowEdges, moveChanges } from './flow';
export type { FlowNode, FlowEdge, FlowNodeData, FlowPositionChange } from './flow';
export { keyParams, visible, mediaLayout } from './summary';
export type { KeyParam } from './summary';
export { generateChainsPatch } from './generate';
