/**
 * Video I/O endpoints: Scope's recordings (`/api/v1/recordings/{sessionId}/start|stop`, and
 * GET for the latest file; `headless` names the headless session, other ids a runtime or a
 * WebRTC session). The recorder lives in runtime/io; NDI discovery is in ./input-sources.ts.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registry, showsResult, type VideoFrame } from '../../../nodes';
import type { RuntimeSession } from '../../engine/api';
import { serializePatch } from '../../../patches';
import {
  PATCH_TAG,
  patchTags,
  prefixProblem,
  probeClip,
  Recorder,
  RECORD_FORMATS,
  type RecordFormat,
  type RecordingSummary,
} from '../../io';
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
  const finished = new Map<string, RecordingSummary[]>();

  const find = (id: string): RuntimeEntry => {
    const entry = ctx.sessions.runtime(id) ?? ctx.sessions.runtimeOfPeer(id);
    if (!entry) throw new HttpError(404, `no session "${id.slice(0, 100)}" is running`);
    return entry;
  };

  const finish = (id: string): RecordingSummary | null => {
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
    const format = body.format ?? 'webm';
    if (typeof format !== 'string' || !RECORD_FORMATS.includes(format as RecordFormat))
      throw new HttpError(400, `"format" must be one of ${RECORD_FORMATS.join(', ')}`);
    const recorder = new Recorder({
      dir: ctx.opts.recordingsDir,
      prefix,
      format: format as RecordFormat,
      metadata: () => {
        try {
          return patchTags(serializePatch(session.patch()));
        } catch {
          return undefined;
        }
      },
      log: ctx.log,
    });
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
    return sendFile(req, reply, file.path);
  });

  // Every finished recording in the recordings folder (Record nodes, Output `record`, the API),
  // newest first, with what is in it: the editor's recordings list.
  app.get('/api/v1/recordings', async () => {
    const dir = ctx.opts.recordingsDir;
    let names: string[];
    try {
      // `.part`: a file being written (Record nodes rename it when finished).
      names = readdirSync(dir).filter((n) => RECORDING_RE.test(n.replace(/\.part$/, '')));
    } catch {
      names = [];
    }
    const rows = names
      .map((name) => {
        try {
          const st = statSync(join(dir, name));
          return st.isFile() ? { name, bytes: st.size, modified: st.mtimeMs } : null;
        } catch {
          return null;
        }
      })
      .filter((r): r is { name: string; bytes: number; modified: number } => r !== null)
      .sort((x, y) => y.modified - x.modified)
      .slice(0, 200);
    const recording = new Set([...active.values()].map((r) => r.recorder.currentPath).filter(Boolean));
    return {
      recordings: rows.map((r) => {
        const partial = r.name.endsWith('.part');
        const info = partial ? null : probeQuietly(join(dir, r.name));
        return {
          name: r.name,
          url: partial ? null : `/api/v1/recordings/files/${encodeURIComponent(r.name)}`,
          bytes: r.bytes,
          modified: new Date(r.modified).toISOString(),
          mime: mimeOf(r.name.replace(/\.part$/, '')),
          codec: info?.codec ?? null,
          width: info?.width ?? null,
          height: info?.height ?? null,
          duration_ms: info?.durationMs ?? null,
          has_patch: info ? Object.keys(info.tags).some((k) => k.toLowerCase() === PATCH_TAG) : false,
          recording: partial || recording.has(join(dir, r.name)),
        };
      }),
    };
  });

  app.get('/api/v1/recordings/files/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    if (!RECORDING_RE.test(name) || basename(name) !== name)
      throw new HttpError(
        400,
        'a recording name is a file name in the recordings folder (.webm, .mp4 or .mov)',
      );
    const path = join(ctx.opts.recordingsDir, name);
    if (!existsSync(path)) throw new HttpError(404, `no recording "${name.slice(0, 100)}"`);
    const download = (req.query as Record<string, unknown>).download !== undefined;
    if (download) reply.header('content-disposition', `attachment; filename="${name}"`);
    return sendFile(req, reply, path, !download);
  });

  app.addHook('onClose', async () => {
    for (const id of [...active.keys()]) finish(id);
  });
}

/** The Content-Type of a recording by its extension. */
export function mimeOf(path: string): string {
  if (path.endsWith('.mp4')) return 'video/mp4';
  if (path.endsWith('.mov')) return 'video/quicktime';
  return 'video/webm';
}

/** Finished recordings: letters, digits, space, dot, dash, underscore; a recording extension. */
const RECORDING_RE = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,200}\.(webm|mp4|mov)$/;

function probeQuietly(path: string): ReturnType<typeof probeClip> | null {
  try {
    return probeClip(path);
  } catch {
    return null;
  }
}

/** Streams a file with byte ranges (206/416), as Chromium's <video> asks. */
function sendFile(req: FastifyRequest, reply: FastifyReply, path: string, inline = true): FastifyReply {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new HttpError(410, `the recording ${basename(path)} was removed from the recordings folder`);
  }
  reply.header('accept-ranges', 'bytes').header('cache-control', 'no-store').type(mimeOf(path));
  if (inline) reply.header('content-disposition', `inline; filename="${basename(path)}"`);
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
    return reply.send(createReadStream(path, { start, end }));
  }
  reply.header('content-length', size);
  return reply.send(createReadStream(path));
}
