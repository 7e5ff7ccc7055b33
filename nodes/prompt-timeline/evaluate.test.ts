import { describe, expect, it } from 'vitest';
import {
  activeEntryAt,
  boundariesBetween,
  TimelinePlayer,
  type TimelineEntryInput,
  type TimelineMessage,
} from './evaluate';

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

/** Three entries, a gap between the second and the third, loop length 12 s. */
const entries: TimelineEntryInput[] = [
  { start_time: 0, end_time: 4, prompts: [{ text: 'a neon city', weight: 1 }] },
  {
    start_time: 4,
    end_time: 7,
    prompts: [
      { text: 'a forest', weight: 0.7 },
      { text: 'fog', weight: 0.3 },
    ],
    transition_steps: 8,
    temporal_interpolation_method: 'slerp',
  },
  { start_time: 9, end_time: 12, prompts: [{ text: 'the ocean', weight: 0.5 }], transition_steps: 0 },
];

/** What the boundary of each entry must send. */
const expectedControl = [
  { kind: 'prompts', prompts: [{ text: 'a neon city', weight: 1 }], interpolation: 'linear' },
  {
    kind: 'transition',
    target_prompts: [
      { text: 'a forest', weight: 0.7 },
      { text: 'fog', weight: 0.3 },
    ],
    num_steps: 8,
    temporal_interpolation_method: 'slerp',
  },
  { kind: 'prompts', prompts: [{ text: 'the ocean', weight: 0.5 }], interpolation: 'linear' },
];

