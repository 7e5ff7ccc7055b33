import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * An IVF (VP8) writer: the 32-byte DKIF header, then {u32 size, u64 pts} + bytes per frame.
 * The time base is 1/fps, so pts counts frames. The frame count is patched in on close.
 */
export class IvfWriter {
  private fd: number | null;
  private pos = 32;
  private frames = 0;
  private readonly partPath: string;

  constructor(
    readonly path: string,
    private readonly opts: { width: number; height: number; fps: number },
  ) {
    if (!Number.isInteger(opts.fps) || opts.fps < 1 || opts.fps > 1000)
      throw new RangeError(`IvfWriter: fps ${opts.fps} must be an integer in 1..1000`);
    this.partPath = `${path}.part`;
    this.fd = openSync(this.partPath, 'w');
    writeSync(this.fd, this.header(), 0, 32, 0);
  }

  /** Appends a frame; `frameIndex` is its pts in frames. */
  addFrame(data: Uint8Array, frameIndex: number): void {
    if (this.fd === null) throw new Error('IvfWriter: addFrame() after close()');
    const head = new Uint8Array(12);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, data.length, true);
    dv.setBigUint64(4, BigInt(frameIndex), true);
    writeSync(this.fd, head, 0, 12, this.pos);
    writeSync(this.fd, data, 0, data.length, this.pos + 12);
    this.pos += 12 + data.length;
    this.frames++;
  }

  /** Writes the frame count and renames the file into place. */
  close(): { path: string; frames: number; bytes: number } {
    if (this.fd !== null) {
      writeSync(this.fd, this.header(), 0, 32, 0);
      closeSync(this.fd);
      this.fd = null;
      renameSync(this.partPath, this.path);
    }
    return { path: this.path, frames: this.frames, bytes: this.pos };
  }

  private header(): Uint8Array {
    const h = new Uint8Array(32);
    const dv = new DataView(h.buffer);
    h.set([0x44, 0x4b, 0x49, 0x46]); // DKIF
    dv.setUint16(4, 0, true);
    dv.setUint16(6, 32, true);
    h.set([0x56, 0x50, 0x38, 0x30], 8); // VP80
    dv.setUint16(12, this.opts.width, true);
    dv.setUint16(14, this.opts.height, true);
    dv.setUint32(16, this.opts.fps, true);
    dv.setUint32(20, 1, true);
    dv.setUint32(24, this.frames, true);
    return h;
  }
}
