/**
 * Scope's catalog and status endpoints: health, hardware info, pipeline load/status, schemas,
 * node definitions, models, LoRAs and the cloud status (SCOPE-COMPAT.md, field names exact).
 */
import type { FastifyInstance } from 'fastify';
import {
  describeNodes,
  describePipelines,
  findPipeline,
  isOnnxPath,
  PIPELINES,
  pipelineNode,
} from '../../../nodes';
import { isBuiltinModel, modelsStatus, pipelineAvailability, prepareModel } from '../../pipelines';
import { HttpError, jsonBody, type ServerContext } from '../context';
import { isJsonObject } from '../../json';
import { resolveUserPipeline, userModels } from '../models';
import type { PipelineRequest } from '../../pipelines/state';

const ID_RE = /^[A-Za-z0-9_.:\-/]{1,1024}$/;

/** Reads both forms of Scope's load request; throws HttpError(400) naming the problem. */
export function parseLoadRequest(body: Record<string, unknown>): PipelineRequest[] {
  const loadParams = (v: unknown, where: string): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (!isJsonObject(v)) throw new HttpError(400, `${where} must be an object`);
    return { ...v };
  };
  if (Array.isArray(body.pipelines)) {
    if (body.pipelines.length === 0 || body.pipelines.length > 16)
      throw new HttpError(400, '"pipelines" must list 1 to 16 pipelines');
    return body.pipelines.map((p, i) => {
      if (!isJsonObject(p)) throw new HttpError(400, `pipelines[${i}] must be an object`);
      if (typeof p.pipeline_id !== 'string' || !ID_RE.test(p.pipeline_id))
        throw new HttpError(400, `pipelines[${i}].pipeline_id must be a pipeline id string`);
      const nodeId = p.node_id === undefined ? (i === 0 ? 'pipeline' : `pipeline_${i + 1}`) : p.node_id;
      if (typeof nodeId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(nodeId))
        throw new HttpError(400, `pipelines[${i}].node_id must be an id (letters, digits, _ and -)`);
      return {
        node_id: nodeId,
        pipeline_id: p.pipeline_id,
        load_params: loadParams(p.load_params, `pipelines[${i}].load_params`),
      };
    });
  }
  if (Array.isArray(body.pipeline_ids)) {
    if (body.pipeline_ids.length === 0 || body.pipeline_ids.length > 16)
      throw new HttpError(400, '"pipeline_ids" must list 1 to 16 pipeline ids');
    const params = loadParams(body.load_params, 'load_params');
    return body.pipeline_ids.map((id, i) => {
      if (typeof id !== 'string' || !ID_RE.test(id))
        throw new HttpError(400, `pipeline_ids[${i}] must be a pipeline id string`);
      return { node_id: i === 0 ? 'pipeline' : `pipeline_${i + 1}`, pipeline_id: id, load_params: params };
    });
  }
  throw new HttpError(
    400,
    'give "pipelines": [{node_id, pipeline_id, load_params?}] or the legacy "pipeline_ids": [...]',
  );
}

export function scopeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/health', async () => ({
    status: 'healthy',
    timestamp: new Date().toISOString(),
    server_start_time: ctx.startedAt.toISOString(),
    version: ctx.opts.version,
  }));

  app.get('/api/v1/hardware/info', async () => {
    const probe = await ctx.probe();
    const c = probe.capabilities;
    return {
      vram_gb: probe.vram_gb,
      spout: {
        available: c.spout.available,
        reason: c.spout.reason ?? null,
        install_hint: c.spout.install_hint ?? null,
      },
      ndi: {
        available: c.ndi.available,
        reason: c.ndi.reason ?? null,
        install_hint: c.ndi.install_hint ?? null,
      },
      syphon: {
        available: probe.syphon.available,
        reason: probe.syphon.reason ?? null,
        install_hint: probe.syphon.install_hint ?? null,
      },
      capabilities: c,
    };
  });

  app.post('/api/v1/pipeline/load', async (req) => {
    const requests = parseLoadRequest(jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes }));
    void ctx.pipelines.load(requests);
    return { message: `loading ${requests.map((r) => r.pipeline_id).join(', ')}` };
  });

  app.get('/api/v1/pipeline/status', async () => ctx.pipelines.status());

  // The catalog plus the user models in <dataDir>/models (onnx:<file>); broken model files are
  // listed under model_problems with the reason, so the editor can say why one is missing.
  app.get('/api/v1/pipelines/schemas', async () => {
    const caps = (await ctx.probe()).capabilities;
    const user = userModels(ctx.opts.modelsDir);
    return {
      ...describePipelines(pipelineNode, [...PIPELINES, ...user.models], (info) =>
        pipelineAvailability(info, caps),
      ),
      model_problems: user.problems,
    };
  });

  app.get('/api/v1/nodes/definitions', async () => {
    await ctx.nodesReady;
    const { registry: reg, loaded, refused } = ctx.nodes();
    // `refused`: node packages that could not load, with the file and what to fix.
    return {
      ...describeNodes(reg.list()),
      packages: loaded.map((p) => ({ package: p.package, version: p.version, types: p.types })),
      refused,
    };
  });

  app.get('/api/v1/loras', async () => ({ lora_files: [] }));

  /** 404 for an id that is neither in the catalog, a built-in model nor an onnx:<path>. */
  const knownId = (id: unknown): string => {
    if (typeof id !== 'string' || !id || !ID_RE.test(id))
      throw new HttpError(400, 'pipeline_id must be a pipeline id');
    if (!findPipeline(id) && !isBuiltinModel(id) && !isOnnxPath(id))
      throw new HttpError(404, `unknown pipeline "${id}"`);
    return id;
  };

  // Nothing is downloaded: built-in models are generated here, user models are files in the
  // models folder, Scope's GPU pipelines run remotely (their weights never come here).
  app.get('/api/v1/models/status', async (req) => {
    const raw = (req.query as Record<string, unknown>).pipeline_id;
    if (typeof raw !== 'string' || !raw) throw new HttpError(400, 'pipeline_id query parameter is required');
    return modelsStatus(knownId(raw), ctx.opts.modelsDir);
  });

  app.post('/api/v1/models/download', async (req) => {
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    if (typeof body.pipeline_id !== 'string' || !body.pipeline_id)
      throw new HttpError(400, '"pipeline_id" must be a string');
    const id = knownId(body.pipeline_id);
    if (findPipeline(id)?.kind === 'gpu')
      throw new HttpError(
        400,
        `"${id}" is a GPU pipeline: its weights live on the remote backend, nothing to download here`,
      );
    try {
      if (isOnnxPath(id)) resolveUserPipeline(id, ctx.opts.modelsDir);
      const status = prepareModel(id, ctx.opts.modelsDir);
      return {
        message: status.generated
          ? `"${id}" is generated on this machine: ready`
          : isOnnxPath(id)
            ? `"${id}" is a model in your models folder: ready`
            : `"${id}" needs no model`,
        ...status,
      };
    } catch (error) {
      throw new HttpError(400, `"${id}" is not usable: ${(error as Error).message}`);
    }
  });

  // /api/v1/cloud/* are the relay's (runtime/relay/routes.ts, registered in server.ts).
}
