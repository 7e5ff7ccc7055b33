import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Vp8Depacketizer, Vp8Packetizer, parseVp8Descriptor, type RtpUnit } from './vp8-rtp';

/** A fake VP8 frame: byte 0 bit 0 clear = keyframe (with the start code), set = delta. */
function fakeFrame(size: number, key: boolean, fill: number): Uint8Array {
  const f = new Uint8Array(size).fill(fill);
  f[0] = key ? 0x10 : 0x11;
  if (key && size >= 10) f.set([0x9d, 0x01, 0x2a], 3);
  return f;
}

describe('Vp8Packetizer', () => {
  it('writes RFC 7741 descriptors, splits under the MTU and marks the last packet', () => {
    const p = new Vp8Packetizer({
      maxPayload: 1100,
      initialSequence: 65534,
      initialPictureId: 0x7fff,
      initialTimestamp: 1000,
    });
    const units = p.packetize(fakeFrame(3000, true, 7), 0);
    expect(units.length).toBe(3);
    expect(units.map((u) => u.sequenceNumber)).toEqual([65534, 65535, 0]);
    expect(units.map((u) => u.marker)).toEqual([false, false, true]);
    for (const u of units) {
      expect(u.payload.length).toBeLessThanOrEqual(1100);
      expect(u.timestamp).toBe(1000);
    }
    const d0 = parseVp8Descriptor(units[0]!.payload)!;
    expect(d0).toEqual({ start: true, partitionId: 0, pictureId: 0x7fff, headerSize: 4 });
    expect(parseVp8Descriptor(units[1]!.payload)!.start).toBe(false);
    // The next frame: picture id wraps to 0, timestamp at 90 kHz.
    const next = p.packetize(fakeFrame(100, false, 1), 33.3);
    expect(parseVp8Descriptor(next[0]!.payload)!.pictureId).toBe(0);
    expect(next[0]!.timestamp).toBe(1000 + Math.round(33.3 * 90));
    // A repeated or earlier timestamp still advances.
    expect(p.packetize(fakeFrame(100, false, 1), 0)[0]!.timestamp).toBe(1000 + Math.round(33.3 * 90) + 1);
  });

  it('parses descriptors written by other senders (7-bit picture id, L/T/K fields)', () => {
    expect(parseVp8Descriptor(new Uint8Array([0x10, 0xaa]))).toEqual({
      start: true,
      partitionId: 0,
      pictureId: null,
      headerSize: 1,
    });
    expect(parseVp8Descriptor(new Uint8Array([0x90, 0xe0, 0x05, 0x01, 0x02, 0xaa]))).toEqual({
      start: true,
      partitionId: 0,
      pictureId: 5,
      headerSize: 5,
    });
    expect(parseVp8Descriptor(new Uint8Array([0x90, 0x80, 0x81]))).toBeNull(); // truncated 15-bit id
    expect(parseVp8Descriptor(new Uint8Array([]))).toBeNull();
  });
});

describe('Vp8Depacketizer', () => {
  function send(frames: Uint8Array[], p = new Vp8Packetizer({ maxPayload: 200 })): RtpUnit[] {
    return frames.flatMap((f, i) => p.packetize(f, i * 33));
  }

  it('reassembles frames in order and copies payloads', () => {
    const frames = [fakeFrame(1000, true, 1), fakeFrame(450, false, 2), fakeFrame(3, false, 3)];
    const d = new Vp8Depacketizer();
    const out: Uint8Array[] = [];
    for (const u of send(frames)) {
      const r = d.push(u);
      u.payload.fill(0); // like werift's jitter buffer clearing payloads after use
      out.push(...r.frames.map((f) => f.data));
      expect(r.needKeyframe).toBe(false);
    }
    expect(out).toEqual(frames);
    expect(d.stats).toMatchObject({ frames: 3, keyframes: 1, droppedFrames: 0 });
  });

  it('reorders packets inside a frame', () => {
    const frames = [fakeFrame(1000, true, 1), fakeFrame(900, false, 2)];
    const units = send(frames);
    const shuffled = [units[3]!, units[1]!, units[0]!, units[4]!, units[2]!, ...units.slice(5).reverse()];
    const d = new Vp8Depacketizer();
    const out = shuffled.flatMap((u, i) => d.push(u, i).frames.map((f) => f.data));
    expect(out).toEqual(frames);
    expect(d.stats.droppedFrames).toBe(0);
  });

  it('drops a frame with a lost packet, asks for a keyframe and resumes on the next keyframe', () => {
    const frames = [
      fakeFrame(800, true, 1),
      fakeFrame(800, false, 2),
      fakeFrame(800, false, 3),
      fakeFrame(800, true, 4),
    ];
    const units = send(frames);
    const perFrame = units.length / 4;
    const lost = units.filter((_, i) => i !== perFrame + 1); // a middle packet of frame 2
    const d = new Vp8Depacketizer({ maxWaitMs: 50 });
    const out: Uint8Array[] = [];
    let asked = false;
    for (const [i, u] of lost.entries()) {
      const r = d.push(u, i * 10); // 10 ms apart: the 50 ms wait runs out during frame 4
      if (i < perFrame * 2) expect(r.needKeyframe).toBe(false);
      asked ||= r.needKeyframe;
      out.push(...r.frames.map((f) => f.data));
    }
    expect(asked).toBe(true);
    expect(out).toEqual([frames[0], frames[3]]);
    expect(d.stats.droppedFrames).toBe(2);
  });

  it('waits for a keyframe at the start of a stream', () => {
    const d = new Vp8Depacketizer();
    const units = send([fakeFrame(100, false, 1), fakeFrame(100, true, 2)]);
    const r0 = d.push(units[0]!);
    expect(r0.frames).toEqual([]);
    expect(r0.needKeyframe).toBe(true);
    expect(d.push(units[1]!).frames.length).toBe(1);
  });

  it('never throws and never emits a frame larger than its input on arbitrary packets', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
            timestamp: fc.integer({ min: 0, max: 0xffffffff }),
            marker: fc.boolean(),
            payload: fc.uint8Array({ maxLength: 40 }),
          }),
          { maxLength: 200 },
        ),
        (units) => {
          const d = new Vp8Depacketizer({ maxPendingPackets: 64 });
          const inBytes = units.reduce((n, u) => n + u.payload.length, 0);
          let outBytes = 0;
          for (const [i, u] of units.entries())
            for (const f of d.push(u, i * 7).frames) outBytes += f.data.length;
          expect(outBytes).toBeLessThanOrEqual(inBytes);
        },
      ),
      { numRuns: 200 },
    );
  });
});
