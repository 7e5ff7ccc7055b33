import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../main';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const P = (p: string) => join('patches', p);

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

async function run(...args: string[]) {
  const io = capture();
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const code = await main(['validate', ...args], io);
    return { code, out: io.out_, err: io.err_ };
  } finally {
    process.chdir(cwd);
  }
}

describe('patchbay validate', () => {
  it('prints "FILE: ok" for each valid example and exits 0', async () => {
    const files = readdirSync(join(ROOT, 'patches', 'examples')).map((f) => P(`examples/${f}`));
    const r = await run('--quiet', ...files);
    expect(r.out).toEqual([]);
    expect(r.code).toBe(0);
    const loud = await run(P('examples/test-pattern-gray.patch'), P('examples/two-outputs.patch'));
    expect(loud.out).toEqual([
      `${P('examples/test-pattern-gray.patch')}: ok`,
      `${P('examples/two-outputs.patch')}: ok`,
    ]);
    expect(loud.code).toBe(0);
  });

  it('prints each problem as FILE: <path>: <message> and exits 1', async () => {
    const file = P('fixtures/invalid/bad-params.patch');
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      `${file}: nodes[0].params.source_mode: Invalid option: expected one of "camera"|"test_pattern"|"video_file"`,
      `${file}: nodes[0].params.fps: Too big: expected number to be <=120`,
    ]);
  });

  it('fails the whole run when one file of several is bad, and says how many', async () => {
    const r = await run(P('examples/effects.patch'), P('fixtures/invalid/not-a-patch.patch'));
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe(`${P('examples/effects.patch')}: ok`);
    expect(r.out).toContain(
      `${P('fixtures/invalid/not-a-patch.patch')}: nodes: Invalid input: expected array, received string`,
    );
    expect(r.err).toEqual(['1 of 2 files failed']);
  });

  it('turns missing files, folders and non-JSON into one error line each, never a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-validate-'));
    writeFileSync(join(dir, 'binary.patch'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]));
    writeFileSync(
      join(dir, 'deep.patch'),
      '{"format":"patchbay","x":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}',
    );
    const r = await run(
      join(dir, 'missing.patch'),
      dir,
      join(dir, 'binary.patch'),
      P('fixtures/invalid/truncated.patch'),
      join(dir, 'deep.patch'),
    );
    expect(r.code).toBe(1);
    // A file that cannot be read is an error on stderr; a patch's problems are findings on stdout.
    expect(r.err.slice(0, 2)).toEqual([
      `${join(dir, 'missing.patch')}: no such file`,
      `${dir}: is a folder, not a file`,
    ]);
    expect(r.out).toEqual([
      expect.stringMatching(/binary\.patch: \(root\): not valid JSON/),
      expect.stringMatching(/truncated\.patch: \(root\): not valid JSON/),
      `${join(dir, 'deep.patch')}: (root): values are nested more than 64 levels deep (at character 88)`,
    ]);
    expect([...r.out, ...r.err].join('\n')).not.toMatch(/\s+at /);
  });

  it('reports an old-format problem with its migration, and compiles the patch after parsing it', async () => {
    const old = await run(P('fixtures/invalid/v0-bad-connection.patch'));
    expect(old.out[0]).toMatch(/connections\[0\]\.from: migration "connections-to-edges"/);
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-validate-'));
    // Structurally fine, but with no output the compiler refuses it (a fatal compile error).
    const noOutput = {
      format: 'patchbay',
      format_version: 1,
      metadata: { name: 'x', created_at: '', app_version: '0.1.0' },
      nodes: [{ id: 'cam', type: 'camera', version: 1, position: { x: 0, y: 0 }, params: {} }],
      edges: [],
    };
    writeFileSync(join(dir, 'no-output.patch'), JSON.stringify(noOutput));
    const r = await run(join(dir, 'no-output.patch'));
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(/output/i);
  });

  it('marks warnings, passes with them, and fails on them with --strict', async () => {
    const file = P('fixtures/v1/future-fields.patch');
    const r = await run(file);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      `${file}: nodes[0].params.glow: warning: "camera" has no param "glow"; it is kept and ignored`,
      `${file}: nodes[1].type: warning: unknown node type "lfo"; the node is kept as a disabled placeholder (is a node package missing?)`,
      `${file}: ok (2 warnings)`,
    ]);
    expect((await run('--strict', file)).code).toBe(1);
  });

  it('answers usage errors with exit 2', async () => {
    expect((await run()).code).toBe(2);
    const r = await run('--bogus', 'x.patch');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/unknown option "--bogus"/);
  });

  it('works as a real process: node bin/patchbay.mjs validate patches/examples/*.patch', async () => {
    const files = readdirSync(join(ROOT, 'patches', 'examples')).map((f) => P(`examples/${f}`));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/patchbay.mjs', 'validate', ...files],
      { cwd: ROOT },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => !l.includes(': warning: '));
    expect(lines).toEqual(
      files.map((f) => expect.stringMatching(new RegExp(`^${f.replace(/[.]/g, '\\.')}: ok`))),
    );
    const bad = await promisify(execFile)(
      process.execPath,
      ['bin/patchbay.mjs', 'validate', P('fixtures/invalid/truncated.patch')],
      { cwd: ROOT },
    ).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stdout: string }).stdout).toMatch(/truncated\.patch: \(root\): not valid JSON/);
    expect((bad as { stderr: string }).stderr).toBe('');
  }, 60_000);
});
