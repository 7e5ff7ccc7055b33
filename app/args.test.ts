import { describe, it, expect } from 'vitest';
import { leadingArgvEntries, parseAppArgs } from './args';

describe('parseAppArgs', () => {
  it('takes .patch files after the packaged executable, resolved against cwd', () => {
    const args = parseAppArgs(['/opt/Patchbay/patchbay', 'show.patch', '/abs/b.PATCH'], '/home/vj', 1);
    expect(args).toEqual({
      patchFiles: ['/home/vj/show.patch', '/abs/b.PATCH'],
      devTools: false,
      warnings: [],
    });
  });

  it('skips the binary and main script when unpackaged', () => {
    expect(leadingArgvEntries(false)).toBe(2);
    expect(leadingArgvEntries(true)).toBe(1);
    const args = parseAppArgs(
      ['/x/electron', 'app/dist/main.cjs', 'a.patch'],
      '/w',
      leadingArgvEntries(false),
    );
    expect(args.patchFiles).toEqual(['/w/a.patch']);
  });

  it('ignores Chromium and macOS switches, reads --devtools', () => {
    const args = parseAppArgs(
      ['exe', '--no-sandbox', '-psn_0_12345', '--enable-logging', '--devtools', 'a.patch'],
      '/w',
      1,
    );
    expect(args).toEqual({ patchFiles: ['/w/a.patch'], devTools: true, warnings: [] });
  });

  it('accepts file:// URLs and names after --, drops duplicates', () => {
    const args = parseAppArgs(
      ['exe', 'file:///home/vj/My%20Show.patch', '--', '-odd.patch', '/home/vj/My Show.patch'],
      '/w',
      1,
    );
    expect(args.patchFiles).toEqual(['/home/vj/My Show.patch', '/w/-odd.patch']);
  });

  it('warns about what it ignores, naming it', () => {
    const args = parseAppArgs(['exe', 'movie.mp4', 'https://example.com/a.patch', ''], '/w', 1);
    expect(args.patchFiles).toEqual([]);
    expect(args.warnings).toEqual([
      'ignored "movie.mp4": Patchbay opens .patch files',
      'ignored "https://example.com/a.patch": not a file path',
    ]);
  });
});
