/**
 * A one-line progress display for long commands (play, bench): rewritten in place on a terminal
 * (`\r` + clear to end of line), absent when stderr is not a TTY so logs and pipes stay clean.
 */
import type { CliIo } from './main';

export interface ProgressLine {
  update(text: string): void;
  /** Clears the line (the final summary is printed normally). */
  done(): void;
}

export function progressLine(
  _io: CliIo,
  stream: { isTTY?: boolean; write: (s: string) => unknown } = process.stderr,
): ProgressLine | null {
  if (!stream.isTTY) return null;
  let shown = false;
  return {
    update(text) {
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
