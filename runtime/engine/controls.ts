import {
  TimelinePlayer,
  type TimelineEntryInput,
  type TimelineMessage,
  type VaceParamsInput,
} from '../../nodes';
import type { PromptControl } from '../pipelines/types';
import type { NodeStats } from '../protocol';
import type { PlanNode } from '../compile';
import type { EngineContext, NodeRuntime } from './context';
import { NodeMeter } from './stats';

/**
 * Control nodes on the main thread: a Prompt-timeline plays its entries on the runtime clock
 * (play, pause, seek), a VACE node turns its params into VACE conditioning. Pipelines read both
 * fresh for every frame they process.
 */

/** Emitted when a timeline moves to another entry, plays, pauses or seeks. */
export type TimelineListener = (e: {
  node: string;
  time: number;
  playing: boolean;
  entry: number | null;
}) => void;

/** How often a playing timeline checks for boundaries between frames (ms of runtime clock). */
const TIMELINE_TICK_MS = 100;

/**
 * A Prompt-timeline node: a TimelinePlayer (nodes/prompt-timeline) on the session clock. It
 * starts playing with the session; its latest message is the prompts every pipeline it feeds
 * receives with each frame.
 */
export class TimelineRuntime implements NodeRuntime {
  private readonly meter = new NodeMeter();
  private readonly player: TimelinePlayer;
  private latest: PromptControl | null = null;
  /** Clock time the current prompts took effect (data-channel prompts newer than this win). */
  changedAt = -Infinity;
  private cancel: (() => void) | null = null;
  private stopped = false;

  constructor(
    public node: PlanNode,
    private readonly ctx: EngineContext,
    private readonly listener: TimelineListener,
  ) {
    this.player = new TimelinePlayer({ entries: this.entries(), loop: this.loop(), clock: ctx.clock });
  }

  get id(): string {
    return this.node.id;
  }

  private entries(): TimelineEntryInput[] {
    return (this.node.params.entries as TimelineEntryInput[] | undefined) ?? [];
  }

  private loop(): boolean {
    return this.node.params.loop === true;
  }

  start(): void {
    this.take(this.player.play(), true);
    this.schedule();
  }

  /** The prompts to send with the next frame (boundaries crossed since the last look are taken first). */
  current(): PromptControl | null {
    this.take(this.player.tick(), false);
    return this.latest;
  }

  play(): void {
    this.take(this.player.play(), true);
  }

  pause(): void {
    this.player.pause();
    this.announce();
  }

  seek(seconds: number): void {
    this.take(this.player.seek(seconds), true);
  }

  private take(messages: TimelineMessage[], announce: boolean): void {
    const last = messages[messages.length - 1];
    if (last) {
      this.latest = last.control as PromptControl;
      this.changedAt = this.ctx.clock.now();
      this.meter.noteOut(this.changedAt);
    }
    if (last || announce) this.announce();
  }

  private announce(): void {
    const s = this.player.state();
    this.listener({ node: this.id, time: s.time, playing: s.playing, entry: s.entry });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.ctx.clock.setTimeout(() => {
      this.take(this.player.tick(), false);
      this.schedule();
    }, TIMELINE_TICK_MS);
  }

  receive(): void {}

  update(params: Record<string, unknown>): void {
    this.node = { ...this.node, params: { ...this.node.params, ...params } };
    this.take(this.player.setEntries(this.entries(), this.loop()), false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
  }

  busy(): boolean {
    return false;
  }

  stats(now: number): NodeStats {
    const s = this.player.state();
    return this.meter.snapshot(
      now,
      'running',
      0,
      0,
      `${s.playing ? 'playing' : 'paused'} at ${s.time.toFixed(1)} s`,
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

  /** The node's params as nodes/vace's `vaceConditioning` takes them. */
  control(): VaceParamsInput {
    const p = this.node.params;
    const out: VaceParamsInput = {};
    if (Array.isArray(p.ref_images))
      out.ref_images = p.ref_images.filter((r): r is string => typeof r === 'string');
    if (typeof p.context_scale === 'number') out.context_scale = p.context_scale;
    if (typeof p.use_input_video === 'boolean') out.use_input_video = p.use_input_video;
    if (typeof p.first_frame_image === 'string') out.first_frame_image = p.first_frame_image;
    if (typeof p.last_frame_image === 'string') out.last_frame_image = p.last_frame_image;
    return out;
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
