/**
 * `createServer(opts)`: the runtime's HTTP + WebSocket server (fastify). Scope's API, Patchbay's
 * own endpoints and the editor, behind the browser-facing checks of ARCHITECTURE decision 11.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { registry as builtinRegistry } from '../../nodes';
import { hostProbe, loadNodePackages, type HostProbe, type NodePackages } from '../host';
import { lineLog, type Logger } from '../logging';
import {
  DEFAULT_LIMITS,
  HttpError,
  sendError,
  TooManyRequests,
  type ResolvedServerOptions,
  type ServerContext,
  type ServerLimits,
} from './context';
import type { PeerFactory, SessionFactory } from './deps';
import { JsonLinesFileSink, kafkaSinkFromEnv, type EventSink } from '../events';
import { iceServersFromEnv } from './ice';
import { metricsRoute } from './metrics';
import { loadPipelineModel, resolveUserPipeline, userModels } from './models';
import { registerDocs } from './openapi';
import { PipelineLoader, type PipelineRequest } from '../pipelines/state';
import { relayRoutes } from '../relay';
import { fileRoutes } from './routes/files';
import { headlessRoutes } from './routes/headless';
import { inputSourceRoutes } from './routes/input-sources';
import { ioRoutes } from './routes/io';
import { logRoutes } from './routes/logs';
import { outputTsRoutes } from './routes/output-ts';
import { parseLoadRequest, scopeRoutes } from './routes/scope';
import { scopeExtraRoutes } from './routes/scope-extras';
import { webrtcRoutes } from './routes/webrtc';
import { workflowRoutes } from './routes/workflow';
import { runtimeSocketRoute } from './runtime-ws';
import {
  createLaunchToken,
  hostAllowed,
  LOOPBACK_HOSTNAMES,
  originAllowed,
  printable,
  redactedUrl,
  type SecurityPolicy,
} from './security';
import { SessionManager } from './sessions';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerOptions {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Exact browser origins allowed besides loopback ones and `null` (`--allow-origin`). */
  allowOrigins?: string[];
  /** Host names accepted in the Host header besides loopback ones (`--allow-host`). */
  allowHosts?: string[];
  /** Where assets/, patches/, models/, recordings/, events/ live (default ~/.patchbay). */
  dataDir?: string;
  /**
   * The models folder (default `<dataDir>/models`, `--models-dir`). `onnx:<path>` ids resolve
   * only inside it: absolute, `~/` and `../` paths that leave it are refused.
   */
  modelsDir?: string;
  /** Largest asset upload in bytes (default 200 MiB). */
  maxUploadBytes?: number;
  /** Largest JSON body in bytes (default 1 MiB). */
  maxJsonBytes?: number;
  /** Largest WebSocket message in bytes (default 4 MiB). */
  maxWsPayloadBytes?: number;
  /** The built editor (default editor/dist). */
  editorDir?: string;
  /** Example patches (default patches/examples). */
  examplesDir?: string;
  /**
   * node_modules folders searched for node packages (keyword `patchbay-node`; default the
   * working folder's); `<dataDir>/nodes/*` are always loaded.
   */
  nodeModules?: readonly string[];
  iceServers?: ResolvedServerOptions['iceServers'];
  /** The engine's session factory; required to run anything. */
  createSession: SessionFactory;
  /** The media layer's answerer; without it offers are answered 503. */
  createPeer?: PeerFactory | null;
  /** Host capabilities (default: probed once). */
  probe?: () => Promise<HostProbe>;
  /** The patch the editor opens first (a name in the patches list; default camera-passthrough). */
  defaultPatch?: string;
  /** The engine's process-wide counters (sessions, workers, pool), shown in /session/metrics. */
  engineMetrics?: () => Record<string, unknown>;
  /**
   * Clock of every new session (default `real`); `fixed` advances one frame per produced frame,
   * for deterministic playback (`patchbay serve --clock fixed`). A runtime WebSocket may ask for
   * `fixed` per session with `?clock=fixed`.
   */
  clockMode?: 'real' | 'fixed';
  /** `stream_heartbeat` interval of lifecycle events (default 10 s; tests shorten it). */
  eventHeartbeatMs?: number;
  /** Fixed token for tests; a random one per launch otherwise. */
  token?: string;
  /** Per-client limits (connect timeout, session cap, offer and message rates); README "Threat model". */
  limits?: Partial<ServerLimits>;
  /**
   * The process's pino logger (runtime/logging): fastify logs through a child of it (each
   * request line carries its `reqId`), and `log` defaults to `lineLog(logger)`. None: fastify's
   * logger stays off and `log` defaults to stderr.
   */
  logger?: Logger;
  log?: (line: string) => void;
}

