import { describe, it, expect } from 'vitest';
import {
  FileHandOver,
  QuitCoordinator,
  filesFromSecondInstance,
  shouldAskCameraAccess,
  type QuitDeps,
} from './lifecycle';
import { renderStartupErrorPage, startupErrorPageUrl } from './startup-error-page';

describe('FileHandOver (open-with and second launch)', () => {
  it('holds files until the editor is ready, then delivers each once, in order', () => {
    const delivered: string[] = [];
    const handOver = new FileHandOver((p) => delivered.push(p));
    handOver.open(['/a.patch', '/b.patch', '/a.patch']);
    expect(delivered).toEqual([]);
    expect(handOver.pending()).toEqual(['/a.patch', '/b.patch']);
    handOver.setReady(true);
    expect(delivered).toEqual(['/a.patch', '/b.patch']);
    handOver.open(['/c.patch']);
    expect(delivered).toEqual(['/a.patch', '/b.patch', '/c.patch']);
    handOver.setReady(false); // the editor reloaded
    handOver.open(['/d.patch']);
    expect(delivered).toHaveLength(3);
    handOver.setReady(true);
    expect(delivered.at(-1)).toBe('/d.patch');
    expect(handOver.pending()).toEqual([]);
  });

  it('reads a second launch’s files from its parsed data, or from its argv and cwd', () => {
    expect(
      filesFromSecondInstance(['exe', 'ignored.patch'], '/w', { patchFiles: ['/shows/x.patch'] }, 1),
    ).toEqual(['/shows/x.patch']);
    expect(filesFromSecondInstance(['exe', '--no-sandbox', 'y.patch'], '/home/vj', undefined, 1)).toEqual([
      '/home/vj/y.patch',
    ]);
    // Data that does not validate (relative, wrong type, wrong extension) falls back to argv.
    for (const bad of [
      { patchFiles: ['rel.patch'] },
      { patchFiles: '/x.patch' },
      { patchFiles: ['/etc/passwd'] },
      null,
    ]) {
      expect(filesFromSecondInstance(['exe', 'z.patch'], '/w', bad, 1)).toEqual(['/w/z.patch']);
    }
  });
});

function quitHarness(opts: { editor?: boolean; flushes?: boolean; graceful?: boolean } = {}) {
  const events: string[] = [];
  let pendingTimer: (() => void) | null = null;
  const deps: QuitDeps = {
    requestFlush: () => {
      events.push('flush requested');
      if (opts.flushes !== false) queueMicrotask(() => coordinator.flushDone());
      return opts.editor !== false;
    },
    closeOutputWindow: () => events.push('output closed'),
    stopRuntime: async () => {
      events.push('runtime stopping');
      return { graceful: opts.graceful ?? true };
    },
    saveSettings: async () => void events.push('settings saved'),
    quit: () => events.push('quit'),
    log: (m) => events.push(`log: ${m}`),
    clock: {
      now: () => 0,
      setTimeout: (fn) => {
        pendingTimer = fn;
        return 1;
      },
      clearTimeout: () => (pendingTimer = null),
    },
  };
  const coordinator = new QuitCoordinator(deps, { flushTimeoutMs: 3000 });
  return { coordinator, events, fireTimer: () => pendingTimer?.() };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('QuitCoordinator', () => {
  it('flushes the autosave, closes the output, stops the runtime, saves, then quits', async () => {
    const { coordinator, events } = quitHarness();
    expect(coordinator.beforeQuit()).toBe(true); // prevented: the sequence runs first
    expect(coordinator.beforeQuit()).toBe(true); // a second Cmd+Q while quitting changes nothing
    await settle();
    expect(events).toEqual([
      'flush requested',
      'log: editor flushed its autosave',
      'output closed',
      'runtime stopping',
      'log: runtime stopped',
      'settings saved',
      'quit',
    ]);
    expect(coordinator.beforeQuit()).toBe(false); // the real quit goes through
  });

  it('does not wait forever for an editor that never confirms', async () => {
    const { coordinator, events, fireTimer } = quitHarness({ flushes: false });
    coordinator.beforeQuit();
    await settle();
    expect(events).toEqual(['flush requested']);
    fireTimer();
    await settle();
    expect(events).toContain('log: editor did not confirm its autosave within 3000 ms');
    expect(events.at(-1)).toBe('quit');
  });

  it('skips the flush without an editor and reports a killed runtime', async () => {
    const { coordinator, events } = quitHarness({ editor: false, flushes: false, graceful: false });
    coordinator.beforeQuit();
    await settle();
    expect(events).toEqual([
      'flush requested',
      'output closed',
      'runtime stopping',
      'log: runtime had to be killed',
      'settings saved',
      'quit',
    ]);
  });
});

describe('camera prompt', () => {
  it('is shown once, on macOS, while the OS has not decided', () => {
    expect(shouldAskCameraAccess('darwin', 'not-determined', false)).toBe(true);
    expect(shouldAskCameraAccess('darwin', 'not-determined', true)).toBe(false);
    expect(shouldAskCameraAccess('darwin', 'denied', false)).toBe(false);
    expect(shouldAskCameraAccess('darwin', 'granted', false)).toBe(false);
    expect(shouldAskCameraAccess('win32', 'not-determined', false)).toBe(false);
    expect(shouldAskCameraAccess('linux', 'unknown', false)).toBe(false);
  });
});

describe('startup error page', () => {
  it('shows the reason, the escaped log and the Retry/Quit actions', () => {
    const html = renderStartupErrorPage({
      message: 'the runtime exited with code 1 before it became healthy',
      log: ['Error: Cannot find module <werift>', '  at "x" & y'],
      logPath: '/home/vj/.config/Patchbay/logs/patchbay.log',
    });
    expect(html).toContain('the runtime exited with code 1 before it became healthy');
    expect(html).toContain('Error: Cannot find module &lt;werift&gt;\n  at &quot;x&quot; &amp; y');
    expect(html).not.toContain('<werift>');
    expect(html).toContain('href="patchbay-app:retry"');
    expect(html).toContain('href="patchbay-app:show-log"');
    expect(html).toContain('href="patchbay-app:quit"');
    expect(html).not.toMatch(/<script/i);
    expect(renderStartupErrorPage({ message: 'm', log: [], logPath: null })).toContain(
      '(the runtime printed nothing)',
    );
  });

  it('is loadable as a data: URL', () => {
    const url = startupErrorPageUrl({ message: 'm', log: [], logPath: null });
    expect(url.startsWith('data:text/html;charset=utf-8;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1]!, 'base64').toString()).toContain(
      '<h1>The Patchbay runtime did not start</h1>',
    );
  });
});
