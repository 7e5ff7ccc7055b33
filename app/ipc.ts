/**
 * The main-process side of the preload API: one handler per IPC channel, each checking who is
 * calling (only the editor page served by our own runtime) and validating its arguments with a
 * schema before doing anything. A refused call rejects in the renderer with a message that says
 * which argument was wrong; it never throws inside the main process.
 */
import { z } from 'zod';
import type { IpcMainInvokeEvent } from './electron-types';
import type { FileService } from './file-service';
import { MAX_PATCH_BYTES } from './files';
import { IpcRateLimiter } from './ipc-rate-limit';
import { IPC_CHANNELS, type DisplayInfo, type OpenedPatch, type SaveResult } from './preload-api';
import { originOf } from './security';

/** An IPC call that was refused (wrong caller or bad arguments). */
export class IpcError extends Error {
  constructor(channel: string, message: string) {
    super(`${channel}: ${message}`);
    this.name = 'IpcError';
  }
}

const path = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'is longer than 4096 characters')
  .refine((p) => !p.includes('\u0000'), 'contains a NUL character');

const schemas = {
  [IPC_CHANNELS.openFile]: z.tuple([]),
  [IPC_CHANNELS.saveFile]: z.union([
    z.tuple([
      path.nullable(),
      z.string().max(MAX_PATCH_BYTES, `is longer than ${MAX_PATCH_BYTES} characters`),
    ]),
    z.tuple([
      path.nullable(),
      z.string().max(MAX_PATCH_BYTES, `is longer than ${MAX_PATCH_BYTES} characters`),
      z.enum(['patch', 'scope-workflow']),
    ]),
  ]),
  [IPC_CHANNELS.listDisplays]: z.tuple([]),
  [IPC_CHANNELS.openOutputWindow]: z.tuple([z.number().int().nonnegative().nullable()]),
  [IPC_CHANNELS.flushDone]: z.tuple([]),
  [IPC_CHANNELS.readyForFiles]: z.tuple([]),
} as const;

const argumentNames: Record<string, string[]> = {
  [IPC_CHANNELS.saveFile]: ['path', 'contents', 'kind'],
  [IPC_CHANNELS.openOutputWindow]: ['displayId'],
};

/**
 * Validates `args` for `channel`; returns them typed or throws an IpcError that names the
 * argument (`saveFile: argument 2 (contents): expected string, received number`).
 */
export function validateArgs<C extends keyof typeof schemas>(
  channel: C,
  args: unknown[],
): z.infer<(typeof schemas)[C]> {
  const parsed = schemas[channel].safeParse(args);
  if (parsed.success) return parsed.data as z.infer<(typeof schemas)[C]>;
  // A union reports its branches' issues; the longest branch explains best what was expected.
  const issues = parsed.error.issues.flatMap((issue) =>
    issue.code === 'invalid_union' ? issue.errors.flat() : [issue],
  );
  const issue = issues.find((i) => i.path.length > 0) ?? issues[0];
  const index = typeof issue?.path[0] === 'number' ? issue.path[0] : null;
  const name = index === null ? null : argumentNames[channel]?.[index];
  const where = index === null ? 'arguments' : `argument ${index + 1}${name ? ` (${name})` : ''}`;
  const what =
    issue?.code === 'too_big' && index === null ? `at most ${issue.maximum} expected` : issue?.message;
  throw new IpcError(channel, `${where}: ${what ?? 'invalid'}`);
}

/** What the handlers act on. */
export interface IpcDeps {
  files: FileService;
  /** The runtime's origin (`http://127.0.0.1:<port>`), or null while it is not running. */
  appOrigin(): string | null;
  listDisplays(): DisplayInfo[];
  openOutputWindow(displayId: number | null): Promise<void>;
  flushDone(): void;
  readyForFiles(): void;
  /** Per-channel rate limit (default 100/s and 1,000/min, ipc-rate-limit.ts). */
  rateLimiter?: IpcRateLimiter;
}

/** Handlers for `ipcMain.handle` (invoke channels) and `ipcMain.on` (send channels). */
export interface IpcHandlers {
  invoke: Record<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>>;
  on: Record<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => void>;
}

/** Builds the handlers; main.ts registers each with ipcMain. */
export function createIpcHandlers(deps: IpcDeps): IpcHandlers {
  const limiter = deps.rateLimiter ?? new IpcRateLimiter();
  const checkSender = (channel: string, event: IpcMainInvokeEvent): void => {
    const over = limiter.take(channel);
    if (over) throw new IpcError(channel, `refused: more than ${over} on this channel`);
    const url = event.senderFrame?.url ?? event.sender?.getURL() ?? '';
    const origin = originOf(url);
    const expected = deps.appOrigin();
    if (expected === null || origin !== expected) {
      throw new IpcError(
        channel,
        `refused: the caller (${origin ?? 'no origin'}) is not the Patchbay editor`,
      );
    }
  };
  const invoke: IpcHandlers['invoke'] = {
    [IPC_CHANNELS.openFile]: async (event, ...args): Promise<OpenedPatch | null> => {
      checkSender(IPC_CHANNELS.openFile, event);
      validateArgs(IPC_CHANNELS.openFile, args);
      return deps.files.openWithDialog();
    },
    [IPC_CHANNELS.saveFile]: async (event, ...args): Promise<SaveResult> => {
      checkSender(IPC_CHANNELS.saveFile, event);
      const [path, contents, kind] = validateArgs(IPC_CHANNELS.saveFile, args);
      return deps.files.save(path, contents, kind ?? 'patch');
    },
    [IPC_CHANNELS.listDisplays]: async (event, ...args): Promise<DisplayInfo[]> => {
      checkSender(IPC_CHANNELS.listDisplays, event);
      validateArgs(IPC_CHANNELS.listDisplays, args);
      return deps.listDisplays();
    },
    [IPC_CHANNELS.openOutputWindow]: async (event, ...args): Promise<void> => {
      checkSender(IPC_CHANNELS.openOutputWindow, event);
      const [displayId] = validateArgs(IPC_CHANNELS.openOutputWindow, args);
      if (displayId !== null && !deps.listDisplays().some((d) => d.id === displayId)) {
        throw new IpcError(
          IPC_CHANNELS.openOutputWindow,
          `argument 1 (displayId): no display with id ${displayId}`,
        );
      }
      await deps.openOutputWindow(displayId);
    },
  };
  // One-way messages cannot reject back to the renderer: a bad one is dropped (and logged by main).
  const on: IpcHandlers['on'] = {
    [IPC_CHANNELS.flushDone]: (event, ...args) => {
      checkSender(IPC_CHANNELS.flushDone, event);
      validateArgs(IPC_CHANNELS.flushDone, args);
      deps.flushDone();
    },
    [IPC_CHANNELS.readyForFiles]: (event, ...args) => {
      checkSender(IPC_CHANNELS.readyForFiles, event);
      validateArgs(IPC_CHANNELS.readyForFiles, args);
      deps.readyForFiles();
    },
  };
  return { invoke, on };
}
