/**
 * Runs the real bundled main process (app/dist/main.cjs, built from main.ts) under plain Node with
 * a scripted fake `electron` module (test-fixtures/fake-electron-path), and a fake runtime as
 * bin/patchbay.mjs. It checks the wiring that unit tests of the plain modules cannot: the runtime
 * is spawned and awaited, the editor loaded with secure options, a file from argv handed over,
 * IPC callers checked, CSP and permissions applied, and quit flushes, stops the runtime and exits.
 * The real Electron run is the e2e smoke test (e2e/app.e2e.test.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
type Entry = { type: string } & Record<string, unknown>;

interface Run {
  work: string;
  entries: Entry[];
  exitCode: number | null;
  stderr: string;
}

const runs: string[] = [];
afterAll(() => runs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Bundles main.ts and runs it with the fake electron and a fake runtime in `mode`. */
async function runMain(mode: string): Promise<Run> {
  const work = mkdtempSync(join(tmpdir(), 'patchbay-app-wiring-'));
  runs.push(work);
  const outdir = join(work, 'dist');
  execFileSync(process.execPath, [join(here, 'scripts', 'build-app.mjs'), '--outdir', outdir]);
  const root = join(work, 'root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(join(here, 'test-fixtures', 'fake-runtime.mjs'), join(root, 'bin', 'patchbay.mjs'));
  writeFileSync(join(work, 'show.patch'), '{"format":"patchbay-patch"}');
  const child = spawn(process.execPath, [join(outdir, 'main.cjs'), join(work, 'show.patch'), 'notes.txt'], {
    cwd: work,
    env: {
      ...process.env,
      NODE_PATH: join(here, 'test-fixtures', 'fake-electron-path'),
      PATCHBAY_ROOT: root,
      PATCHBAY_NODE: process.execPath,
      FAKE_ELECTRON_USERDATA: join(work, 'userData'),
      FAKE_RUNTIME_MODE: mode,
    },
  });
  let out = '';
  let stderr = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exitCode = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(-1);
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const entries = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Entry);
  return { work, entries, exitCode, stderr };
}

let work: string;
let entries: Entry[] = [];
let exitCode: number | null = null;
let stderr = '';

beforeAll(async () => {
  ({ work, entries, exitCode, stderr } = await runMain('healthy'));
}, 40_000);

const find = (type: string) => entries.filter((e) => e.type === type);

describe('main process wiring (fake electron, real runtime child)', () => {
  it('exits by itself after the scripted session, cleanly', () => {
    expect(exitCode, stderr).toBe(0);
  });

  it('passes argv files to the single-instance lock, ignoring other arguments with a warning', () => {
    expect(find('app.singleInstanceLock')[0]?.data).toEqual({ patchFiles: [join(work, 'show.patch')] });
    expect(stderr).toContain('ignored "notes.txt": Patchbay opens .patch files');
  });

  it('starts the runtime, waits for health, and loads the editor from it in a secure window', () => {
    const url = find('BrowserWindow.loadURL')[0]?.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const options = find('BrowserWindow.new')[0]?.options as { webPreferences: Record<string, unknown> };
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(String(options.webPreferences.preload)).toMatch(/preload\.cjs$/);
    // Shown once at start (the tray's Show later shows it again).
    const firstTrayClick = entries.findIndex((e) => e.type === 'tray.click');
    expect(entries.slice(0, firstTrayClick).filter((e) => e.type === 'BrowserWindow.show')).toHaveLength(1);
    expect(find('Menu.set').at(-1)?.labels).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
  });

  it('hands the argv file to the editor once it subscribes', () => {
    const sent = find('webContents.send').filter((e) => e.channel === 'patchbay:open-patch');
    expect(sent.map((e) => e.args)).toEqual([
      [{ path: join(work, 'show.patch'), contents: '{"format":"patchbay-patch"}' }],
    ]);
    expect(find('app.addRecentDocument')[0]?.path).toBe(join(work, 'show.patch'));
  });

  it('answers the editor and refuses other origins and unknown paths', () => {
    expect(find('ipc.listDisplays')[0]).toMatchObject({
      ok: true,
      value: [{ id: 1, label: 'Fake', primary: true }],
    });
    expect(find('ipc.listDisplays.evil')[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(/refused/),
    });
    expect(find('ipc.saveFile.unknownPath')[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(/use Save As/),
    });
  });

  it('applies the permission policy, the CSP and the navigation rules', () => {
    expect(find('permission')[0]).toMatchObject({ media: true, evilMedia: false, geo: false });
    const headers = find('headers')[0]?.headers as Record<string, string[]>;
    expect(headers['Content-Security-Policy']?.[0]).toContain("script-src 'self'");
    expect(find('navigation')[0]).toMatchObject({
      filePrevented: true,
      externalPrevented: true,
      open: { action: 'deny' },
    });
    expect(find('shell.openExternal').map((e) => e.url)).toEqual(['https://example.com/docs']);
  });

  it('on quit: flushes the editor, stops the runtime with SIGTERM, saves settings, then quits', () => {
    const quits = find('app.quit');
    expect(quits[0]).toMatchObject({ prevented: true });
    expect(quits.at(-1)).toMatchObject({ prevented: false });
    expect(find('webContents.send').some((e) => (e.args as unknown[])[0] === 'app.flush')).toBe(true);
    expect(stderr).toContain('editor flushed its autosave');
    expect(stderr).toContain('runtime stopped');
    // One rotating pino log (runtime/logging/files.ts) for the app and the runtime it runs: the
    // runtime's text lines become records of component "runtime", its JSON lines are kept as
    // they are, the app's own lines are component "app".
    const records = readFileSync(join(work, 'userData', 'logs', 'patchbay.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.msg === 'fake runtime: SIGTERM, closing')).toMatchObject({
      component: 'runtime',
      level: 30,
      stream: 'stdout',
    });
    expect(records.find((r) => r.msg === 'fake runtime: a pino line')).toEqual({
      level: 30,
      time: 1733230000000,
      pid: 1234,
      component: 'serve',
      session: 'abcd1234',
      msg: 'fake runtime: a pino line',
    });
    expect(records.some((r) => r.component === 'app' && typeof r.time === 'number')).toBe(true);
    const settings = JSON.parse(readFileSync(join(work, 'userData', 'settings.json'), 'utf8'));
    expect(settings.window).toEqual({ bounds: { x: 40, y: 50, width: 1200, height: 800 }, maximized: false });
    expect(settings.recentFiles).toEqual([join(work, 'show.patch')]);
  });
});

