import { detectForeignFormat, parsePatch, patchErrors, serializePatch, type Patch } from '../../../patches';
import { registry } from '../../../nodes';

/** The local-storage key of the autosaved editor state. */
export const AUTOSAVE_KEY = 'patchbay.editor.autosave.v1';

/** What the editor keeps in local storage after every edit. */
export interface AutosaveRecord {
  patchText: string;
  /** The file name it was opened from or saved as, if any. */
  fileName: string | null;
  savedAt: number;
}

/** The part of Storage autosave uses (tests pass a Map-backed one). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Writes the autosave record; returns an error message when storage is full or unavailable. */
export function writeAutosave(
  storage: StorageLike,
  patch: Patch,
  fileName: string | null,
  now = Date.now(),
): string | null {
  const record: AutosaveRecord = { patchText: serializePatch(patch), fileName, savedAt: now };
  try {
    storage.setItem(AUTOSAVE_KEY, JSON.stringify(record));
    return null;
  } catch (error) {
    return `autosave to this browser failed: ${(error as Error).message}`;
  }
}

/** Reads the autosave record back as a patch, or null when there is none or it is unreadable. */
export function readAutosave(
  storage: StorageLike,
): { patch: Patch; fileName: string | null; savedAt: number } | null {
  let raw: string | null;
  try {
    raw = storage.getItem(AUTOSAVE_KEY);
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const record = JSON.parse(raw) as AutosaveRecord;
    const parsed = parsePatch(record.patchText, { registry });
    if (!parsed.ok) return null;
    return { patch: parsed.patch, fileName: record.fileName ?? null, savedAt: record.savedAt ?? 0 };
  } catch {
    return null;
  }
}

/** The result of reading a file the user opened or dropped. */
export type OpenResult =
  { ok: true; patch: Patch; warnings: string[]; imported: string | null } | { ok: false; error: string };

/** An importer for a foreign format: takes the parsed document, returns a patch or an error. */
export type Importer = (
  doc: unknown,
) => { ok: true; patch: Patch; warnings?: string[] } | { ok: false; error: string };

/**
 * Reads file text as a patch: a .patch (any format version; migrated), or — through `importers`
 * keyed by detected format — a Scope workflow or timeline. Errors name the file and the path.
 */
export function openPatchText(
  text: string,
  fileName: string,
  importers: Record<string, Importer> = {},
): OpenResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${fileName} is not JSON (${(error as Error).message})` };
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const foreign = detectForeignFormat(doc as Record<string, unknown>);
    if (foreign) {
      const importer = importers[foreign];
      if (!importer)
        return { ok: false, error: `${fileName} is ${foreign}; this build cannot import it yet` };
      const res = importer(doc);
      if (!res.ok) return { ok: false, error: `${fileName}: ${res.error}` };
      return { ok: true, patch: res.patch, warnings: res.warnings ?? [], imported: foreign };
    }
  }
  const parsed = parsePatch(text, { registry });
  if (!parsed.ok) {
    const first = parsed.issues[0];
    return {
      ok: false,
      error: `${fileName}: ${first ? `${first.pathText ? `${first.pathText}: ` : ''}${first.message}` : 'not a patch'}`,
    };
  }
  const warnings = patchErrors(parsed.issues).map((i) => `${i.pathText}: ${i.message}`);
  return { ok: true, patch: parsed.patch, warnings, imported: null };
}

/** A safe file name for a patch ("My set!" → "my-set.patch"); never a path, never "..". */
export function patchFileName(name: string): string {
  const stem = name
    .trim()
    .toLowerCase()
    .replace(/\.patch$/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
  return `${stem || 'untitled'}.patch`;
}
