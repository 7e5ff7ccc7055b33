/**
 * Patchbay's logs: one pino logger per process, written as JSON lines to the rotating files in
 * `<dataDir>/logs` (./files.ts is the contract) and as short human lines to stderr.
 *
 *   const logger = createLogger({ dataDir, level: 'info' });
 *   logger.child({ session: id }).warn('peer closed');
 *   createServer({ logger, … });          // fastify and every session write through it
 *
 * Code that predates the logger takes a `(line: string) => void`; `lineLog(logger)` adapts it:
 * a leading `[webrtc 1a2b3c4d]` / `[headless …]` / `[editor …]` tag (SessionManager's) becomes the
 * `session` and `kind` fields of that line, and lines that say an error or a refusal are logged
 * at `warn` (the rest at `info`), so `--quiet` (level `error`) and `--log-level warn` filter them.
 */
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { LOG_LEVELS, parseLogLevel, type LogLevel } from './files';
import { RotatingFileDestination } from './rotating';

export * from './files';
export { RotatingFileDestination } from './rotating';
export type { Logger } from 'pino';

const LEVEL_BY_NUMBER = new Map<number, string>(Object.entries(LOG_LEVELS).map(([k, v]) => [v, k]));

/** Formats one pino JSON line for a terminal: `warn [webrtc 1a2b3c4d] message`. */
export function humanLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const level = LEVEL_BY_NUMBER.get(rec.level as number) ?? String(rec.level);
  const tag = [rec.kind, typeof rec.session === 'string' ? rec.session.slice(0, 8) : undefined]
    .filter(Boolean)
    .join(' ');
  const req = rec.reqId !== undefined ? ` (req ${String(rec.reqId)})` : '';
  const err =
    rec.err && typeof rec.err === 'object' && 'message' in rec.err ? `: ${String(rec.err.message)}` : '';
  // Plain info lines read as they always did; other levels carry their name.
  const prefix = level === 'info' ? '' : `${level}: `;
  return `${prefix}${tag ? `[${tag}] ` : ''}${String(rec.msg ?? '')}${err}${req}`;
}

/** A destination writing human lines (one per record) through `write`. */
export function humanDestination(write: (line: string) => void): DestinationStream {
  return { write: (chunk: string) => write(humanLine(chunk)) };
}

export interface LoggerOptions {
  /** Lowest level written (default `info`; `PATCHBAY_LOG_LEVEL` when set). */
  level?: LogLevel;
  /** Write the rotating files under `<dataDir>/logs` (none: no files). */
  dataDir?: string;
  /**
   * Where the human lines go: a function per line, `false` for nowhere; default stderr. Its own
   * level may be higher than the files' (the CLI's `--quiet` keeps the files at `info`).
   */
  console?: ((line: string) => void) | false;
  consoleLevel?: LogLevel;
  /**
   * `human` (default) or `json`: the console gets pino's JSON lines as they are (the desktop app
   * runs the runtime with `PATCHBAY_LOG_FORMAT=json` and writes them into its own files).
   */
  consoleFormat?: 'human' | 'json';
  /** Extra fields on every line (e.g. `{ app: 'desktop' }`). */
  base?: Record<string, unknown>;
}

export interface PatchbayLogger {
  logger: Logger;
  /** The current log file, when files are written. */
  file: string | null;
  /** The rotating destination itself (for lines forwarded from another process). */
  destination: RotatingFileDestination | null;
  /** Closes the log file (the logger then writes only to the console). */
  close(): void;
}

function numeric(level: LogLevel): number {
  return level === 'silent' ? Infinity : LOG_LEVELS[level];
}

/** Builds the process's logger; see the module comment. */
export function createLogger(opts: LoggerOptions = {}): PatchbayLogger {
  const envLevel = process.env.PATCHBAY_LOG_LEVEL ? parseLogLevel(process.env.PATCHBAY_LOG_LEVEL) : undefined;
  const level: LogLevel = opts.level ?? envLevel ?? 'info';
  const consoleLevel: LogLevel = opts.consoleLevel ?? level;
  const streams: pino.StreamEntry[] = [];
  let files: RotatingFileDestination | null = null;
  if (opts.dataDir) {
    files = new RotatingFileDestination(opts.dataDir);
    streams.push({ level: level === 'silent' ? 'fatal' : level, stream: files });
  }
  if (opts.console !== false && consoleLevel !== 'silent') {
    const write = opts.console ?? ((line: string) => process.stderr.write(`${line}\n`));
    const format = opts.consoleFormat ?? (process.env.PATCHBAY_LOG_FORMAT === 'json' ? 'json' : 'human');
    streams.push({
      level: consoleLevel,
      stream:
        format === 'json' ? { write: (chunk: string) => write(chunk.trimEnd()) } : humanDestination(write),
    });
  }
  const lowest = Math.min(numeric(level), numeric(consoleLevel));
  const rootLevel: LevelWithSilent =
    streams.length === 0 || lowest === Infinity
      ? 'silent'
      : ((LEVEL_BY_NUMBER.get(lowest) ?? 'info') as LevelWithSilent);
  const logger = pino(
    {
      level: rootLevel,
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    pino.multistream(streams, { dedupe: false }),
  );
  return {
    logger,
    file: files?.path ?? null,
    destination: files,
    close: () => files?.close(),
  };
}

const SESSION_TAG = /^\[(webrtc|headless|editor|relay|cloud) ([0-9A-Za-z-]{1,64})\] /;
const WARNING =
  /\b(error|errors|failed|fails|refused|cannot|could not|not allowed|warning|crashed|unavailable)\b/i;

/**
 * Writes one line another Patchbay process printed (its stderr/stdout) into `dest`'s log: a pino
 * JSON line is kept as it is (fields and time intact); any other text becomes an `info` record of
 * `logger` with `stream`. The desktop app uses this for the runtime it supervises.
 */
export function forwardLine(
  logger: Logger,
  dest: { write(chunk: string): unknown } | null,
  line: string,
  stream: 'stdout' | 'stderr',
): void {
  if (dest && line.startsWith('{"level":')) {
    try {
      JSON.parse(line);
      dest.write(`${line}\n`);
      return;
    } catch {
      /* not JSON after all: log it as text */
    }
  }
  logger.info({ stream }, line);
}

/** Adapts a logger to the `(line) => void` callbacks the runtime's modules take. */
export function lineLog(logger: Logger): (line: string) => void {
  return (line: string) => {
    const tagged = SESSION_TAG.exec(line);
    const target = tagged ? logger.child({ kind: tagged[1], session: tagged[2] }) : logger;
    const msg = tagged ? line.slice(tagged[0].length) : line;
    if (WARNING.test(msg)) target.warn(msg);
    else target.info(msg);
  };
}
