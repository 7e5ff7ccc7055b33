import { parsePatch, type Patch } from '../../../patches';
import type { PatchChange, RuntimeServerMessage } from '../../../runtime/protocol';
import { mediaLayout } from '../graph';
import {
  CameraError,
  MediaSession,
  RuntimeClient,
  launchToken,
  openCamera,
  readPatch,
  type SocketLike,
} from '../runtime';
import type { PixelStats, PlayerSnapshot } from '../../../runtime/protocol';
import { pixelStats } from './pixels';
import { MAX_HASHES, applyServerMessage, initialPlayerState, timelineTime, type PlayerState } from './state';
import type { FrameHash } from '../../../runtime/protocol';

/**
 * The headless player behind `/play?patch=NAME-or-URL[&clock=fixed]`: loads the patch, starts it
 * on the runtime (the editor's WebSocket and WebRTC client, no editor chrome), shows the Outputs
 * full-window and keeps its state for scripts on `window.patchbay` and as DOM attributes.
 */

export interface PlayerOptions {
  /** A patch name (examples or the user's folder) or a URL of a .patch file. */
  patch: string;
  clock: 'real' | 'fixed';
  /** Where the outputs are shown (one <video data-output=ID> each). */
  root: HTMLElement;
}

/** Reads `?patch=` and `?clock=` from a query string; the message says what is wrong. */
export function playerQuery(search: string): { patch: string; clock: 'real' | 'fixed' } | { error: string } {
  const q = new URLSearchParams(search);
  const patch = q.get('patch')?.trim() ?? '';
  if (!patch) return { error: 'name a patch: /play?patch=NAME (an example or saved patch) or ?patch=URL' };
  const clock = q.get('clock') ?? 'real';
  if (clock !== 'real' && clock !== 'fixed')
    return { error: `?clock= must be "real" or "fixed", got "${clock}"` };
  return { patch, clock };
}

/** True when `?patch=` is a URL (absolute, or a path on this server) rather than a patch name. */
export function isPatchUrl(patch: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(patch) || patch.startsWith('/') || patch.startsWith('./');
}

