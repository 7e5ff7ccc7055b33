import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import {
  findPipeline,
  isOnnxPath,
  onnxPipeline,
  type HostCapabilities,
  type PipelineAvailability,
  type PipelineInfo,
} from '../../nodes';
import { isLearnedPipeline, learnedModelsDir } from './learned/build';
import { ensureBuiltinModel, isBuiltinModel } from './onnx/build-models';
import { ModelContractError, readContract, sidecarPath, type ModelContract } from './onnx/contract';

/**
 * Where models live and what is available: user ONNX models in the models folder (or named
 * `onnx:<path>`), the generated built-ins under `<models>/builtin`, and the availability of
 * every pipeline id for `/api/v1/pipelines/schemas` and `/api/v1/models/status`.
 */

/** `~/.patchbay/models`, or PATCHBAY_MODELS_DIR when set. */
export function defaultModelsDir(): string {
  return process.env.PATCHBAY_MODELS_DIR || join(homedir(), '.patchbay', 'models');
}

/** Where the built-in models are generated inside a models folder. */
export function builtinModelsDir(modelsDir: string): string {
  return join(modelsDir, 'builtin');
}

/** The id a user model in the models folder is listed under: `onnx:<file>.onnx`. */
export function userModelId(file: string): string {
  return `onnx:${basename(file)}`;
}

/**
 * The file an `onnx:<path>` id names, which must lie inside the models folder: relative paths are
 * taken from it; absolute and `~/…` paths are accepted only when they point into it. A path that
 * leaves the folder (`../`, another absolute path, a symlink out of it) is refused, so a client
 * cannot probe for files elsewhere on the host. Only `.onnx` files.
 */
export function resolveModelPath(pipelineId: string, modelsDir: string): string {
  if (!isOnnxPath(pipelineId))
    throw new ModelContractError(`"${pipelineId}" is not an onnx:<path> model id`, pipelineId);
  let p = pipelineId.slice('onnx:'.length).trim();
  if (!/\.onnx$/i.test(p))
    throw new ModelContractError(
      `"${pipelineId}": a model path must end in .onnx (e.g. onnx:my-style.onnx)`,
      pipelineId,
    );
  if (p.includes('\0')) throw new ModelContractError(`"${pipelineId}": not a file path`, pipelineId);
  if (p.startsWith('~/')) p = join(homedir(), p.slice(2));
  const root = resolve(modelsDir);
  const path = isAbsolute(p) ? resolve(p) : resolve(root, p);
  const outside = new ModelContractError(
    `"${pipelineId}": a model must be inside the models folder (${root}); put the file there or start with --models-dir`,
    pipelineId,
  );
  if (!insideDir(path, root)) throw outside;
  // A symlink inside the folder may point out of it.
  const real = realOrNull(path);
  const realRoot = realOrNull(root) ?? root;
  if (real && !insideDir(real, realRoot)) throw outside;
  return path;
}

function insideDir(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The pipeline entry of a user model, derived from its contract. */
export function userModelInfo(id: string, contract: ModelContract): PipelineInfo {
  const fixed = contract.size.kind === 'fixed' ? contract.size : null;
  return onnxPipeline(id, contract.name, contract.description || `User ONNX model ${id}`, {
    defaultWidth: fixed?.width ?? 512,
    defaultHeight: fixed?.height ?? 512,
    supportsPrompts: Boolean(contract.text),
    ...(contract.feedback ? { feedback: true } : {}),
  });
}

/** A model file the scan found but cannot use, and why. */
export interface ModelProblem {
  file: string;
  message: string;
}

/** Scans the top level of `dir` for `*.onnx` models with valid sidecars; reports the broken ones. */
export function scanUserModels(dir: string): { models: PipelineInfo[]; problems: ModelProblem[] } {
  const models: PipelineInfo[] = [];
  const problems: ModelProblem[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { models, problems };
  }
  for (const name of names.sort()) {
    if (!/\.onnx$/i.test(name)) continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      models.push(userModelInfo(userModelId(name), readContract(sidecarPath(file))));
    } catch (error) {
      problems.push({ file, message: (error as Error).message });
    }
  }
  return { models, problems };
}

