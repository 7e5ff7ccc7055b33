import { describe, expect, it } from 'vitest';
import { registry } from '../../../nodes';
import { serializePatch } from '../../../patches';
import { applyChanges, createNode, emptyPatch } from '../graph';
import {
  AUTOSAVE_KEY,
  openPatchText,
  patchFileName,
  readAutosave,
  writeAutosave,
  type StorageLike,
} from './files';

function memoryStorage(): StorageLike & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

function patch() {
  const p = emptyPatch('set', new Date(0));
  return applyChanges(p, [{ op: 'node.add', node: createNode(p, registry, 'camera', { x: 0, y: 0 }) }]);
}

describe('autosave', () => {
  it('round-trips the patch and file name through storage', () => {
    const s = memoryStorage();
    expect(readAutosave(s)).toBeNull();
    expect(writeAutosave(s, patch(), 'set.patch', 5)).toBeNull();
    const back = readAutosave(s)!;
    expect(back.fileName).toBe('set.patch');
    expect(back.savedAt).toBe(5);
    expect(back.patch.nodes[0]!.id).toBe('camera-1');
  });

  it('ignores a corrupt record and reports a full storage', () => {
    const s = memoryStorage();
    s.map.set(AUTOSAVE_KEY, '{"patchText": "{not json"}');
    expect(readAutosave(s)).toBeNull();
    const full: StorageLike = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(writeAutosave(full, patch(), null)).toMatch(/autosave to this browser failed: QuotaExceededError/);
  });
});

describe('openPatchText', () => {
  it('opens a .patch and names problems with the file and path', () => {
    const ok = openPatchText(serializePatch(patch()), 'a.patch');
    expect(ok).toMatchObject({ ok: true, imported: null });
    expect(openPatchText('{', 'b.patch')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^b\.patch is not JSON/),
    });
    const bad = openPatchText(
      '{"format":"patchbay","format_version":1,"metadata":{},"nodes":"x","edges":[]}',
      'c.patch',
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^c\.patch: /);
  });

  it('routes Scope files to an importer, or says it cannot', () => {
    const doc = JSON.stringify({ format: 'scope-workflow', format_version: '1.0', pipelines: [] });
    expect(openPatchText(doc, 'w.json')).toEqual({
      ok: false,
      error: 'w.json is a Daydream Scope workflow; this build cannot import it yet',
    });
    const res = openPatchText(doc, 'w.json', {
      'a Daydream Scope workflow': () => ({ ok: true, patch: patch(), warnings: ['lora dropped'] }),
    });
    expect(res).toMatchObject({
      ok: true,
      imported: 'a Daydream Scope workflow',
      warnings: ['lora dropped'],
    });
  });

  it('makes safe file names', () => {
    expect(patchFileName('My set!')).toBe('my-set.patch');
    expect(patchFileName('  ')).toBe('untitled.patch');
    expect(patchFileName('club.patch')).toBe('club.patch');
    expect(patchFileName('../../etc')).toBe('etc.patch');
    expect(patchFileName('a..b')).toBe('a.b.patch');
  });
});
