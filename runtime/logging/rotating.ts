/**
 * A pino destination that writes `<dataDir>/logs/patchbay.log` and rotates it by size per the
 * contract in ./files.ts. Synchronous writes (fs.writeSync): a line is on disk when the call
 * returns, so nothing is lost when the process exits or crashes, and the readers never see half a
 * rotation. Hand-written because pino-roll names files by counter/date and never keeps a fixed
 * "current" name, which the Scope logs routes and the desktop app's window read.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE_COUNT, MAX_LOG_FILE_BYTES, logFileName, logsDir } from './files';

export interface RotatingFileOptions {
  /** Rotate before the file would pass this many bytes (default 5 MB). */
  maxBytes?: number;
  /** Files kept in all, current included (default 5). */
  files?: number;
}

export class RotatingFileDestination {
  readonly dir: string;
  private fd: number | null = null;
  private size = 0;
  private readonly maxBytes: number;
  private readonly files: number;

  constructor(dataDir: string, opts: RotatingFileOptions = {}) {
    this.dir = logsDir(dataDir);
    this.maxBytes = opts.maxBytes ?? MAX_LOG_FILE_BYTES;
    this.files = Math.min(opts.files ?? LOG_FILE_COUNT, LOG_FILE_COUNT);
    mkdirSync(this.dir, { recursive: true });
    this.open();
  }

  /** The current file's path. */
  get path(): string {
    return join(this.dir, logFileName(0));
  }

  private open(): void {
    this.fd = openSync(this.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    const oldest = join(this.dir, logFileName(this.files - 1));
    if (existsSync(oldest)) rmSync(oldest, { force: true });
    for (let n = this.files - 2; n >= 0; n--) {
      const from = join(this.dir, logFileName(n));
      if (existsSync(from)) renameSync(from, join(this.dir, logFileName(n + 1)));
    }
    this.open();
  }

  /** pino calls this with one serialized line (newline included). */
  write(chunk: string): boolean {
    const bytes = Buffer.byteLength(chunk);
    try {
      if (this.fd === null) this.open();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      writeSync(this.fd!, chunk);
      this.size += bytes;
    } catch (error) {
      // A full disk or a removed folder must not take the runtime down: say it once per failure
      // on stderr and keep going (the next write tries to reopen the file).
      if (this.fd !== null) {
        try {
          closeSync(this.fd);
        } catch {
          /* already gone */
        }
      }
      this.fd = null;
      process.stderr.write(
        `patchbay: could not write the log file ${this.path}: ${(error as Error).message}\n`,
      );
    }
    return true;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
