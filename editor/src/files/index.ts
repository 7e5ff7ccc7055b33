/** Opening, saving and autosaving patches in the browser. */
export { AUTOSAVE_KEY, writeAutosave, readAutosave, openPatchText, patchFileName } from './files';
export type { AutosaveRecord, StorageLike, OpenResult } from './files';
