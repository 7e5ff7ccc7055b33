/**
 * Scope's headless session (`/api/v1/session/*`: no WebRTC; frames read back as JPEG, or PNG
 * with `?format=png`, which carries the session's patch in an iTXt chunk), the metrics the leak
 * test reads (recordings: ./io.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { VideoFrame } from '../../../nodes';
import { serializePatch } from '../../../patches';
import { encodeJpeg, encodePng, patchTags } from '../../io';
import { HttpError, jsonBody, type ServerContext } from '../context';
import { isJsonObject } from '../../json';
import { patchFromPipelines } from '../../../patches';
import { patchFromRequest } from './patch-input';
import { pipelineIdsOf } from '../sessions';

/** Scope names the single headless session "headless" (recordings use that id). */
export const HEADLESS_ID = 'headless';

/** Encodes an I420 frame as a JPEG (quality 85), with FFmpeg's mjpeg (runtime/io). */
export function frameToJpeg(frame: VideoFrame, quality = 85): Buffer {
  return encodeJpeg(frame, quality);
}

/** Process-level numbers for the leak test: what a closed session must give back. */
export function processMetrics(): { open_handles: number; rss: number; heap_used: number } {
  const mem = process.memoryUsage();
  const getInfo = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  return { open_handles: getInfo ? getInfo().length : -1, rss: mem.rss, heap_used: mem.heapUsed };
}

