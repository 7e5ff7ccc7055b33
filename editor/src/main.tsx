import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './app/App';
import { StoreContext } from './state/react';
import { launchToken } from './runtime';
import { EditorStore } from './state';

/** The runtime WebSocket URL for this page: same host, the launch token as a query parameter. */
function runtimeUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = launchToken();
  return `${proto}//${location.host}/api/v1/runtime${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

const offline = new URLSearchParams(location.search).has('offline');
const store = new EditorStore({ storage: window.localStorage, runtimeUrl: offline ? null : runtimeUrl() });
store.connect();
if (!offline) void store.openDefaultOnFirstRun();
window.addEventListener('beforeunload', () => store.flushAutosave());
// Exposed for the e2e and the benchmark hook (read-only use: state and a few commands).
(window as unknown as { patchbay: EditorStore }).patchbay = store;

createRoot(document.getElementById('root')!).render(
  <StoreContext.Provider value={store}>
    <App />
  </StoreContext.Provider>,
);
