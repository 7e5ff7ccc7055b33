import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';

/**
 * One relay connection's own assets: a private temporary folder, created when the connection
 * uploads its first file and removed when the connection ends. Another connection has no path
 * to it — lists and reads only ever look inside the caller's folder.
 */

const KINDS: Record<string, 'image' | 'video' | 'audio'> = {
  '.png': 'image',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.webp': 'image',
  '.gif': 'image',
  '.bmp': 'image',
  '.mp4': 'video',
  '.webm': 'video',
  '.mov': 'video',
  '.mkv': 'video',
  '.ivf': 'video',
  '.wav': 'audio',
  '.mp3': 'audio',
  '.ogg': 'audio',
};

/** Largest upload through the relay (the bytes travel base64 in a JSON message). */
export const MAX_RELAY_UPLOAD_BYTES = 8 * 1024 * 1024;

/** Why a file name is refused, or null. One path segment, a media extension, no dot-file. */
export function relayAssetNameProblem(name: string): string | null {
  if (!name || name.length > 200) return 'the file name must be 1 to 200 characters';
  if (/[/\\\0]/.test(name) || name.includes('..')) return 'the file name must not contain "/", "\\" or ".."';
  if (name.startsWith('.')) return 'the file name must not start with "."';
  if (!KINDS[extname(name).toLowerCase()]) return `only images, video and audio are accepted`;
  return null;
}

export interface RelayAssetInfo {
  name: string;
  path: string;
  size_mb: number;
  folder: string;
  type: 'image' | 'video' | 'audio';
  created_at: string;
}

/** A relay connection's asset folder. */
export class ConnectionAssets {
  private dir: string | null = null;

  constructor(private readonly connectionId: string) {}

  private async folder(): Promise<string> {
    this.dir ??= await mkdtemp(join(tmpdir(), `patchbay-cloud-${this.connectionId.slice(0, 8)}-`));
    return this.dir;
  }

  async list(type?: string): Promise<RelayAssetInfo[]> {
    if (!this.dir) return [];
    const out: RelayAssetInfo[] = [];
    for (const name of await readdir(this.dir)) {
      const kind = KINDS[extname(name).toLowerCase()];
      if (!kind || (type && kind !== type)) continue;
      out.push(await this.info(name));
    }
    return out;
  }

  async save(name: string, bytes: Buffer): Promise<RelayAssetInfo> {
    const problem = relayAssetNameProblem(name);
    if (problem) throw new Error(problem);
    if (bytes.length > MAX_RELAY_UPLOAD_BYTES)
      throw new Error(`the file is larger than ${MAX_RELAY_UPLOAD_BYTES} bytes`);
    await writeFile(join(await this.folder(), name), bytes);
    return this.info(name);
  }

  /** The bytes of an asset of this connection, or null (unknown name, or someone else's). */
  async read(name: string): Promise<Buffer | null> {
    if (!this.dir || relayAssetNameProblem(name)) return null;
    return readFile(join(this.dir, name)).catch(() => null);
  }

  /** Removes the folder and everything in it. */
  async remove(): Promise<void> {
    const dir = this.dir;
    this.dir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  /** The folder, once created (tests check it is gone). */
  get path(): string | null {
    return this.dir;
  }

  private async info(name: string): Promise<RelayAssetInfo> {
    const s = await stat(join(this.dir!, name));
    return {
      name,
      path: name,
      size_mb: Math.round((s.size / (1024 * 1024)) * 1000) / 1000,
      folder: '',
      type: KINDS[extname(name).toLowerCase()]!,
      created_at: s.birthtime.toISOString(),
    };
  }
}