describe('TimelinePlayer', () => {
  it('plays ten minutes of a looping 3-entry timeline in under a second, every boundary asserted', () => {
    const clock = new FakeClock();
    const seen: { msg: TimelineMessage; tickMs: number }[] = [];
    const player = new TimelinePlayer({
      entries,
      loop: true,
      clock,
      onMessage: (msg) => seen.push({ msg, tickMs: clock.t }),
    });
    const started = performance.now();
    player.play();
    const frames = 10 * 60 * 30;
    for (let i = 1; i <= frames; i++) {
      clock.t = (i * 1000) / 30;
      player.tick();
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);

    // the start message, then per loop k: 4 s (transition), 9 s (ocean), 12 s (wrap → neon)
    const expected: { at: number; entry: number; reason: string; loop: number }[] = [
      { at: 0, entry: 0, reason: 'start', loop: 0 },
    ];
    for (let k = 0; k < 50; k++) {
      expected.push({ at: 12 * k + 4, entry: 1, reason: 'boundary', loop: k });
      expected.push({ at: 12 * k + 9, entry: 2, reason: 'boundary', loop: k });
      expected.push({ at: 12 * (k + 1), entry: 0, reason: 'boundary', loop: k + 1 });
    }
    expect(
      seen.map((s) => ({ at: s.msg.at, entry: s.msg.entry, reason: s.msg.reason, loop: s.msg.loop })),
    ).toEqual(expected);
    for (const { msg, tickMs } of seen) {
      // each message goes out on the first frame at or after its boundary
      expect(tickMs / 1000 - msg.at).toBeGreaterThanOrEqual(0);
      expect(tickMs / 1000 - msg.at).toBeLessThan(1 / 30 + 1e-9);
      expect(msg.time).toBe(entries[msg.entry]!.start_time);
      if (msg.reason === 'boundary') expect(msg.control).toEqual(expectedControl[msg.entry]);
      else
        expect(msg.control).toEqual({
          kind: 'prompts',
          prompts: [{ text: 'a neon city', weight: 1 }],
          interpolation: 'linear',
        });
    }
    expect(seen).toHaveLength(151);
    expect(player.state()).toMatchObject({ position: 600, loop: 50, time: 0, entry: 0, playing: true });
  });

  it('pause stops time, play resumes, seek sends that time’s prompts at once', () => {
    const clock = new FakeClock();
    const p = new TimelinePlayer({ entries, loop: true, clock });
    expect(p.play()).toHaveLength(1);
    clock.t = 3000;
    expect(p.tick()).toEqual([]);
    p.pause();
    clock.t = 60_000;
    expect(p.tick()).toEqual([]);
    expect(p.state()).toMatchObject({ position: 3, playing: false, entry: 0 });
    expect(p.play()).toEqual([]); // resuming sends nothing: the prompt did not change
    clock.t = 61_500;
    expect(p.tick().map((m) => [m.at, m.entry, m.control.kind])).toEqual([[4, 1, 'transition']]);
    // seek into the gap after entry 1: the last prompt (entry 1) is kept, sent as an immediate switch
    const s = p.seek(8);
    expect(s).toEqual([
      {
        at: 8,
        time: 8,
        loop: 0,
        entry: 1,
        reason: 'seek',
        control: { kind: 'prompts', prompts: expectedControl[1]!.target_prompts, interpolation: 'slerp' },
      },
    ]);
    clock.t = 62_500; // +1 s → 9 s
    expect(p.tick().map((m) => m.entry)).toEqual([2]);
    // seek backwards replays boundaries from there
    p.seek(3.5);
    clock.t = 63_000;
    expect(p.tick().map((m) => m.at)).toEqual([4]);
  });

  it('a time always yields the same prompt: seeking anywhere equals playing there', () => {
    const clock = new FakeClock();
    const played = new TimelinePlayer({ entries, loop: true, clock });
    played.play();
    let last: number | null = 0;
    for (let i = 1; i <= 3000; i++) {
      clock.t = i * 37; // uneven steps
      const msgs = played.tick();
      if (msgs.length) last = msgs[msgs.length - 1]!.entry;
      const sought = new TimelinePlayer({ entries, loop: true, clock: new FakeClock() });
      const at = (i * 37) / 1000;
      const m = sought.seek(at);
      expect(m[0]?.entry ?? null).toBe(last);
      expect(activeEntryAt(entries, true, at).entry).toBe(last);
    }
  });

  it('without loop it holds the last prompt after the end; a leading gap is silent only in the first loop', () => {
    expect(activeEntryAt(entries, false, 100)).toMatchObject({ entry: 2, ended: true, time: 12 });
    const late: TimelineEntryInput[] = [
      { start_time: 2, end_time: 5, prompts: [{ text: 'x' }] },
      { start_time: 5, end_time: 6, prompts: [{ text: 'y' }] },
    ];
    expect(activeEntryAt(late, true, 1).entry).toBeNull();
    expect(activeEntryAt(late, true, 7).entry).toBe(1); // loop 1, t=1: keeps "y"
    expect(activeEntryAt(late, true, 8).entry).toBe(0);
    const clock = new FakeClock();
    const p = new TimelinePlayer({ entries: late, loop: false, clock });
    expect(p.play()).toEqual([]);
    clock.t = 100_000;
    expect(p.tick().map((m) => m.at)).toEqual([2, 5]);
    clock.t = 200_000;
    expect(p.tick()).toEqual([]);
    expect(p.state()).toMatchObject({ ended: true, entry: 1 });
  });

  it('equal start times: the later entry wins; a huge jump sends only the latest boundaries', () => {
    const twins: TimelineEntryInput[] = [
      { start_time: 0, end_time: 1, prompts: [{ text: 'first' }] },
      { start_time: 0, end_time: 1, prompts: [{ text: 'second' }] },
    ];
    expect(boundariesBetween(twins, true, 0, 3).map((b) => [b.at, b.entry])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    const long = boundariesBetween(entries, true, 0, 1e6, 10);
    expect(long).toHaveLength(10);
    expect(long[long.length - 1]).toMatchObject({ at: 1_000_000, entry: 1 }); // 83333·12 + 4;
  });

  it('a live edit sends the new prompt at once only when the prompt at the current time changed', () => {
    const clock = new FakeClock();
    const p = new TimelinePlayer({ entries, loop: true, clock });
    p.play();
    clock.t = 1000;
    p.tick();
    expect(p.setEntries(entries.map((e) => ({ ...e })))).toEqual([]);
    const edited = [
      { ...entries[0]!, prompts: [{ text: 'a desert', weight: 0.9 }] },
      entries[1]!,
      entries[2]!,
    ];
    expect(p.setEntries(edited).map((m) => [m.reason, m.control])).toEqual([
      ['edit', { kind: 'prompts', prompts: [{ text: 'a desert', weight: 0.9 }], interpolation: 'linear' }],
    ]);
  });
});
