/**
 * RFC 7741 (RTP payload format for VP8): a packetizer for sending and a small depacketizer for
 * receiving. werift has no VP8 packetizer, and its depacketizer/jitter buffer needs care (it
 * emits a frame per packet without `isFinalPacketInSequence`, and clears payloads after use —
 * FIELD-NOTES.md), so both directions are here as pure processors: bytes in, packets or frames
 * out, plus stats. The peer wraps them around werift's RtpPacket.
 */

/** One RTP packet's worth of what this module produces or reads (werift-independent). */
export interface RtpUnit {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  /** The RTP payload: VP8 payload descriptor followed by VP8 bytes. */
  payload: Uint8Array;
}

/** Settings for {@link Vp8Packetizer}. */
export interface Vp8PacketizerOptions {
  /**
   * Largest RTP payload (descriptor + VP8 bytes) in bytes. Default 1100, which keeps the whole
   * packet under ~1200 bytes after the 12-byte RTP header, werift's header extensions
   * (mid, abs-send-time, transport-cc: ≈ 20 bytes) and SRTP's 10-byte tag.
   */
  maxPayload?: number;
  /** First sequence number / picture id / timestamp offset; random when omitted. */
  initialSequence?: number;
  initialPictureId?: number;
  initialTimestamp?: number;
}

const DESCRIPTOR_BYTES = 4; // X=1, I=1 with a 15-bit picture id

/**
 * Splits VP8 frames into RTP payloads (RFC 7741 §4.2): X=1, I=1, M=1 (15-bit PictureID,
 * incremented per frame), S=1 and PartID 0 on the first packet, marker on the last; 90 kHz
 * timestamps derived from the frame's millisecond timestamp, kept strictly increasing.
 *
 * @example
 * const p = new Vp8Packetizer();
 * for (const unit of p.packetize(encoded.data, encoded.timestampMs)) sender.send(unit);
 */
export class Vp8Packetizer {
  private readonly maxPayload: number;
  private seq: number;
  private pictureId: number;
  private readonly tsBase: number;
  private lastTs: number | null = null;
  readonly stats = { frames: 0, packets: 0, bytes: 0 };

  constructor(options: Vp8PacketizerOptions = {}) {
    this.maxPayload = options.maxPayload ?? 1100;
    if (
      !Number.isInteger(this.maxPayload) ||
      this.maxPayload < DESCRIPTOR_BYTES + 1 ||
      this.maxPayload > 65_000
    ) {
      throw new RangeError(`Vp8Packetizer: maxPayload ${options.maxPayload} must be an integer in 5..65000`);
    }
    this.seq = (options.initialSequence ?? randomInt(0x10000)) & 0xffff;
    this.pictureId = (options.initialPictureId ?? randomInt(0x8000)) & 0x7fff;
    this.tsBase = (options.initialTimestamp ?? randomInt(0x1_0000_0000)) >>> 0;
  }

  /** Splits one VP8 frame into RTP units; an empty frame gives none. */
  packetize(frame: Uint8Array, timestampMs: number): RtpUnit[] {
    if (frame.length === 0) return [];
    const timestamp = this.nextTimestamp(timestampMs);
    const chunk = this.maxPayload - DESCRIPTOR_BYTES;
    const count = Math.ceil(frame.length / chunk);
    // Even split: no runt last packet, so loss and pacing are uniform.
    const size = Math.ceil(frame.length / count);
    const pid = this.pictureId;
    const units: RtpUnit[] = [];
    for (let i = 0, off = 0; i < count; i++, off += size) {
      const part = frame.subarray(off, Math.min(frame.length, off + size));
      const payload = new Uint8Array(DESCRIPTOR_BYTES + part.length);
      payload[0] = 0x80 | (i === 0 ? 0x10 : 0); // X, S on the first packet; PartID 0
      payload[1] = 0x80; // I: PictureID present
      payload[2] = 0x80 | (pid >> 8); // M: 15-bit PictureID
      payload[3] = pid & 0xff;
      payload.set(part, DESCRIPTOR_BYTES);
      units.push({ sequenceNumber: this.seq, timestamp, marker: i === count - 1, payload });
      this.seq = (this.seq + 1) & 0xffff;
      this.stats.packets++;
      this.stats.bytes += payload.length;
    }
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    this.stats.frames++;
    return units;
  }

  private nextTimestamp(timestampMs: number): number {
    const ms = Number.isFinite(timestampMs) ? timestampMs : 0;
    let ts = (this.tsBase + Math.round(ms * 90)) >>> 0;
    // Strictly increasing (mod 2^32) so a receiver never merges two frames into one.
    if (this.lastTs !== null && !isNewer32(ts, this.lastTs)) ts = (this.lastTs + 1) >>> 0;
    this.lastTs = ts;
    return ts;
  }
}

/** The parsed RFC 7741 payload descriptor. */
export interface Vp8Descriptor {
  /** S: first packet of a VP8 partition. */
  start: boolean;
  partitionId: number;
  pictureId: number | null;
  /** Offset of the VP8 bytes inside the payload. */
  headerSize: number;
}

