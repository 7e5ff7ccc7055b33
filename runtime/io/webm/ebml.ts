/**
 * Minimal EBML (the binary format under Matroska/WebM): element ids, variable-length sizes and
 * typed values, both ways. Only what a VP8 WebM writer and reader need.
 */

/** Element ids Patchbay writes or reads (Matroska spec numbering, marker bits included). */
export const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Void: 0xec,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  DefaultDuration: 0x23e383,
  CodecID: 0x86,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
} as const;

/** Bytes of an element id (ids keep their length marker, so this is just the big-endian value). */
export function encodeId(id: number): Uint8Array {
  if (id >= 0x1000000) return Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
  if (id >= 0x10000) return Uint8Array.of(id >>> 16, (id >>> 8) & 0xff, id & 0xff);
  if (id >= 0x100) return Uint8Array.of(id >>> 8, id & 0xff);
  return Uint8Array.of(id);
}

/** An element size as an EBML variable-length integer; `width` forces a length (1..8). */
export function encodeSize(size: number, width?: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`EBML size ${size} is not a valid size`);
  let len = width ?? 1;
  // 2^(7·len) − 1 is reserved for "unknown size", so sizes must stay below it.
  while (width === undefined && size >= 2 ** (7 * len) - 1) len++;
  if (len > 8 || size >= 2 ** (7 * len) - 1)
    throw new RangeError(`EBML size ${size} does not fit ${len} bytes`);
  const out = new Uint8Array(len);
  let v = size;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0]! |= 1 << (8 - len);
  return out;
}

/** An unsigned integer in the fewest bytes (or exactly `width`). */
export function encodeUint(value: number, width?: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`EBML uint ${value} is invalid`);
  let len = width ?? 1;
  while (width === undefined && len < 8 && value >= 2 ** (8 * len)) len++;
  const out = new Uint8Array(len);
  let v = value;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** A float64 value. */
export function encodeFloat(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, value);
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A whole element: id, size, payload. */
export function element(id: number, payload: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const body = payload instanceof Uint8Array ? payload : concat(payload);
  return concat([encodeId(id), encodeSize(body.length), body]);
}

/** Element helpers for typed values. */
export const el = {
  uint: (id: number, v: number, width?: number) => element(id, encodeUint(v, width)),
  float: (id: number, v: number) => element(id, encodeFloat(v)),
  str: (id: number, s: string) => element(id, new TextEncoder().encode(s)),
  bytes: (id: number, b: Uint8Array) => element(id, b),
};

/** A parsed element header. `size` is null for an unknown-size (live-streamed) element. */
export interface ElementHeader {
  id: number;
  size: number | null;
  /** Offset of the payload. */
  dataStart: number;
  /** Offset just past the header's start (the id's first byte). */
  start: number;
}

/** Reads a variable-length integer at `pos`; returns value (marker removed or kept) and length. */
export function readVint(
  buf: Uint8Array,
  pos: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | null {
  if (pos >= buf.length) return null;
  const first = buf[pos]!;
  if (first === 0) return null;
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || pos + len > buf.length) return null;
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = (first & (0xff >> len)) === 0xff >> len;
  for (let i = 1; i < len; i++) {
    const b = buf[pos + i]!;
    if (b !== 0xff) allOnes = false;
    value = value * 256 + b;
  }
  return { value, length: len, unknown: !keepMarker && allOnes };
}

/** Reads an element header at `pos`, or null when the bytes end or are not EBML. */
export function readHeader(buf: Uint8Array, pos: number): ElementHeader | null {
  const id = readVint(buf, pos, true);
  if (!id || id.length > 4) return null;
  const size = readVint(buf, pos + id.length, false);
  if (!size) return null;
  return {
    id: id.value,
    size: size.unknown ? null : size.value,
    dataStart: pos + id.length + size.length,
    start: pos,
  };
}

/** A big-endian unsigned integer payload (up to 8 bytes; beyond 2^53 loses precision). */
export function readUint(buf: Uint8Array, start: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + buf[start + i]!;
  return v;
}

/** A float payload (4 or 8 bytes). */
export function readFloat(buf: Uint8Array, start: number, size: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset + start, size);
  if (size === 4) return dv.getFloat32(0);
  if (size === 8) return dv.getFloat64(0);
  return 0;
}

/** A string payload (ASCII/UTF-8; trailing NULs dropped). */
export function readString(buf: Uint8Array, start: number, size: number): string {
  return new TextDecoder().decode(buf.subarray(start, start + size)).replace(/\0+$/, '');
}