export interface PatchbayServer {
  app: FastifyInstance;
  /** The per-launch token the editor page carries (`<meta name="patchbay-token">`). */
  token: string;
  sessions: SessionManager;
  /**
   * A fresh Scope pipeline load state with the server's own resolver and model preparation (the
   * cloud relay keeps one per connection, so clients never see or change each other's).
   */
  newPipelineLoader(): PipelineLoader;
  /** Scope's pipeline load body read as the server reads it (the relay uses the same rules). */
  parseLoadRequest(body: Record<string, unknown>): PipelineRequest[];
  /** Starts listening; resolves to the URL (http://host:port). */
  listen(): Promise<string>;
  /** The URL once listening (empty before). */
  readonly url: string;
  /** Stops every session and the server. */
  close(): Promise<void>;
}

function resolveOptions(opts: ServerOptions): ResolvedServerOptions {
  const dataDir = opts.dataDir ?? join(homedir(), '.patchbay');
  return {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 8000,
    allowOrigins: opts.allowOrigins ?? [],
    allowHosts: opts.allowHosts ?? [],
    dataDir,
    assetsDir: join(dataDir, 'assets'),
    patchesDir: join(dataDir, 'patches'),
    modelsDir: opts.modelsDir ? resolve(opts.modelsDir) : join(dataDir, 'models'),
    recordingsDir: join(dataDir, 'recordings'),
    examplesDir: opts.examplesDir ?? join(repoRoot, 'patches/examples'),
    editorDir: opts.editorDir ?? join(repoRoot, 'editor/dist'),
    maxUploadBytes: opts.maxUploadBytes ?? 200 * 1024 * 1024,
    maxJsonBytes: opts.maxJsonBytes ?? 1024 * 1024,
    maxWsPayloadBytes: opts.maxWsPayloadBytes ?? 4 * 1024 * 1024,
    // TURN/STUN from PATCHBAY_* variables (./ice.ts) unless given.
    iceServers: opts.iceServers ?? iceServersFromEnv(process.env),
    version: '0.1.0',
    defaultPatch: opts.defaultPatch ?? 'camera-passthrough',
    clockMode: opts.clockMode ?? 'real',
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
  };
}

