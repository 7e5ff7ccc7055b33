import type { FramePool } from './frame-pool';
import { spareWorkers } from './worker-host';

/**
 * Process-wide counters for leak tests and the server's metrics endpoint: how many sessions
 * and workers are alive, how many pool slots exist, how many frames were made.
 */
const state = {
  sessions: 0,
  workers: 0,
  pools: new Set<FramePool>(),
  framesProduced: 0,
  workerRestarts: 0,
};

export interface EngineMetrics {
  sessionsAlive: number;
  workersAlive: number;
  /** A worker booted ahead of need (0 or 1); not attached to any node. */
  workersSpare: number;
  poolSlots: number;
  poolSlotsInUse: number;
  poolBytes: number;
  framesProduced: number;
  workerRestarts: number;
}

/** A snapshot of the engine's process-wide counters. */
export function engineMetrics(): EngineMetrics {
  let poolSlots = 0;
  let poolSlotsInUse = 0;
  let poolBytes = 0;
  for (const pool of state.pools) {
    const s = pool.stats();
    poolSlots += s.slots;
    poolSlotsInUse += s.inUse;
    poolBytes += s.bytes;
  }
  return {
    sessionsAlive: state.sessions,
    workersAlive: state.workers,
    workersSpare: spareWorkers(),
    poolSlots,
    poolSlotsInUse,
    poolBytes,
    framesProduced: state.framesProduced,
    workerRestarts: state.workerRestarts,
  };
}

/** Internal bookkeeping calls (engine and session only). */
export const metrics = {
  sessionOpened: (): void => void state.sessions++,
  sessionClosed: (): void => void state.sessions--,
  workerStarted: (): void => void state.workers++,
  workerExited: (): void => void state.workers--,
  workerRestarted: (): void => void state.workerRestarts++,
  frameProduced: (): void => void state.framesProduced++,
  addPool: (pool: FramePool): void => void state.pools.add(pool),
  removePool: (pool: FramePool): void => void state.pools.delete(pool),
};
