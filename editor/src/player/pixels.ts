import type { PixelStats } from '../../../runtime/protocol';

/**
 * Statistics of RGBA pixels (a canvas's ImageData). Pure, so the page and Node tests share it.
 *
 * @example
 * pixelStats(ctx.getImageData(0, 0, w, h).data, w, h).luma
 */
export function pixelStats(rgba: ArrayLike<number>, width: number, height: number): PixelStats {
  const n = width * height;
  if (n <= 0 || rgba.length < n * 4)
    throw new RangeError(`pixelStats: ${rgba.length} bytes is not ${width}x${height} RGBA`);
  let r = 0;
  let g = 0;
  let b = 0;
  let sum = 0;
  let sumSq = 0;
  let min = 255;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const R = rgba[i * 4]!;
    const G = rgba[i * 4 + 1]!;
    const B = rgba[i * 4 + 2]!;
    r += R;
    g += G;
    b += B;
    const y = 0.299 * R + 0.587 * G + 0.114 * B;
    sum += y;
    sumSq += y * y;
    if (y < min) min = y;
    if (y > max) max = y;
  }
  const luma = sum / n;
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    width,
    height,
    mean: [round(r / n), round(g / n), round(b / n)],
    luma: round(luma),
    lumaStd: round(Math.sqrt(Math.max(0, sumSq / n - luma * luma))),
    lumaMin: round(min),
    lumaMax: round(max),
    black: luma < 16,
  };
}
