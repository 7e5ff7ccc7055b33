import { BaseRuntime } from '../core/base-runtime';
import type { ControlValue, NodeStats } from '../core/runtime';
import type { ParamsOf } from '../core/types';
import type { VaceParamsInput } from './conditioning';
import type { vaceNode } from './definition';

type VaceParams = ParamsOf<typeof vaceNode>;

/**
 * A VACE node: its params are the conditioning on its `vace` output, read fresh by the
 * pipelines it feeds for every frame (nodes/vace/conditioning.ts checks and clamps them there).
 */
export class VaceRuntime extends BaseRuntime<VaceParams> {
  control(port: string): ControlValue | null {
    if (port !== 'vace') return null;
    const { ref_images, context_scale, use_input_video, first_frame_image, last_frame_image } = this.params;
    const value: VaceParamsInput = {
      ref_images,
      context_scale,
      use_input_video,
      first_frame_image,
      last_frame_image,
    };
    return { value, changedAt: -Infinity };
  }

  override stats(now: number): NodeStats {
    return this.meter.snapshot(now, 'running', 0, 0);
  }
}
