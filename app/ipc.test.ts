import { describe, it, expect } from 'vitest';
import type { IpcMainInvokeEvent } from './electron-types';
import type { FileService } from './file-service';
import { createIpcHandlers, validateArgs, type IpcDeps } from './ipc';
import { IPC_CHANNELS } from './preload-api';

const origin = 'http://127.0.0.1:41234';
const fromEditor: IpcMainInvokeEvent = { senderFrame: { url: `${origin}/` } };
const fromElsewhere: IpcMainInvokeEvent = { senderFrame: { url: 'https://evil.example/' } };

function setup() {
  const calls: string[] = [];
  const files = {
    openWithDialog: async () => {
      calls.push('open');
      return { path: '/a.patch', contents: 'x' };
    },
    save: async (path: string | null, contents: string, kind: string) => {
      calls.push(`save ${path} ${contents} ${kind}`);
      return { saved: true as const, path: path ?? '/chosen.patch' };
    },
  } as unknown as FileService;
  const deps: IpcDeps = {
    files,
    appOrigin: () => origin,
    listDisplays: () => [{ id: 3, label: 'P', width: 1, height: 1, scaleFactor: 1, primary: true }],
    openOutputWindow: async (id) => void calls.push(`output ${id}`),
    flushDone: () => calls.push('flushed'),
    readyForFiles: () => calls.push('ready'),
  };
  return { handlers: createIpcHandlers(deps), calls, deps };
}

describe('IPC handlers', () => {
  it('serve the editor', async () => {
    const { handlers, calls } = setup();
    expect(await handlers.invoke[IPC_CHANNELS.openFile]!(fromEditor)).toEqual({
      path: '/a.patch',
      contents: 'x',
    });
    expect(await handlers.invoke[IPC_CHANNELS.saveFile]!(fromEditor, null, '{}')).toEqual({
      saved: true,
      path: '/chosen.patch',
    });
    await handlers.invoke[IPC_CHANNELS.saveFile]!(fromEditor, '/a.patch', '{}', 'scope-workflow');
    await handlers.invoke[IPC_CHANNELS.openOutputWindow]!(fromEditor, 3);
    await handlers.invoke[IPC_CHANNELS.openOutputWindow]!(fromEditor, null);
    handlers.on[IPC_CHANNELS.flushDone]!(fromEditor);
    handlers.on[IPC_CHANNELS.readyForFiles]!(fromEditor);
    expect(calls).toEqual([
      'open',
      'save null {} patch',
      'save /a.patch {} scope-workflow',
      'output 3',
      'output null',
      'flushed',
      'ready',
    ]);
    expect(await handlers.invoke[IPC_CHANNELS.listDisplays]!(fromEditor)).toHaveLength(1);
  });

  it('refuse callers that are not the editor page', async () => {
    const { handlers, calls, deps } = setup();
    await expect(handlers.invoke[IPC_CHANNELS.openFile]!(fromElsewhere)).rejects.toThrow(
      'patchbay:open-file: refused: the caller (https://evil.example) is not the Patchbay editor',
    );
    await expect(
      handlers.invoke[IPC_CHANNELS.saveFile]!({ senderFrame: { url: 'data:text/html,x' } }, null, ''),
    ).rejects.toThrow(/no origin/);
    expect(() => handlers.on[IPC_CHANNELS.flushDone]!(fromElsewhere)).toThrow(/refused/);
    deps.appOrigin = () => null; // runtime down: nobody is the editor
    await expect(handlers.invoke[IPC_CHANNELS.listDisplays]!(fromEditor)).rejects.toThrow(/refused/);
    expect(calls).toEqual([]);
  });

  it('name the argument that is wrong', async () => {
    const { handlers, calls } = setup();
    const save = handlers.invoke[IPC_CHANNELS.saveFile]!;
    await expect(save(fromEditor, '/a.patch', 42)).rejects.toThrow(
      /patchbay:save-file: argument 2 \(contents\): .*string/i,
    );
    await expect(save(fromEditor, 7, 'x')).rejects.toThrow(/argument 1 \(path\)/);
    await expect(save(fromEditor, '', 'x')).rejects.toThrow(/argument 1 \(path\): must not be empty/);
    await expect(save(fromEditor, '/a\u0000.patch', 'x')).rejects.toThrow(/NUL/);
    await expect(save(fromEditor, '/a.patch', 'x', 'exe')).rejects.toThrow(/argument 3 \(kind\)/);
    await expect(save(fromEditor, '/a.patch', 'x'.repeat(16 * 1024 * 1024 + 1))).rejects.toThrow(
      /argument 2 \(contents\): is longer than/,
    );
    await expect(save(fromEditor)).rejects.toThrow(/patchbay:save-file: argument/);
    const output = handlers.invoke[IPC_CHANNELS.openOutputWindow]!;
    await expect(output(fromEditor, 1.5)).rejects.toThrow(/argument 1 \(displayId\)/);
    await expect(output(fromEditor, 99)).rejects.toThrow('argument 1 (displayId): no display with id 99');
    await expect(handlers.invoke[IPC_CHANNELS.openFile]!(fromEditor, '/etc/passwd')).rejects.toThrow(
      /patchbay:open-file: /,
    );
    expect(calls).toEqual([]);
  });

  it('validateArgs returns typed arguments', () => {
    expect(validateArgs(IPC_CHANNELS.saveFile, [null, 'c'])).toEqual([null, 'c']);
    expect(validateArgs(IPC_CHANNELS.openOutputWindow, [0])).toEqual([0]);
  });
});
