/**
 * `patchbay serve`: the runtime server (Scope API, editor, runtime WebSocket) on 127.0.0.1:8000
 * by default. Prints the URL; SIGINT/SIGTERM stop every session cleanly before exiting.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineMetrics } from '../../engine';
import { createSession } from '../../session';
import { createServer, isLoopbackAddress } from '../../server';
import { mediaPeerFactory } from '../../server/media';
import { CLOUD_USAGE, extractCloudArgs, startCloudMode, type CloudArgs } from '../../relay';
import { cliLogger } from '../log';
import type { CliCommand, CliIo } from '../main';
import { lineSafeIo } from '../safe-io';

export interface ServeArgs {
  host: string;
  port: number;
  allowOrigins: string[];
  allowHosts: string[];
  dataDir?: string;
  /** The models folder (`--models-dir`; default `<data dir>/models`): the only folder `onnx:` ids may name. */
  modelsDir?: string;
  /** A built editor folder to serve instead of editor/dist (index.html, play.html, assets/). */
  editorDir?: string;
  maxUploadMb?: number;
  defaultPatch: string;
  /** `fixed`: every session's clock advances one frame per produced frame (deterministic playback). */
  clock: 'real' | 'fixed';
  quiet: boolean;
}

const USAGE =
  'serve [--host H] [--port P] [--allow-origin O]... [--allow-host H]... [--data-dir D] [--models-dir D] [--editor-dir D] [--max-upload-mb N] [--patch NAME] [--clock real|fixed] [--quiet] [--log-level L]';

/** Parses serve's arguments; throws an Error naming the bad one. */
export function parseServeArgs(args: string[]): ServeArgs {
  const out: ServeArgs = {
    host: '127.0.0.1',
    port: 8000,
    allowOrigins: [],
    allowHosts: [],
    defaultPatch: 'camera-passthrough',
    clock: 'real',
    quiet: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--host':
        out.host = value();
        break;
      case '--port': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 65535) throw new Error(`--port must be 0 to 65535, got "${v}"`);
        out.port = n;
        break;
      }
      case '--allow-origin':
        for (const o of value().split(',')) {
          const origin = o.trim();
          // File pages and sandboxed iframes: explicit, since any website can send it.
          if (origin === 'null' || origin === 'file://') {
            if (!out.allowOrigins.includes('null')) out.allowOrigins.push('null');
            continue;
          }
          if (origin === '*')
            throw new Error('--allow-origin "*" is refused: name each origin (scheme://host:port)');
          let url: URL;
          try {
            url = new URL(origin);
          } catch {
            throw new Error(`--allow-origin "${origin}" is not an origin like https://example.com:8080`);
          }
          if (url.origin !== origin)
            throw new Error(
              `--allow-origin "${origin}" must be exactly scheme://host[:port] (did you mean "${url.origin}"?)`,
            );
          out.allowOrigins.push(origin);
        }
        break;
      case '--allow-host':
        out.allowHosts.push(
          ...value()
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean),
        );
        break;
      case '--data-dir':
        out.dataDir = resolve(value());
        break;
      case '--models-dir':
        if (out.modelsDir) throw new Error('--models-dir names one folder (give it once)');
        out.modelsDir = resolve(value());
        break;
      case '--editor-dir':
        out.editorDir = resolve(value());
        break;
      case '--max-upload-mb': {
        const n = Number(value());
        if (!(n > 0 && n <= 10_000))
          throw new Error('--max-upload-mb must be a number of megabytes between 0 and 10000');
        out.maxUploadMb = n;
        break;
      }
      case '--patch':
        out.defaultPatch = value();
        break;
      case '--clock': {
        const v = value();
        if (v !== 'real' && v !== 'fixed') throw new Error(`--clock must be "real" or "fixed", got "${v}"`);
        out.clock = v;
        break;
      }
      case '--quiet':
        out.quiet = true;
        break;
      default:
        throw new Error(`unknown option "${arg}". usage: patchbay ${USAGE}`);
    }
  }
  return out;
}