/** Parses an RFC 7741 payload descriptor; null when the payload is too short or malformed. */
export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor | null {
  if (payload.length < 1) return null;
  const b0 = payload[0]!;
  let off = 1;
  let pictureId: number | null = null;
  if (b0 & 0x80) {
    if (payload.length < off + 1) return null;
    const b1 = payload[off++]!;
    if (b1 & 0x80) {
      if (payload.length < off + 1) return null;
      const m = payload[off]! & 0x80;
      if (m) {
        if (payload.length < off + 2) return null;
        pictureId = ((payload[off]! & 0x7f) << 8) | payload[off + 1]!;
        off += 2;
      } else {
        pictureId = payload[off]! & 0x7f;
        off += 1;
      }
    }
    if (b1 & 0x40) off += 1; // L: TL0PICIDX
    if (b1 & 0x30) off += 1; // T or K: TID/Y/KEYIDX
  }
  if (off >= payload.length) return null; // a descriptor with no VP8 bytes
  return { start: (b0 & 0x10) !== 0, partitionId: b0 & 0x0f, pictureId, headerSize: off };
}

/** A VP8 frame assembled from RTP packets. */
export interface AssembledFrame {
  data: Uint8Array;
  /** RTP timestamp (90 kHz). */
  timestamp: number;
  keyframe: boolean;
}

/** What {@link Vp8Depacketizer.push} reports besides frames. */
export interface DepacketizeResult {
  frames: AssembledFrame[];
  /** True when the caller should ask the sender for a keyframe (send a PLI). */
  needKeyframe: boolean;
}

/** Settings for {@link Vp8Depacketizer}. */
export interface Vp8DepacketizerOptions {
  /** Largest assembled frame in bytes (default 4 MiB); bigger ones are dropped as corrupt. */
  maxFrameBytes?: number;
  /** Packets kept while waiting for a late or retransmitted one (default 512). */
  maxPendingPackets?: number;
  /**
   * How long a complete frame waits for a missing packet of an earlier frame (reordered or
   * being retransmitted after a NACK) before the earlier frame is given up. Default 60 ms.
   */
  maxWaitMs?: number;
}

/**
 * Reassembles VP8 frames from RTP packets (any order inside a small window). A frame is emitted
 * when every sequence number from its S/PartID-0 packet to its marker packet is present. When a
 * later frame completes while an earlier one is still missing packets, it waits up to
 * `maxWaitMs` for them; then the earlier one is dropped, and from then on only a keyframe is
 * emitted (the missing frame was a reference), with
 * `needKeyframe` raised so the owner sends a PLI. Payload bytes are copied on push, so callers
 * may reuse their buffers (werift's jitter buffer does).
 */
export class Vp8Depacketizer {
  private readonly maxFrameBytes: number;
  private readonly maxPending: number;
  private readonly maxWaitMs: number;
  /** When a complete frame was first seen behind a gap; null when there is no gap. */
  private gapSince: number | null = null;
  /** Packets by sequence number, not yet part of an emitted frame. */
  private readonly pending = new Map<number, { ts: number; marker: boolean; payload: Uint8Array }>();
  /** Sequence number expected next after the last emitted frame; null before the first. */
  private nextSeq: number | null = null;
  private lastTs: number | null = null;
  private waitingForKeyframe = true;
  readonly stats = { packets: 0, frames: 0, keyframes: 0, droppedFrames: 0, badPackets: 0, latePackets: 0 };

  constructor(options: Vp8DepacketizerOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 4 * 1024 * 1024;
    this.maxPending = options.maxPendingPackets ?? 512;
    this.maxWaitMs = options.maxWaitMs ?? 60;
  }

  /**
   * Adds one packet received at `nowMs` (any monotonic millisecond clock); returns the frames it
   * completed, in order. Give-ups after `maxWaitMs` are checked on each push.
   */
  push(unit: RtpUnit, nowMs: number = performance.now()): DepacketizeResult {
    this.stats.packets++;
    const seq = unit.sequenceNumber & 0xffff;
    if (this.nextSeq !== null && isOlder16(seq, this.nextSeq)) {
      this.stats.latePackets++; // belongs to a frame already emitted or dropped
      return { frames: [], needKeyframe: false };
    }
    if (parseVp8Descriptor(unit.payload) === null) {
      this.stats.badPackets++;
      return { frames: [], needKeyframe: false };
    }
    if (!this.pending.has(seq)) {
      this.pending.set(seq, { ts: unit.timestamp >>> 0, marker: unit.marker, payload: unit.payload.slice() });
    }
    let needKeyframe = false;
    if (this.pending.size > this.maxPending) {
      // Something was lost long ago and never came back: start over from the newest packets.
      this.pending.clear();
      this.nextSeq = null;
      this.gapSince = null;
      this.stats.droppedFrames++;
      needKeyframe = this.enterWaitForKeyframe() || needKeyframe;
      return { frames: [], needKeyframe };
    }
    const frames: AssembledFrame[] = [];
    // Try to complete frames, oldest first, each time this packet may have finished one.
    for (;;) {
      const done = this.findCompleteFrame();
      if (!done) break;
      const { startSeq, endSeq, ts, skipped } = done;
      if (skipped) {
        // Hold the complete frame a little: the missing packets may still arrive.
        this.gapSince ??= nowMs;
        if (nowMs - this.gapSince < this.maxWaitMs) break;
      }
      this.gapSince = null;
      if (skipped) {
        this.stats.droppedFrames++;
        needKeyframe = this.enterWaitForKeyframe() || needKeyframe;
      }
      const frame = this.assemble(startSeq, endSeq, ts);
      this.nextSeq = (endSeq + 1) & 0xffff;
      this.lastTs = ts;
      this.dropPendingBefore(this.nextSeq);
      if (!frame) {
        this.stats.droppedFrames++;
        needKeyframe = this.enterWaitForKeyframe() || needKeyframe;
        continue;
      }
      if (this.waitingForKeyframe && !frame.keyframe) {
        this.stats.droppedFrames++;
        needKeyframe = true;
        continue;
      }
      this.waitingForKeyframe = false;
      this.stats.frames++;
      if (frame.keyframe) this.stats.keyframes++;
      frames.push(frame);
    }
    return { frames, needKeyframe };
  }