/** True for a bind address only this machine can reach. */
export function isLoopbackAddress(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

/**
 * Builds the server (not listening yet: tests use `app.inject`, or `listen()` on port 0).
 *
 * @example
 * const server = createServer({ port: 0, dataDir: tmp, createSession: createRuntimeSession });
 * const url = await server.listen();
 */
export function createServer(options: ServerOptions): PatchbayServer {
  const opts = resolveOptions(options);
  for (const dir of [
    opts.assetsDir,
    opts.patchesDir,
    opts.modelsDir,
    opts.recordingsDir,
    join(opts.dataDir, 'events'),
  ])
    mkdirSync(dir, { recursive: true });
  const log =
    options.log ??
    (options.logger ? lineLog(options.logger) : (line: string) => process.stderr.write(`${line}\n`));
  const probe = options.probe ?? hostProbe;
  const token = options.token ?? createLaunchToken();
  let boundPort = opts.port;
  let url = '';

  // A non-loopback bind address is a name clients will use in Host.
  const extraHosts = [...opts.allowHosts];
  if (!isLoopbackAddress(opts.host) && opts.host !== '0.0.0.0' && opts.host !== '::')
    extraHosts.push(opts.host.includes(':') ? `[${opts.host}]` : opts.host);
  const policy: SecurityPolicy = {
    port: () => boundPort,
    allowHosts: extraHosts,
    allowOrigins: opts.allowOrigins,
  };

  // Lifecycle events of plain WebRTC sessions: JSON lines in <dataDir>/events, plus Kafka when
  // KAFKA_BOOTSTRAP_SERVERS is set (the relay keeps its own sinks for relayed sessions).
  const eventSinks: EventSink[] = [new JsonLinesFileSink(join(opts.dataDir, 'events'), log)];
  void kafkaSinkFromEnv(process.env, log).then(
    (kafka) => kafka && eventSinks.push(kafka),
    (error: Error) => log(`events: Kafka sink not started: ${error.message}`),
  );
  // Node packages load once, at start; a broken one is refused and the rest runs.
  let nodes: NodePackages = { registry: builtinRegistry, loaded: [], refused: [] };
  const nodesReady = loadNodePackages({
    dataDir: opts.dataDir,
    ...(options.nodeModules ? { nodeModules: options.nodeModules } : {}),
    log,
  }).then(
    (loaded) => void (nodes = loaded),
    (error: Error) => log(`node packages: not loaded: ${error.message}`),
  );
  const sessions = new SessionManager({
    registry: () => nodes.registry,
    eventSinks,
    ...(options.eventHeartbeatMs ? { heartbeatMs: options.eventHeartbeatMs } : {}),
    createSession: options.createSession,
    capabilities: async () => (await probe()).capabilities,
    modelsDir: opts.modelsDir,
    assetsDir: opts.assetsDir,
    recordingsDir: opts.recordingsDir,
    // Read at every compile, so a model dropped into the folder is usable without a restart.
    extraPipelines: () => userModels(opts.modelsDir).models,
    clockMode: opts.clockMode,
    connectTimeoutMs: opts.limits.connectTimeoutMs,
    dataRate: { perSecond: opts.limits.dataMessagesPerSecond, burst: opts.limits.dataMessagesBurst },
    log,
  });
  const newPipelineLoader = () =>
    new PipelineLoader({
      capabilities: async () => (await probe()).capabilities,
      resolveExtra: async (id) => resolveUserPipeline(id, opts.modelsDir),
      prepare: (info, loadParams) => loadPipelineModel(info, loadParams, opts.modelsDir, log),
      log,
    });
  const pipelines = newPipelineLoader();
  const ctx: ServerContext = {
    opts,
    sessions,
    pipelines,
    probe,
    createPeer: options.createPeer ?? null,
    token,
    startedAt: new Date(),
    log,
    engineMetrics: options.engineMetrics ?? null,
    nodes: () => nodes,
    nodesReady,
  };

  const app = Fastify({
    // Request lines at debug (`--verbose`), with fastify's reqId; errors at error.
    ...(options.logger
      ? {
          loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
          logController: new LogController({ disableRequestLogging: true }),
        }
      : { logger: false }),
    bodyLimit: opts.maxJsonBytes,
    routerOptions: { maxParamLength: 500 },
    return503OnClosing: true,
    // On shutdown, drop keep-alive and half-open connections instead of waiting for clients.
    forceCloseConnections: true,
  });

  // Before any route: /docs lists every route registered from here on (openapi.ts).
  registerDocs(app, { version: opts.version });

  // Bodies are kept as bytes and parsed by the routes with size/depth caps (json.ts): the
  // stock JSON parser would accept any depth, and file:// pages post text/plain.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Paths that accept a WebSocket upgrade; an upgrade anywhere else gets a plain HTTP error
  // (@fastify/websocket would answer 101 and close at once).
  const websocketRoutes = new Set<string>();
  app.addHook('onRoute', (route) => {
    if ((route as { websocket?: boolean }).websocket) websocketRoutes.add(route.url);
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const where = `${req.method} ${redactedUrl(req.url)}`;
    if (!hostAllowed(req.headers.host, policy)) {
      log(`refused Host "${printable(req.headers.host, 100)}" (${where})`);
      return sendError(
        reply,
        403,
        `Host "${printable(req.headers.host, 100)}" is not allowed: use 127.0.0.1, localhost or [::1] with this server's port, or start with --allow-host`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!originAllowed(origin, policy)) {
        log(`refused Origin "${printable(origin, 100)}" (${where})`);
        return sendError(
          reply,
          403,
          origin === 'null' || origin.startsWith('file:')
            ? `Origin "${printable(origin, 100)}" is not allowed: sandboxed frames and file pages send it, so any website could; start with --allow-origin null to accept file pages (see runtime/server/README.md "Threat model")`
            : `Origin "${printable(origin, 100)}" is not allowed: only loopback pages and --allow-origin origins may use this server`,
        );
      }
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        reply.header(
          'access-control-allow-headers',
          String(req.headers['access-control-request-headers'] ?? 'content-type').slice(0, 500),
        );
        reply.header('access-control-max-age', '600');
        // Chromium's Private Network Access preflight for pages on other local ports (only ever
        // reached by an allowed origin: the others were refused above).
        if (req.headers['access-control-request-private-network'] === 'true')
          reply.header('access-control-allow-private-network', 'true');
        return reply.code(204).send();
      }
    }
    if (
      String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
      !websocketRoutes.has(req.routeOptions.url ?? '')
    )
      return sendError(reply, 404, `${where.split('?')[0]} is not a WebSocket endpoint`);
    return undefined;
  });

  // An upgrade request answered with plain HTTP (refused Host, Origin or token) leaves a socket
  // that Node no longer tracks as an HTTP connection: end it, or it would hold close() forever.
  app.addHook('onResponse', async (req, reply) => {
    if (options.logger)
      req.log.debug(
        {
          method: req.method,
          url: req.url.slice(0, 200),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    if (req.headers.upgrade && !req.raw.socket.destroyed && req.raw.socket.listenerCount('data') === 0)
      req.raw.socket.destroy();
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (error instanceof TooManyRequests)
      return reply
        .code(429)
        .header('retry-after', String(error.retryAfterS))
        .type('application/json')
        .send({ error: error.message, detail: error.message, retry_after_s: error.retryAfterS });
    if (error instanceof HttpError) return sendError(reply, error.statusCode, error.message);
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(
        reply,
        413,
        `the body is larger than this endpoint accepts (${req.url.startsWith('/api/v1/assets') ? opts.maxUploadBytes : opts.maxJsonBytes} bytes)`,
      );
    if (status >= 500) log(`error in ${req.method} ${redactedUrl(req.url)}: ${error.stack ?? error.message}`);
    // Never a stack in a reply; a 5xx says only that it failed (the log has the rest).
    return sendError(
      reply,
      status,
      status >= 500 ? `internal error (${error.name || 'Error'}); see the runtime log` : error.message,
    );
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, `no such endpoint: ${req.method} ${printable(req.url.split('?')[0], 200)}`),
  );

  void app.register(fastifyWebsocket, { options: { maxPayload: opts.maxWsPayloadBytes } });
  void app.register(async (scoped) => {
    scopeRoutes(scoped, ctx);
    webrtcRoutes(scoped, ctx);
    headlessRoutes(scoped, ctx);
    ioRoutes(scoped, ctx);
    runtimeSocketRoute(scoped, ctx);
    fileRoutes(scoped, ctx);
    relayRoutes(scoped, ctx);
    // Scope 0.2.4 frontend's other endpoints (SCOPE-COMPAT notes in README.md).
    scopeExtraRoutes(scoped, ctx);
    workflowRoutes(scoped, ctx);
    inputSourceRoutes(scoped, ctx);
    logRoutes(scoped, ctx);
    outputTsRoutes(scoped, ctx);
    metricsRoute(scoped, ctx);
  });

  let closing: Promise<void> | null = null;
  return {
    app,
    token,
    sessions,
    newPipelineLoader,
    parseLoadRequest,
    get url() {
      return url;
    },
    async listen() {
      await nodesReady;
      await app.listen({ host: opts.host, port: opts.port });
      boundPort = (app.server.address() as AddressInfo).port;
      const shown =
        opts.host === '0.0.0.0' || opts.host === '::'
          ? '127.0.0.1'
          : opts.host.includes(':')
            ? `[${opts.host}]`
            : opts.host;
      url = `http://${shown}:${boundPort}`;
      return url;
    },
    close() {
      closing ??= (async () => {
        await sessions.closeAll('server shutting down');
        pipelines.unload();
        await Promise.all(eventSinks.map((s) => s.close()));
        await app.close();
      })();
      return closing;
    },
  };
}

export { LOOPBACK_HOSTNAMES };
