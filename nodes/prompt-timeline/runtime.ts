import { BaseRuntime } from '../core/base-runtime';
import type { ControlValue, NodeContext, NodeStats, RuntimeNode } from '../core/runtime';
import type { ParamsOf } from '../core/types';
import type { promptTimelineNode } from './definition';
import {
  TimelinePlayer,
  type PromptControl,
  type TimelineEntryInput,
  type TimelineMessage,
} from './evaluate';

type TimelineParams = ParamsOf<typeof promptTimelineNode>;

/** How often a playing timeline checks for boundaries between frames (ms of runtime clock). */
const TIMELINE_TICK_MS = 100;

/**
 * A Prompt-timeline node: a TimelinePlayer on the session clock. It starts playing with the
 * session; its latest message is on its `prompts` output, which every pipeline it feeds reads
 * with each frame.
 */
export class TimelineRuntime extends BaseRuntime<TimelineParams> {
  private readonly player: TimelinePlayer;
  private latest: PromptControl | null = null;
  /** Clock time the current prompts took effect (data-channel prompts newer than this win). */
  private changedAt = -Infinity;
  private cancel: (() => void) | null = null;
  readonly transport = {
    play: (): void => this.take(this.player.play(), true),
    pause: (): void => {
      this.player.pause();
      this.announce();
    },
    seek: (seconds: number): void => this.take(this.player.seek(seconds), true),
  };

  constructor(node: RuntimeNode<TimelineParams>, ctx: NodeContext) {
    super(node, ctx);
    this.player = new TimelinePlayer({ entries: this.entries(), loop: this.params.loop, clock: ctx.clock });
  }

  private entries(): TimelineEntryInput[] {
    return this.params.entries;
  }

  override start(): void {
    this.take(this.player.play(), true);
    this.schedule();
  }

  /** The prompts to send with the next frame (boundaries crossed since the last look are taken first). */
  control(port: string): ControlValue | null {
    if (port !== 'prompts') return null;
    this.take(this.player.tick(), false);
    return this.latest ? { value: this.latest, changedAt: this.changedAt } : null;
  }

  private take(messages: TimelineMessage[], announce: boolean): void {
    const last = messages[messages.length - 1];
    if (last) {
      this.latest = last.control;
      this.changedAt = this.ctx.clock.now();
      this.meter.noteOut(this.changedAt);
    }
    if (last || announce) this.announce();
  }

  private announce(): void {
    const s = this.player.state();
    this.ctx.timelineEvent({ node: this.id, time: s.time, playing: s.playing, entry: s.entry });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.ctx.clock.setTimeout(() => {
      this.take(this.player.tick(), false);
      this.schedule();
    }, TIMELINE_TICK_MS);
  }

  override update(params: Partial<TimelineParams>): void {
    super.update(params);
    this.take(this.player.setEntries(this.entries(), this.params.loop), false);
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
  }

  override stats(now: number): NodeStats {
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
