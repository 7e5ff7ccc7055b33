import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePatch } from './parse';
import { serializePatch } from './serialize';
import { FORMAT_MIGRATIONS, migrateFormat, OLDEST_FORMAT_VERSION, type FormatMigration } from './migrations';
import { PATCH_FORMAT_VERSION } from './types';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const read = (p: string) => readFileSync(join(fixtures, p), 'utf8');

describe('format migrations', () => {
  it('has one named step per past version, in order, up to the version this build writes', () => {
    expect(OLDEST_FORMAT_VERSION).toBe(0);
    FORMAT_MIGRATIONS.forEach((m, i) => {
      expect(m.from).toBe(OLDEST_FORMAT_VERSION + i);
      expect(m.name).toMatch(/^[a-z0-9-]+$/);
    });
    expect(OLDEST_FORMAT_VERSION + FORMAT_MIGRATIONS.length).toBe(PATCH_FORMAT_VERSION);
  });

  for (const name of ['draft-camera-gray', 'draft-timeline']) {
    it(`leads the v0 fixture ${name} to the v1 file checked in beside it`, () => {
      const r = parsePatch(read(`v0/${name}.patch`));
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      expect(r.issues).toEqual([]);
      expect(r.migrations).toEqual(['connections-to-edges']);
      expect(serializePatch(r.patch)).toBe(read(`v0/${name}.expected-v1.patch`));
    });
  }

  it('v0 → v1 turns "node:port" connections into edges with ids, arrays into positions, title into name', () => {
    const r = parsePatch(read('v0/draft-camera-gray.patch'));
    if (!r.ok) throw new Error('not ok');
    const p = r.patch;
    expect(p.metadata).toMatchObject({
      name: 'Draft: camera in gray',
      created_at: '2025-09-01T10:00:00.000Z',
      author: 'an early tester',
    });
    expect(p.metadata.title).toBeUndefined();
    expect(p.edges).toEqual([
      { id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'gray', port: 'video' } },
      {
        id: 'e2',
        from: { node: 'gray', port: 'video' },
        to: { node: 'out', port: 'video' },
        label: 'to screen',
      },
    ]);
    expect(p.connections).toBeUndefined();
    expect(p.nodes.map((n) => [n.version, n.position])).toEqual([
      [1, { x: 0, y: 0 }],
      [1, { x: 300, y: 0 }],
      [1, { x: 600, y: 0 }],
    ]);
    expect(p.nodes[2]!.colour).toBe('#ff8800');
    expect(p.draft_notes).toBe('v0 files kept editor notes at the top level');
  });

  it('names the broken connection of a bad v0 file', () => {
    const r = parsePatch(read('invalid/v0-bad-connection.patch'));
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => [i.code, i.pathText])).toEqual([['MIGRATION_FAILED', 'connections[0].from']]);
    expect(r.issues[0]!.message).toMatch(/connections-to-edges.*expected "node:port", got "cam"/);
  });

  it('refuses connections that are not a list', () => {
    const r = migrateFormat({
      format: 'patchbay',
      format_version: 0,
      metadata: {},
      nodes: [],
      connections: 'a->b',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.pathText).toBe('connections');
  });

  it('does not change the document it is given', () => {
    const doc = JSON.parse(read('v0/draft-timeline.patch')) as Record<string, unknown>;
    const before = JSON.stringify(doc);
    migrateFormat(doc);
    expect(JSON.stringify(doc)).toBe(before);
  });
});

describe('the migration framework', () => {
  const chain: FormatMigration[] = [
    { from: 0, name: 'add-a', description: '', up: (d) => ({ ...d, a: 1 }) },
    { from: 1, name: 'a-to-b', description: '', up: ({ a, ...d }) => ({ ...d, b: (a as number) + 1 }) },
    { from: 2, name: 'b-to-c', description: '', up: ({ b, ...d }) => ({ ...d, c: (b as number) * 10 }) },
  ];

  it('runs each step from the file version up, in order, and names them', () => {
    expect(migrateFormat({ format_version: 0 }, chain, 3)).toEqual({
      ok: true,
      doc: { format_version: 3, c: 20 },
      applied: ['add-a', 'a-to-b', 'b-to-c'],
    });
    expect(migrateFormat({ format_version: 2, b: 5 }, chain, 3)).toEqual({
      ok: true,
      doc: { format_version: 3, c: 50 },
      applied: ['b-to-c'],
    });
    expect(migrateFormat({ format_version: 3, c: 1 }, chain, 3)).toEqual({
      ok: true,
      doc: { format_version: 3, c: 1 },
      applied: [],
    });
  });

  it('refuses a newer version, a gap in the chain and a step that throws', () => {
    const newer = migrateFormat({ format_version: 4 }, chain, 3);
    expect(!newer.ok && newer.issues[0]!.code).toBe('FORMAT_TOO_NEW');
    const gap = migrateFormat({ format_version: 0 }, [chain[0]!, chain[2]!], 3);
    expect(!gap.ok && gap.issues[0]!.message).toMatch(/no migration from format version 1/);
    const boom: FormatMigration = {
      from: 0,
      name: 'boom',
      description: '',
      up: () => {
        throw new Error('kaput');
      },
    };
    const thrown = migrateFormat({ format_version: 0 }, [boom], 1);
    expect(!thrown.ok && thrown.issues[0]!.message).toMatch(/"boom".*kaput/);
    const bad = migrateFormat({ format_version: 1.5 }, chain, 3);
    expect(!bad.ok && bad.issues[0]!.code).toBe('INVALID_FORMAT_VERSION');
  });
});
