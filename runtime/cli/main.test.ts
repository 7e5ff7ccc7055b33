import { describe, expect, it } from 'vitest';
import { main } from './main';

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
