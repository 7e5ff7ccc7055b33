import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decideUpdates, startAutoUpdate, type Updater } from './updates';

class FakeUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  feeds: unknown[] = [];
  checks = 0;
  fail = false;
  setFeedURL(o: unknown) {
    this.feeds.push(o);
  }
  async checkForUpdates() {
    this.checks++;
    if (this.fail) throw new Error('net::ERR_INTERNET_DISCONNECTED');
    return null;
  }
}

describe('decideUpdates', () => {
  it('is off in development unless asked for with a feed', () => {
    expect(decideUpdates({}, false)).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/development/),
    });
    expect(decideUpdates({ PATCHBAY_UPDATES: 'on' }, false).enabled).toBe(false);
    expect(
      decideUpdates({ PATCHBAY_UPDATES: 'on', PATCHBAY_UPDATE_URL: 'http://127.0.0.1:9000/feed/' }, false),
    ).toEqual({
      enabled: true,
      feedUrl: 'http://127.0.0.1:9000/feed/',
      reason: 'development, feed http://127.0.0.1:9000/feed/',
    });
  });

  it('is on when packaged, with the configured feed or the packaged publish settings; off when told', () => {
    expect(decideUpdates({}, true)).toEqual({
      enabled: true,
      feedUrl: null,
      reason: 'the packaged publish settings',
    });
    expect(decideUpdates({ PATCHBAY_UPDATE_URL: 'https://updates.example/patchbay/' }, true)).toMatchObject({
      enabled: true,
      feedUrl: 'https://updates.example/patchbay/',
    });
    expect(decideUpdates({ PATCHBAY_UPDATES: 'off' }, true).enabled).toBe(false);
  });

  it('refuses a feed that is not https (http only on loopback)', () => {
    const d = decideUpdates({ PATCHBAY_UPDATE_URL: 'http://updates.example/' }, true);
    expect(d.enabled).toBe(false);
    expect(d.reason).toMatch(/not an https:\/\/ URL/);
    expect(decideUpdates({ PATCHBAY_UPDATE_URL: 'not a url' }, true).enabled).toBe(false);
  });
});

describe('startAutoUpdate', () => {
  it('sets the feed, downloads in the background, installs on quit, checks now and periodically', async () => {
    const u = new FakeUpdater();
    const lines: string[] = [];
    let tick: (() => void) | null = null;
    const stop = startAutoUpdate(
      u as unknown as Updater,
      { enabled: true, feedUrl: 'https://updates.example/', reason: 'feed' },
      (l) => lines.push(l),
      { setInterval: ((fn: () => void) => ((tick = fn), 1)) as never, clearInterval: (() => {}) as never },
    );
    expect(u.feeds).toEqual([{ provider: 'generic', url: 'https://updates.example/' }]);
    expect(u.autoDownload && u.autoInstallOnAppQuit).toBe(true);
    expect(u.checks).toBe(1);
    tick!();
    expect(u.checks).toBe(2);
    u.emit('update-downloaded', { version: '0.2.0' });
    expect(lines.at(-1)).toBe('auto-update: 0.2.0 installs when Patchbay quits');
    stop();
  });

  it('logs errors and failed checks instead of throwing, and does nothing when off', async () => {
    const u = new FakeUpdater();
    u.fail = true;
    const lines: string[] = [];
    startAutoUpdate(
      u as unknown as Updater,
      { enabled: true, feedUrl: null, reason: 'packaged' },
      (l) => lines.push(l),
      {
        setInterval: (() => 1) as never,
      },
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(lines).toContain('auto-update: check failed: net::ERR_INTERNET_DISCONNECTED');
    expect(u.feeds).toEqual([]);
    u.emit('error', new Error('no latest-linux.yml'));
    expect(lines.at(-1)).toBe('auto-update: no latest-linux.yml');
    const off = new FakeUpdater();
    startAutoUpdate(
      off as unknown as Updater,
      { enabled: false, feedUrl: null, reason: 'off in development' },
      () => {},
    );
    expect(off.checks).toBe(0);
  });
});