describe('the tray icon', () => {
  it('shows the runtime state, and Show/Hide/Quit that work', () => {
    expect(find('Tray.new')).toEqual([{ type: 'Tray.new', image: 'png' }]);
    const tips = find('Tray.setToolTip').map((e) => e.text as string);
    expect(tips.some((t) => /^Patchbay — Runtime: running at http:\/\/127\.0\.0\.1:\d+$/.test(t))).toBe(true);
    expect(tips.some((t) => t === 'Patchbay — Runtime: starting…')).toBe(true);
    const menus = find('Tray.setContextMenu').map((e) => e.labels as string[]);
    expect(menus.at(-1)).toContain('Quit Patchbay');
    expect(find('tray.click')).toEqual([
      { type: 'tray.click', label: 'Hide Patchbay', found: true },
      { type: 'tray.click', label: 'Show Patchbay', found: true },
    ]);
    // Hiding rebuilt the menu with "Show", showing again with "Hide".
    const i = entries.findIndex((e) => e.type === 'BrowserWindow.hide');
    expect(i).toBeGreaterThan(0);
    const afterHide = entries.slice(i).filter((e) => e.type === 'Tray.setContextMenu');
    expect(afterHide[0]!.labels).toContain('Show Patchbay');
    const j = entries.findIndex((e, k) => k > i && e.type === 'BrowserWindow.show');
    const afterShow = entries.slice(j).filter((e) => e.type === 'Tray.setContextMenu');
    expect(afterShow[0]!.labels).toContain('Hide Patchbay');
  });
});

describe('auto-update', () => {
  it('is off in development, and says so', () => {
    expect(stderr).toMatch(/auto-update: off \(off in development/);
  });
});

describe('main process wiring when the runtime cannot start', () => {
  it('shows the error window with the log, retries on Retry, and quits on Quit', async () => {
    const run = await runMain('exit-early');
    expect(run.exitCode, run.stderr).toBe(0);
    const pages = run.entries.filter((e) => e.type === 'errorPage');
    expect(pages).toHaveLength(2); // the first, then the one after Retry failed again
    const html = String(pages[0]?.html);
    expect(html).toContain('The Patchbay runtime did not start');
    expect(html).toMatch(/exited with code 3 before it became healthy/);
    expect(html).toContain('fake runtime: failing on purpose before listening');
    const errorWindows = run.entries.filter(
      (e) =>
        e.type === 'BrowserWindow.new' &&
        String((e.options as { title?: string }).title).includes('did not start'),
    );
    expect(errorWindows).toHaveLength(2);
    for (const w of errorWindows) {
      expect((w.options as { webPreferences: Record<string, unknown> }).webPreferences).toMatchObject({
        javascript: false,
        sandbox: true,
      });
    }
    expect(run.entries.filter((e) => e.type === 'errorPage.click').every((e) => e.prevented === true)).toBe(
      true,
    );
    // Four starts per attempt (maxStartFailures), two attempts.
    expect(run.stderr.match(/runtime: starting/g)?.length ?? 0).toBeGreaterThanOrEqual(8);
  }, 60_000);
});
