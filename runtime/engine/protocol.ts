import type { PipelineInfo } from '../../nodes';
import type { PromptControl, VaceControl } from '../pipelines/types';
import type { FrameHandle } from './frame-pool';

/**
 * Messages between the main thread and a pipeline worker. Frames travel as pool handles; a
 * slot's SharedArrayBuffer is posted once per worker (in `buffers`) and cached there.
 */

export interface WorkerInit {
  nodeId: string;
  pipeline: PipelineInfo;
  params: Record<string, unknown>;
  modelsDir: string;
  /** A module exporting `createProcessor: ProcessorFactory` to use instead of the default (tests, plug-ins). */
  processorModule?: string;
}

export type MainToWorker =
  | { type: 'init'; init: WorkerInit }
  | {
      type: 'frame';
      id: number;
      input: FrameHandle;
      /** A slot of the input's size for the result; the worker writes into it. */
      output: FrameHandle;
      prompts?: PromptControl;
      vace?: VaceControl;
      vaceInputFrame?: FrameHandle;
      vaceInputMask?: FrameHandle;
      /** Runtime clock (ms) when the frame was dispatched; what `ctx.now()` reads in the worker. */
      now: number;
      /** Shared buffers of slots this worker has not seen yet. */
      buffers: [number, SharedArrayBuffer][];
    }
  | { type: 'update'; params: Record<string, unknown> }
  /** `recycle`: after disposing, reset and wait for the next `init` instead of ending. */
  | { type: 'dispose'; recycle?: boolean };

export type WorkerToMain =
  | { type: 'ready'; device: string; ignores: ('prompts' | 'vace')[]; inPlace: boolean }
  | { type: 'load-error'; message: string }
  /**
   * `same`: the processor returned its input unchanged (the input handle is the result).
   * `slot`: the result is in the output slot. `copy`: the result had another size, its pixels
   * are in `data` (transferred).
   */
  | {
      type: 'result';
      id: number;
      kind: 'same' | 'slot' | 'copy';
      width: number;
      height: number;
      timestampMs: number;
      seq: number;
      data?: ArrayBuffer;
      ms: number;
    }
  | { type: 'frame-error'; id: number; message: string; ms: number }
  | { type: 'notice'; message: string }
  | { type: 'log'; message: string }
  /** `recycled`: the thread is clean and waits for a new `init`; otherwise it is ending. */
  | { type: 'disposed'; recycled?: boolean };
