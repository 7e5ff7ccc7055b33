import { i420Planes } from '../../../nodes';
import type { FrameProcessor, ProcessorFactory } from '../../pipelines/types';

/**
 * A processor for engine tests, loaded into a worker through `processorModule`: it writes
 * what it received into the frame, so a test reads it from the output. Luma row 100 onwards is
 * filled with round(strength·255); chroma with 128 + the number of prompts it was given; the
 * last luma pixel is 200 + the VACE reference images it got, the one before 1 with a VACE frame.
 * A `seed` of 1_000_000 + N delays loading by N ms (warming tests); 2_000_000 + N makes every
 * frame take N ms (drop tests); 3_000_000 + N throws an uncaught error after N frames (crash tests).
 */
export const createProcessor: ProcessorFactory = async (ctx) => {
  let strength = typeof ctx.params.strength === 'number' ? ctx.params.strength : 0.5;
  const seed = typeof ctx.params.seed === 'number' ? ctx.params.seed : 0;
  const loadMs = seed >= 1_000_000 && seed < 2_000_000 ? seed - 1_000_000 : 0;
  const frameMs = seed >= 2_000_000 && seed < 3_000_000 ? seed - 2_000_000 : 0;
  const crashAfter = seed >= 3_000_000 ? seed - 3_000_000 : 0;
  let processed = 0;
  if (loadMs) await new Promise((r) => setTimeout(r, loadMs));
  const processor: FrameProcessor = {
    async process(input, extras) {
      if (frameMs) await new Promise((r) => setTimeout(r, frameMs));
      if (crashAfter && ++processed === crashAfter) {
        // Outside the processor's call: an uncaught exception that ends the worker thread.
        setTimeout(() => {
          throw new Error('probe crashed on purpose');
        }, 0);
      }
      const data = input.data.slice();
      const p = i420Planes(input.width, input.height);
      data.fill(Math.round(strength * 255), Math.min(p.u, 100 * input.width), p.u);
      const n = extras.prompts?.kind === 'prompts' ? extras.prompts.prompts.length : extras.prompts ? 10 : 0;
      data.fill(128 + n, p.u);
      // The last two luma pixels: 200 + VACE reference images, and 1 when a VACE input frame came.
      if (extras.vace) data[p.u - 1] = 200 + extras.vace.ref_images.length;
      data[p.u - 2] = extras.vaceInputFrame ? 1 : 0;
      return { ...input, data };
    },
    update(params) {
      if (typeof params.strength === 'number') strength = params.strength;
    },
    ignores: ['vace'],
    dispose: () => undefined,
    inPlace: false,
    device: 'probe',
  };
  return processor;
};
