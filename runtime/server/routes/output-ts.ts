/**
 * `GET /api/v1/session/output.ts[?sink_node_id=]`: the running session's output as a live
 * MPEG-TS stream (Scope's mcp_router `stream_headless_output_ts`), for viewers without WebRTC:
 * `ffplay http://127.0.0.1:8000/api/v1/session/output.ts`. The headless session first, as in
 * Scope; failing that the newest WebRTC or editor session. The Output is the first one unless
 * `sink_node_id` names another. Encoding and muxing: runtime/media's MpegTsStream (node-av).
 * The stream ends when the viewer disconnects, the session closes, or the output changes size.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { registry, showsResult, type VideoFrame } from '../../../nodes';
import type { RuntimeSession } from '../../engine/api';
import { MpegTsStream } from '../../media/mpegts';
import { HttpError, type ServerContext } from '../context';
import { HEADLESS_ID } from './headless';

type SinkSession = RuntimeSession & {
  onSinkFrame?: (cb: (node: string, frame: VideoFrame) => void) => () => void;
};

/** Bytes a slow viewer may fall behind before frames are skipped for it. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export function outputTsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const open = new Set<MpegTsStream>();

  app.get('/api/v1/session/output.ts', async (req, reply) => {
    const sink = (req.query as Record<string, unknown>).sink_node_id;
    if (sink !== undefined && typeof sink !== 'string')
      throw new HttpError(400, 'sink_node_id must be a string');
    const entry =
      ctx.sessions.runtime(HEADLESS_ID) ??
      ctx.sessions.runtimesOf('webrtc').at(-1) ??
      ctx.sessions.runtimesOf('editor').at(-1);
    if (!entry) throw new HttpError(404, 'No active headless session');
    const session = entry.session as SinkSession;
    const outputs = (session.plan()?.nodes ?? [])
      .filter((n) => showsResult(registry.get(n.type)))
      .map((n) => n.id);
    const node = sink || outputs[0];
    if (!node || !session.patch().nodes.some((n) => n.id === node))
      throw new HttpError(
        404,
        sink ? `no node "${sink.slice(0, 100)}" in the session` : 'the session has no Output',
      );
    if (!session.onSinkFrame) throw new HttpError(503, 'this session does not hand out its output frames');

    const body = new PassThrough();
    const unsubs: (() => void)[] = [];
    const stop = (reason: string) => {
      for (const u of unsubs.splice(0)) u();
      open.delete(ts);
      ts.close(reason);
      body.end();
    };
    const ts = new MpegTsStream({
      onData: (chunk) => {
        body.write(chunk);
      },
      onEnd: (reason) => {
        ctx.log(`[output.ts] ${entry.id.slice(0, 8)} ${node}: stream ended: ${reason}`);
        stop(reason);
      },
    });
    open.add(ts);
    unsubs.push(
      session.onSinkFrame((n, frame) => {
        // A viewer that reads slower than the stream is produced skips frames, not memory.
        if (n === node && body.writableLength < MAX_BUFFERED) ts.push(frame);
      }),
      ctx.sessions.onRuntimeClosed((id) => {
        if (id === entry.id) stop('the session closed');
      }),
    );
    req.raw.on('close', () => stop('the viewer disconnected'));
    // The last frame at once, so a viewer of a paused or slow session sees a picture.
    const last = session.latestFrame(node);
    if (last) ts.push(last);
    return reply
      .type('video/mp2t')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  app.addHook('onClose', async () => {
    for (const ts of [...open]) ts.close('server shutting down');
  });
}
