/** React bindings for the store: the context the app provides and the hooks components read it with. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { EditorState, EditorStore } from './store';

export const StoreContext = createContext<EditorStore | null>(null);

/** The editor store from context (throws outside the provider: a wiring bug, not user input). */
export function useStore(): EditorStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside <StoreContext.Provider>');
  return store;
}

/** A slice of editor state; the component re-renders when that slice changes (by identity). */
export function useEditor<T>(select: (s: EditorState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
