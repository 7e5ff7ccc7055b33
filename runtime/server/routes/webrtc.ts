/**
 * Scope's WebRTC signalling: ICE servers, the offer (one peer per session), trickle ICE by PATCH
 * and DELETE. The offer decides which runtime the media attaches to (see README "Sessions").
 */
import type { FastifyInstance } from 'fastify';
import { registry } from '../../../nodes';
import { patchFromPipelines, type Patch } from '../../../patches';
import { HttpError, jsonBody, TooManyRequests, type ServerContext } from '../context';
import type { IceCandidateInit } from '../deps';
import { isJsonObject } from '../../json';
import { offerIsTextMode, sdpProblem } from '../../media/sdp-offer';
import { WindowCounter } from '../../guards';
import { sdpSecurityProblem } from '../sdp-guard';
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

/** `initialParameters.pipeline_ids` (Scope): the pipelines this session runs, in order. */
function pipelineIdsParam(v: unknown): string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0 || v.length > 16)
    throw new HttpError(400, '"initialParameters.pipeline_ids" must list 1 to 16 pipeline ids');
  return v.map((id, i) => {
    if (typeof id !== 'string' || !/^[A-Za-z0-9_.:\-/]{1,1024}$/.test(id))
      throw new HttpError(400, `"initialParameters.pipeline_ids[${i}]" must be a pipeline id string`);
    return id;
  });
}

export function webrtcRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { limits } = ctx.opts;
  const offersPerClient = new WindowCounter(limits.offersPerMinute, 60_000);
  // Offers accepted but not yet attached (answering takes a while): counted against the caps.
  let inFlight = 0;
  const inFlightOf = new Map<string, number>();

  app.get('/api/v1/webrtc/ice-servers', async () => ({ iceServers: ctx.opts.iceServers }));

  app.post('/api/v1/webrtc/offer', async (req) => {
    // A relayed offer is its relay connection's; everything else is keyed by address.
    const relayConnection = req.headers['x-patchbay-relay-connection'];
    const client =
      req.headers['x-patchbay-relay'] !== undefined && typeof relayConnection === 'string'
        ? `relay:${relayConnection}`
        : req.ip;
    if (!offersPerClient.hit(client)) {
      const wait = Math.ceil(offersPerClient.retryAfterMs(client) / 1000);
      throw new TooManyRequests(
        `too many offers: at most ${limits.offersPerMinute} per minute from one client; try again in ${wait} s`,
        wait,
      );
    }
    if (ctx.sessions.metrics().peers + inFlight >= limits.maxWebrtcSessions)
      throw new TooManyRequests(
        `too many WebRTC sessions: this runtime serves at most ${limits.maxWebrtcSessions} at once; close one (DELETE /api/v1/webrtc/offer/{id}) or wait for an unconnected one to time out (${Math.round(limits.connectTimeoutMs / 1000)} s)`,
        Math.ceil(limits.connectTimeoutMs / 1000),
      );
    const pending = ctx.sessions.pendingOf(client) + (inFlightOf.get(client) ?? 0);
    if (pending >= limits.maxPendingPerClient)
      throw new TooManyRequests(
        `too many offers still connecting: at most ${limits.maxPendingPerClient} per client; connect (or DELETE) those first — an offer that does not connect is closed after ${Math.round(limits.connectTimeoutMs / 1000)} s`,
        Math.ceil(limits.connectTimeoutMs / 1000),
      );
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes });
    const problem = sdpProblem(body.sdp) ?? sdpSecurityProblem(body.sdp as string);
    if (problem) throw new HttpError(400, problem);
    if (body.type !== undefined && body.type !== 'offer') throw new HttpError(400, '"type" must be "offer"');
    const initial = body.initialParameters ?? {};
    if (!isJsonObject(initial)) throw new HttpError(400, '"initialParameters" must be an object');
    if (!ctx.createPeer)
      throw new HttpError(503, 'WebRTC media is not available in this build (runtime/media did not load)');
    const sdp = body.sdp as string;
    const offerAt = performance.now();
    inFlight++;
    inFlightOf.set(client, (inFlightOf.get(client) ?? 0) + 1);
    try {
      return await answerOffer(sdp, initial, offerAt, req.headers['x-patchbay-relay'] === undefined, client);
    } finally {
      inFlight--;
      const left = (inFlightOf.get(client) ?? 1) - 1;
      if (left > 0) inFlightOf.set(client, left);
      else inFlightOf.delete(client);
    }
  });

  const answerOffer = async (
    sdp: string,
    initial: Record<string, unknown>,
    offerAt: number,
    traced: boolean,
    client: string,
  ): Promise<{ sdp: string; type: 'answer'; sessionId: string }> => {
    // Offers the cloud relay forwards are traced by the relay under its own connection id.
    const createPeer = ctx.createPeer;
    if (!createPeer) throw new HttpError(503, 'WebRTC media is not available in this build');
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
      const requested = patch ? null : pipelineIdsParam(initial.pipeline_ids);
      if (requested) {
        // Scope's pipeline_ids name this session's pipelines; the loaded ones lend their
        // load params when they are the same pipelines.
        const loaded = ctx.pipelines.loaded();
        const same =
          loaded?.length === requested.length && loaded.every((p, i) => p.pipeline_id === requested[i]);
        patch = patchFromPipelines({
          pipelineIds: requested,
          ...(same ? { nodeIds: loaded.map((p) => p.node_id), loadParams: loaded[0]?.load_params } : {}),
          inputMode: textMode ? 'text' : 'video',
        });
      } else if (!patch) {
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
              registry.get(n.type)?.category === 'pipeline' && typeof n.params.pipeline_id === 'string'
                ? [n.params.pipeline_id]
                : [],
            ),
          );
        throw new HttpError(400, message);
      }
    }

    let answer: Awaited<ReturnType<NonNullable<ServerContext['createPeer']>>>;
    try {
      answer = await createPeer(sdp, {
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
      client,
    );
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(initial)) if (!SESSION_KEYS.has(k)) params[k] = v;
    if (Object.keys(params).length) {
      const { ignored } = ctx.sessions.setParameters(runtime, params);
      for (const [key, reason] of Object.entries(ignored))
        ctx.log(`initialParameters: ignored "${key}": ${reason}`);
    }
    return { sdp: answer.answerSdp, type: 'answer', sessionId };
  };

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
