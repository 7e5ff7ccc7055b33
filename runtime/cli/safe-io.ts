import type { CliIo } from './main';

/**
 * The same output with every line made printable: newlines, carriage returns and ANSI escapes
 * in what a patch or a client supplied (node types, param names, messages) are shown escaped,
 * so a file cannot forge a line such as "x.patch: ok" or recolour the terminal. Everything else
 * (the log level) passes through.
 */
export function lineSafeIo(io: CliIo): CliIo {
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g;
  const safe = (line: string) =>
    line.replace(CONTROL, (c) =>
      c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
  return { ...io, out: (line) => io.out(safe(line)), err: (line) => io.err(safe(line)) };
}
