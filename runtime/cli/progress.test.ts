import { describe, expect, it } from 'vitest';
import { progressLine } from './progress';

const io = { out: () => {}, err: () => {} };

describe('progressLine', () => {
  it('is absent when stderr is not a terminal (pipes and log files stay clean)', () => {
    expect(progressLine(io, { isTTY: false, write: () => true })).toBeNull();
    expect(progressLine(io, { write: () => true })).toBeNull();
  });

  it('rewrites one line in place on a terminal and clears it when done', () => {
    const written: string[] = [];
    const p = progressLine(io, { isTTY: true, write: (s) => written.push(s) })!;
    p.update('playing 1.0 / 10.0 s');
    p.update('playing 2.0 / 10.0 s');
    p.done();
    p.done(); // nothing more to clear
    expect(written).toEqual(['\r\x1b[2Kplaying 1.0 / 10.0 s', '\r\x1b[2Kplaying 2.0 / 10.0 s', '\r\x1b[2K']);
  });
});
