import { describe, expect, it } from 'vitest';
import { extractGlobalOptions, main } from './main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('patchbay main', () => {
  it('lists every command with its usage', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const name of ['validate', 'import', 'serve', 'play', 'bench', 'models'])
      expect(c.out.some((l) => l.trimStart().startsWith(name))).toBe(true);
  });

  it('answers --help for a command with its usage, and starts nothing', async () => {
    const c = capture();
    expect(await main(['serve', '--help'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^usage: patchbay serve \[--host H\] \[--port P\]/);
  });

  it('refuses an unknown command by name, without a stack trace', async () => {
    const c = capture();
    expect(await main(['servee'], c.io)).toBe(2);
    expect(c.err.join('\n')).toBe('patchbay: unknown command "servee". Run "patchbay --help" for the list.');
  });
});

describe('CLI conventions', () => {
  it('--version prints the package and Node versions on stdout, exit 0', async () => {
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^patchbay \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+\)$/);
    expect(c.err).toEqual([]);
  });

  it('no arguments is a misuse: help on stderr, exit 2, nothing on stdout', async () => {
    const c = capture();
    expect(await main([], c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('\n')).toMatch(/usage: patchbay <command>/);
  });

  it('takes --log-level and --verbose anywhere and passes the level to the command', async () => {
    expect(extractGlobalOptions(['serve', '--log-level', 'warn', '--port', '0'])).toEqual({
      rest: ['serve', '--port', '0'],
      logLevel: 'warn',
    });
    expect(extractGlobalOptions(['--verbose', 'play', 'x.patch'])).toEqual({
      rest: ['play', 'x.patch'],
      logLevel: 'debug',
    });
    const c = capture();
    expect(await main(['--log-level=loud', 'validate', 'x'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--log-level must be one of trace, debug/);
  });

  it('an unknown option is named as an option', async () => {
    const c = capture();
    expect(await main(['--frobnicate'], c.io)).toBe(2);
    expect(c.err[0]).toBe('patchbay: unknown option "--frobnicate". Run "patchbay --help" for the list.');
  });
});
