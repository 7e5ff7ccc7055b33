import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blackFrame } from '../core/frame';
import {
  hasVace,
  isSafeAssetRef,
  vaceConditioning,
  vaceScopeParams,
  type VaceParamsInput,
} from './conditioning';

const frame = (w = 64, h = 48, seq = 0) => blackFrame(w, h, seq * 33, seq);

describe('VACE conditioning', () => {
  it('builds the control from the params with defaults', () => {
    const c = vaceConditioning({ ref_images: ['refs/cat.png'], context_scale: 0.8 });
    expect(c).toEqual({
      vace: {
        ref_images: ['refs/cat.png'],
        context_scale: 0.8,
        use_input_video: true,
        first_frame_image: '',
        last_frame_image: '',
      },
      warnings: [],
    });
    expect(vaceScopeParams(c)).toEqual({
      vace_enabled: true,
      vace_ref_images: ['refs/cat.png'],
      vace_context_scale: 0.8,
      vace_use_input_video: true,
      first_frame_image: '',
      last_frame_image: '',
    });
  });

  it('#487: nothing carries over when an edge is removed, a param cleared or the node disconnected', () => {
    const params: VaceParamsInput = {
      ref_images: ['a.png', 'b.png'],
      context_scale: 1.5,
      first_frame_image: 'first.png',
      last_frame_image: 'last.png',
    };
    const f1 = frame(64, 48, 1);
    const m1 = frame(64, 48, 1);
    const one = vaceConditioning(params, { frame: f1, mask: m1 }, { width: 64, height: 48 });
    expect(one.vaceInputFrame).toBe(f1);
    expect(one.vaceInputMask).toBe(m1);
    expect(one.vace?.ref_images).toEqual(['a.png', 'b.png']);
    // the result does not alias the params: editing them later cannot change a sent frame
    expect(one.vace?.ref_images).not.toBe(params.ref_images);
    (params.ref_images as string[]).push('c.png');
    expect(one.vace?.ref_images).toEqual(['a.png', 'b.png']);

    // frame 2: the mask edge is removed
    const two = vaceConditioning(params, { frame: frame(64, 48, 2) });
    expect('vaceInputMask' in two).toBe(false);
    // frame 3: the frames edge is removed too
    const three = vaceConditioning(params, {});
    expect('vaceInputFrame' in three || 'vaceInputMask' in three).toBe(false);
    // frame 4: reference images and first/last frame cleared
    const four = vaceConditioning({ ...params, ref_images: [], first_frame_image: '', last_frame_image: '' });
    expect(four.vace).toMatchObject({ ref_images: [], first_frame_image: '', last_frame_image: '' });
    // frame 5: the VACE node is disconnected
    const five = vaceConditioning(null, {});
    expect(five).toEqual({ warnings: [] });
    expect(hasVace(five)).toBe(false);
    expect(vaceScopeParams(five)).toMatchObject({
      vace_enabled: false,
      vace_ref_images: [],
      first_frame_image: '',
    });
  });

  it('property: every frame’s conditioning depends only on that frame’s inputs, whatever came before', () => {
    const paramsArb = fc.option(
      fc.record(
        {
          ref_images: fc.array(fc.constantFrom('a.png', 'b/c.png', '../x.png', '/etc/passwd'), {
            maxLength: 3,
          }),
          context_scale: fc.double({ min: -1, max: 3, noNaN: true }),
          use_input_video: fc.boolean(),
          first_frame_image: fc.constantFrom('', 'f.png'),
          last_frame_image: fc.constantFrom('', 'l.png', 'http://evil/x.png'),
        },
        { requiredKeys: [] },
      ),
      { nil: null },
    );
    const step = fc.record({
      params: paramsArb,
      frame: fc.option(fc.constantFrom([8, 6], [4, 2]), { nil: null }),
      mask: fc.option(fc.constantFrom([8, 6], [4, 2]), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        steps.forEach((s, i) => {
          const make = () => ({
            frame: s.frame ? frame(s.frame[0], s.frame[1], i) : null,
            mask: s.mask ? frame(s.mask[0], s.mask[1], i) : null,
          });
          const inSequence = vaceConditioning(s.params, make(), { width: 8, height: 6 });
          const alone = vaceConditioning(s.params, make(), { width: 8, height: 6 });
          expect(inSequence).toEqual(alone);
          // nothing in this frame's result refers to another frame
          if (inSequence.vaceInputFrame) expect(inSequence.vaceInputFrame.seq).toBe(i);
          if (inSequence.vaceInputMask) expect(inSequence.vaceInputMask.seq).toBe(i);
          if (!s.params) expect(inSequence.vace).toBeUndefined();
          if (!s.frame) expect(inSequence.vaceInputFrame).toBeUndefined();
          if (!s.mask || !inSequence.vaceInputFrame) expect(inSequence.vaceInputMask).toBeUndefined();
          if (inSequence.vace) {
            expect(inSequence.vace.context_scale).toBeGreaterThanOrEqual(0);
            expect(inSequence.vace.context_scale).toBeLessThanOrEqual(2);
            expect(inSequence.vace.ref_images.every(isSafeAssetRef)).toBe(true);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('drops unusable inputs for this frame with a warning', () => {
    const c = vaceConditioning(
      { ref_images: ['../../secret.png', 'ok.png'], first_frame_image: 'C:/x.png', context_scale: 5 },
      { frame: frame(32, 24), mask: frame(32, 24) },
      { width: 64, height: 48 },
    );
    expect(c.vace?.ref_images).toEqual(['ok.png']);
    expect(c.vace?.first_frame_image).toBe('');
    expect(c.vace?.context_scale).toBe(2);
    expect(c.vaceInputFrame).toBeUndefined();
    expect(c.vaceInputMask).toBeUndefined();
    expect(c.warnings).toHaveLength(5);
    expect(c.warnings.join('\n')).toMatch(/mask needs frames/);
    const mismatch = vaceConditioning(null, { frame: frame(64, 48), mask: frame(32, 24) });
    expect(mismatch.vaceInputFrame).toBeDefined();
    expect(mismatch.vaceInputMask).toBeUndefined();
    expect(mismatch.warnings[0]).toMatch(/vace_input_masks is 32×24 but vace_input_frames is 64×48/);
  });
});
