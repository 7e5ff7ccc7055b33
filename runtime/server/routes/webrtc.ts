/**
 * Scope's WebRTC signalling: ICE servers, the offer (one peer per session), trickle ICE by PATCH
 * and DELETE. The offer decides which runtime the media attaches to (see README "Sessions").
 */
import type { FastifyInstance } from 'fastify';
import type { Patch } from '../../../patches';
import { HttpError, jsonBody, type ServerContext } from '../context';
import type { IceCandidateInit } from '../deps';
import { isJsonObject } from '../json';
import { offerIsTextMode, patchFromPipelines, sdpProblem } from '../patch-build';
import { pipelineIdsOf, type RuntimeEntry } from '../sessions';
import { patchFromRequest } from './patch-input';

/** Keys of initialParameters that pick the session rather than set parameters. */
const SESSION_KEYS = new Set(['graph', 'patch', 'patchbay_session', 'pipeline_ids']);

function validCandidate(c: unknown, i: number): IceCandidateInit {
  if (!isJsonObject(c)) throw new HttpError(400, `candidates[${i}] must be an object`);
  if (typeof c.candidate !== 'string' || c.candidate.length > 2048)
    throw new HttpError(400, `candidates[${i}].candidate must be a string`);
  if (c.sdpMid !== undefined && c.sdpMid !== null && typeof c.sdpMid !== 'string')
    throw new HttpError(400, `candidates[${i}].sdpMid must be a string or null`);
  if (
    c.sdpMLineIndex !== undefined &&
    c.sdpMLineIndex !== null &&
    (typeof c.sdpMLineIndex !== 'number' || !Number.isInteger(c.sdpMLineIndex) || c.sdpMLineIndex < 0)
  )
    throw new HttpError(400, `candidates[${i}].sdpMLineIndex must be a non-negative integer or null`);
  return {
    candidate: c.candidate,
    sdpMid: (c.sdpMid as string | null | undefined) ?? null,
    sdpMLineIndex: (c.sdpMLineIndex as number | null | undefined) ?? null,
  };
}

export function webrtcRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/webrtc/ice-servers', async () => ({ iceServers: ctx.opts.iceServers }));

  app.post('/api/v1/webrtc/offer', async (req) => {
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    const problem = sdpProblem(body.sdp);
    if (problem) throw new HttpError(400, problem);
    if (body.type !== undefined && body.type !== 'offer') throw new HttpError(400, '"type" must be "offer"');
    const initial = body.initialParameters ?? {};
    if (!isJsonObject(initial)) throw new HttpError(400, '"initialParameters" must be an object');
    if (!ctx.createPeer)
      throw new HttpError(503, 'WebRTC media is not available in this build (runtime/media did not load)');
    const sdp = body.sdp as string;
    const offerAt = performance.now();
    // Offers the cloud relay forwards are traced by the relay under its own connection id.
    const traced = req.headers['x-patchbay-relay'] === undefined;

    let runtime: RuntimeEntry;
    let owns = true;
    if (initial.patchbay_session !== undefined) {
      // The editor's own session: its patch came over the /api/v1/runtime WebSocket.
      if (typeof initial.patchbay_session !== 'string')
        throw new HttpError(400, '"patchbay_session" must be a string');
      const existing = ctx.sessions.runtime(initial.patchbay_session);
      if (!existing || existing.kind !== 'editor')
        throw new HttpError(
          404,
          `no editor session "${initial.patchbay_session}" (open the /api/v1/runtime WebSocket first)`,
        );
      runtime = existing;
      owns = false;
      if (existing.session.state() === 'idle') await existing.session.start();
    } else {
      const textMode = initial.input_mode === 'text' || offerIsTextMode(sdp);
      let patch: Patch | null = patchFromRequest(initial);
      if (!patch) {
        const loaded = ctx.pipelines.loaded();
        if (!loaded) throw new HttpError(400, 'Pipeline not loaded');
        patch = patchFromPipelines({
          pipelineIds: loaded.map((p) => p.pipeline_id),
          nodeIds: loaded.map((p) => p.node_id),
          loadParams: loaded[0]?.load_params,
          inputMode: textMode ? 'text' : 'video',
        });
      }
      try {
        runtime = await ctx.sessions.createRuntime('webrtc', patch);
      } catch (error) {
        const message = `the session could not start: ${(error as Error).message}`;
        if (traced)
          ctx.sessions.offerFailed(
            message,
            patch.nodes.flatMap((n) =>
              n.type === 'pipeline' && typeof n.params.pipeline_id === 'string' ? [n.params.pipeline_id] : [],
            ),
          );
        throw new HttpError(400, message);
      }
    }

    let answer: Awaited<ReturnType<NonNullable<ServerContext['createPeer']>>>;
    try {
      answer = await ctx.createPeer(sdp, {
        outputs: runtime.session.plan()?.outputTracks.length ?? 1,
        log: ctx.log,
      });
    } catch (error) {
      if (owns) await ctx.sessions.closeRuntime(runtime.id, 'offer refused');
      const message = `the offer could not be answered: ${(error as Error).message}`;
      if (traced) ctx.sessions.offerFailed(message, pipelineIdsOf(runtime.session));
      throw new HttpError(400, message);
    }
    const sessionId = ctx.sessions.attachPeer(
      runtime,
      answer.peer,
      owns,
      undefined,
      traced ? { offerAt } : null,
    );
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(initial)) if (!SESSION_KEYS.has(k)) params[k] = v;
    if (Object.keys(params).length) {
      const { ignored } = ctx.sessions.setParameters(runtime, params);
      for (const [key, reason] of Object.entries(ignored))
        ctx.log(`initialParameters: ignored "${key}": ${reason}`);
    }
    return { sdp: answer.answerSdp, type: 'answer', sessionId };
  });

  app.patch('/api/v1/webrtc/offer/:sessionId', async (req, reply) => {
    const { sessionId } = req.params as { sessionId: string };
    const peer = ctx.sessions.peer(sessionId);
    if (!peer) throw new HttpError(404, `unknown session "${sessionId}"`);
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    if (!Array.isArray(body.candidates) || body.candidates.length > 64)
      throw new HttpError(400, '"candidates" must be a list of at most 64 candidates');
    const candidates = body.candidates.map(validCandidate);
    for (const c of candidates) {
      try {
        await peer.addIceCandidate(c);
      } catch (error) {
        // One bad candidate must not break the session; the client learns which one.
        throw new HttpError(
          400,
          `candidate "${c.candidate.slice(0, 80)}" was refused: ${(error as Error).message}`,
        );
      }
    }
    return reply.code(204).send();
  });

  app.delete('/api/v1/webrtc/offer/:sessionId', async (req, reply) => {
    const { sessionId } = req.params as { sessionId: string };
    if (!ctx.sessions.peer(sessionId)) throw new HttpError(404, `unknown session "${sessionId}"`);
    await ctx.sessions.closePeer(sessionId, 'closed by the client (DELETE)');
    return reply.code(204).send();
  });
}
