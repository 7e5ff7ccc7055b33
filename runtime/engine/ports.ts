import type { VideoFrame } from '../../nodes';

/** Gets each frame for output track `index` (an Output node with preview). */
export type OutputConsumer = (index: number, frame: VideoFrame) => void;
/** Gets every frame reaching an Output or Record node, by node id. */
export type SinkConsumer = (node: string, frame: VideoFrame) => void;

/**
 * Frame path step 7 of 8 (CONTEXT.md). Where frames leave the engine: `output` (an Output node with a track: the server sends it to
 * the peer) and `sink` (every frame reaching an Output or Record node: recorders, NDI/Spout
 * senders, the CLI's `play`). Frames enter through `Engine.pushInputFrame`.
 *
 * The session owns one FramePorts for its whole life and hands it to each engine it starts, so
 * a consumer subscribes once, a restart or a new patch needs no re-wiring, and no layer in
 * between re-broadcasts frames. A consumer that throws is logged; the others still get the frame.
 *
 * @example
 * const ports = new FramePorts(console.log);
 * const off = ports.onOutput((i, frame) => peer.sendFrame(i, frame));
 * new Engine({ ..., ports });
 */
export class FramePorts {
  private readonly outputs = new Set<OutputConsumer>();
  private readonly sinks = new Set<SinkConsumer>();

  constructor(private readonly log: (line: string) => void) {}

  /** Subscribes to output track frames. Returns an unsubscribe. */
  onOutput(cb: OutputConsumer): () => void {
    this.outputs.add(cb);
    return () => void this.outputs.delete(cb);
  }

  /** Subscribes to sink frames. Returns an unsubscribe. */
  onSink(cb: SinkConsumer): () => void {
    this.sinks.add(cb);
    return () => void this.sinks.delete(cb);
  }

  /** The engine: a frame from node `node` for output track `index`. */
  output(node: string, index: number, frame: VideoFrame): void {
    for (const cb of this.outputs) this.guard(node, () => cb(index, frame));
  }

  /** The engine: a frame reaching sink node `node`. Returns whether anyone is listening. */
  sink(node: string, frame: VideoFrame): boolean {
    for (const cb of this.sinks) this.guard(node, () => cb(node, frame));
    return this.sinks.size > 0;
  }

  /** Drops every consumer (the owner is done). */
  clear(): void {
    this.outputs.clear();
    this.sinks.clear();
  }

  /** A consumer's bug (an encoder, a recorder) is logged; it never stops the frame flow. */
  private guard(node: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log(`[${node}] a frame consumer threw: ${(error as Error).message}`);
    }
  }
}
