import type { TimelineEntry, WeightedPrompt } from './definition';

/**
 * The prompt timeline's behaviour, pure: which entry is active at a time, which boundaries lie
 * between two times, and a `TimelinePlayer` on an injected clock (play / pause / seek / tick)
 * that turns boundaries into prompt messages. No timers: whoever owns the clock calls `tick`,
 * so a test plays ten minutes in a few milliseconds and a headless run is deterministic.
 *
 * Rules:
 * - The active entry at time t is the entry with the latest `start_time` ≤ t (ties: the later
 *   one in the list). End times only matter as the loop length: in a gap between entries the
 *   last prompt is kept, as a performer expects.
 * - With `loop`, time wraps at the largest `end_time`. A gap at the start of a later loop keeps
 *   the previous loop's last prompt; in the first loop there is no prompt before the first entry.
 * - Without `loop`, playback past the end holds the last prompt (`ended`).
 * - At each boundary the entry's message is sent: `transition` when `transition_steps` > 0,
 *   else `prompts`. Starting, seeking and editing send the active entry's prompts at once
 *   (kind `prompts`), so the prompt at a time never depends on how playback got there.
 */

/** Prompt conditioning as delivered to a pipeline (Scope's data-channel keys). */
export type PromptControl =
  | { kind: 'prompts'; prompts: WeightedPrompt[]; interpolation: 'linear' | 'slerp' }
  | {
      kind: 'transition';
      target_prompts: WeightedPrompt[];
      num_steps: number;
      temporal_interpolation_method: 'linear' | 'slerp';
    };

/** Entries as the player needs them (weights and defaults may be missing before validation). */
export type TimelineEntryInput = Omit<
  TimelineEntry,
  'prompts' | 'transition_steps' | 'temporal_interpolation_method'
> & {
  prompts: { text: string; weight?: number }[];
  transition_steps?: number;
  temporal_interpolation_method?: 'linear' | 'slerp';
};

export type TimelineReason = 'start' | 'boundary' | 'seek' | 'edit';

/** One message the timeline sends to the pipelines it feeds. */
export interface TimelineMessage {
  /** Absolute playback seconds of the event (loops unrolled). */
  at: number;
  /** Seconds inside the current loop. */
  time: number;
  /** Loop number, from 0. */
  loop: number;
  /** Index of the entry in the `entries` list. */
  entry: number;
  reason: TimelineReason;
  control: PromptControl;
}

/** The loop length: the largest end time (0 without entries). */
export function timelineDuration(entries: readonly TimelineEntryInput[]): number {
  let d = 0;
  for (const e of entries) if (e.end_time > d) d = e.end_time;
  return d;
}

const prompts = (e: TimelineEntryInput): WeightedPrompt[] =>
  e.prompts.map((p) => ({ text: p.text, weight: p.weight ?? 1 }));

/** The message an entry sends at its boundary (fresh objects on every call). */
export function entryControl(e: TimelineEntryInput): PromptControl {
  const method = e.temporal_interpolation_method ?? 'linear';
  const steps = e.transition_steps ?? 0;
  return steps > 0
    ? {
        kind: 'transition',
        target_prompts: prompts(e),
        num_steps: steps,
        temporal_interpolation_method: method,
      }
    : { kind: 'prompts', prompts: prompts(e), interpolation: method };
}

/** The entry's prompts as an immediate switch (start, seek, edit). */
export function entryPrompts(e: TimelineEntryInput): PromptControl {
  return { kind: 'prompts', prompts: prompts(e), interpolation: e.temporal_interpolation_method ?? 'linear' };
}

/** Distinct start times in order, each with the entry that wins it. */
function starts(entries: readonly TimelineEntryInput[]): { start: number; entry: number }[] {
  const order = entries
    .map((e, i) => ({ start: e.start_time, entry: i }))
    .sort((a, b) => a.start - b.start || a.entry - b.entry);
  const out: { start: number; entry: number }[] = [];
  for (const s of order) {
    if (out.length && out[out.length - 1]!.start === s.start) out[out.length - 1] = s;
    else out.push(s);
  }
  return out;
}

