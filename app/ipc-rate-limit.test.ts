import { describe, expect, it } from 'vitest';
import type { IpcMainInvokeEvent } from './electron-types';
import type { FileService } from './file-service';
import { createIpcHandlers } from './ipc';
import { IPC_RATE_LIMITS, IpcRateLimiter } from './ipc-rate-limit';
import { IPC_CHANNELS } from './preload-api';

describe('IpcRateLimiter', () => {
  it('allows 100 calls per second per channel, then refuses until the second has passed', () => {
    let t = 0;
    const limiter = new IpcRateLimiter(IPC_RATE_LIMITS, () => t);
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBeNull();
    expect(limiter.take('a')).toBe('100 calls per second');
    expect(limiter.take('b')).toBeNull(); // per channel
    t = 999;
    expect(limiter.take('a')).toBe('100 calls per second');
    t = 1000;
    expect(limiter.take('a')).toBeNull();
  });

  it('allows 1,000 calls per minute per channel', () => {
    let t = 0;
    const limiter = new IpcRateLimiter(IPC_RATE_LIMITS, () => t);
    // 100 a second for 10 s reaches the minute's 1,000.
    for (let s = 0; s < 10; s++) {
      t = s * 1000;
      for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBeNull();
    }
    t = 10_000;
    expect(limiter.take('a')).toBe('1000 calls per minute');
    t = 59_999;
    expect(limiter.take('a')).toBe('1000 calls per minute');
    t = 60_000; // the first second's 100 calls leave the window
    expect(limiter.take('a')).toBeNull();
  });
});

describe('IPC handlers under the rate limit', () => {
  it('reject the 101st call in a second with a message naming the limit', async () => {
    const origin = 'http://127.0.0.1:41234';
    const fromEditor: IpcMainInvokeEvent = { senderFrame: { url: `${origin}/` } };
    let opened = 0;
    const handlers = createIpcHandlers({
      files: { openWithDialog: async () => (opened++, null) } as unknown as FileService,
      appOrigin: () => origin,
      listDisplays: () => [],
      openOutputWindow: async () => {},
      flushDone: () => {},
      readyForFiles: () => {},
      rateLimiter: new IpcRateLimiter(IPC_RATE_LIMITS, () => 5),
    });
    const open = handlers.invoke[IPC_CHANNELS.openFile]!;
    for (let i = 0; i < 100; i++) await open(fromEditor);
    await expect(open(fromEditor)).rejects.toThrow(
      `${IPC_CHANNELS.openFile}: refused: more than 100 calls per second on this channel`,
    );
    expect(opened).toBe(100);
    // Another channel is counted on its own.
    expect(await handlers.invoke[IPC_CHANNELS.listDisplays]!(fromEditor)).toEqual([]);
  });
});
