/**
 * The engine: runs a compiled plan with frames in shared memory, pipeline processors in worker
 * threads, bounded drop-oldest queues and per-node stats. Sessions (runtime/session) drive it.
 */
export type { Clock, EditResult, RuntimeSession, SessionEvents, SessionOptions } from './api';
export { Engine } from './engine';
export type { EngineOptions } from './engine';
export { FramePorts } from './ports';
export type { OutputConsumer, SinkConsumer } from './ports';
export { FramePool } from './frame-pool';
export type { FrameHandle, FramePoolOptions, FramePoolStats } from './frame-pool';
export { DropOldestQueue, percentile } from '../../nodes';
export { shutdownSpareWorkers } from './worker-host';
export { engineMetrics, metrics } from './metrics';
export type { EngineMetrics } from './metrics';
export { createFrameProcessor, builtinProcessor } from './processors';