/** Where absolute playback seconds fall: loop number and seconds inside it. */
export function timelinePosition(
  entries: readonly TimelineEntryInput[],
  loop: boolean,
  seconds: number,
): { loop: number; time: number; ended: boolean } {
  const d = timelineDuration(entries);
  const t = Math.max(0, seconds);
  if (d <= 0) return { loop: 0, time: t, ended: !loop };
  if (!loop) return { loop: 0, time: Math.min(t, d), ended: t >= d };
  const k = Math.floor(t / d);
  return { loop: k, time: t - k * d, ended: false };
}

/**
 * The active entry at absolute playback `seconds` (null before the first entry of the first
 * loop, or without entries). Pure: the same inputs always give the same entry.
 */
export function activeEntryAt(
  entries: readonly TimelineEntryInput[],
  loop: boolean,
  seconds: number,
): { entry: number | null; loop: number; time: number; ended: boolean } {
  const pos = timelinePosition(entries, loop, seconds);
  const s = starts(entries);
  let entry: number | null = null;
  for (const b of s) {
    if (b.start <= pos.time) entry = b.entry;
    else break;
  }
  // A gap at the start of a later loop keeps the previous loop's last prompt.
  if (entry === null && pos.loop > 0 && s.length) entry = s[s.length - 1]!.entry;
  return { entry, ...pos };
}

/**
 * The entry boundaries in the absolute interval (from, to], in order. With very many (a long
 * jump over short loops) only the last `max` are returned: a pipeline only needs the latest.
 */
export function boundariesBetween(
  entries: readonly TimelineEntryInput[],
  loop: boolean,
  from: number,
  to: number,
  max = 256,
): { at: number; loop: number; time: number; entry: number }[] {
  const d = timelineDuration(entries);
  const s = starts(entries);
  if (!(to > from) || d <= 0 || !s.length) return [];
  const out: { at: number; loop: number; time: number; entry: number }[] = [];
  const lastLoop = loop ? Math.floor(to / d) : 0;
  const firstLoop = loop
    ? Math.max(Math.floor(Math.max(0, from) / d), lastLoop - Math.ceil(max / s.length) - 1)
    : 0;
  for (let k = firstLoop; k <= lastLoop; k++) {
    for (const b of s) {
      const at = k * d + b.start;
      if (at > from && at <= to) out.push({ at, loop: k, time: b.start, entry: b.entry });
    }
  }
  return out.length > max ? out.slice(out.length - max) : out;
}

/** A clock in milliseconds (the runtime's injected clock satisfies it). */
export interface TimelineClock {
  now(): number;
}

export interface TimelinePlayerOptions {
  entries: readonly TimelineEntryInput[];
  loop: boolean;
  clock: TimelineClock;
  /** Called with every message, in order (also returned by the call that caused it). */
  onMessage?: (message: TimelineMessage) => void;
  /** At most this many boundary messages per tick (the latest ones). */
  maxCatchUp?: number;
}

/** What the player shows (the runtime's `timeline` event). */
export interface TimelineState {
  /** Seconds inside the current loop. */
  time: number;
  /** Absolute playback seconds. */
  position: number;
  loop: number;
  playing: boolean;
  entry: number | null;
  ended: boolean;
}

/**
 * Plays a prompt timeline on an injected clock. Call `tick()` whenever time may have moved (each
 * frame, or a control-clock timer): it returns the boundary messages crossed since the last call.
 *
 * @example
 * const p = new TimelinePlayer({ entries, loop: true, clock });
 * p.play();           // → [{ reason: 'start', control: { kind: 'prompts', … } }]
 * clock.advance(4000);
 * p.tick();           // → the boundary at 4 s
 */
