/**
 * The editor's WebSocket `/api/v1/runtime`: one editor session per connection. The editor sends
 * its patch and live edits; the runtime streams state, diagnostics, per-node stats and errors.
 * WebRTC media attaches to this session with `initialParameters.patchbay_session` (README).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { EditResult } from '../engine';
import type { PatchChange, RuntimeClientMessage, RuntimeServerMessage } from '../protocol';
import { HttpError, type ServerContext } from './context';
import { isJsonObject, parseUntrustedJson } from '../json';
import { validatedPatch } from './routes/patch-input';
import {
  mergeParamChanges,
  onlyParamChanges,
  rateLimitedWarning,
  TokenBucket,
  type ParamsChange,
} from '../guards';
import { tokenMatches } from './security';
import type { RuntimeEntry } from './sessions';

const MAX_CHANGES = 1000;

/**
 * Checks the envelope of a patch change list; each change is checked by patches' applyChanges,
 * which refuses a bad one with its index and reason.
 */
export function changesProblem(changes: unknown): string | null {
  if (!Array.isArray(changes)) return '"changes" must be a list';
  if (changes.length > MAX_CHANGES) return `at most ${MAX_CHANGES} changes per message`;
  return null;
}

export function runtimeSocketRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/api/v1/runtime',
    {
      websocket: true,
      // Runs before the upgrade: a refused token gets a plain 401 and no socket.
      preValidation: async (req) => {
        const query = req.query as Record<string, unknown>;
        const token = query.token;
        if (!tokenMatches(typeof token === 'string' ? token : null, ctx.token))
          throw new HttpError(
            401,
            'the runtime WebSocket needs ?token= (the patchbay-token meta tag of the served editor page)',
          );
        if (query.clock !== undefined && query.clock !== 'real' && query.clock !== 'fixed')
          throw new HttpError(400, '?clock= must be "real" or "fixed"');
        if (query.frames !== undefined && query.frames !== 'hash')
          throw new HttpError(400, '?frames= must be "hash" (a hash of every output frame)');
      },
    },
    (socket, req) => {
      const query = req.query as Record<string, unknown>;
      handleSocket(socket, ctx, {
        clockMode: query.clock === 'fixed' || query.clock === 'real' ? query.clock : undefined,
        frameHashes: query.frames === 'hash',
      });
    },
  );
}

/** Per-socket choices from the upgrade URL (the player's `?clock=fixed`, `?frames=hash`). */
interface SocketOptions {
  /** Clock of this socket's session; the server's default when absent. */
  clockMode: 'real' | 'fixed' | undefined;
  /** Send `{type:"frame", node, t, seq, hash}` for every output frame the runtime produces. */
  frameHashes: boolean;
}

/**
 * A hash of an output frame's pixels (I420 planes and size), so scripts can compare the frames
 * the runtime produced (WebRTC encoding in between is not deterministic).
 */
export function frameHash(frame: { width: number; height: number; data: Uint8Array }): string {
  return createHash('sha256')
    .update(`${frame.width}x${frame.height}:`)
    .update(frame.data)
    .digest('hex')
    .slice(0, 32);
}

