/**
 * Scope's `/pipeline/load` + `/pipeline/status`: the pipeline(s) a Scope client wants loaded
 * before it offers WebRTC. Loading runs in the background; status goes
 * not_loaded → loading → loaded | error (with the reason).
 */
import { findPipeline, isOnnxPath, type HostCapabilities, type PipelineInfo } from '../../nodes';

export type PipelineStatusName = 'not_loaded' | 'loading' | 'loaded' | 'error';

export interface PipelineRequest {
  node_id: string;
  pipeline_id: string;
  load_params: Record<string, unknown>;
}

export interface PipelineStatus {
  status: PipelineStatusName;
  pipeline_id: string | null;
  load_params: Record<string, unknown> | null;
  loaded_lora_adapters: never[];
  error: string | null;
  loading_stage: string | null;
  /** Patchbay extra: every requested pipeline with its node id. */
  pipelines: PipelineRequest[];
}

export interface PipelineLoaderDeps {
  capabilities: () => Promise<HostCapabilities>;
  /** Resolves a pipeline id that is not in the catalog (user ONNX models); null when unknown. */
  resolveExtra?: (id: string) => Promise<PipelineInfo | null>;
  /**
   * Prepares a pipeline's model (generates or checks files). Resolves when ready; rejects with
   * the reason. Absent: nothing to prepare (built-ins).
   */
  prepare?: (info: PipelineInfo, loadParams: Record<string, unknown>) => Promise<void>;
  log: (line: string) => void;
}

/** Holds the Scope-visible pipeline load state. */
export class PipelineLoader {
  private current: PipelineStatus = {
    status: 'not_loaded',
    pipeline_id: null,
    load_params: null,
    loaded_lora_adapters: [],
    error: null,
    loading_stage: null,
    pipelines: [],
  };
  private generation = 0;

  constructor(private readonly deps: PipelineLoaderDeps) {}

  status(): PipelineStatus {
    return { ...this.current, pipelines: this.current.pipelines.map((p) => ({ ...p })) };
  }

  /** The loaded pipelines, or null while nothing is loaded. */
  loaded(): PipelineRequest[] | null {
    return this.current.status === 'loaded' ? this.status().pipelines : null;
  }

  /** Starts loading in the background; a newer load supersedes an older one still running. */
  load(requests: PipelineRequest[]): Promise<void> {
    const gen = ++this.generation;
    this.current = {
      status: 'loading',
      pipeline_id: requests[0]?.pipeline_id ?? null,
      load_params: requests[0]?.load_params ?? null,
      loaded_lora_adapters: [],
      error: null,
      loading_stage: 'resolving pipelines',
      pipelines: requests,
    };
    return this.run(gen, requests).catch((error: unknown) => {
      if (gen !== this.generation) return;
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log(`pipeline load failed: ${message}`);
      this.current = { ...this.current, status: 'error', error: message, loading_stage: null };
    });
  }

  unload(): void {
    this.generation++;
    this.current = {
      ...this.current,
      status: 'not_loaded',
      pipeline_id: null,
      load_params: null,
      error: null,
      loading_stage: null,
      pipelines: [],
    };
  }

  private async run(gen: number, requests: PipelineRequest[]): Promise<void> {
    // Let the HTTP reply go out first: Scope clients poll status after load returns.
    await new Promise((r) => setImmediate(r));
    const caps = await this.deps.capabilities();
    for (const req of requests) {
      const info = findPipeline(req.pipeline_id) ?? (await this.deps.resolveExtra?.(req.pipeline_id)) ?? null;
      if (!info) {
        const hint = isOnnxPath(req.pipeline_id) ? ' (no such ONNX model file in the models folder)' : '';
        throw new Error(`unknown pipeline "${req.pipeline_id}"${hint}`);
      }
      if (info.kind === 'gpu' && !caps.cuda.available)
        throw new Error(
          `"${req.pipeline_id}" is a GPU pipeline and this machine has no CUDA (${caps.cuda.reason ?? 'unavailable'}); run it through a remote backend`,
        );
      if (gen !== this.generation) return;
      this.current = { ...this.current, loading_stage: `preparing ${req.pipeline_id}` };
      if (this.deps.prepare) await this.deps.prepare(info, req.load_params);
    }
    if (gen !== this.generation) return;
    this.current = { ...this.current, status: 'loaded', loading_stage: null };
    this.deps.log(`pipeline loaded: ${requests.map((r) => r.pipeline_id).join(', ')}`);
  }
}
