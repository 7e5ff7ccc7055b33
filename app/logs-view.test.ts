import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RotatingFileDestination } from '../runtime/logging';
import { logsDir } from '../runtime/logging/files';
import { formatLogLine, readRecentLogLines, renderLogsPage } from './logs-view';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the logs window', () => {
  it('reads the newest lines across the rotated files, oldest first', () => {
    const data = mkdtempSync(join(tmpdir(), 'pb-logs-view-'));
    dirs.push(data);
    const dest = new RotatingFileDestination(data, { maxBytes: 120 });
    for (let n = 0; n < 12; n++) dest.write(`${JSON.stringify({ level: 30, time: n, msg: `line ${n}` })}\n`);
    dest.close();
    const lines = readRecentLogLines(logsDir(data), 5);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    expect(readRecentLogLines(join(data, 'nowhere'))).toEqual([]);
  });

  it('formats records with their time, level and session, and escapes what the runtime wrote', () => {
    expect(
      formatLogLine(
        '{"level":40,"time":1733230000000,"kind":"webrtc","session":"1a2b3c4d99","msg":"peer closed"}',
      ),
    ).toBe('2024-12-03 12:46:40.000 warn: [webrtc 1a2b3c4d] peer closed');
    const html = renderLogsPage({
      lines: ['{"level":30,"time":0,"msg":"<script>x</script>"}'],
      logPath: '/u/logs/patchbay.log',
    });
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="patchbay-app:show-logs"');
    expect(html).toContain("default-src 'none'");
  });
});