async function run(args: string[], rawIo: CliIo): Promise<number> {
  // Log lines quote what clients sent (hosts, origins, names): never raw control characters.
  const io = lineSafeIo(rawIo);
  let opts: ServeArgs;
  let cloud: CloudArgs | null;
  try {
    const split = extractCloudArgs(args);
    cloud = split.cloud;
    opts = parseServeArgs(split.rest);
  } catch (error) {
    io.err(`patchbay serve: ${(error as Error).message}`);
    return 2;
  }
  const dataDir = opts.dataDir ?? join(homedir(), '.patchbay');
  const logs = cliLogger(io, { dataDir, quiet: opts.quiet, component: 'serve' });
  const loopback = isLoopbackAddress(opts.host);
  if (!loopback)
    io.err(
      `patchbay serve: WARNING: binding to ${opts.host} makes the runtime reachable from other machines. ` +
        'Anyone who can reach it can run patches and read your camera stream. Use only on a trusted network.',
    );
  if (opts.allowOrigins.includes('null'))
    io.err(
      'patchbay serve: WARNING: --allow-origin null accepts pages opened from files, and also any website ' +
        'that frames itself in a sandboxed iframe: such a page can drive this runtime. Use it only while you need a file page.',
    );
  const server = createServer({
    host: opts.host,
    port: opts.port,
    allowOrigins: opts.allowOrigins,
    allowHosts: opts.allowHosts,
    dataDir,
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
    editorDir: opts.editorDir,
    maxUploadBytes: opts.maxUploadMb ? Math.round(opts.maxUploadMb * 1024 * 1024) : undefined,
    defaultPatch: opts.defaultPatch,
    clockMode: opts.clock,
    createSession: (o) => createSession(o),
    createPeer: mediaPeerFactory({ loopbackOnly: loopback }),
    engineMetrics: () => ({ ...engineMetrics() }),
    logger: logs.logger,
    log: logs.line,
  });
  let cloudMessage: string | null = null;
  if (cloud) cloudMessage = (await startCloudMode(server, cloud, dataDir, logs.line)).message;
  let url: string;
  try {
    url = await server.listen();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    io.err(
      e.code === 'EADDRINUSE'
        ? `patchbay serve: port ${opts.port} is in use (another Patchbay or Scope?). Try --port ${opts.port + 1}`
        : `patchbay serve: could not listen on ${opts.host}:${opts.port}: ${e.message}`,
    );
    return 1;
  }
  io.out(`Patchbay runtime listening on ${url}`);
  logs.logger.info({ url, logFile: logs.file }, `listening on ${url}`);
  if (cloudMessage) io.out(cloudMessage);
  io.out(`Open ${url}/ for the editor (default patch: ${opts.defaultPatch}). Ctrl+C stops.`);
  if (opts.clock === 'fixed')
    io.out('Clock: fixed (one frame interval per produced frame; deterministic, not wall time)');

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.err('patchbay serve: second signal, exiting now');
        process.exit(130);
      }
      stopping = true;
      io.err(`patchbay serve: ${signal}: stopping sessions…`);
      const force = setTimeout(() => {
        io.err('patchbay serve: sessions did not stop within 10 s, exiting');
        process.exit(1);
      }, 10_000);
      force.unref();
      server.close().then(
        () => {
          clearTimeout(force);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          io.err('patchbay serve: stopped');
          logs.logger.info('stopped');
          logs.close();
          resolveExit(0);
        },
        (error: unknown) => {
          io.err(`patchbay serve: error while stopping: ${(error as Error).message}`);
          resolveExit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the runtime server: editor, Scope-compatible API, WebRTC (127.0.0.1:8000)',
  usage: `${USAGE} ${CLOUD_USAGE}`,
  run,
};