export class TimelinePlayer {
  private entries: readonly TimelineEntryInput[];
  private loop: boolean;
  private readonly clock: TimelineClock;
  private readonly onMessage: ((m: TimelineMessage) => void) | undefined;
  private readonly maxCatchUp: number;
  private playing = false;
  private started = false;
  /** Playback seconds at `baseMs` on the clock (while playing) or now (while paused). */
  private base = 0;
  private baseMs = 0;
  /** Playback seconds up to which boundaries have been sent. */
  private sent = 0;

  constructor(opts: TimelinePlayerOptions) {
    this.entries = opts.entries;
    this.loop = opts.loop;
    this.clock = opts.clock;
    this.onMessage = opts.onMessage;
    this.maxCatchUp = opts.maxCatchUp ?? 256;
  }

  /** Current absolute playback seconds. */
  position(): number {
    return this.playing ? this.base + (this.clock.now() - this.baseMs) / 1000 : this.base;
  }

  /** The state for display. */
  state(): TimelineState {
    const position = this.position();
    const a = activeEntryAt(this.entries, this.loop, position);
    return { time: a.time, position, loop: a.loop, playing: this.playing, entry: a.entry, ended: a.ended };
  }

  private emit(messages: TimelineMessage[]): TimelineMessage[] {
    if (this.onMessage) for (const m of messages) this.onMessage(m);
    return messages;
  }

  private immediate(reason: TimelineReason): TimelineMessage[] {
    const position = this.position();
    const a = activeEntryAt(this.entries, this.loop, position);
    if (a.entry === null) return [];
    return [
      {
        at: position,
        time: a.time,
        loop: a.loop,
        entry: a.entry,
        reason,
        control: entryPrompts(this.entries[a.entry]!),
      },
    ];
  }

  /** Starts or resumes playback. The first start sends the active entry's prompts. */
  play(): TimelineMessage[] {
    if (this.playing) return [];
    this.baseMs = this.clock.now();
    this.playing = true;
    if (this.started) return [];
    this.started = true;
    this.sent = this.base;
    return this.emit(this.immediate('start'));
  }

  /** Pauses; time stops moving until `play`. */
  pause(): void {
    if (!this.playing) return;
    this.base = this.position();
    this.playing = false;
  }

  /** Jumps to absolute playback `seconds` and sends that time's prompts. */
  seek(seconds: number): TimelineMessage[] {
    if (!Number.isFinite(seconds)) throw new RangeError(`seek: ${seconds} is not a time in seconds`);
    this.base = Math.max(0, seconds);
    this.baseMs = this.clock.now();
    this.sent = this.base;
    this.started = true;
    return this.emit(this.immediate('seek'));
  }

  /** Sends the boundaries crossed since the last call (none while paused). */
  tick(): TimelineMessage[] {
    if (!this.playing) return [];
    const now = this.position();
    const crossed = boundariesBetween(this.entries, this.loop, this.sent, now, this.maxCatchUp);
    this.sent = now;
    return this.emit(
      crossed.map((b) => ({
        at: b.at,
        time: b.time,
        loop: b.loop,
        entry: b.entry,
        reason: 'boundary' as const,
        control: entryControl(this.entries[b.entry]!),
      })),
    );
  }

  /**
   * Replaces the entries or the loop flag (a live edit). Playback position is kept; when the
   * prompt at the current time changes, it is sent at once.
   */
  setEntries(entries: readonly TimelineEntryInput[], loop: boolean = this.loop): TimelineMessage[] {
    const position = this.position();
    const before = activeEntryAt(this.entries, this.loop, position);
    const old = before.entry === null ? null : JSON.stringify(entryPrompts(this.entries[before.entry]!));
    this.entries = entries;
    this.loop = loop;
    this.sent = position;
    if (!this.started) return [];
    const now = this.immediate('edit');
    if (!now.length || JSON.stringify(now[0]!.control) === old) return [];
    return this.emit(now);
  }
}
