/**
 * Video I/O endpoints: Scope's recordings (`/api/v1/recordings/{sessionId}/start|stop`, and
 * GET for the latest file; `headless` names the headless session, other ids a runtime or a
 * WebRTC session). The recorder lives in runtime/io; NDI discovery is in ./input-sources.ts.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registry, showsResult, type VideoFrame } from '../../../nodes';
import type { RuntimeSession } from '../../engine/api';
import { prefixProblem, Recorder, type WebmSummary } from '../../io';
import { HttpError, jsonBody, type ServerContext } from '../context';
import type { RuntimeEntry } from '../sessions';

interface ActiveRecording {
  recorder: Recorder;
  node: string;
  unsubscribe: (() => void)[];
}

type SinkSession = RuntimeSession & {
  onSinkFrame?: (cb: (node: string, frame: VideoFrame) => void) => () => void;
};

export function ioRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const active = new Map<string, ActiveRecording>();
  const finished = new Map<string, WebmSummary[]>();

  const find = (id: string): RuntimeEntry => {
    const entry = ctx.sessions.runtime(id) ?? ctx.sessions.runtimeOfPeer(id);
    if (!entry) throw new HttpError(404, `no session "${id.slice(0, 100)}" is running`);
    return entry;
  };

  const finish = (id: string): WebmSummary | null => {
    const rec = active.get(id);
    if (!rec) return null;
    active.delete(id);
    for (const u of rec.unsubscribe) u();
    const file = rec.recorder.stop();
    if (file) {
      const list = finished.get(id) ?? [];
      list.push(file);
      finished.set(id, list);
      ctx.log(
        `[recordings] ${id.slice(0, 8)}: ${file.path} (${file.frames} frames, ${Math.round(file.durationMs)} ms)`,
      );
    }
    return file;
  };

  app.post('/api/v1/recordings/:sessionId/start', async (req) => {
    const { sessionId } = req.params as { sessionId: string };
    const body = jsonBody(req, { optional: true, maxBytes: ctx.opts.maxJsonBytes });
    const entry = find(sessionId);
    if (active.has(sessionId)) throw new HttpError(409, `session "${sessionId}" is already recording`);
    const session = entry.session as SinkSession;
    // Nodes whose frames reach the sink listeners: Outputs and Record nodes.
    const outputs = session.plan()?.nodes.filter((n) => n.category === 'sink') ?? [];
    const wanted = body.node_id;
    if (wanted !== undefined && typeof wanted !== 'string')
      throw new HttpError(400, '"node_id" must be a string');
    const node = wanted ?? outputs.find((n) => showsResult(registry.get(n.type)))?.id ?? outputs[0]?.id;
    if (!node) throw new HttpError(400, 'the session has no Output node to record');
    if (!outputs.some((n) => n.id === node))
      throw new HttpError(404, `no Output or Record node "${node}" in the session`);
    const prefix = body.filename === undefined ? `recording-${sessionId.slice(0, 8)}` : body.filename;
    if (typeof prefix !== 'string') throw new HttpError(400, '"filename" must be a string');
    const problem = prefixProblem(prefix);
    if (problem) throw new HttpError(400, problem);
    if (!session.onSinkFrame)
      throw new HttpError(501, 'this session type does not hand out frames for recording');
    const recorder = new Recorder({ dir: ctx.opts.recordingsDir, prefix, log: ctx.log });
    recorder.start();
    const rec: ActiveRecording = { recorder, node, unsubscribe: [] };
    rec.unsubscribe.push(
      session.onSinkFrame((from, frame) => {
        if (from === node) recorder.send(frame);
      }),
      // A session that stops finishes its file, so it is playable.
      session.on('state', ({ state }) => {
        if (state === 'stopping' || state === 'idle' || state === 'error') finish(sessionId);
      }),
    );
    active.set(sessionId, rec);
    return { status: 'ok', session_id: sessionId, node_id: node, recording: true };
  });

  app.post('/api/v1/recordings/:sessionId/stop', async (req) => {
    const { sessionId } = req.params as { sessionId: string };
    if (!active.has(sessionId))
      throw new HttpError(404, `session "${sessionId.slice(0, 100)}" is not recording`);
    const file = finish(sessionId);
    if (!file)
      return {
        status: 'ok',
        recording: false,
        message: 'no frame arrived while recording; no file was written',
      };
    return {
      status: 'ok',
      recording: false,
      file: basename(file.path),
      frames: file.frames,
      duration_ms: file.durationMs,
      width: file.width,
      height: file.height,
      bytes: file.bytes,
    };
  });

  app.get('/api/v1/recordings/:sessionId', async (req, reply) => {
    const { sessionId } = req.params as { sessionId: string };
    const file = finished.get(sessionId)?.at(-1);
    if (!file) {
      const why = active.has(sessionId) ? 'is still recording: stop it first' : 'has no finished recording';
      throw new HttpError(404, `session "${sessionId.slice(0, 100)}" ${why}`);
    }
    let size: number;
    try {
      size = statSync(file.path).size;
    } catch {
      throw new HttpError(410, `the recording ${basename(file.path)} was removed from the recordings folder`);
    }
    reply.header('accept-ranges', 'bytes').header('cache-control', 'no-store').type('video/webm');
    reply.header('content-disposition', `inline; filename="${basename(file.path)}"`);
    // Range support: Chromium's <video> asks for byte ranges.
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] || range[2])) {
      let start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      let end = range[1] && range[2] ? Number(range[2]) : size - 1;
      end = Math.min(end, size - 1);
      if (start > end || start >= size) {
        return reply.code(416).header('content-range', `bytes */${size}`).send();
      }
      start = Math.max(0, start);
      reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${size}`)
        .header('content-length', end - start + 1);
      return reply.send(createReadStream(file.path, { start, end }));
    }
    reply.header('content-length', size);
    return reply.send(createReadStream(file.path));
  });

  app.addHook('onClose', async () => {
    for (const id of [...active.keys()]) finish(id);
  });
}
