import type { PipelineFrame, PipelineWorkerInit, PipelineWorkerMessage } from '../../nodes';

/**
 * Messages between the main thread and a pipeline worker. Frames travel as pool handles; a
 * slot's SharedArrayBuffer is posted once per worker (in `buffers`) and cached there. What a
 * node sees of this (PipelineFrame, PipelineWorkerMessage) is declared in nodes/core/runtime.ts.
 */

export interface WorkerInit extends PipelineWorkerInit {
  modelsDir: string;
  /** A module exporting `createProcessor: ProcessorFactory` to use instead of the default (tests, plug-ins). */
  processorModule?: string;
}

export type MainToWorker =
  | { type: 'init'; init: WorkerInit }
  | (PipelineFrame & {
      /** Shared buffers of slots this worker has not seen yet. */
      buffers: [number, SharedArrayBuffer][];
    })
  | { type: 'update'; params: Record<string, unknown> }
  /** `recycle`: after disposing, reset and wait for the next `init` instead of ending. */
  | { type: 'dispose'; recycle?: boolean };

export type WorkerToMain = PipelineWorkerMessage;
