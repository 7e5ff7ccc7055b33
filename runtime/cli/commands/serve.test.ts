import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CURRENT_LOG_FILE, logsDir } from '../../logging/files';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('patchbay serve logs', () => {
  it('writes pino JSON lines to <data-dir>/logs/patchbay.log, request lines with their reqId at --verbose', async () => {
    const data = mkdtempSync(join(tmpdir(), 'pb-serve-logs-'));
    dirs.push(data);
    const proc = spawn(
      process.execPath,
      [join(root, 'bin/patchbay.mjs'), 'serve', '--port', '0', '--data-dir', data, '--verbose'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    const records = readFileSync(join(logsDir(data), CURRENT_LOG_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const listening = records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('listening on'));
    expect(listening).toMatchObject({ level: 30, component: 'serve', url });
    expect(typeof listening!.time).toBe('number');
    const request = records.find((r) => r.msg === 'request' && r.url === '/health');
    expect(request).toMatchObject({ level: 20, component: 'http', status: 200, method: 'GET' });
    expect(request!.reqId).toBeDefined();
    expect(records.some((r) => r.msg === 'stopped')).toBe(true);
    // The terminal gets human lines, not JSON.
    expect(stderr).toMatch(/debug: request \(req /);
  });
});
