import { isBuiltinPipeline, runBuiltin } from '../../nodes';
import type { FrameProcessor, ProcessorContext, ProcessorFactory } from '../pipelines/types';

/**
 * Which processor runs a Pipeline node: the built-ins (passthrough, gray) run here in plain
 * TypeScript; every other id (ONNX effects, user models, remote backends) goes to the pipeline
 * backends' `createProcessor` in runtime/pipelines, loaded on first use so a worker that only
 * runs built-ins never pays for onnxruntime.
 */

/** Wraps a built-in pipeline as a frame processor. */
export function builtinProcessor(id: 'passthrough' | 'gray'): FrameProcessor {
  return {
    process: (input) => runBuiltin(id, input),
    // Built-ins have no live params; updates are accepted and have nothing to change.
    update: () => undefined,
    ignores: ['prompts', 'vace'],
    dispose: () => undefined,
    inPlace: false,
    device: 'js',
  };
}

async function loadFactory(moduleUrl: string): Promise<ProcessorFactory> {
  let mod: { createProcessor?: unknown };
  try {
    mod = (await import(/* @vite-ignore */ moduleUrl)) as { createProcessor?: unknown };
  } catch (error) {
    throw new Error(`the pipeline backends could not be loaded (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof mod.createProcessor !== 'function') {
    throw new Error(`${moduleUrl} does not export createProcessor`);
  }
  return mod.createProcessor as ProcessorFactory;
}

/** The default backends module (runtime/pipelines). */
export const PIPELINES_MODULE = new URL('../pipelines/index.ts', import.meta.url).href;

/**
 * Creates the processor for a Pipeline node. `processorModule` overrides the backends module
 * (tests inject a processor that exposes what it received).
 */
export async function createFrameProcessor(
  ctx: ProcessorContext,
  processorModule?: string,
): Promise<FrameProcessor> {
  if (processorModule) return (await loadFactory(processorModule))(ctx);
  const backend = ctx.params.backend ?? 'local';
  if (backend === 'local' && isBuiltinPipeline(ctx.pipeline.id)) return builtinProcessor(ctx.pipeline.id);
  return (await loadFactory(PIPELINES_MODULE))(ctx);
}
