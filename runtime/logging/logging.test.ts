import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CURRENT_LOG_FILE,
  createLogger,
  humanLine,
  lineLog,
  LOG_FILE_COUNT,
  logFileName,
  logFileNames,
  logsDir,
  parseLogLevel,
  RotatingFileDestination,
} from '.';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pb-logs-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const records = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the log file contract', () => {
  it('names five files under <dataDir>/logs, newest first', () => {
    expect(logsDir('/d')).toBe(join('/d', 'logs'));
    expect(logFileNames()).toEqual([
      'patchbay.log',
      'patchbay.1.log',
      'patchbay.2.log',
      'patchbay.3.log',
      'patchbay.4.log',
    ]);
    expect(() => logFileName(LOG_FILE_COUNT)).toThrow(/0 to 4/);
  });
});

describe('RotatingFileDestination', () => {
  it('rotates before a write would pass the size and keeps at most five files', () => {
    const data = tmp();
    const dest = new RotatingFileDestination(data, { maxBytes: 100 });
    const line = (n: number) => `${JSON.stringify({ n, pad: 'x'.repeat(30) })}\n`; // 50 bytes
    for (let n = 0; n < 20; n++) dest.write(line(n));
    dest.close();
    const dir = logsDir(data);
    expect(readdirSync(dir).sort()).toEqual([...logFileNames()].sort());
    for (const name of logFileNames()) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(100);
    // Two lines per file; the current file has the newest, .4 the oldest kept.
    expect(records(join(dir, CURRENT_LOG_FILE)).map((r) => r.n)).toEqual([18, 19]);
    expect(records(join(dir, 'patchbay.1.log')).map((r) => r.n)).toEqual([16, 17]);
    expect(records(join(dir, 'patchbay.4.log')).map((r) => r.n)).toEqual([10, 11]);
  });

  it('appends to an existing current file and counts its size', () => {
    const data = tmp();
    const a = new RotatingFileDestination(data, { maxBytes: 120 });
    a.write('a'.repeat(99) + '\n');
    a.close();
    const b = new RotatingFileDestination(data, { maxBytes: 120 });
    b.write('b'.repeat(49) + '\n');
    b.close();
    expect(readFileSync(join(logsDir(data), 'patchbay.1.log'), 'utf8')).toBe('a'.repeat(99) + '\n');
    expect(readFileSync(join(logsDir(data), CURRENT_LOG_FILE), 'utf8')).toBe('b'.repeat(49) + '\n');
  });
});

describe('createLogger', () => {
  it('writes pino JSON lines with level and time to the file and human lines to the console', () => {
    const data = tmp();
    const shown: string[] = [];
    const { logger, file, close } = createLogger({ dataDir: data, console: (l) => shown.push(l) });
    logger.child({ session: 'abcdef0123456789', kind: 'webrtc' }).warn('peer closed');
    logger.debug('not at info');
    logger.info('listening');
    close();
    expect(file).toBe(join(logsDir(data), CURRENT_LOG_FILE));
    const recs = records(file!);
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({
      level: 40,
      msg: 'peer closed',
      session: 'abcdef0123456789',
      kind: 'webrtc',
    });
    expect(typeof recs[0]!.time).toBe('number');
    expect(Math.abs((recs[0]!.time as number) - Date.now())).toBeLessThan(60_000);
    expect(shown).toEqual(['warn: [webrtc abcdef01] peer closed', 'listening']);
  });

  it('keeps errors on the console at level error while the file keeps info', () => {
    const data = tmp();
    const shown: string[] = [];
    const { logger, file, close } = createLogger({
      dataDir: data,
      level: 'info',
      consoleLevel: 'error',
      console: (l) => shown.push(l),
    });
    logger.info('quiet info');
    logger.error('loud error');
    close();
    expect(shown).toEqual(['error: loud error']);
    expect(records(file!).map((r) => r.msg)).toEqual(['quiet info', 'loud error']);
  });
});

describe('lineLog', () => {
  it('turns a session tag into fields and error-like lines into warnings', () => {
    const data = tmp();
    const { logger, file, close } = createLogger({ dataDir: data, console: false });
    const log = lineLog(logger);
    log('[webrtc 1a2b3c4d] data channel: ignored "x": unknown');
    log('[headless 99aa] pipeline failed to load');
    log('Patchbay runtime listening');
    close();
    const recs = records(file!);
    expect(recs[0]).toMatchObject({
      level: 30,
      kind: 'webrtc',
      session: '1a2b3c4d',
      msg: 'data channel: ignored "x": unknown',
    });
    expect(recs[1]).toMatchObject({ level: 40, kind: 'headless', session: '99aa' });
    expect(recs[2]).toMatchObject({ level: 30, msg: 'Patchbay runtime listening' });
    expect(recs[2]!.session).toBeUndefined();
  });
});

describe('levels and human lines', () => {
  it('parses level names and refuses others by name', () => {
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow(/trace, debug, info, warn, error, fatal, silent/);
  });

  it('formats a request line with its id and an error with its message', () => {
    expect(humanLine('{"level":50,"msg":"handler","reqId":"req-7","err":{"message":"boom"}}')).toBe(
      'error: handler: boom (req req-7)',
    );
    expect(humanLine('not json\n')).toBe('not json');
  });
});