function handleSocket(socket: WebSocket, ctx: ServerContext, options: SocketOptions): void {
  const id = randomUUID();
  const log = (line: string) => ctx.log(`[ws ${id.slice(0, 8)}] ${line}`);
  let runtime: RuntimeEntry | null = null;
  let creating: Promise<RuntimeEntry> | null = null;
  const unsubscribe: (() => void)[] = [];
  let closed = false;
  let queue: Promise<void> = Promise.resolve();

  const send = (msg: RuntimeServerMessage) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
  };
  const peerId = () => (runtime ? ([...runtime.peers][0] ?? null) : null);
  const sendState = () => {
    if (!runtime) return send({ type: 'state', state: 'idle', revision: 0, webrtcSessionId: null });
    send({
      type: 'state',
      state: runtime.session.state(),
      revision: runtime.session.revision(),
      webrtcSessionId: peerId(),
    });
  };
  const ack = (requestId: string | undefined, ok: boolean, error?: string) => {
    send({
      type: 'ack',
      requestId: requestId ?? '',
      ok,
      ...(error ? { error } : {}),
      revision: runtime?.session.revision() ?? 0,
    });
  };

  /** The ack of an edit: applied with the revision it made, or refused with each reason. */
  const editAck = (requestId: string | undefined, r: EditResult, baseRevision?: number) => {
    send({
      type: 'ack',
      requestId: requestId ?? '',
      ok: r.ok,
      ...(r.ok ? {} : { error: r.errors.map((e) => e.message).join('; ') }),
      revision: r.revision,
      ...(baseRevision !== undefined ? { baseRevision } : {}),
      ...(r.refused?.length ? { refused: r.refused } : {}),
      ...(r.live ? { live: true } : {}),
    });
  };

  const subscribe = (entry: RuntimeEntry) => {
    const s = entry.session;
    unsubscribe.push(
      s.on('state', ({ state, error }) =>
        send({
          type: 'state',
          state,
          ...(error ? { error } : {}),
          revision: s.revision(),
          webrtcSessionId: peerId(),
        }),
      ),
      s.on('diagnostics', (d) => send({ type: 'diagnostics', errors: d.errors, revision: d.revision })),
      s.on('stats', (st) => send({ type: 'stats', nodes: st.nodes, t: st.t })),
      s.on('node.error', (e) =>
        send({ type: 'node.error', node: e.node, message: e.message, recoverable: e.recoverable }),
      ),
      s.on('changes', (c) => {
        if (c.origin === 'parameters')
          send({ type: 'patch.changes', changes: c.changes, revision: c.revision, origin: c.origin });
      }),
      s.on('timeline', (t) =>
        send({ type: 'timeline', node: t.node, time: t.time, playing: t.playing, entry: t.entry }),
      ),
    );
    if (options.frameHashes)
      unsubscribe.push(
        s.onOutputFrame((index, frame) => {
          const node = s.plan()?.outputTracks.find((o) => o.index === index)?.node;
          if (!node) return;
          send({ type: 'frame', node, t: frame.timestampMs, seq: frame.seq, hash: frameHash(frame) });
        }),
      );
  };

  const handle = async (msg: RuntimeClientMessage & Record<string, unknown>): Promise<void> => {
    switch (msg.type) {
      case 'ping':
        send({ type: 'pong', t: typeof msg.t === 'number' ? msg.t : 0 });
        return;
      case 'patch.load': {
        const patch = validatedPatch(msg.patch, '"patch"');
        if (!runtime) {
          creating ??= ctx.sessions.createIdleRuntime('editor', patch, id, options.clockMode);
          runtime = await creating;
          if (closed) return void (await ctx.sessions.closeRuntime(id, 'socket closed'));
          subscribe(runtime);
          send({
            type: 'diagnostics',
            errors: runtime.session.diagnostics(),
            revision: runtime.session.revision(),
          });
          return ack(msg.requestId, true);
        }
        return editAck(msg.requestId, await runtime.session.load(patch));
      }
      case 'patch.change': {
        if (!runtime) return ack(msg.requestId, false, 'send "patch.load" first');
        const problem = changesProblem(msg.changes);
        if (problem) return ack(msg.requestId, false, problem);
        const r = await runtime.session.applyChanges(msg.changes as PatchChange[]);
        return editAck(msg.requestId, r, typeof msg.revision === 'number' ? msg.revision : undefined);
      }
      case 'session.start':
        if (!runtime) return ack(msg.requestId, false, 'send "patch.load" first');
        await runtime.session.start();
        return ack(
          msg.requestId,
          runtime.session.state() !== 'error',
          runtime.session.state() === 'error' ? 'the session did not start; see diagnostics' : undefined,
        );
      case 'session.stop':
        if (runtime) await runtime.session.stop();
        return ack(msg.requestId, true);
      case 'timeline.play':
      case 'timeline.pause':
      case 'timeline.seek': {
        if (!runtime || typeof msg.node !== 'string')
          return ack(undefined, false, `${msg.type} needs a loaded patch and a "node"`);
        if (msg.type === 'timeline.play') runtime.session.timelinePlay(msg.node);
        else if (msg.type === 'timeline.pause') runtime.session.timelinePause(msg.node);
        else if (typeof msg.time === 'number' && Number.isFinite(msg.time))
          runtime.session.timelineSeek(msg.node, msg.time);
        else return ack(undefined, false, 'timeline.seek needs a finite "time"');
        return;
      }
      default: {
        const unknown = msg as Record<string, unknown>;
        return ack(
          typeof unknown.requestId === 'string' ? unknown.requestId : undefined,
          false,
          `unknown message type "${String(unknown.type)}"`,
        );
      }
    }
  };

  send({ type: 'hello', version: ctx.opts.version, sessionId: id });
  sendState();

  // Rate limit per socket: the excess is dropped and counted; one warning per flood; a dropped
  // request still gets its ack (ok: false) so no client waits forever.
  const bucket = new TokenBucket(ctx.opts.limits.wsMessagesPerSecond, ctx.opts.limits.wsMessagesBurst);
  let warned = false;
  // node.params-only patch.change messages waiting in the queue: merged, applied once.
  let pendingParams: { changes: ParamsChange[]; requestIds: (string | undefined)[] } | null = null;

  socket.on('message', (data, isBinary) => {
    if (!bucket.take()) {
      ctx.sessions.countDropped('runtime_ws');
      if (!warned) {
        warned = true;
        log('rate limit reached; dropping the excess');
        send(rateLimitedWarning('runtime WebSocket'));
      }
      const rid = /"requestId"\s*:\s*"([^"\\]{0,200})"/.exec(data.toString().slice(0, 4096))?.[1];
      if (rid !== undefined) ack(rid, false, 'rate limited: message dropped');
      return;
    }
    if (warned && bucket.full()) warned = false;
    if (isBinary) return ack(undefined, false, 'binary messages are not accepted; send JSON text');
    let msg: unknown;
    try {
      msg = parseUntrustedJson(data.toString(), { maxBytes: ctx.opts.maxWsPayloadBytes, what: 'message' });
    } catch (error) {
      log(`ignored message: ${(error as Error).message}`);
      return ack(undefined, false, (error as Error).message);
    }
    if (!isJsonObject(msg) || typeof msg.type !== 'string')
      return ack(undefined, false, 'a message is a JSON object with a "type"');
    const requestId = typeof msg.requestId === 'string' ? msg.requestId.slice(0, 200) : undefined;
    if (msg.type === 'patch.change' && msg.revision === undefined && onlyParamChanges(msg.changes)) {
      // Live parameters: merged with those still waiting, so a flood costs one apply.
      if (pendingParams) {
        mergeParamChanges(pendingParams.changes, msg.changes);
        pendingParams.requestIds.push(requestId);
        return;
      }
      const batch: { changes: ParamsChange[]; requestIds: (string | undefined)[] } = {
        changes: [],
        requestIds: [requestId],
      };
      mergeParamChanges(batch.changes, msg.changes);
      pendingParams = batch;
      queue = queue
        .then(async () => {
          if (pendingParams === batch) pendingParams = null;
          if (!runtime) return batch.requestIds.forEach((r) => ack(r, false, 'send "patch.load" first'));
          const r = await runtime.session.applyChanges(batch.changes as PatchChange[]);
          const error = r.ok ? undefined : r.errors.map((e) => e.message).join('; ');
          for (const rid of batch.requestIds) ack(rid, r.ok, error);
        })
        .catch((error: unknown) => {
          log(`parameter changes failed: ${(error as Error).message}`);
          for (const rid of batch.requestIds) ack(rid, false, (error as Error).message);
        });
      return;
    }
    // Later parameter messages must not be merged into a batch queued before this one.
    pendingParams = null;
    // One message at a time, in order: edits depend on the previous ones.
    queue = queue
      .then(() => handle({ ...(msg as RuntimeClientMessage & Record<string, unknown>), requestId }))
      .catch((error: unknown) => {
        log(`message "${String((msg as Record<string, unknown>).type)}" failed: ${(error as Error).message}`);
        ack(requestId, false, (error as Error).message);
      });
  });

  socket.on('close', () => {
    closed = true;
    for (const u of unsubscribe) u();
    void queue.then(() => ctx.sessions.closeRuntime(id, 'editor disconnected'));
  });
  socket.on('error', (error) => log(`socket error: ${error.message}`));
}
