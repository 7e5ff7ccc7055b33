import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../nodes';
import { serializePatch } from '../../../patches';
import { applyOrThrow, createNode, emptyPatch } from '../graph';
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
  return applyOrThrow(p, [{ op: 'node.add', node: createNode(p, registry, 'camera', { x: 0, y: 0 }) }]);
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
      error: expect.stringMatching(/^b\.patch: (.*)not valid JSON/),
    });
    const bad = openPatchText(
      '{"format":"patchbay","format_version":1,"metadata":{},"nodes":"x","edges":[]}',
      'c.patch',
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^c\.patch: /);
  });

  it('imports Scope workflow and timeline files (real fixtures)', () => {
    const fixture = (name: string) =>
      readFileSync(
        join(dirname(fileURLToPath(import.meta.url)), '../../../patches/fixtures/scope', name),
        'utf8',
      );
    const wf = openPatchText(fixture('streamdiffusion.scope-workflow.json'), 'sd.scope-workflow.json');
    expect(wf).toMatchObject({ ok: true, imported: 'a Daydream Scope workflow' });
    if (wf.ok) expect(wf.patch.nodes.some((n) => n.type === 'pipeline')).toBe(true);
    const tl = openPatchText(fixture('timeline-v2.1.json'), 'tl.json');
    expect(tl).toMatchObject({ ok: true, imported: 'a Daydream Scope timeline' });
    if (tl.ok) expect(tl.patch.nodes.some((n) => n.type === 'prompt-timeline')).toBe(true);
    const bad = openPatchText('{"format":"scope-workflow","format_version":"1.0","pipelines":"x"}', 'w.json');
    expect(bad).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^w\.json \(a Daydream Scope workflow\): /),
    });
    expect(openPatchText('[1,2]', 'x.json')).toMatchObject({
      ok: false,
      error: expect.stringContaining('not a file Patchbay can import'),
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
