/**
 * Scope's log endpoints over Patchbay's log files: `<dataDir>/logs/patchbay.log` (the current
 * file; rotated to `patchbay.1.log` … `patchbay.4.log`), one pino JSON record a line.
 *
 * - `GET /api/v1/logs/tail?lines=200&since_offset=0` → `{lines, offset}`: the last `lines`
 *   records (or those after byte `since_offset` of the current file), each formatted as Scope's
 *   `<time> - <name> - <LEVEL> - <msg>` so its log panel colours them by level; `offset` is the
 *   current file's size for the next poll. An offset beyond the file (it was rotated) reads the
 *   new file from its start. No log folder or file yet: `{lines: [], offset: 0}`.
 * - `GET /api/v1/logs/current` → the current file as text (formatted the same way), as a
 *   download; 404 when nothing was logged yet (Scope's answer).
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HttpError, type ServerContext } from '../context';

/** The current log file in a data dir (h22-platform's rotation contract). */
export const currentLogFile = (dataDir: string): string => join(dataDir, 'logs', 'patchbay.log');

/** The most a response reads from the file (a busy log is cut to its newest part). */
const MAX_READ_BYTES = 2 * 1024 * 1024;

const LEVELS: Record<number, string> = {
  10: 'DEBUG',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'ERROR',
};

/** One pino JSON record as Scope's log line; a line that is not a pino record is kept as it is. */
export function formatLogLine(raw: string): string {
  const line = raw.trimEnd();
  if (!line.startsWith('{')) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (!rec || typeof rec !== 'object') return line;
  const t = typeof rec.time === 'number' || typeof rec.time === 'string' ? new Date(rec.time) : null;
  const time = t && !Number.isNaN(t.getTime()) ? t.toISOString().replace('T', ' ').replace('Z', '') : '-';
  const level =
    typeof rec.level === 'number'
      ? (LEVELS[Math.floor(rec.level / 10) * 10] ?? 'INFO')
      : typeof rec.level === 'string'
        ? rec.level.toUpperCase().replace(/^WARN$/, 'WARNING')
        : 'INFO';
  const name =
    typeof rec.name === 'string' ? rec.name : typeof rec.module === 'string' ? rec.module : 'patchbay';
  const msg = typeof rec.msg === 'string' ? rec.msg : typeof rec.message === 'string' ? rec.message : '';
  const err = rec.err as { message?: unknown; stack?: unknown } | undefined;
  const tail = err && typeof err === 'object' && typeof err.message === 'string' ? `: ${err.message}` : '';
  return `${time} - ${name} - ${level} - ${msg}${tail}`;
}

/** Bytes [start, end) of a file. */
async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, end - start));
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const NL = 0x0a;

/** Scope's tail answer for `dataDir`. */
export async function tailLogs(
  dataDir: string,
  lines: number,
  sinceOffset: number,
): Promise<{ lines: string[]; offset: number }> {
  const file = currentLogFile(dataDir);
  const size = await stat(file).then(
    (s) => (s.isFile() ? s.size : -1),
    () => -1,
  );
  if (size < 0) return { lines: [], offset: 0 };
  if (sinceOffset > 0 && sinceOffset === size) return { lines: [], offset: size };
  // An offset inside the file reads what came after it; past the end, the file was rotated.
  const from = sinceOffset > 0 && sinceOffset < size ? sinceOffset : 0;
  const start = Math.max(from, size - MAX_READ_BYTES);
  const buf = await readRange(file, start, size);
  // Cut at a record boundary when the read started mid-file (not at the caller's offset).
  const skip = start > from ? buf.indexOf(NL) + 1 : 0;
  // A record still being written (no newline yet) waits for the next poll.
  const end = buf.lastIndexOf(NL) + 1;
  if (end <= skip) return { lines: [], offset: from };
  const out = buf
    .subarray(skip, end)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map(formatLogLine);
  return { lines: out.slice(-lines), offset: start + end };
}

export function logRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/logs/tail', async (req) => {
    const q = req.query as Record<string, unknown>;
    const lines = q.lines === undefined ? 200 : Number(q.lines);
    const since = q.since_offset === undefined ? 0 : Number(q.since_offset);
    if (!Number.isInteger(lines) || lines < 1 || lines > 1000)
      throw new HttpError(422, 'lines must be an integer from 1 to 1000');
    if (!Number.isInteger(since) || since < 0)
      throw new HttpError(422, 'since_offset must be an integer >= 0');
    return tailLogs(ctx.opts.dataDir, lines, since);
  });

  app.get('/api/v1/logs/current', async (_req, reply) => {
    const file = currentLogFile(ctx.opts.dataDir);
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : -1),
      () => -1,
    );
    if (size < 0)
      throw new HttpError(404, 'Log file not found. The application may not have logged anything yet.');
    const start = Math.max(0, size - MAX_READ_BYTES * 4);
    let text = (await readRange(file, start, size)).toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const body = text
      .split('\n')
      .filter((l) => l.trim())
      .map(formatLogLine)
      .join('\n');
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', 'attachment; filename="patchbay.txt"')
      .header('cache-control', 'no-store')
      .send(body ? `${body}\n` : '');
  });
}