async function fetchPatchDocument(patch: string): Promise<unknown> {
  if (!isPatchUrl(patch)) return readPatch(patch);
  let res: Response;
  try {
    res = await fetch(patch);
  } catch (error) {
    throw new Error(`the patch URL ${patch} could not be fetched (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!res.ok) throw new Error(`the patch URL ${patch} answered ${res.status} ${res.statusText}`);
  return res.text();
}

/** The player: one runtime session, one WebRTC connection, one <video> per Output. */
export class Player {
  private state: PlayerState;
  private client: RuntimeClient | null = null;
  private media: MediaSession | null = null;
  private cameras: MediaStream[] = [];
  private patchDoc: Patch | null = null;
  private readonly hashes = new Map<string, FrameHash[]>();
  private readonly videos = new Map<string, HTMLVideoElement>();
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private nextRequest = 1;
  private started = false;

  constructor(private readonly opts: PlayerOptions) {
    this.state = initialPlayerState(opts.patch, opts.clock);
    this.reflect();
  }

  /** Loads the patch and starts it; failures end in status "error" with the reason. */
  async start(): Promise<void> {
    try {
      const doc = await fetchPatchDocument(this.opts.patch);
      const parsed = parsePatch(doc);
      if (!parsed.ok)
        throw new Error(
          `"${this.opts.patch}" is not a valid patch: ${parsed.issues
            .slice(0, 5)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`,
        );
      this.patchDoc = parsed.patch;
    } catch (error) {
      return this.fail((error as Error).message);
    }
    const layout = mediaLayout(this.patchDoc);
    this.set({ status: 'connecting', outputs: layout.outputs });
    for (const id of layout.outputs) this.addVideo(id);
    this.connect();
  }

  private connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams({ token: launchToken() ?? '', clock: this.opts.clock, frames: 'hash' });
    this.client = new RuntimeClient({
      url: `${proto}//${location.host}/api/v1/runtime?${q}`,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onOpen: () => {
        if (this.started) return this.fail('the runtime connection was lost; the session ended with it');
        this.started = true;
        this.set({ status: 'starting' });
        void this.loadAndStart();
      },
      onMessage: (msg) => this.onMessage(msg),
      onConnection: (state, detail) => {
        if (state === 'closed' && this.started && this.state.status !== 'error')
          this.fail(`the runtime connection closed: ${detail ?? 'no reason'}`);
      },
    });
    this.client.connect();
  }

  private async loadAndStart(): Promise<void> {
    try {
      await this.request({ type: 'patch.load', patch: this.patchDoc! });
      if (this.state.status === 'error') return;
      await this.request({ type: 'session.start' });
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  private onMessage(msg: RuntimeServerMessage): void {
    if (msg.type === 'ack') {
      const w = this.waiting.get(msg.requestId);
      if (w) {
        this.waiting.delete(msg.requestId);
        if (msg.ok) w.resolve();
        else w.reject(new Error(msg.error ?? 'the runtime refused the request'));
      }
      return;
    }
    const before = this.state.session;
    this.state = applyServerMessage(this.state, msg, (node, h) => {
      let list = this.hashes.get(node);
      if (!list) this.hashes.set(node, (list = []));
      list.push(h);
      if (list.length > MAX_HASHES) list.splice(0, list.length - MAX_HASHES);
    });
    if (msg.type === 'state' && msg.state === 'running' && before !== 'running') void this.attachMedia();
    if (msg.type !== 'frame' || this.state.framesProduced[msg.node] === 1) this.reflect();
  }

  /** Sends a request and resolves on its ack (rejects with the runtime's reason). */
  private request(msg: { type: 'patch.load' | 'patch.change' | 'session.start' } & Record<string, unknown>) {
    const requestId = `p${this.nextRequest++}`;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(requestId, { resolve, reject });
      if (!this.client?.send({ ...msg, requestId } as never)) {
        this.waiting.delete(requestId);
        reject(new Error('the runtime is not connected'));
      }
    });
  }

  private async attachMedia(): Promise<void> {
    if (this.media || !this.patchDoc) return;
    const layout = mediaLayout(this.patchDoc);
    try {
      for (const id of layout.cameras) {
        const p = this.patchDoc.nodes.find((n) => n.id === id)!.params as {
          width?: number;
          height?: number;
          fps?: number;
          device?: string;
        };
        const constraints: MediaTrackConstraints = {
          width: { ideal: p.width ?? 512 },
          height: { ideal: p.height ?? 512 },
          frameRate: { ideal: p.fps ?? 30 },
        };
        if (p.device) constraints.deviceId = { exact: p.device };
        this.cameras.push(await openCamera(constraints));
      }
    } catch (error) {
      const reason = error instanceof CameraError ? error.message : (error as Error).message;
      this.set({
        unavailable: [...this.state.unavailable, ...layout.cameras.map((node) => ({ node, reason }))],
      });
      return this.fail(`camera: ${reason}`);
    }
    const media = new MediaSession({
      patchbaySession: this.state.sessionId,
      cameraStreams: this.cameras,
      outputs: layout.outputs,
      onTrack: (node, stream) => this.show(node, stream),
      onClosed: (reason) => this.fail(`media: ${reason}`),
    });
    this.media = media;
    try {
      await media.start();
      this.set({ status: 'running' });
    } catch (error) {
      this.fail(`the video connection could not start: ${(error as Error).message}`);
    }
  }

  private addVideo(node: string): void {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.output = node;
    video.dataset.frames = '0';
    this.opts.root.appendChild(video);
    this.videos.set(node, video);
    this.opts.root.dataset.outputs = String(this.videos.size);
  }

  private show(node: string, stream: MediaStream): void {
    const video = this.videos.get(node);
    if (!video) return;
    video.srcObject = stream;
    void video.play().catch(() => undefined);
    const count = () => {
      const n = (this.state.framesReceived[node] ?? 0) + 1;
      this.state = { ...this.state, framesReceived: { ...this.state.framesReceived, [node]: n } };
      video.dataset.frames = String(n);
      video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
  }

  private set(patch: Partial<PlayerState>): void {
    this.state = { ...this.state, ...patch };
    this.reflect();
  }

  private fail(message: string): void {
    if (this.state.status === 'error') return;
    this.set({ status: 'error', error: message });
  }

  /** Mirrors the state into DOM attributes for locators (`body[data-status=running]`). */
  private reflect(): void {
    const b = document.body.dataset;
    b.status = this.state.status;
    b.session = this.state.session;
    b.errors = String(this.state.errors.length);
    if (this.state.error) b.error = this.state.error;
    else delete b.error;
    const banner = document.getElementById('player-error');
    if (banner) {
      banner.textContent = this.state.error ?? '';
      banner.hidden = !this.state.error;
    }
  }

  // ---- the script API (window.patchbay) ----

  /** The whole state as plain JSON, with `time` (the first timeline's time in seconds). */
  snapshot(): PlayerSnapshot {
    return { ...this.state, time: timelineTime(this.state) };
  }

  /** Produced-frame hashes of an Output (the first when omitted), oldest first. */
  frameHashes(node?: string): FrameHash[] {
    const id = node ?? this.state.outputs[0];
    return id ? [...(this.hashes.get(id) ?? [])] : [];
  }

  /** Sets one param of one node live (a patch change); resolves when the runtime applied it. */
  setParam(node: string, key: string, value: unknown): Promise<void> {
    const changes: PatchChange[] = [{ op: 'node.params', id: node, params: { [key]: value } }];
    return this.request({ type: 'patch.change', changes });
  }

  /** Seeks a Prompt-timeline (every one when `node` is omitted) to `seconds`. */
  seek(seconds: number, node?: string): string[] {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`seek: ${seconds} is not a time ≥ 0`);
    const nodes = node
      ? [node]
      : (this.patchDoc?.nodes.filter((n) => n.type === 'prompt-timeline').map((n) => n.id) ?? []);
    for (const id of nodes) this.client?.send({ type: 'timeline.seek', node: id, time: seconds });
    return nodes;
  }

  /** Pixel statistics of the frame an Output shows now (the first when omitted); null before any. */
  sampleOutput(node?: string): PixelStats | null {
    const id = node ?? this.state.outputs[0];
    const video = id ? this.videos.get(id) : undefined;
    if (!video || !video.videoWidth) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(video, 0, 0);
    return pixelStats(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
  }

  /**
   * Records what an Output shows (the first when omitted) for `seconds` with the browser's
   * MediaRecorder (VP8 WebM); resolves to the file's bytes in base64 (the fixture fixes its
   * duration header).
   */
  async record(seconds: number, node?: string): Promise<string> {
    if (!(seconds > 0 && seconds <= 3600))
      throw new RangeError(`record: ${seconds} s is not between 0 and 3600`);
    const id = node ?? this.state.outputs[0];
    const stream = id ? (this.videos.get(id)?.srcObject as MediaStream | null) : null;
    if (!stream) throw new Error(`record: output "${id ?? ''}" has no video yet`);
    const recorder = new MediaRecorder(stream, {
      mimeType: 'video/webm;codecs=vp8',
      videoBitsPerSecond: 4_000_000,
    });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (ev) => {
      if (ev.data.size) chunks.push(ev.data);
    };
    const stopped = new Promise<void>((resolve) => (recorder.onstop = () => resolve()));
    recorder.start();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    recorder.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(chunks, { type: 'video/webm' }).arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      binary += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
    return btoa(binary);
  }

  /** Stops the media and the session. */
  async close(): Promise<void> {
    await this.media?.stop();
    this.media = null;
    for (const s of this.cameras) for (const t of s.getTracks()) t.stop();
    this.client?.close();
    this.set({ status: 'stopped' });
  }
}
