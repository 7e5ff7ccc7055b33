/**
 * The media slice: the cameras a patch needs and the WebRTC session that carries them to the
 * runtime and brings each Output's stream back (one per layout and runtime session).
 */
import { mediaLayout } from '../graph';
import { CameraError, MediaSession, openCamera } from '../runtime';
import type { StoreCore } from './types';
import type { UiSlice } from './ui';

export class MediaSlice {
  private media: MediaSession | null = null;
  private mediaKey = '';
  private cameraStreams: MediaStream[] = [];

  constructor(
    private readonly core: StoreCore,
    private readonly ui: UiSlice,
  ) {}

  /** Opens the cameras the patch's Camera nodes need; false (with `cameraProblem` set) on refusal. */
  async prepareCameras(): Promise<boolean> {
    const { patch } = this.core.get();
    const { cameras } = mediaLayout(patch);
    if (this.cameraStreams.length === cameras.length && this.cameraStreams.every((s) => s.active))
      return true;
    this.releaseCameras();
    try {
      for (const id of cameras) {
        const node = patch.nodes.find((n) => n.id === id)!;
        const p = node.params as { width?: number; height?: number; fps?: number; device?: string };
        const constraints: MediaTrackConstraints = {
          width: { ideal: p.width ?? 512 },
          height: { ideal: p.height ?? 512 },
          frameRate: { ideal: p.fps ?? 30 },
        };
        if (p.device) constraints.deviceId = { exact: p.device };
        this.cameraStreams.push(await openCamera(constraints));
      }
      return true;
    } catch (error) {
      this.releaseCameras();
      const message = error instanceof CameraError ? error.message : `Camera: ${(error as Error).message}`;
      this.core.set({ cameraProblem: { message, nodes: cameras } });
      return false;
    }
  }

  private releaseCameras(): void {
    for (const s of this.cameraStreams) for (const t of s.getTracks()) t.stop();
    this.cameraStreams = [];
  }

  /** Starts (or re-negotiates, when the track layout changed) the WebRTC media for a live session. */
  async ensure(): Promise<void> {
    const layout = mediaLayout(this.core.get().patch);
    const key = JSON.stringify(layout) + this.core.get().sessionId;
    if (this.media && key === this.mediaKey) return;
    if (!(await this.prepareCameras())) return;
    await this.stop(false);
    this.mediaKey = key;
    const media = new MediaSession({
      patchbaySession: this.core.get().sessionId,
      cameraStreams: this.cameraStreams,
      outputs: layout.outputs,
      onTrack: (node, stream) => this.core.set({ streams: { ...this.core.get().streams, [node]: stream } }),
      onClosed: (reason) => {
        if (this.media === media) this.ui.toast('error', `Media: ${reason}`);
      },
    });
    this.media = media;
    try {
      await media.start();
    } catch (error) {
      if (this.media === media) {
        this.media = null;
        this.mediaKey = '';
        this.ui.toast('error', `Could not start the video connection: ${(error as Error).message}`);
      }
    }
  }

  /** Closes the media session (and the cameras, unless re-negotiating). */
  async stop(releaseCameras = true): Promise<void> {
    const media = this.media;
    this.media = null;
    this.mediaKey = '';
    if (releaseCameras) this.releaseCameras();
    if (Object.keys(this.core.get().streams).length) this.core.set({ streams: {} });
    await media?.stop();
  }
}