  /** Forget everything (e.g. the remote source changed); the next frame must be a keyframe. */
  reset(): void {
    this.pending.clear();
    this.nextSeq = null;
    this.lastTs = null;
    this.gapSince = null;
    this.waitingForKeyframe = true;
  }

  /** After a loss only a keyframe can be decoded; returns true because a PLI is due. */
  private enterWaitForKeyframe(): boolean {
    this.waitingForKeyframe = true;
    return true;
  }

  /**
   * Finds the oldest frame whose packets are all present: a marker packet M, and a start packet
   * S ≤ M with the same timestamp such that every sequence number in [S, M] is present.
   * `skipped` is true when packets between the last emitted frame and S are missing.
   */
  private findCompleteFrame(): { startSeq: number; endSeq: number; ts: number; skipped: boolean } | null {
    if (this.pending.size === 0) return null;
    // Order pending sequence numbers relative to the expected one (or the oldest present).
    const ref = this.nextSeq ?? this.oldestPendingSeq();
    const seqs = [...this.pending.keys()].sort((a, b) => ((a - ref) & 0xffff) - ((b - ref) & 0xffff));
    for (const m of seqs) {
      const mp = this.pending.get(m)!;
      if (!mp.marker) continue;
      if (this.lastTs !== null && !isNewer32(mp.ts, this.lastTs)) continue;
      // Walk back from the marker while packets are present and share the timestamp.
      let s = m;
      let found = false;
      for (;;) {
        const p = this.pending.get(s)!;
        const d = parseVp8Descriptor(p.payload)!;
        if (d.start && d.partitionId === 0) {
          found = true;
          break;
        }
        const prev = (s - 1) & 0xffff;
        const pp = this.pending.get(prev);
        if (!pp || pp.ts !== mp.ts) break;
        s = prev;
      }
      if (!found) continue;
      // Before the first frame there is no expected sequence number: any older packet still
      // pending means an earlier frame may be completing.
      const skipped = this.nextSeq === null ? this.hasPendingOlderThan(s) : s !== this.nextSeq;
      return { startSeq: s, endSeq: m, ts: mp.ts, skipped };
    }
    return null;
  }

  private hasPendingOlderThan(seq: number): boolean {
    for (const s of this.pending.keys()) if (isOlder16(s, seq)) return true;
    return false;
  }

  private oldestPendingSeq(): number {
    let oldest: number | null = null;
    for (const s of this.pending.keys()) if (oldest === null || isOlder16(s, oldest)) oldest = s;
    return oldest ?? 0;
  }

  private assemble(startSeq: number, endSeq: number, ts: number): AssembledFrame | null {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let s = startSeq; ; s = (s + 1) & 0xffff) {
      const p = this.pending.get(s)!;
      const d = parseVp8Descriptor(p.payload)!;
      const body = p.payload.subarray(d.headerSize);
      parts.push(body);
      total += body.length;
      if (s === endSeq) break;
    }
    if (total > this.maxFrameBytes || total < 3) return null;
    const data = new Uint8Array(total);
    let off = 0;
    for (const part of parts) {
      data.set(part, off);
      off += part.length;
    }
    // RFC 6386 §9.1: P bit (bit 0 of the first byte) clear means keyframe.
    return { data, timestamp: ts, keyframe: (data[0]! & 1) === 0 };
  }

  private dropPendingBefore(seq: number): void {
    for (const s of [...this.pending.keys()]) if (isOlder16(s, seq)) this.pending.delete(s);
  }
}

/** a is older than b in 16-bit sequence space. */
function isOlder16(a: number, b: number): boolean {
  return a !== b && ((b - a) & 0xffff) < 0x8000;
}

/** a is newer than b in 32-bit timestamp space. */
function isNewer32(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x8000_0000;
}

function randomInt(limit: number): number {
  return Math.floor(Math.random() * limit);
}
