import { importDocument, parsePatch, patchErrors, serializePatch, type Patch } from '../../../patches';
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

const KIND_LABEL: Record<string, string> = {
  'scope-workflow': 'a Daydream Scope workflow',
  'scope-timeline': 'a Daydream Scope timeline',
  'scope-graph': 'a Daydream Scope graph',
};

/**
 * Reads file text as a patch: a .patch (any format version; migrated), a Scope workflow, a
 * Scope timeline or a Scope graph (converted by patches/' importDocument). Errors name the file
 * and the path inside it; conversion warnings come back as `warnings`.
 */
export function openPatchText(text: string, fileName: string): OpenResult {
  const res = importDocument(text, { registry, name: fileName.replace(/\.[^.]*$/, '') });
  const line = (i: { pathText: string; message: string }) =>
    `${i.pathText ? `${i.pathText}: ` : ''}${i.message}`;
  if (!res.ok) {
    const first = res.issues[0];
    const what = res.kind && KIND_LABEL[res.kind] ? ` (${KIND_LABEL[res.kind]})` : '';
    return { ok: false, error: `${fileName}${what}: ${first ? line(first) : 'not a patch'}` };
  }
  const warnings = [...res.sourceIssues, ...patchErrors(res.issues)].map(line);
  return {
    ok: true,
    patch: res.patch,
    warnings,
    imported: res.kind === 'patchbay' ? null : (KIND_LABEL[res.kind] ?? res.kind),
  };
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
