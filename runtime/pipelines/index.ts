/**
 * Pipeline backends: the factory the engine's frame-processor workers call, the ONNX backend
 * (built-in effect models generated in Node, user models with a sidecar contract), model
 * discovery and status for the server, and the benchmark hook. See README.md.
 */
export type {
  FrameExtras,
  FrameProcessor,
  ProcessorContext,
  ProcessorFactory,
  PromptControl,
  VaceControl,
} from './types';
export { createProcessor, makeProcessorFactory, PipelineError, PromptEmbedding } from './processors';
export type { PipelineErrorCode, ProcessorFactoryOptions } from './processors';
export {
  builtinModelsDir,
  defaultModelsDir,
  GPU_PIPELINE_REASON,
  listUserModels,
  modelsStatus,
  pipelineAvailability,
  prepareModel,
  resolveModelPath,
  scanUserModels,
  userModelId,
  userModelInfo,
} from './models';
export type { AvailabilityHost, ModelProblem, ModelStatus } from './models';
export {
  BUILTIN_GRAPH_OPTIMIZATION,
  BUILTIN_MODEL_IDS,
  buildEffectBytes,
  buildModelBytes,
  builtinContract,
  effectContract,
  ensureBuiltinModel,
  ensureBuiltinModels,
  isBuiltinModel,
} from './onnx/build-models';
export type { BuiltinModelId } from './onnx/build-models';
export {
  modelContractSchema,
  ModelContractError,
  parseContract,
  readContract,
  sidecarPath,
} from './onnx/contract';
export type { FloatImageSpec, ModelContract } from './onnx/contract';
export { embedPrompts, embedText } from './onnx/embedding';
/** Writes ONNX graphs in code (the built-in models; tests build small user models with it). */
export { GraphBuilder } from './onnx/graph';
export { CUDA_HOW_TO, defaultCudaProbe, OnnxModel } from './onnx/session';
export type { CudaProbe, CudaStatus, Device, OnnxLoadOptions } from './onnx/session';
export { benchModels } from './bench';
export { benchLearned } from './learned/bench';
export type { LearnedBenchResult } from './learned/bench';
export {
  LEARNED_PIPELINE_IDS,
  isLearnedPipeline,
  ensureLearnedModel,
  learnedContract,
  type LearnedPipelineId,
} from './learned/build';
export { ensureLearnedSources, LEARNED_PACKAGE, LEARNED_VERSION } from './learned/source';
export { chooseRemoteOutput, createRemoteProcessor, HUB_TIMEOUT_MS, REMOTE_CHANNEL } from './remote';
export type { FromHub, RemoteFallback, ToHub, WireFrame } from './remote';
export type { BenchModelsOptions, ModelBenchResult } from './bench';