export function headlessRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const headless = () => ctx.sessions.runtime(HEADLESS_ID);

  app.post('/api/v1/session/start', async (req) => {
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    let patch = patchFromRequest(body);
    if (!patch) {
      const pipelineId = body.pipeline_id;
      if (pipelineId !== undefined && typeof pipelineId !== 'string')
        throw new HttpError(400, '"pipeline_id" must be a string');
      const loaded = ctx.pipelines.loaded();
      const ids = pipelineId ? [pipelineId] : (loaded?.map((p) => p.pipeline_id) ?? []);
      if (!ids.length)
        throw new HttpError(400, 'Pipeline not loaded: give "pipeline_id", "graph" or "patch"');
      if (body.input_mode !== undefined && body.input_mode !== 'text' && body.input_mode !== 'video')
        throw new HttpError(400, '"input_mode" must be "text" or "video"');
      // Headless has no camera track: video mode reads the runtime's test pattern too.
      patch = patchFromPipelines({
        pipelineIds: ids,
        inputMode: 'text',
        loadParams: loaded?.[0]?.load_params,
        name: 'Headless session',
      });
    }
    if (headless()) await ctx.sessions.closeRuntime(HEADLESS_ID, 'replaced by a new headless session');
    let entry;
    try {
      entry = await ctx.sessions.createRuntime('headless', patch, HEADLESS_ID);
    } catch (error) {
      throw new HttpError(400, `the session could not start: ${(error as Error).message}`);
    }
    const params: Record<string, unknown> = {};
    if (body.prompts !== undefined) params.prompts = body.prompts;
    if (body.input_source !== undefined) params.input_source = body.input_source;
    if (body.parameters !== undefined) {
      if (!isJsonObject(body.parameters)) throw new HttpError(400, '"parameters" must be an object');
      Object.assign(params, body.parameters);
    }
    const applied = Object.keys(params).length
      ? ctx.sessions.setParameters(entry, params)
      : { applied: {}, ignored: {} };
    const ignored: Record<string, string> = { ...applied.ignored };
    if (body.node_parameters !== undefined) {
      if (!isJsonObject(body.node_parameters))
        throw new HttpError(400, '"node_parameters" must be an object of node id → parameters');
      for (const [nodeId, p] of Object.entries(body.node_parameters)) {
        if (!isJsonObject(p)) throw new HttpError(400, `node_parameters.${nodeId} must be an object`);
        const r = ctx.sessions.setParameters(entry, { ...p, node_id: nodeId });
        for (const [k, why] of Object.entries(r.ignored)) ignored[`${nodeId}.${k}`] = why;
      }
    }
    // Scope's answer (mcp_router.py start_stream), plus what Patchbay applied and ignored.
    const planNodes = entry.session.plan()?.nodes ?? [];
    const graph = body.graph !== undefined || body.patch !== undefined;
    return {
      status: 'ok',
      input_mode: body.input_mode === 'video' ? 'video' : 'text',
      cloud_mode: false,
      ...(graph
        ? {
            graph: true,
            pipeline_ids: planNodes.flatMap((n) => (n.pipeline ? [n.pipeline.id] : [])),
            sink_node_ids: planNodes.filter((n) => n.category === 'sink').map((n) => n.id),
            source_node_ids: planNodes.filter((n) => n.category === 'source').map((n) => n.id),
          }
        : {
            pipeline_id:
              typeof body.pipeline_id === 'string'
                ? body.pipeline_id
                : (pipelineIdsOf(entry.session)[0] ?? null),
            pipeline_ids: pipelineIdsOf(entry.session),
          }),
      session_id: HEADLESS_ID,
      state: entry.session.state(),
      applied_parameters: applied.applied,
      ignored_parameters: ignored,
    };
  });

  app.post('/api/v1/session/stop', async () => {
    if (!headless()) return { status: 'ok', message: 'No active headless session' };
    await ctx.sessions.closeRuntime(HEADLESS_ID, 'stopped by POST /session/stop');
    return { status: 'ok', message: 'Headless session stopped' };
  });

  /** Scope reads the active session's parameters: the headless one, else the newest WebRTC one. */
  const active = () =>
    headless() ?? ctx.sessions.runtimesOf('webrtc').at(-1) ?? ctx.sessions.runtimesOf('editor').at(-1);

  app.get('/api/v1/session/parameters', async () => {
    const entry = active();
    return { status: 'ok', parameters: entry ? { ...entry.parameters } : {} };
  });

  // Scope applies these to every running session (the data channel's path) and tells the
  // connected clients (parameters_updated); unknown or refused keys come back as ignored.
  app.post('/api/v1/session/parameters', async (req) => {
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    if (!Object.keys(body).length) throw new HttpError(400, 'No parameters provided');
    const targets = [
      headless(),
      ...ctx.sessions.runtimesOf('webrtc'),
      ...ctx.sessions.runtimesOf('editor'),
    ].filter((e): e is NonNullable<typeof e> => e !== undefined);
    if (!targets.length) throw new HttpError(404, 'no session is running');
    const applied: Record<string, unknown> = {};
    let ignored: Record<string, string> = {};
    for (const entry of targets) {
      const r = ctx.sessions.setParameters(entry, body);
      Object.assign(applied, r.applied);
      ignored = { ...r.ignored, ...ignored };
      if (Object.keys(r.applied).length)
        ctx.sessions.notify(entry, { type: 'parameters_updated', parameters: r.applied });
    }
    for (const k of Object.keys(applied)) delete ignored[k];
    return { status: 'ok', applied_parameters: applied, ignored_parameters: ignored };
  });

  app.get('/api/v1/session/frame', async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const sink = query.sink_node_id;
    if (sink !== undefined && typeof sink !== 'string')
      throw new HttpError(400, 'sink_node_id must be a string');
    const format = query.format ?? 'jpeg';
    if (format !== 'jpeg' && format !== 'png') throw new HttpError(400, 'format must be "jpeg" or "png"');
    // The headless session first; else the newest session that has a frame (a WebRTC one).
    const candidates = [
      headless(),
      ...ctx.sessions.runtimesOf('webrtc').reverse(),
      ...ctx.sessions.runtimesOf('editor'),
    ];
    const entry = candidates.find((r) => r !== undefined);
    if (!entry) throw new HttpError(404, 'no session is running');
    if (sink && !entry.session.patch().nodes.some((n) => n.id === sink))
      throw new HttpError(404, `no node "${sink}" in the session`);
    const frame = entry.session.latestFrame(sink || undefined);
    if (!frame) throw new HttpError(404, 'no frame has been produced yet');
    if (format === 'png') {
      let text: string | undefined;
      try {
        text = serializePatch(entry.session.patch());
      } catch {
        text = undefined; // a patch that cannot be saved is not embedded
      }
      return reply
        .type('image/png')
        .header('cache-control', 'no-store')
        .send(encodePng(frame, patchTags(text)));
    }
    return reply.type('image/jpeg').header('cache-control', 'no-store').send(frameToJpeg(frame));
  });

  app.get('/api/v1/session/metrics', async () => ({
    sessions: ctx.sessions.sessionStats(),
    engine: { ...ctx.sessions.metrics(), ...processMetrics(), runtime: ctx.engineMetrics?.() ?? null },
  }));

  // The recordings endpoints are in ./io.ts.
}
