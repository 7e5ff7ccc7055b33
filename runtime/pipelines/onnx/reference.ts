import {
  BLUR_RADIUS,
  BLUR_SIGMAS,
  blurBank,
  EDGE_GAIN0,
  EDGE_GAIN1,
  GRADE_BIAS,
  GRADE_CURVE,
  GRADE_MATRIX,
  LUMA,
  POSTER_MIN,
  POSTER_SPAN,
  SOBEL_X,
  SOBEL_Y,
  TINT_BASE,
  TINT_GAIN,
  TRAILS_DECAY,
  type BuiltinModelId,
} from './build-models';

/**
 * Plain-TypeScript references of the built-in models, written from the description rather than
 * from the graph (loops over pixels, clamped indexing instead of Pad nodes), so a wrong graph
 * shows up as a difference. Images are NCHW float RGB in 0–1: `data[c·H·W + y·W + x]`.
 */

export interface RefImage {
  width: number;
  height: number;
  data: Float32Array;
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const clampI = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);

function lumaPlane(img: RefImage): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] = LUMA[0] * img.data[i]! + LUMA[1] * img.data[n + i]! + LUMA[2] * img.data[2 * n + i]!;
  return out;
}

function blend(img: RefImage, effect: (c: number, i: number) => number, strength: number): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const x = img.data[c * n + i]!;
      out[c * n + i] = x + strength * (effect(c, i) - x);
    }
  }
  return out;
}

/** Edges: inverted, clipped Sobel magnitude of luma (edge-replicated borders), gray RGB. */
export function refEdges(img: RefImage, strength: number): Float32Array {
  const { width: w, height: h } = img;
  const y = lumaPlane(img);
  const gain = EDGE_GAIN0 + EDGE_GAIN1 * strength;
  const out = new Float32Array(3 * w * h);
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      let gx = 0;
      let gy = 0;
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const v = y[clampI(py + ky - 1, h - 1) * w + clampI(px + kx - 1, w - 1)]!;
          gx += SOBEL_X[ky * 3 + kx]! * v;
          gy += SOBEL_Y[ky * 3 + kx]! * v;
        }
      }
      const s = 1 - clamp01(Math.sqrt(gx * gx + gy * gy) * gain);
      for (let c = 0; c < 3; c++) out[c * w * h + py * w + px] = s;
    }
  }
  return out;
}

/** The blended 1-D blur kernel for a strength (hat weights over the sigma bank). */
export function refBlurKernel(strength: number): number[] {
  const bank = blurBank();
  const pos = strength * (BLUR_SIGMAS.length - 1);
  const kernel = new Array<number>(2 * BLUR_RADIUS + 1).fill(0);
  bank.forEach((row, k) => {
    const wgt = Math.max(0, 1 - Math.abs(pos - k));
    row.forEach((v, i) => (kernel[i]! += wgt * v));
  });
  return kernel;
}

/** Blur: horizontal then vertical pass with the blended kernel, edge-replicated borders. */
export function refBlur(img: RefImage, strength: number): Float32Array {
  const { width: w, height: h } = img;
  const k = refBlurKernel(strength);
  const r = BLUR_RADIUS;
  const out = new Float32Array(3 * w * h);
  const tmp = new Float64Array(w * h);
  for (let c = 0; c < 3; c++) {
    const plane = c * w * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r]! * img.data[plane + y * w + clampI(x + i, w - 1)]!;
        tmp[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[clampI(y + i, h - 1) * w + x]!;
        out[plane + y * w + x] = s;
      }
    }
  }
  return out;
}

/** Posterize levels for a strength (2 at strength 1, 16 at 0). */
export function refPosterLevels(strength: number): number {
  // float32 arithmetic, as the graph computes it, so a level boundary falls the same way
  const f = Math.fround;
  return Math.floor(f(f(f(1 - f(strength)) * POSTER_SPAN) + (POSTER_MIN + 0.5)));
}

/** Posterize: round each channel to the nearest of `levels` evenly spaced values. */
export function refPosterize(img: RefImage, strength: number): Float32Array {
  const steps = refPosterLevels(strength) - 1;
  return img.data.map((x) => Math.floor(Math.fround(Math.fround(x * steps) + 0.5)) / steps);
}

/** Colour grade: matrix + bias, clip, smoothstep contrast, blended with the input by strength. */
export function refColorGrade(img: RefImage, strength: number): Float32Array {
  const n = img.width * img.height;
  const graded = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const rgb = [img.data[i]!, img.data[n + i]!, img.data[2 * n + i]!];
    for (let c = 0; c < 3; c++) {
      const m = GRADE_MATRIX[c]!;
      const g = clamp01(m[0] * rgb[0]! + m[1] * rgb[1]! + m[2] * rgb[2]! + GRADE_BIAS[c]!);
      const smooth = g * g * (3 - 2 * g);
      graded[c * n + i] = g + (smooth - g) * GRADE_CURVE;
    }
  }
  return blend(img, (c, i) => graded[c * n + i]!, strength);
}

/** Prompt tint: luma times (base + gain · tint colour), clipped, blended by strength. */
export function refPromptTint(img: RefImage, strength: number, tint: readonly number[]): Float32Array {
  const y = lumaPlane(img);
  return blend(img, (c, i) => clamp01(y[i]! * (TINT_BASE + TINT_GAIN * tint[c]!)), strength);
}

/** Trails: per value max(current, previous · decay · strength). */
export function refTrails(img: RefImage, previous: Float32Array, strength: number): Float32Array {
  const decay = strength * TRAILS_DECAY;
  return img.data.map((x, i) => Math.max(x, previous[i]! * decay));
}

/** Extra inputs some references need. */
export interface RefExtras {
  tint?: readonly number[];
  previous?: Float32Array;
}

/** Runs the reference of a built-in model. */
export function runReference(
  id: BuiltinModelId,
  img: RefImage,
  strength: number,
  extras: RefExtras = {},
): Float32Array {
  switch (id) {
    case 'edges':
      return refEdges(img, strength);
    case 'blur':
      return refBlur(img, strength);
    case 'posterize':
      return refPosterize(img, strength);
    case 'color-grade':
      return refColorGrade(img, strength);
    case 'prompt-tint':
      return refPromptTint(img, strength, extras.tint ?? [0.75, 0.75, 0.75]);
    case 'trails':
      return refTrails(img, extras.previous ?? new Float32Array(img.data.length), strength);
  }
}
