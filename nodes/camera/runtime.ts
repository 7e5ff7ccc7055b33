import { BaseRuntime } from '../core/base-runtime';
import type { VideoFrame } from '../core/frame';
import type { ParamsOf } from '../core/types';
import type { NodeStats, VideoFileSource } from '../core/runtime';
import type { cameraNode } from './definition';
import { testPatternFrame } from './test-pattern';

type CameraParams = ParamsOf<typeof cameraNode>;

/**
 * A Camera node: the test pattern made here on the session clock, frames pushed from a client's
 * camera track, or a looping video file from the assets folder (the host's video I/O decodes it).
 */
export class CameraRuntime extends BaseRuntime<CameraParams> {
  private seq = 0;
  private base = 0;
  private n = 0;
  private cancel: (() => void) | null = null;
  private file: VideoFileSource | null = null;

  override start(): void {
    const mode = this.params.source_mode;
    if (mode === 'test_pattern') {
      this.status = 'running';
      this.restartSchedule();
    } else if (mode === 'camera') {
      this.status = 'idle';
      this.message = 'waiting for the camera track';
    } else {
      this.openFile();
    }
  }

  override update(params: Partial<CameraParams>): void {
    super.update(params);
    if ('fps' in params && this.params.source_mode === 'test_pattern' && !this.stopped)
      this.restartSchedule();
    // A video file's speed and position are live: the file keeps playing from where it is.
    if (this.file && params.speed !== undefined) this.file.setSpeed(params.speed);
    if (this.file && params.position !== undefined) this.file.seek(params.position);
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    await this.file?.stop();
    this.file = null;
  }

  /** Sources on the clock: the test pattern and the file (a client's track is not). */
  clocked(): boolean {
    return this.params.source_mode !== 'camera';
  }

  /** Loops a video file (any format FFmpeg reads) from the assets folder. */
  private openFile(): void {
    const name = this.params.video_file;
    if (!name) {
      this.status = 'error';
      this.message = 'choose a video file from the assets';
      return;
    }
    const where = this.ctx.host.resolveAsset(name);
    if ('error' in where) {
      this.status = 'error';
      this.message = `video file ${where.error}`;
      return;
    }
    this.status = 'warming';
    this.message = `opening ${name}`;
    // Video I/O pulls in the codec: the host loads it only for patches that play files. The host
    // refuses links that leave the assets folder (the promise rejects with the reason).
    this.ctx.host
      .loadIo()
      .then((io) => {
        if (this.stopped) return;
        const src = io.videoFile(where.path, {
          loop: true,
          speed: this.params.speed,
          positionS: this.params.position,
          log: (l) => this.ctx.log(`[${this.id}] ${l}`),
        });
        this.file = src;
        this.status = 'running';
        this.message = undefined;
        src.start((frame) => this.push(frame, true));
        this.ctx.kick();
      })
      .catch((error: unknown) => {
        this.status = 'error';
        this.message = `cannot play "${name}": ${(error as Error).message}`;
        this.ctx.nodeError(this.id, this.message, false);
        this.ctx.kick();
      });
  }

  override stats(now: number): NodeStats {
    // The file says what it plays (codec, size, GPU or not) and what went wrong (a corrupt packet).
    const st = this.file?.status();
    if (st?.state === 'error') {
      this.status = 'error';
      this.message = st.message;
    } else if (st?.message) this.message = st.message;
    return super.stats(now);
  }

  override busy(): boolean {
    // Deterministic playback waits for the file to open, so it starts at the same clock time.
    return this.ctx.fixed && this.params.source_mode === 'video_file' && this.status === 'warming';
  }

  /** A decoded frame from the client's track. */
  pushFrame(frame: VideoFrame): void {
    this.push(frame, false);
  }

  private push(frame: VideoFrame, fromFile: boolean): void {
    if (this.stopped || this.params.source_mode !== (fromFile ? 'video_file' : 'camera')) return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    if (this.ctx.paused) return;
    const h = this.ctx.pool.import(frame);
    if (!h) {
      this.drops++;
      return;
    }
    if (!fromFile) {
      this.status = 'running';
      this.message = undefined;
    }
    this.meter.noteOut(now);
    this.ctx.frameProduced();
    this.ctx.emit(this.id, h);
  }

  private interval(): number {
    // The schema bounds fps to 1–120.
    return 1000 / this.params.fps;
  }

  private restartSchedule(): void {
    this.cancel?.();
    this.base = this.ctx.clock.now();
    this.n = 0;
    this.produce();
  }

  private produce(): void {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    if (!this.ctx.paused) {
      const { width, height } = this.params;
      const h = this.ctx.pool.acquire(width, height, now, this.seq);
      if (!h) {
        this.drops++;
      } else {
        const t0 = performance.now();
        testPatternFrame(width, height, this.seq, now, this.ctx.pool.view(h).data);
        this.meter.noteOut(now, performance.now() - t0);
        this.seq++;
        this.ctx.frameProduced();
        this.ctx.emit(this.id, h);
      }
    }
    // Drift-free: frame n is due at base + n·interval; after a stall, skip ahead, never burst.
    const interval = this.interval();
    this.n++;
    let due = this.base + this.n * interval;
    const after = this.ctx.clock.now();
    if (due < after) {
      this.base = after;
      this.n = 1;
      due = after + interval;
    }
    this.cancel = this.ctx.clock.setTimeout(() => this.produce(), due - after);
  }
}
