import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePatch } from '../../../patches';
import { main, type CliIo } from '../main';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const scope = (f: string) => join(ROOT, 'patches', 'fixtures', 'scope', f);

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['import', ...args], io);
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'patchbay-import-'));

describe('patchbay import', () => {
  for (const [file, kind, types] of [
    [
      'streamdiffusion.scope-workflow.json',
      'a Scope workflow',
      ['camera', 'pipeline', 'pipeline', 'prompt-timeline', 'output'],
    ],
    ['longlive-text.scope-workflow.json', 'a Scope workflow', ['pipeline', 'prompt-timeline', 'output']],
    [
      'graph-vace.scope-workflow.json',
      'a Scope workflow',
      ['camera', 'vace', 'pipeline', 'output', 'ndi', 'prompt-timeline'],
    ],
    ['timeline-v2.1.json', 'a Scope timeline (v2.1)', ['camera', 'pipeline', 'prompt-timeline', 'output']],
    ['timeline-text-v2.1.json', 'a Scope timeline (v2.1)', ['pipeline', 'prompt-timeline', 'output']],
    ['graph-wire.json', 'a Scope graph', ['camera', 'pipeline', 'pipeline', 'output', 'record']],
  ] as const) {
    it(`detects and converts ${file} into a valid patch`, async () => {
      const out = join(tmp(), 'out.patch');
      const r = await run(scope(file), '-o', out);
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.out.at(-1)).toContain(`${kind} → ${out}`);
      const text = readFileSync(out, 'utf8');
      expect(text.endsWith('}\n')).toBe(true);
      const parsed = parsePatch(text);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      expect(parsed.patch.nodes.map((n) => n.type)).toEqual(types);
      expect(parsed.patch.metadata.app_version).toMatch(/^\d+\.\d+\.\d+/);
      expect(await main(['validate', '--quiet', out], { out: () => {}, err: () => {} })).toBe(0);
    });
  }

  it('prints conversion warnings with paths into the source file', async () => {
    const out = join(tmp(), 'sd.patch');
    const r = await run(scope('streamdiffusion.scope-workflow.json'), '-o', out);
    expect(r.out[0]).toBe(
      `${scope('streamdiffusion.scope-workflow.json')}: timeline.entries[2].end_time: warning: timeline entry skipped: end_time must be after start_time`,
    );
  });

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const out = join(tmp(), 'exists.patch');
    writeFileSync(out, 'keep me');
    const r = await run(scope('timeline-v2.1.json'), '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`${out}: already exists; use --force to overwrite it`]);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const forced = await run(scope('timeline-v2.1.json'), '-o', out, '--force', '--name', 'Koi');
    expect(forced.code).toBe(0);
    const parsed = parsePatch(readFileSync(out, 'utf8'));
    expect(parsed.ok && parsed.patch.metadata.name).toBe('Koi');
  });

  it('does not write a patch that has errors, and says why', async () => {
    const out = join(tmp(), 'bad.patch');
    const r = await run(join(ROOT, 'patches', 'fixtures', 'invalid', 'bad-params.patch'), '-o', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${out}: nodes[0].params.fps: Too big: expected number to be <=120`);
    expect(r.err.at(-1)).toBe(`${out}: not written: the converted patch has errors`);
    expect(existsSync(out)).toBe(false);
  });

  it('names what is wrong with an unknown, broken or missing input', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'other.json'), '{"hello": "world"}');
    writeFileSync(
      join(dir, 'broken.json'),
      '{"format": "scope-workflow", "format_version": "1.0", "pipelines": [{"params": {}}]}',
    );
    const other = await run(join(dir, 'other.json'), '-o', join(dir, 'a.patch'));
    expect(other.code).toBe(1);
    expect(other.err[0]).toMatch(/other\.json: \(root\): not a file Patchbay can import/);
    const broken = await run(join(dir, 'broken.json'), '-o', join(dir, 'b.patch'));
    expect(broken.err).toEqual([
      `${join(dir, 'broken.json')}: read as a Scope workflow, but it cannot be converted:`,
      `${join(dir, 'broken.json')}: pipelines[0].pipeline_id: Invalid input: expected string, received undefined`,
    ]);
    const missing = await run(join(dir, 'nope.json'), '-o', join(dir, 'c.patch'));
    expect(missing.err).toEqual([`${join(dir, 'nope.json')}: no such file`]);
    expect(existsSync(join(dir, 'a.patch')) || existsSync(join(dir, 'b.patch'))).toBe(false);
  });

  it('answers usage errors with exit 2', async () => {
    expect((await run()).code).toBe(2);
    expect((await run(scope('timeline-v2.1.json'))).err[0]).toMatch(/-o OUT\.patch/);
    expect((await run('a', 'b', '-o', 'c')).err[0]).toMatch(/only one FILE/);
  });
});
