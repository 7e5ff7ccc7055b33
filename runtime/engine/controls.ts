import type { TimelineEntry } from '../../nodes';
import type { PromptControl, VaceControl } from '../pipelines/types';
import type { NodeStats } from '../protocol';
import type { PlanNode } from '../compile';
import type { EngineContext, NodeRuntime } from './context';
import { NodeMeter } from './stats';

/**
 * Control nodes on the main thread: a Prompt-timeline plays its entries on the runtime clock
 * (play, pause, seek), a VACE node turns its params into VACE conditioning. Pipelines read both
 * fresh for every frame they process.
 */

/** The entry playing at `t` seconds and the prompt message it sends. */
export interface TimelinePosition {
  entryIndex: number | null;
  message: PromptControl | null;
}

/**
 * Which entry plays at `tSeconds`: the last one that has started (a gap holds the previous
 * prompts); with `loop`, time wraps at the end of the last entry. An entry with
 * `transition_steps > 0` that follows another sends a transition, otherwise plain prompts.
 */
export function timelineAt(
  entries: readonly TimelineEntry[],
  loop: boolean,
  tSeconds: number,
): TimelinePosition {
  if (!entries.length) return { entryIndex: null, message: null };
  const end = Math.max(...entries.map((e) => e.end_time));
  let t = Math.max(0, tSeconds);
  if (loop && end > 0 && t >= end) t %= end;
  let index: number | null = null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.start_time <= t && (index === null || e.start_time >= entries[index]!.start_time)) index = i;
  }
  if (index === null) return { entryIndex: null, message: null };
  const entry = entries[index]!;
  const prompts = entry.prompts.map((p) => ({ text: p.text, weight: p.weight }));
  const follows = entries.some((e, i) => i !== index && e.start_time < entry.start_time);
  const message: PromptControl =
    entry.transition_steps > 0 && follows
      ? {
          kind: 'transition',
          target_prompts: prompts,
          num_steps: entry.transition_steps,
          temporal_interpolation_method: entry.temporal_interpolation_method,
        }
      : { kind: 'prompts', prompts, interpolation: 'linear' };
  return { entryIndex: index, message };
}

/** Emitted when a timeline moves to another entry, plays, pauses or seeks. */
export type TimelineListener = (e: {
  node: string;
  time: number;
  playing: boolean;
  entry: number | null;
}) => void;

const TIMELINE_TICK_MS = 250;

export class TimelineRuntime implements NodeRuntime {
  private readonly meter = new NodeMeter();
  private playing = true;
  private offset = 0;
  private startedAt = 0;
  private entry: number | null = null;
  /** Clock time the current prompts took effect (data-channel prompts newer than this win). */
  changedAt = -Infinity;
  private cancel: (() => void) | null = null;
  private stopped = false;

  constructor(
    public node: PlanNode,
    private readonly ctx: EngineContext,
    private readonly listener: TimelineListener,
  ) {}

  get id(): string {
    return this.node.id;
  }

  start(): void {
    this.startedAt = this.ctx.clock.now();
    this.check(true);
  }

  /** Seconds into the timeline. */
  time(now = this.ctx.clock.now()): number {
    return this.playing ? this.offset + (now - this.startedAt) / 1000 : this.offset;
  }

  private entries(): TimelineEntry[] {
    return (this.node.params.entries as TimelineEntry[] | undefined) ?? [];
  }

  /** The prompts to send with the next frame. */
  current(): PromptControl | null {
    this.check(false);
    return timelineAt(this.entries(), this.node.params.loop === true, this.time()).message;
  }

  play(): void {
    if (!this.playing) {
      this.startedAt = this.ctx.clock.now();
      this.playing = true;
    }
    this.check(true);
  }

  pause(): void {
    if (this.playing) {
      this.offset = this.time();
      this.playing = false;
    }
    this.check(true);
  }

  seek(seconds: number): void {
    this.offset = Math.max(0, seconds);
    this.startedAt = this.ctx.clock.now();
    this.check(true);
  }

  private check(announce: boolean): void {
    const now = this.ctx.clock.now();
    const { entryIndex } = timelineAt(this.entries(), this.node.params.loop === true, this.time(now));
    const changed = entryIndex !== this.entry;
    if (changed) {
      this.entry = entryIndex;
      this.changedAt = now;
      this.meter.noteOut(now);
    }
    if (changed || announce)
      this.listener({ node: this.id, time: this.time(now), playing: this.playing, entry: this.entry });
    if (!this.stopped) {
      this.cancel?.();
      this.cancel = this.ctx.clock.setTimeout(() => this.check(false), TIMELINE_TICK_MS);
    }
  }

  receive(): void {}

  update(params: Record<string, unknown>): void {
    this.node = { ...this.node, params: { ...this.node.params, ...params } };
    this.changedAt = this.ctx.clock.now();
    this.check(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
  }

  busy(): boolean {
    return false;
  }

  stats(now: number): NodeStats {
    return this.meter.snapshot(
      now,
      'running',
      0,
      0,
      `${this.playing ? 'playing' : 'paused'} at ${this.time(now).toFixed(1)} s`,
    );
  }
}

/** A VACE node: its params are the conditioning sent with every frame of the pipelines it feeds. */
export class VaceRuntime implements NodeRuntime {
  private readonly meter = new NodeMeter();
  constructor(public node: PlanNode) {}

  get id(): string {
    return this.node.id;
  }

  control(): VaceControl {
    const p = this.node.params;
    return {
      ref_images: Array.isArray(p.ref_images) ? (p.ref_images as string[]) : [],
      context_scale: typeof p.context_scale === 'number' ? p.context_scale : 1,
      use_input_video: p.use_input_video !== false,
      first_frame_image: typeof p.first_frame_image === 'string' ? p.first_frame_image : '',
      last_frame_image: typeof p.last_frame_image === 'string' ? p.last_frame_image : '',
    };
  }

  receive(): void {}
  update(params: Record<string, unknown>): void {
    this.node = { ...this.node, params: { ...this.node.params, ...params } };
  }
  start(): void {}
  async stop(): Promise<void> {}
  busy(): boolean {
    return false;
  }
  stats(now: number): NodeStats {
    return this.meter.snapshot(now, 'running', 0, 0);
  }
}
