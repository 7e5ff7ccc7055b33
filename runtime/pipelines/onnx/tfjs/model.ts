/**
 * A TensorFlow.js graph model as plain data: the GraphDef nodes from `model.json` and the
 * weights decoded from the `.bin` shards (float32, int32, and the float16 / uint8 / uint16
 * quantisations the TF.js converter writes). No TensorFlow is needed to read one.
 */

export type TfDtype = 'float32' | 'int32';

/** A constant tensor, NHWC as TensorFlow holds it. */
export interface TfTensor {
  dtype: TfDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** One attribute value as the TF.js JSON writes it (the subset these models use). */
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface TfjsGraph {
  /** What the model is called in messages (its file name without extension). */
  name: string;
  nodes: TfNode[];
  weights: Map<string, TfTensor>;
  /** Signature outputs (names without `:0`), when the model.json has a signature. */
  outputs: string[];
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

interface ModelJson {
  format?: string;
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: { paths: string[]; weights: ManifestWeight[] }[];
  signature?: { outputs?: Record<string, { name: string }> };
  userDefinedMetadata?: { signature?: { outputs?: Record<string, { name: string }> } };
}

/** A model that cannot be read or converted; the message names the model and, where known, the node and op. */
export class TfjsModelError extends Error {
  constructor(
    readonly model: string,
    message: string,
    readonly op?: string,
  ) {
    super(`TF.js model "${model}": ${message}`);
    this.name = 'TfjsModelError';
  }
}

/** IEEE 754 half → float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Decodes a TF.js attribute string (base64 in the JSON). */
export function attrString(a: TfAttr | undefined): string | undefined {
  return a?.s === undefined ? undefined : Buffer.from(a.s, 'base64').toString('utf8');
}

export function attrInts(a: TfAttr | undefined): number[] | undefined {
  return a?.list?.i?.map(Number);
}

export function attrStrings(a: TfAttr | undefined): string[] {
  return (a?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

/**
 * Reads a graph model: `json` is model.json's text, `shards` the bytes of each path in its
 * weights manifest, in order (concatenated, the weights follow one another).
 */
export function parseTfjsModel(name: string, json: string, shards: readonly Uint8Array[]): TfjsGraph {
  let m: ModelJson;
  try {
    m = JSON.parse(json) as ModelJson;
  } catch (err) {
    throw new TfjsModelError(name, `model.json is not JSON (${(err as Error).message})`);
  }
  if (m.format !== undefined && m.format !== 'graph-model')
    throw new TfjsModelError(
      name,
      `format "${m.format}" is not a graph model (layers models are not supported)`,
    );
  const nodes = m.modelTopology?.node;
  if (!Array.isArray(nodes)) throw new TfjsModelError(name, 'modelTopology.node is missing');
  const total = shards.reduce((a, s) => a + s.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    bytes.set(s, at);
    at += s.length;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = new Map<string, TfTensor>();
  let offset = 0;
  for (const group of m.weightsManifest ?? []) {
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const width = q ? ({ float16: 2, uint8: 1, uint16: 2 } as Record<string, number>)[q.dtype] : 4;
      if (width === undefined)
        throw new TfjsModelError(name, `weight "${w.name}": quantization ${q?.dtype} is not supported`);
      if (w.dtype !== 'float32' && w.dtype !== 'int32')
        throw new TfjsModelError(name, `weight "${w.name}": dtype ${w.dtype} is not supported`);
      if (offset + count * width > total)
        throw new TfjsModelError(
          name,
          `weight "${w.name}" needs bytes ${offset}–${offset + count * width}, the weights file has ${total}`,
        );
      const data = w.dtype === 'int32' && !q ? new Int32Array(count) : new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const p = offset + i * width;
        if (!q) data[i] = w.dtype === 'int32' ? view.getInt32(p, true) : view.getFloat32(p, true);
        else if (q.dtype === 'float16') data[i] = halfToFloat(view.getUint16(p, true));
        else {
          const v = q.dtype === 'uint8' ? view.getUint8(p) : view.getUint16(p, true);
          data[i] = v * (q.scale ?? 1) + (q.min ?? 0);
        }
      }
      offset += count * width;
      weights.set(w.name, {
        dtype: data instanceof Int32Array ? 'int32' : 'float32',
        shape: [...w.shape],
        data,
      });
    }
  }
  const sig = m.signature?.outputs ?? m.userDefinedMetadata?.signature?.outputs ?? {};
  const outputs = Object.values(sig).map((o) => o.name.replace(/:0$/, ''));
  return { name, nodes, weights, outputs };
}
