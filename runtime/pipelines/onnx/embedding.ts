import type { WeightedPrompt } from '../../../nodes';

/**
 * The `hash-rgb` text embedding used by the prompt-tint model: a deterministic HASH of the prompt
 * words, not a learned text encoder. Each word gets a hue — from a small table for colour words
 * ("red", "teal", "gold", …) so they do what a VJ expects, otherwise from the FNV-1a hash of the
 * word — and a prompt's colour is the circular mean of its words' hues. Weighted prompts blend
 * their colours. The same text gives the same colour on every machine and run.
 */

const COLOUR_WORDS: Record<string, number> = {
  red: 0,
  crimson: 348,
  scarlet: 5,
  orange: 30,
  amber: 40,
  gold: 48,
  golden: 48,
  yellow: 58,
  lime: 90,
  green: 120,
  forest: 130,
  emerald: 145,
  teal: 178,
  cyan: 185,
  aqua: 185,
  ocean: 200,
  sky: 205,
  blue: 225,
  azure: 210,
  indigo: 255,
  violet: 275,
  purple: 285,
  magenta: 305,
  pink: 330,
  rose: 340,
  neon: 300,
  fire: 15,
  sunset: 22,
  night: 235,
};

/** FNV-1a 32-bit hash of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The words of a prompt: lower-case runs of letters and digits. */
export function promptWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Hue in degrees for one word. */
export function wordHue(word: string): number {
  return COLOUR_WORDS[word] ?? (fnv1a(word) % 3600) / 10;
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const c = v * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] =
    hp < 1
      ? [c, x, 0]
      : hp < 2
        ? [x, c, 0]
        : hp < 3
          ? [0, c, x]
          : hp < 4
            ? [0, x, c]
            : hp < 5
              ? [x, 0, c]
              : [c, 0, x];
  const m = v - c;
  return [r + m, g + m, b + m];
}

/**
 * The embedding of one prompt text: RGB in 0–1. Saturation follows how much the words agree
 * (the length of the mean hue vector), so a prompt of clashing words gives a paler tint. An
 * empty prompt is neutral gray-white (1, 1, 1 · 0.75).
 */
export function embedText(text: string): [number, number, number] {
  const words = promptWords(text);
  if (!words.length) return [0.75, 0.75, 0.75];
  let x = 0;
  let y = 0;
  for (const w of words) {
    const a = (wordHue(w) * Math.PI) / 180;
    x += Math.cos(a);
    y += Math.sin(a);
  }
  x /= words.length;
  y /= words.length;
  const agreement = Math.min(1, Math.hypot(x, y));
  const hue = (Math.atan2(y, x) * 180) / Math.PI;
  return hsvToRgb(hue, 0.25 + 0.6 * agreement, 1);
}

/**
 * The embedding of weighted prompts: the weight-normalised mean of their colours ('linear'), or
 * for two prompts with 'slerp' a spherical blend that keeps the tint's brightness. Zero total
 * weight counts every prompt equally.
 */
export function embedPrompts(
  prompts: readonly WeightedPrompt[],
  interpolation: 'linear' | 'slerp' = 'linear',
): [number, number, number] {
  if (!prompts.length) return embedText('');
  const vecs = prompts.map((p) => embedText(p.text));
  let weights = prompts.map((p) => Math.max(0, p.weight));
  const total = weights.reduce((a, b) => a + b, 0);
  weights = total > 0 ? weights.map((w) => w / total) : weights.map(() => 1 / prompts.length);
  if (interpolation === 'slerp' && vecs.length === 2) return slerp3(vecs[0]!, vecs[1]!, weights[1]!);
  const out: [number, number, number] = [0, 0, 0];
  vecs.forEach((v, i) => {
    for (let c = 0; c < 3; c++) out[c] += v[c]! * weights[i]!;
  });
  return out;
}

/** Linear blend of two embeddings. */
export function lerp3(a: readonly number[], b: readonly number[], t: number): [number, number, number] {
  return [a[0]! + (b[0]! - a[0]!) * t, a[1]! + (b[1]! - a[1]!) * t, a[2]! + (b[2]! - a[2]!) * t];
}

/** Spherical blend of two embeddings (direction slerped, length lerped); linear when nearly parallel. */
export function slerp3(a: readonly number[], b: readonly number[], t: number): [number, number, number] {
  const la = Math.hypot(a[0]!, a[1]!, a[2]!);
  const lb = Math.hypot(b[0]!, b[1]!, b[2]!);
  if (la < 1e-9 || lb < 1e-9) return lerp3(a, b, t);
  const dot = Math.min(1, Math.max(-1, (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!) / (la * lb)));
  const omega = Math.acos(dot);
  if (omega < 1e-4) return lerp3(a, b, t);
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s;
  const wb = Math.sin(t * omega) / s;
  const len = la + (lb - la) * t;
  const d = [0, 1, 2].map((c) => (wa * a[c]!) / la + (wb * b[c]!) / lb);
  const dl = Math.hypot(d[0]!, d[1]!, d[2]!);
  return [(d[0]! / dl) * len, (d[1]! / dl) * len, (d[2]! / dl) * len];
}
