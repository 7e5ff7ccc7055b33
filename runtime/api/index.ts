/**
 * Patchbay's public JavaScript API (`import { openPatch, startRuntime } from 'patchbay'`):
 * load or build a patch in code, run it headless or served, change params live, read stats, get
 * frames. Everything here is a thin layer over the same runtime `patchbay serve` and
 * `patchbay play` use (parsePatch + compile checks, createSession, createServer).
 *
 * @example
 * import { openPatch, startRuntime } from 'patchbay';
 * const patch = await openPatch('show.patch');          // or openPatch({ format: 'patchbay', … })
 * const rt = await startRuntime(patch, { clock: 'fixed' });
 * rt.setParams('gray', { strength: 0.5 });
 * const frame = await rt.nextFrame();                    // I420 VideoFrame of the first Output
 * console.log(rt.stats());                               // per-node fps, latency, drops
 * await rt.stop();
 *
 * const served = await startRuntime(patch, { serve: { port: 0 } });
 * console.log(served.url);                               // the editor, Scope's API, /docs, /metrics
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { i420ToRgba, registry, showsResult, type VideoFrame } from '../../nodes';
import { parsePatch, patchErrors, type Patch, type PatchIssue } from '../../patches';
import { checkPatch, readPatchFile } from '../cli/commands/validate';
import { engineMetrics } from '../engine';
import { hostProbe } from '../host';
import { createLogger, lineLog, type Logger } from '../logging';
import type { NodeStats, PatchChange } from '../protocol';
import { createServer, type PatchbayServer } from '../server';
import { mediaPeerFactory } from '../server/media';
import { createSession, type EngineSession } from '../session';

export type { Patch, PatchIssue } from '../../patches';
export type { VideoFrame } from '../../nodes';
export type { NodeStats, PatchChange } from '../protocol';
export { i420ToRgba };

/** A patch that does not load: every problem with its JSON path. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(`${message}:\n  ${problems.join('\n  ')}`);
    this.name = 'PatchError';
  }
}

export interface OpenedPatch {
  patch: Patch;
  /** Non-fatal findings (unknown params, nodes disabled on this host), as `validate` prints them. */
  warnings: string[];
}

/**
 * Loads a patch from a `.patch` file path, JSON text, or an object (a patch built in code), with
 * the runtime's guards (size, depth, migrations, params, edges) and a compile check; throws a
 * PatchError listing every problem.
 */
export async function openPatch(source: string | object): Promise<Patch> {
  return (await openPatchWithWarnings(source)).patch;
}

/** openPatch, also returning the warnings. */
export async function openPatchWithWarnings(source: string | object): Promise<OpenedPatch> {
  let name = 'patch';
  let input: string | object = source;
  if (typeof source === 'string' && !source.trimStart().startsWith('{')) {
    name = source;
    const read = await readPatchFile(source);
    if (!read.ok) throw new PatchError(`cannot open ${source}`, [read.message]);
    input = read.text;
  }
  const parsed = parsePatch(input);
  if (!parsed.ok)
    throw new PatchError(
      `${name} is not a valid patch`,
      parsed.issues.map((i: PatchIssue) => `${i.pathText}: ${i.message}`),
    );
  const checked = checkPatch(name, parsed.patch, parsed.issues);
  if (checked.errors.length || patchErrors(parsed.issues).length)
    throw new PatchError(`${name} does not compile`, checked.errors);
  return { patch: parsed.patch, warnings: checked.warnings };
}

export interface RuntimeOptions {
  /** `fixed`: one frame interval per produced frame (deterministic, as fast as it goes). */
  clock?: 'real' | 'fixed';
  /** models/, assets/, recordings/, logs/ (default ~/.patchbay). */
  dataDir?: string;
  /** Serve it (editor, Scope API, WebRTC, /docs, /metrics) instead of running headless. */
  serve?: { host?: string; port?: number; allowOrigins?: string[]; allowHosts?: string[] };
  /** A pino logger to write through (default: one writing `<dataDir>/logs`, quiet on stderr). */
  logger?: Logger;
}

export interface Runtime {
  readonly patch: Patch;
  /** The server URL when served (`serve` option); empty when headless. */
  readonly url: string;
  /** Merges params into a node, live (a load-time param reloads that node). */
  setParams(node: string, params: Record<string, unknown>): Promise<void>;
  /** Any live edit (add/remove nodes and edges, params, metadata). */
  applyChanges(changes: PatchChange[]): Promise<void>;
  /** Per-node stats (fps, latency p50/p99, drops, queue depth). */
  stats(): Record<string, NodeStats>;
  /** Engine counters (sessions, workers, restarts, frames, pool). */
  engine(): Record<string, unknown>;
  /** The last frame an Output node showed (the first Output when `node` is omitted). */
  latestFrame(node?: string): VideoFrame | null;
  /** Resolves with the next frame an Output shows (`node`: that one only). */
  nextFrame(node?: string, timeoutMs?: number): Promise<VideoFrame>;
  /** Calls `cb` with every frame an Output shows; returns the unsubscribe function. */
  onFrame(cb: (node: string, frame: VideoFrame) => void): () => void;
  /** Stops everything (sessions, workers, the server). */
  stop(): Promise<void>;
  /** The server, when served (its `app` is the fastify instance). */
  readonly server: PatchbayServer | null;
}

