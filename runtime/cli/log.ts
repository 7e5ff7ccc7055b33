/**
 * The logger a CLI command writes through: human lines on stderr at the `--log-level` (errors
 * only with `--quiet`), and, when the command touches a data dir, the rotating JSON files in
 * `<dataDir>/logs` at the `--log-level` whatever `--quiet` says. pino is loaded only by the
 * commands that log (serve, play), so `validate` starts fast.
 */
import { createLogger, lineLog, type Logger, type PatchbayLogger } from '../logging';
import type { CliIo } from './main';

export interface CliLogger extends PatchbayLogger {
  /** A `(line) => void` for the modules that take one (SessionManager, sessions, sinks). */
  line: (line: string) => void;
  logger: Logger;
}

export function cliLogger(
  io: CliIo,
  opts: { dataDir?: string; quiet?: boolean; component: string },
): CliLogger {
  const level = io.logLevel ?? 'info';
  const made = createLogger({
    level,
    consoleLevel: opts.quiet ? (level === 'silent' ? 'silent' : 'error') : level,
    console: io.err,
    // PATCHBAY_LOG_FILES=off: another process keeps the files (the desktop app).
    ...(opts.dataDir && process.env.PATCHBAY_LOG_FILES !== 'off' ? { dataDir: opts.dataDir } : {}),
    base: { component: opts.component },
  });
  return { ...made, line: lineLog(made.logger) };
}
