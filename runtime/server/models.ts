/**
 * User ONNX models for the server: the ones in `<dataDir>/models` (listed as `onnx:<file>`) and
 * any `onnx:<path>` a client names. They reach the pipeline schemas, models status/download,
 * `/pipeline/load` (which loads the model for real) and the compile context of every session.
 */
import { existsSync } from 'node:fs';
import { isOnnxPath, type PipelineInfo } from '../../nodes';
import {
  createProcessor,
  prepareModel,
  readContract,
  resolveModelPath,
  scanUserModels,
  sidecarPath,
  userModelInfo,
  type ModelProblem,
} from '../pipelines';

/** The usable user models in `modelsDir` and the broken ones with the reason. */
export function userModels(modelsDir: string): { models: PipelineInfo[]; problems: ModelProblem[] } {
  return scanUserModels(modelsDir);
}

/**
 * The pipeline entry of an `onnx:<path>` id (relative paths from `modelsDir`); null for ids that
 * are not ONNX paths. Throws with the reason (the file and field) when the model is unusable.
 */
export function resolveUserPipeline(id: string, modelsDir: string): PipelineInfo | null {
  if (!isOnnxPath(id)) return null;
  const path = resolveModelPath(id, modelsDir);
  if (!existsSync(path)) throw new Error(`"${id}": no model file at ${path}`);
  return userModelInfo(id, readContract(sidecarPath(path)));
}

/**
 * Makes an ONNX pipeline ready the way a session will run it: generates a built-in model or
 * checks a user model's files, then creates the ONNX session (graph checked against its
 * contract, providers chosen) and frees it again. Rejects with the reason. Nothing to do for the
 * JS built-ins and remote-only pipelines.
 */
export async function loadPipelineModel(
  info: PipelineInfo,
  loadParams: Record<string, unknown>,
  modelsDir: string,
  log: (line: string) => void,
): Promise<void> {
  if (info.kind !== 'onnx') return;
  prepareModel(info.id, modelsDir);
  const processor = await createProcessor({
    nodeId: 'pipeline-load',
    pipeline: info,
    params: { ...loadParams, backend: 'local', pipeline_id: info.id },
    modelsDir,
    now: () => performance.now(),
    log: (message) => log(`[load ${info.id}] ${message}`),
    notice: (message) => log(`[load ${info.id}] ${message}`),
  });
  await processor.dispose();
}
