import { dirname, join, resolve, sep } from 'node:path';
import type { Clock, IoHost, NodeHost } from '../../nodes';
import type { FramePool } from './frame-pool';
import { metrics } from './metrics';
import { WorkerHost } from './worker-host';

/**
 * The Node.js host that node runtimes reach through `ctx.host` (nodes/core/runtime.ts): pipeline
 * workers (worker_threads, ./worker-host.ts), video I/O (runtime/io on FFmpeg: the WebM/MP4/MOV
 * recorder, video files, NDI through koffi, Spout), and the assets folder. Node runtimes never import these.
 */

export interface HostOptions {
  pool: FramePool;
  clock: Clock;
  modelsDir: string;
  assetsDir: string;
  recordingsDir: string;
  /** A module exporting `createProcessor` that replaces the default backends (tests). */
  processorModule?: string | undefined;
  /** The running patch as `.patch` text; every recording embeds it (runtime/io/embed.ts). */
  patchText?: (() => string | undefined) | undefined;
}

/**
 * Recordings go beside the assets folder (the server's data dir holds assets/ and recordings/
 * side by side), so node recordings and /api/v1/recordings share one folder.
 */
export function recordingsDirFor(assetsDir: string): string {
  return join(dirname(resolve(assetsDir)), 'recordings');
}

type Io = typeof import('../io');
let ioModule: Promise<Io> | null = null;
/** runtime/io pulls in the codec and koffi: loaded on first use, once per process. */
const loadIoModule = (): Promise<Io> => (ioModule ??= import('../io'));

/** Builds the host for one engine. */
export function createNodeHost(o: HostOptions): NodeHost {
  const wrap = (io: Io): IoHost => ({
    // Every recording carries the patch that made it, so dropping the file on the editor reopens it.
    recorder: ({ prefix, format, log }) =>
      new io.Recorder({
        dir: o.recordingsDir,
        prefix,
        format: format ?? 'webm',
        metadata: () => io.patchTags(patchText()),
        log,
      }),
    // resolveAsset checks the name; this also refuses links that leave the assets folder.
    videoFile: (path, { loop, speed, positionS, log }) =>
      new io.VideoFileSource(io.resolveAssetFile(o.assetsDir, path), {
        clock: o.clock,
        loop,
        ...(speed !== undefined ? { speed } : {}),
        ...(positionS !== undefined ? { positionS } : {}),
        log,
      }),
    ndiSource: ({ name, log }) => new io.NdiSource({ name, clock: o.clock, log }),
    ndiSink: ({ name }) => new io.NdiSink({ name }),
    spoutSource: ({ name }) => new io.SpoutSource({ name, clock: o.clock }),
    spoutSink: ({ name }) => new io.SpoutSink({ name }),
  });
  const patchText = (): string | undefined => o.patchText?.();
  let io: Promise<IoHost> | null = null;
  return {
    patchText,
    startPipelineWorker: (init, events) =>
      new WorkerHost(
        {
          ...init,
          modelsDir: o.modelsDir,
          ...(o.processorModule ? { processorModule: o.processorModule } : {}),
        },
        o.pool,
        {
          message: events.message,
          exit: (info) => {
            if (!info.expected) metrics.workerRestarted();
            events.exit(info);
          },
        },
      ),
    loadIo: () => (io ??= loadIoModule().then(wrap)),
    resolveAsset: (name) => {
      const base = resolve(o.assetsDir);
      const path = resolve(base, name);
      return path.startsWith(base + sep) ? { path } : { error: `"${name}" is outside the assets folder` };
    },
  };
}
