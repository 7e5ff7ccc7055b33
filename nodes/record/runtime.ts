import { copyFrame } from '../core/base-runtime';
import { IoSinkRuntime } from '../core/io-runtime';
import type { FrameHandle, NodeContext, RecordedFile, RecorderSink, RuntimeNode } from '../core/runtime';
import type { ParamsOf } from '../core/types';
import type { recordNode } from './definition';

type RecordParams = ParamsOf<typeof recordNode>;

/**
 * The Record node: writes `format` (WebM/VP8, MP4/H.264, MOV/ProRes; the host's recorder, in the
 * session's recordings folder, with the running patch embedded) while `recording` is on;
 * `filename` is the file prefix. Every frame is also published to the
 * session's sink listeners (the recordings API, `play`).
 */
export class RecordRuntime extends IoSinkRuntime<RecordParams, RecorderSink> {
  constructor(node: RuntimeNode<RecordParams>, ctx: NodeContext) {
    super(node, ctx, (io) =>
      io.recorder({
        prefix: node.params.filename || 'patchbay',
        format: node.params.format,
        log: (line) => ctx.log(`[${node.id}] ${line}`),
      }),
    );
  }

  protected override opened(): void {
    if (this.params.recording) this.sink?.start();
  }

  override receive(port: string, h: FrameHandle): void {
    super.receive(port, h);
    if (this.stopped || port !== 'video') return;
    this.ctx.publish(this.id, copyFrame(this.ctx, h));
  }

  override update(params: Partial<RecordParams>): void {
    super.update(params);
    const rec = this.sink;
    if (!rec) return;
    if (typeof params.filename === 'string' && params.filename) {
      try {
        rec.setPrefix(params.filename);
      } catch (error) {
        this.ctx.nodeError(this.id, (error as Error).message, true);
      }
    }
    if (params.format !== undefined) {
      try {
        rec.setFormat(params.format);
      } catch (error) {
        this.ctx.nodeError(this.id, (error as Error).message, true);
      }
    }
    if (params.recording === true) rec.start();
    if (params.recording === false) {
      const file = rec.stop();
      if (file)
        this.ctx.log(
          `[${this.id}] recorded ${file.path} (${file.frames} frames, ${Math.round(file.durationMs)} ms)`,
        );
    }
  }

  /** Files this node has finished. */
  files(): readonly RecordedFile[] {
    return this.sink?.files() ?? [];
  }
}
