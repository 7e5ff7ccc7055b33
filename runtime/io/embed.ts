/**
 * A patch inside its own output: every recording carries the `.patch` that made it as a
 * container tag (Matroska tag / MP4-MOV udta `patchbay_patch`), every PNG the runtime writes as
 * an `iTXt` chunk of the same keyword. `patchbay import FILE` and a file dropped on the editor
 * read it back (ComfyUI users rely on exactly this with their workflow PNGs).
 */
import { readFileSync } from 'node:fs';
import { probeClip } from './av/clip-reader';
import { readPngText } from './av/image';

/** The tag / PNG keyword that holds the patch. */
export const PATCH_TAG = 'patchbay_patch';

/** The tags to write for a patch's text. */
export function patchTags(patchText: string | undefined): Record<string, string> | undefined {
  return patchText ? { [PATCH_TAG]: patchText } : undefined;
}

/** The patch text embedded in PNG bytes, or null. */
export function patchFromPng(bytes: Uint8Array): string | null {
  return readPngText(bytes)[PATCH_TAG] ?? null;
}

/**
 * The patch text embedded in a PNG or a recording (any container FFmpeg reads), or null when
 * the file carries none. Throws when the file cannot be read at all.
 */
export function patchFromMediaFile(path: string): string | null {
  const head = readFileSync(path).subarray(0, 8);
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47)
    return patchFromPng(readFileSync(path));
  const tags = probeClip(path).tags;
  // Matroska writes tag names in capitals; MP4/MOV keep them as given.
  for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === PATCH_TAG) return v;
  return null;
}
