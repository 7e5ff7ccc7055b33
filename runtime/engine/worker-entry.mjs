// Entry of a pipeline worker thread. Worker threads do not inherit the parent's TypeScript
// loader (tsx under the CLI, vite under vitest), so each worker registers tsx itself and then
// loads the real worker module from source.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
