/**
 * Where Patchbay's log files live — the contract between the writer (./rotating.ts, used by
 * `patchbay serve`, the desktop app and the JS API) and the readers (Scope's /api/v1/logs/*
 * routes, the desktop app's logs window). Pure names and numbers: no I/O, safe to import anywhere.
 *
 * `<dataDir>/logs/patchbay.log` is the current file; when a write would take it past 5 MB it is
 * renamed to `patchbay.1.log` (the previous `.1` to `.2`, …, `.4` is deleted), so at most five
 * files exist and a higher number is older. One JSON object per line (pino's format:
 * `{"level":30,"time":1733230000000,"pid":1,"hostname":"h","msg":"…",…}`).
 */
import { join } from 'node:path';

/** The logs folder's name under the data dir. */
export const LOGS_DIR = 'logs';
/** The current (newest) log file. */
export const CURRENT_LOG_FILE = 'patchbay.log';
/** Files kept in all: the current one plus `patchbay.1.log` … `patchbay.4.log`. */
export const LOG_FILE_COUNT = 5;
/** A file is rotated before a write would make it larger than this (5 MB, as Scope's). */
export const MAX_LOG_FILE_BYTES = 5 * 1024 * 1024;

/** `<dataDir>/logs`. */
export function logsDir(dataDir: string): string {
  return join(dataDir, LOGS_DIR);
}

/** The file name of generation `n`: 0 → `patchbay.log`, 1 → `patchbay.1.log`, … */
export function logFileName(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= LOG_FILE_COUNT)
    throw new RangeError(`log file generation must be 0 to ${LOG_FILE_COUNT - 1}, got ${n}`);
  return n === 0 ? CURRENT_LOG_FILE : `patchbay.${n}.log`;
}

/** Every file name the rotation can produce, newest first. */
export function logFileNames(): string[] {
  return Array.from({ length: LOG_FILE_COUNT }, (_, n) => logFileName(n));
}

/** pino's numeric levels by name (the `level` field of each line). */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export type LogLevel = LogLevelName | 'silent';

export const LOG_LEVEL_NAMES: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

/** Parses a `--log-level` value; throws naming the accepted ones. */
export function parseLogLevel(text: string): LogLevel {
  const v = text.trim().toLowerCase();
  if ((LOG_LEVEL_NAMES as readonly string[]).includes(v)) return v as LogLevel;
  throw new Error(`--log-level must be one of ${LOG_LEVEL_NAMES.join(', ')}; got "${text}"`);
}
