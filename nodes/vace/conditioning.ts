import type { VideoFrame } from '../core/frame';

/**
 * VACE conditioning for one frame, pure: the VACE node's params plus whatever arrives on the
 * Pipeline's `vace_input_frames` / `vace_input_masks` edges for THIS frame → what the pipeline
 * gets with this frame. Built fresh on every call from its inputs only, with new arrays, so
 * nothing from an earlier frame can leak into a later one: when an edge is removed or a param
 * cleared, the next frame has none of it (Daydream Scope bug #487 kept stale VACE conditioning
 * after it was removed).
 */

/** VACE conditioning as delivered to a pipeline (the runtime's FrameExtras.vace has this shape). */
export interface VaceControl {
  ref_images: string[];
  context_scale: number;
  use_input_video: boolean;
  first_frame_image: string;
  last_frame_image: string;
}

/** The VACE node's params (defaults may be missing before validation). */
export interface VaceParamsInput {
  ref_images?: readonly string[];
  context_scale?: number;
  use_input_video?: boolean;
  first_frame_image?: string;
  last_frame_image?: string;
}

/** What one frame carries for VACE. Absent keys mean "none for this frame". */
export interface VaceFrameConditioning {
  vace?: VaceControl;
  vaceInputFrame?: VideoFrame;
  vaceInputMask?: VideoFrame;
  /** Inputs dropped for this frame, and why (shown on the node). */
  warnings: string[];
}

/** Scope's data-channel keys for the same conditioning (`vace_enabled`, `vace_ref_images`, …). */
export interface VaceScopeParams {
  vace_enabled: boolean;
  vace_ref_images: string[];
  vace_context_scale: number;
  vace_use_input_video: boolean;
  first_frame_image: string;
  last_frame_image: string;
}

/**
 * True when an asset reference is a plain relative path inside the assets folder (no absolute
 * path, drive letter, `..` segment, URL scheme or NUL): anything else is dropped with a warning.
 */
export function isSafeAssetRef(ref: string): boolean {
  if (!ref || ref.length > 1024 || ref.includes('\0')) return false;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(ref) || ref.startsWith('/') || ref.startsWith('\\')) return false;
  return !ref.split(/[\\/]/).some((seg) => seg === '..');
}

function asset(ref: string | undefined, what: string, warnings: string[]): string {
  const r = (ref ?? '').trim();
  if (!r) return '';
  if (isSafeAssetRef(r)) return r;
  warnings.push(`${what} "${r.slice(0, 80)}" is not an asset in the assets folder; ignored`);
  return '';
}

function clampScale(v: number | undefined, warnings: string[]): number {
  if (v === undefined) return 1;
  if (!Number.isFinite(v)) {
    warnings.push(`context_scale ${v} is not a number; using 1`);
    return 1;
  }
  if (v < 0 || v > 2) warnings.push(`context_scale ${v} is outside 0–2; clamped`);
  return Math.min(2, Math.max(0, v));
}

/**
 * The conditioning for one frame.
 *
 * @param params the connected VACE node's params, or null when no VACE node feeds the pipeline
 * @param inputs this frame's `vace_input_frames` / `vace_input_masks` frames (null/undefined:
 *   no edge or nothing arrived)
 * @param size the pipeline input's size, when known: input frames/masks of another size are dropped
 *
 * @example
 * vaceConditioning({ ref_images: ['cat.png'], context_scale: 0.8 }, { frame: null })
 * // → { vace: { ref_images: ['cat.png'], context_scale: 0.8, use_input_video: true, … }, warnings: [] }
 */
export function vaceConditioning(
  params: VaceParamsInput | null | undefined,
  inputs: { frame?: VideoFrame | null; mask?: VideoFrame | null } = {},
  size?: { width: number; height: number },
): VaceFrameConditioning {
  const warnings: string[] = [];
  const out: VaceFrameConditioning = { warnings };
  if (params) {
    const refs: string[] = [];
    for (const r of params.ref_images ?? []) {
      const ok = asset(r, 'reference image', warnings);
      if (ok) refs.push(ok);
    }
    out.vace = {
      ref_images: refs,
      context_scale: clampScale(params.context_scale, warnings),
      use_input_video: params.use_input_video ?? true,
      first_frame_image: asset(params.first_frame_image, 'first frame image', warnings),
      last_frame_image: asset(params.last_frame_image, 'last frame image', warnings),
    };
  }
  const fits = (f: VideoFrame, what: string): boolean => {
    if (!size || (f.width === size.width && f.height === size.height)) return true;
    warnings.push(
      `${what} is ${f.width}×${f.height} but the pipeline input is ${size.width}×${size.height}; dropped for this frame`,
    );
    return false;
  };
  const frame = inputs.frame && fits(inputs.frame, 'vace_input_frames') ? inputs.frame : null;
  if (frame) out.vaceInputFrame = frame;
  if (inputs.mask) {
    if (!frame)
      warnings.push(
        'vace_input_masks arrived without vace_input_frames; a mask needs frames to apply to, dropped',
      );
    else if (inputs.mask.width !== frame.width || inputs.mask.height !== frame.height)
      warnings.push(
        `vace_input_masks is ${inputs.mask.width}×${inputs.mask.height} but vace_input_frames is ${frame.width}×${frame.height}; dropped for this frame`,
      );
    else out.vaceInputMask = inputs.mask;
  }
  return out;
}

/** The same conditioning as Scope data-channel parameters (all keys present: cleared is explicit). */
export function vaceScopeParams(c: VaceFrameConditioning): VaceScopeParams {
  const v = c.vace;
  return {
    vace_enabled: Boolean(v),
    vace_ref_images: v ? [...v.ref_images] : [],
    vace_context_scale: v ? v.context_scale : 1,
    vace_use_input_video: v ? v.use_input_video : false,
    first_frame_image: v ? v.first_frame_image : '',
    last_frame_image: v ? v.last_frame_image : '',
  };
}

/** True when a frame carries any VACE conditioning (for a pipeline that ignores VACE to say so). */
export function hasVace(c: VaceFrameConditioning): boolean {
  return Boolean(c.vace || c.vaceInputFrame || c.vaceInputMask);
}
