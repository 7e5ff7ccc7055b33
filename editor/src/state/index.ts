/** The editor's store: state, edits, runtime session, files. */
export { EditorStore, isLive } from './store';
export type { EditorState, Toast, TimelineState, StoreOptions } from './store';
