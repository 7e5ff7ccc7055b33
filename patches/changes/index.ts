/** Patch edits: the change objects and the one function that applies them (README "Changes"). */
export { applyChanges } from './apply';
export { invertChanges, jsonSafeChanges, removeNodesChanges } from './invert';
export { PATCH_CHANGE_OPS } from './types';
export type { ApplyChangesResult, ChangeRefusal, PatchChange, PatchChangeOp } from './types';