/** The user models in `dir` (kind 'onnx'), for the pipeline schemas and the editor's list. */
export function listUserModels(dir: string): PipelineInfo[] {
  return scanUserModels(dir).models;
}

/** What the host can run. `remote` available means a cloud relay / remote backend is connected. */
export type AvailabilityHost = Pick<HostCapabilities, 'cuda' | 'remote'>;

/** The reason a Scope GPU pipeline cannot run on this machine. */
export const GPU_PIPELINE_REASON =
  'needs an NVIDIA GPU with CUDA; set backend to remote to run it on a cloud runtime or a Scope server';

/**
 * Whether a pipeline can run here, for `/api/v1/pipelines/schemas`. Built-ins and ONNX models
 * always run (CPU at worst); Scope's GPU pipelines run only through a remote backend, since
 * Patchbay has no local diffusion stack even where CUDA is present.
 */
export function pipelineAvailability(info: PipelineInfo, host: AvailabilityHost): PipelineAvailability {
  if (info.kind !== 'gpu') return { available: true };
  if (host.remote.available) return { available: true, reason: 'runs on the connected remote backend' };
  return {
    available: false,
    reason: host.cuda.available
      ? `"${info.id}" runs on Scope's diffusion stack, which is not part of Patchbay; set backend to remote to run it on a cloud runtime or a Scope server`
      : `"${info.id}" ${GPU_PIPELINE_REASON}`,
  };
}

/** Scope's `/api/v1/models/status` answer, with Patchbay's extras. */
export interface ModelStatus {
  downloaded: boolean;
  progress: number;
  available: boolean;
  reason?: string;
  /** Built-in models are generated by Patchbay on first use (nothing is downloaded). */
  generated?: boolean;
  path?: string;
}

/** The status of the model behind a pipeline id. */
export function modelsStatus(pipelineId: string, modelsDir: string = defaultModelsDir()): ModelStatus {
  if (isBuiltinModel(pipelineId)) {
    const path = join(builtinModelsDir(modelsDir), `${pipelineId}.onnx`);
    const ready = existsSync(path);
    return { downloaded: ready, progress: ready ? 100 : 0, available: true, generated: true, path };
  }
  if (isLearnedPipeline(pipelineId)) {
    // Fetched through npm and converted on first use (runtime/pipelines/learned).
    const path = join(learnedModelsDir(modelsDir), `${pipelineId}.onnx`);
    const ready = existsSync(path);
    return { downloaded: ready, progress: ready ? 100 : 0, available: true, generated: true, path };
  }
  if (isOnnxPath(pipelineId)) {
    try {
      const path = resolveModelPath(pipelineId, modelsDir);
      if (!existsSync(path))
        return {
          downloaded: false,
          progress: 0,
          available: false,
          reason: `${path}: model file not found`,
          path,
        };
      readContract(sidecarPath(path));
      return { downloaded: true, progress: 100, available: true, path };
    } catch (error) {
      return { downloaded: false, progress: 0, available: false, reason: (error as Error).message };
    }
  }
  const info = findPipeline(pipelineId);
  if (!info)
    return { downloaded: false, progress: 0, available: false, reason: `unknown pipeline "${pipelineId}"` };
  if (info.kind === 'builtin') return { downloaded: true, progress: 100, available: true };
  return {
    downloaded: false,
    progress: 0,
    available: false,
    reason: `"${pipelineId}" ${GPU_PIPELINE_REASON}`,
  };
}

/**
 * Makes a pipeline's model ready (Scope's `/api/v1/models/download`): generates a built-in
 * model; for user models checks that the file and sidecar are usable. Throws with the reason.
 */
export function prepareModel(pipelineId: string, modelsDir: string = defaultModelsDir()): ModelStatus {
  if (isBuiltinModel(pipelineId)) ensureBuiltinModel(builtinModelsDir(modelsDir), pipelineId);
  const status = modelsStatus(pipelineId, modelsDir);
  if (!status.available) throw new Error(status.reason ?? `"${pipelineId}" is not available`);
  return status;
}
