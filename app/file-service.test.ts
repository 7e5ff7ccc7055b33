import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { OpenDialogOptions, SaveDialogOptions } from './electron-types';
import { FileService } from './file-service';
import { readTextFile, withExtension, writeFileAtomic } from './files';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchbay-app-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function service(opts: { open?: string[] | null; save?: string | null } = {}) {
  const calls = {
    open: [] as OpenDialogOptions[],
    save: [] as SaveDialogOptions[],
    recent: [] as string[],
    missing: [] as string[],
  };
  const svc = new FileService({
    showOpenDialog: async (o) => {
      calls.open.push(o);
      return opts.open ? { canceled: false, filePaths: opts.open } : { canceled: true, filePaths: [] };
    },
    showSaveDialog: async (o) => {
      calls.save.push(o);
      return opts.save ? { canceled: false, filePath: opts.save } : { canceled: true };
    },
    onRecent: (p) => calls.recent.push(p),
    onRecentMissing: (p) => calls.missing.push(p),
    defaultDirectory: dir,
  });
  return { svc, calls };
}

describe('readTextFile / writeFileAtomic', () => {
  it('round-trips UTF-8 text', async () => {
    const p = join(dir, 'a.patch');
    await writeFileAtomic(p, '{"format":"patchbay","title":"Nuit blanche ✨"}');
    expect(await readTextFile(p)).toEqual({
      path: p,
      contents: '{"format":"patchbay","title":"Nuit blanche ✨"}',
    });
    expect(await readdir(dir)).toEqual(['a.patch']); // no temporary left behind
  });

  it('names the file and the problem', async () => {
    await expect(readTextFile(join(dir, 'gone.patch'))).rejects.toThrow(
      'gone.patch: the file does not exist',
    );
    await mkdir(join(dir, 'd.patch'));
    await expect(readTextFile(join(dir, 'd.patch'))).rejects.toThrow('d.patch: is not a file');
    await writeFile(join(dir, 'big.patch'), Buffer.alloc(2048, 0x20));
    await expect(readTextFile(join(dir, 'big.patch'), 1024)).rejects.toThrow(
      /big.patch: is 2 KiB, more than the 1 KiB/,
    );
    await writeFile(join(dir, 'bin.patch'), Buffer.from([0xff, 0xfe, 0x00, 0x81]));
    await expect(readTextFile(join(dir, 'bin.patch'))).rejects.toThrow(
      'bin.patch: is not a text file (not valid UTF-8)',
    );
  });

  it('leaves the old file intact when a save fails', async () => {
    const p = join(dir, 'keep.patch');
    await writeFileAtomic(p, 'old');
    await expect(writeFileAtomic(join(dir, 'no-such-dir', 'x.patch'), 'new')).rejects.toThrow(
      /x.patch: could not be saved \(ENOENT\)/,
    );
    expect(await readFile(p, 'utf8')).toBe('old');
  });

  it('adds the missing extension', () => {
    expect(withExtension('/a/show', 'patch')).toBe('/a/show.patch');
    expect(withExtension('/a/show.PATCH', 'patch')).toBe('/a/show.PATCH');
    expect(withExtension('/a/wf', 'scope-workflow')).toBe('/a/wf.json');
  });
});

describe('FileService', () => {
  it('opens through the dialog, grants the path and records it as recent', async () => {
    const p = join(dir, 'show.patch');
    await writeFile(p, 'patch text');
    const { svc, calls } = service({ open: [p] });
    expect(await svc.openWithDialog()).toEqual({ path: p, contents: 'patch text' });
    expect(calls.open[0]).toMatchObject({
      defaultPath: dir,
      filters: [{ name: 'Patchbay patch', extensions: ['patch'] }],
    });
    expect(calls.recent).toEqual([p]);
    expect(svc.grants.has(p)).toBe(true);
  });

  it('returns null when the open dialog is canceled', async () => {
    const { svc, calls } = service({ open: null });
    expect(await svc.openWithDialog()).toBeNull();
    expect(calls.recent).toEqual([]);
  });

  it('saves to an opened path without a dialog', async () => {
    const p = join(dir, 'show.patch');
    await writeFile(p, 'v1');
    const { svc, calls } = service();
    await svc.openPath(p);
    expect(await svc.save(p, 'v2')).toEqual({ saved: true, path: p });
    expect(await readFile(p, 'utf8')).toBe('v2');
    expect(calls.save).toEqual([]);
  });

  it('refuses to save to a path the user never chose', async () => {
    const { svc } = service();
    const target = join(dir, 'elsewhere.patch');
    await expect(svc.save(target, 'x')).rejects.toThrow(
      /elsewhere.patch: was not opened or saved through Patchbay/,
    );
    await expect(readFile(target)).rejects.toThrow();
  });

  it('Save As asks for a path, adds .patch, and grants it for the next Save', async () => {
    const chosen = join(dir, 'new-show');
    const { svc, calls } = service({ save: chosen });
    expect(await svc.save(null, 'first')).toEqual({ saved: true, path: `${chosen}.patch` });
    expect(calls.save[0]).toMatchObject({ defaultPath: join(dir, 'untitled.patch') });
    expect(await svc.save(`${chosen}.patch`, 'second')).toEqual({ saved: true, path: `${chosen}.patch` });
    expect(await readFile(`${chosen}.patch`, 'utf8')).toBe('second');
    expect(calls.recent).toEqual([`${chosen}.patch`, `${chosen}.patch`]);
  });

  it('a canceled Save As saves nothing', async () => {
    const { svc } = service({ save: null });
    expect(await svc.save(null, 'x')).toEqual({ saved: false, reason: 'canceled' });
  });

  it('exports a Scope workflow as .json, not into the recent list', async () => {
    const { svc, calls } = service({ save: join(dir, 'wf') });
    expect(await svc.save(null, '{}', 'scope-workflow')).toEqual({ saved: true, path: join(dir, 'wf.json') });
    expect(calls.save[0]?.filters).toEqual([{ name: 'Scope workflow', extensions: ['json'] }]);
    expect(calls.recent).toEqual([]);
  });

  it('drops a recent entry whose file is gone', async () => {
    const { svc, calls } = service();
    await expect(svc.openPath(join(dir, 'moved.patch'), true)).rejects.toThrow(/does not exist/);
    expect(calls.missing).toEqual([join(dir, 'moved.patch')]);
  });

  it('imports a Scope file through a JSON dialog', async () => {
    const p = join(dir, 'timeline.json');
    await writeFile(p, '{"prompts":[]}');
    const { svc, calls } = service({ open: [p] });
    expect(await svc.importScope('timeline')).toEqual({ path: p, contents: '{"prompts":[]}' });
    expect(calls.open[0]).toMatchObject({ title: 'Import Scope timeline' });
    expect(calls.recent).toEqual([]);
  });
});