/** Runs a patch (a Patch, or anything openPatch takes) headless, or served with `serve`. */
export async function startRuntime(
  source: Patch | string | object,
  opts: RuntimeOptions = {},
): Promise<Runtime> {
  const patch = await openPatch(source);
  const dataDir = opts.dataDir ?? join(homedir(), '.patchbay');
  const owned = opts.logger
    ? null
    : createLogger({ dataDir, consoleLevel: 'error', base: { component: 'api' } });
  const logger = opts.logger ?? owned!.logger;
  const log = lineLog(logger);
  if (opts.serve) return served(patch, dataDir, opts, logger, log, owned);

  const { capabilities } = await hostProbe();
  const session = createSession({
    patch,
    capabilities,
    clockMode: opts.clock ?? 'real',
    modelsDir: join(dataDir, 'models'),
    assetsDir: join(dataDir, 'assets'),
    recordingsDir: join(dataDir, 'recordings'),
    log,
  });
  const taps = outputTaps(session);
  await session.start();
  const edit = editor(session);
  return {
    patch,
    url: '',
    server: null,
    setParams: (node, params) => edit([{ op: 'node.params', id: node, params }]),
    applyChanges: edit,
    stats: () => session.stats(),
    engine: () => ({ ...engineMetrics() }),
    latestFrame: (node) => taps.latest(node),
    nextFrame: taps.nextFrame,
    onFrame: taps.onFrame,
    async stop() {
      taps.clear();
      await session.dispose();
      owned?.close();
    },
  };
}

async function served(
  patch: Patch,
  dataDir: string,
  opts: RuntimeOptions,
  logger: Logger,
  log: (line: string) => void,
  owned: { close(): void } | null,
): Promise<Runtime> {
  const host = opts.serve?.host ?? '127.0.0.1';
  const server = createServer({
    host,
    port: opts.serve?.port ?? 8000,
    allowOrigins: opts.serve?.allowOrigins ?? [],
    allowHosts: opts.serve?.allowHosts ?? [],
    dataDir,
    clockMode: opts.clock ?? 'real',
    createSession: (o) => createSession(o),
    createPeer: mediaPeerFactory({ loopbackOnly: host === '127.0.0.1' || host === 'localhost' }),
    engineMetrics: () => ({ ...engineMetrics() }),
    logger,
    log,
  });
  const url = await server.listen();
  // The patch runs as the server's headless session (GET /api/v1/session/frame, /metrics, …).
  const entry = await server.sessions.createRuntime('headless', patch, 'headless');
  const session = entry.session;
  const edit = editor(session);
  // The server's sessions are the engine's (createSession above), which name the sink node.
  const taps = outputTaps(session as EngineSession);
  return {
    patch,
    url,
    server,
    setParams: (node, params) => edit([{ op: 'node.params', id: node, params }]),
    applyChanges: edit,
    stats: () => session.stats(),
    engine: () => ({ ...engineMetrics() }),
    latestFrame: (node) => session.latestFrame(node),
    nextFrame: taps.nextFrame,
    onFrame: taps.onFrame,
    async stop() {
      taps.clear();
      await server.close();
      owned?.close();
    },
  };
}

/** Applies changes through the session; a refusal throws a PatchError with the reasons. */
function editor(session: Pick<EngineSession, 'applyChanges'>): (changes: PatchChange[]) => Promise<void> {
  return async (changes) => {
    const r = await session.applyChanges(changes);
    if (!r.ok)
      throw new PatchError(
        'the change was refused',
        r.errors.map((e) => e.message),
      );
  };
}

/**
 * Frames reaching the session's Output nodes, for `nextFrame`, `onFrame` and `latestFrame` in
 * both run modes. The Output ids are worked out once per plan, not on every frame.
 */
function outputTaps(session: Pick<EngineSession, 'plan' | 'onSinkFrame'>) {
  const listeners = new Set<(node: string, frame: VideoFrame) => void>();
  const latest = new Map<string, VideoFrame>();
  let seen: ReturnType<EngineSession['plan']> | undefined;
  let ids = new Set<string>();
  const outputs = (): Set<string> => {
    const plan = session.plan();
    if (plan !== seen) {
      seen = plan;
      ids = new Set((plan?.nodes ?? []).filter((n) => showsResult(registry.get(n.type))).map((n) => n.id));
    }
    return ids;
  };
  session.onSinkFrame((node, frame) => {
    if (!outputs().has(node)) return;
    latest.set(node, frame);
    for (const cb of listeners) cb(node, frame);
  });
  return {
    latest: (node?: string): VideoFrame | null =>
      latest.get(node ?? outputs().values().next().value ?? '') ?? null,
    nextFrame: (node?: string, timeoutMs = 10_000) =>
      new Promise<VideoFrame>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(cb);
          reject(
            new Error(`no frame from ${node ? `output "${node}"` : 'any output'} within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const cb = (n: string, frame: VideoFrame) => {
          if (node && n !== node) return;
          clearTimeout(timer);
          listeners.delete(cb);
          resolve(frame);
        };
        listeners.add(cb);
      }),
    onFrame: (cb: (node: string, frame: VideoFrame) => void) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    clear: () => listeners.clear(),
  };
}
