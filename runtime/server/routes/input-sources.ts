/**
 * Scope's input sources (`/api/v1/input-sources`, `/{source_type}/sources`,
 * `/{source_type}/sources/{identifier}/resolution`) over Patchbay's I/O: NDI (runtime/io's
 * binding: discovery on the network), Spout (Windows; senders are named by hand, there is no
 * discovery), Syphon (macOS; Patchbay has none) and video files (MP4/MOV/MKV/WebM/IVF in the
 * assets folder, what the Camera node's `video_file` mode plays through FFmpeg).
 *
 * Sources are `{name, identifier, metadata}` as in Scope. A type that is not available on this
 * machine answers its empty list with `available: false`, the reason and the install hint (Scope
 * says 400; the empty list keeps its frontend quiet and says why).
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CapabilityStatus } from '../../../nodes';
import { findNdiSources, loadNdi, probeClip } from '../../io';
import { HttpError, type ServerContext } from '../context';
import { confinedPath } from './files';

interface SourceType {
  source_id: string;
  source_name: string;
  source_description: string;
}

export const INPUT_SOURCE_TYPES: readonly SourceType[] = [
  {
    source_id: 'ndi',
    source_name: 'NDI',
    source_description: 'Receive video from an NDI source on the local network (needs the NDI runtime).',
  },
  {
    source_id: 'spout',
    source_name: 'Spout',
    source_description: 'Receive video from a Spout sender on this Windows machine (name the sender).',
  },
  {
    source_id: 'syphon',
    source_name: 'Syphon',
    source_description: 'Receive video from a Syphon server (macOS); Patchbay has no Syphon input.',
  },
  {
    source_id: 'video_file',
    source_name: 'Video File',
    source_description:
      'Loop a video file from the assets folder (MP4, MOV, MKV, WebM, IVF: H.264, HEVC, ProRes, HAP, VP8/9, AV1).',
  },
];

// What the Camera's video_file mode plays (FFmpeg through runtime/io: any codec in these containers).
const VIDEO_FILE_EXTENSIONS = new Set(['.mp4', '.mov', '.m4v', '.mkv', '.webm', '.ivf']);
const MAX_LISTED = 500;

export interface InputSourceInfo {
  name: string;
  identifier: string;
  metadata: Record<string, unknown> | null;
}

/** Video files Patchbay can play, under the assets folder (identifier: the path inside it). */
export async function listVideoFiles(assetsDir: string): Promise<InputSourceInfo[]> {
  const out: InputSourceInfo[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 4 || out.length >= MAX_LISTED) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full, depth + 1);
      else if (e.isFile() && VIDEO_FILE_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        const rel = relative(assetsDir, full).split(sep).join('/');
        out.push({
          name: e.name.slice(0, e.name.length - extname(e.name).length),
          identifier: rel,
          metadata: { filename: e.name, size_bytes: (await stat(full)).size },
        });
        if (out.length >= MAX_LISTED) return;
      }
    }
  };
  await walk(assetsDir, 0);
  return out;
}

export function inputSourceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const availability = async (type: string): Promise<CapabilityStatus> => {
    const probe = await ctx.probe();
    if (type === 'ndi') return probe.capabilities.ndi;
    if (type === 'spout') return probe.capabilities.spout;
    if (type === 'syphon')
      return probe.syphon.available
        ? { available: false, reason: 'Patchbay has no Syphon input (Scope reads Syphon on macOS)' }
        : probe.syphon;
    return { available: true };
  };
  const typeOf = (raw: string): SourceType => {
    const t = INPUT_SOURCE_TYPES.find((s) => s.source_id === raw);
    if (!t)
      throw new HttpError(
        404,
        `Unknown input source type '${raw.slice(0, 50)}'. Available types: ${INPUT_SOURCE_TYPES.map((s) => s.source_id).join(', ')}`,
      );
    return t;
  };
  const timeoutOf = (q: Record<string, unknown>, fallback: number): number => {
    const t = q.timeout_ms === undefined ? fallback : Number(q.timeout_ms);
    if (!Number.isFinite(t) || t < 0 || t > 10_000)
      throw new HttpError(400, 'timeout_ms must be a number of milliseconds from 0 to 10000');
    return t;
  };

  app.get('/api/v1/input-sources', async () => ({
    input_sources: await Promise.all(
      INPUT_SOURCE_TYPES.map(async (t) => {
        const a = await availability(t.source_id);
        return { ...t, available: a.available, ...(a.available ? {} : { reason: a.reason ?? null }) };
      }),
    ),
  }));

  app.get('/api/v1/input-sources/:type/sources', async (req) => {
    const type = typeOf((req.params as { type: string }).type).source_id;
    // NDI discovery waits for announcements; Scope's frontend passes its own timeout.
    const timeout = timeoutOf(req.query as Record<string, unknown>, 1000);
    const a = await availability(type);
    const unavailable = (reason: string | undefined, hint?: string | null) => ({
      source_type: type,
      sources: [] as InputSourceInfo[],
      available: false,
      reason: reason ?? `${type} is not available on this machine`,
      install_hint: hint ?? null,
    });
    if (type === 'video_file')
      return { source_type: type, sources: await listVideoFiles(ctx.opts.assetsDir), available: true };
    // NDI: the library is loaded now (the probe is cached; the runtime may be installed since).
    if (type === 'ndi') {
      let lib;
      try {
        lib = loadNdi();
      } catch (error) {
        return unavailable((error as Error).message, (error as { installHint?: string }).installHint);
      }
      const found = await findNdiSources(lib, timeout);
      return {
        source_type: type,
        sources: found.map((s) => ({
          name: s.name,
          identifier: s.name,
          metadata: s.url ? { url: s.url } : null,
        })),
        available: true,
      };
    }
    if (!a.available) return unavailable(a.reason, a.install_hint);
    // Spout on Windows: the binding receives from a named sender; listing senders is not in it.
    return {
      source_type: type,
      sources: [],
      available: true,
      reason: 'Spout senders are not discovered: give the sender name in the Camera node (spout mode)',
    };
  });

  app.get('/api/v1/input-sources/:type/sources/*', async (req) => {
    const type = typeOf((req.params as { type: string }).type).source_id;
    const rest = (req.params as { '*': string })['*'];
    if (!rest.endsWith('/resolution'))
      throw new HttpError(
        404,
        rest.endsWith('/stream')
          ? 'source previews are not streamed by Patchbay: start a session with the source and read /api/v1/session/frame'
          : `no such endpoint under /input-sources/${type}/sources`,
      );
    const identifier = decodeURIComponent(rest.slice(0, -'/resolution'.length));
    if (type !== 'video_file')
      throw new HttpError(
        408,
        `Could not determine resolution for '${identifier.slice(0, 100)}': Patchbay reads a ${type} source's size from its first frame, once a session receives it`,
      );
    const path = await confinedPath(ctx.opts.assetsDir, identifier);
    if (!path) throw new HttpError(404, `no video file "${identifier.slice(0, 100)}" in the assets folder`);
    try {
      // FFmpeg opens the file and reads the video stream's size (nothing is decoded for it).
      const file = probeClip(path);
      return { width: file.width, height: file.height };
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
  });
}
