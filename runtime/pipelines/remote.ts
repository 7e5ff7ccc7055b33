import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { VideoFrame } from '../../nodes';
import type { FrameExtras, FrameProcessor, ProcessorContext, PromptControl, VaceControl } from './types';

/**
 * The remote backend's worker side. A Pipeline node with `backend: "remote"` runs in a worker
 * thread like any other, but the WebSocket and WebRTC peer that reach the cloud (or a Scope
 * server) must live in one place for the whole process: the main thread's relay hub
 * (runtime/relay). The two talk over a process-wide BroadcastChannel, so the engine needs no
 * special case: `process()` posts a copy of the frame to the hub and returns at once with the
 * latest frame that came back processed — or, while the remote is unreachable, the held last
 * frame or the input (`remote_fallback`), with a notice on the node.
 */

/** The channel name the hub listens on. */
export const REMOTE_CHANNEL = 'patchbay.remote';

/** A frame as it crosses threads (a plain copy: BroadcastChannel cannot share pool slots). */
export interface WireFrame {
  width: number;
  height: number;
  data: Uint8Array;
  timestampMs: number;
  seq: number;
}

/** Worker → hub. `proc` names one processor instance (a node can be restarted). */
export type ToHub =
  | { t: 'open'; proc: string; nodeId: string; pipelineId: string; params: Record<string, unknown> }
  | { t: 'frame'; proc: string; frame: WireFrame }
  | { t: 'update'; proc: string; params: Record<string, unknown> }
  | { t: 'close'; proc: string };

/** Hub → worker. */
export type FromHub =
  | { t: 'opened'; proc: string }
  | { t: 'refused'; proc: string; message: string }
  | { t: 'result'; proc: string; frame: WireFrame }
  | { t: 'state'; proc: string; connected: boolean; message: string };

/** How long a remote processor waits for the hub to accept it before failing to load. */
export const HUB_TIMEOUT_MS = 2000;

export type RemoteFallback = 'hold' | 'passthrough';

const fallbackOf = (v: unknown, prev: RemoteFallback): RemoteFallback =>
  v === 'hold' || v === 'passthrough' ? v : prev;

/** What `RemoteProcessor.process` decides for one input frame (pure; unit-tested). */
export function chooseRemoteOutput(
  input: VideoFrame,
  latest: VideoFrame | null,
  connected: boolean,
  fallback: RemoteFallback,
): VideoFrame {
  // Connected: the newest processed frame (the input until the first one is back).
  // Disconnected: hold the last processed frame, or pass the input through.
  if (connected || fallback === 'hold') return latest ?? input;
  return input;
}

/**
 * The prompts a frame carries as Scope's data-channel keys (SCOPE-COMPAT "WebRTC"): weighted
 * prompts with the blend method, or a transition.
 */
export function scopePromptParams(control: PromptControl): Record<string, unknown> {
  if (control.kind === 'transition')
    return {
      transition: {
        target_prompts: control.target_prompts.map((p) => ({ text: p.text, weight: p.weight })),
        num_steps: control.num_steps,
        temporal_interpolation_method: control.temporal_interpolation_method,
      },
    };
  return {
    prompts: control.prompts.map((p) => ({ text: p.text, weight: p.weight })),
    prompt_interpolation_method: control.interpolation,
  };
}

/** VACE settings as Scope's data-channel keys (reference images by asset name). */
export function scopeVaceParams(vace: VaceControl): Record<string, unknown> {
  return {
    vace_enabled: true,
    vace_ref_images: [...vace.ref_images],
    vace_context_scale: vace.context_scale,
    vace_use_input_video: vace.use_input_video,
    ...(vace.first_frame_image ? { first_frame_image: vace.first_frame_image } : {}),
    ...(vace.last_frame_image ? { last_frame_image: vace.last_frame_image } : {}),
  };
}

/**
 * What of a frame's extras the remote has not been told yet, as Scope parameters (null: nothing
 * new). Prompts and VACE settings change rarely (a timeline entry, a slider), so each change is
 * sent once, not with every frame.
 */
export function changedControls(
  sent: { prompts: string; vace: string },
  extras: FrameExtras,
): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  if (extras.prompts) {
    const p = scopePromptParams(extras.prompts);
    const key = JSON.stringify(p);
    if (key !== sent.prompts) {
      sent.prompts = key;
      Object.assign(out, p);
    }
  }
  if (extras.vace) {
    const v = scopeVaceParams(extras.vace);
    const key = JSON.stringify(v);
    if (key !== sent.vace) {
      sent.vace = key;
      Object.assign(out, v);
    }
  }
  return Object.keys(out).length ? out : null;
}

class RemoteProcessor implements FrameProcessor {
  readonly inPlace = false;
  /** Prompts, transitions and VACE settings are forwarded in Scope's data-channel shape. */
  readonly ignores: readonly ('prompts' | 'vace')[] = [];
  private readonly sent = { prompts: '', vace: '' };
  readonly device = 'remote';
  private latest: VideoFrame | null = null;
  private connected = false;
  private fallback: RemoteFallback;
  private closed = false;

  constructor(
    private readonly channel: BroadcastChannel,
    private readonly proc: string,
    params: Record<string, unknown>,
  ) {
    this.fallback = fallbackOf(params.remote_fallback, 'hold');
  }

  onHub(msg: FromHub, ctx: ProcessorContext): void {
    if (msg.proc !== this.proc || this.closed) return;
    if (msg.t === 'result') {
      const f = msg.frame;
      this.latest = {
        width: f.width,
        height: f.height,
        data: f.data,
        timestampMs: f.timestampMs,
        seq: f.seq,
      };
    } else if (msg.t === 'state') {
      this.connected = msg.connected;
      ctx.notice(
        msg.connected
          ? msg.message
          : `${msg.message}; ${this.fallback === 'hold' ? 'holding the last frame' : 'passing frames through'}`,
      );
    }
  }

  process(input: VideoFrame, extras: FrameExtras = {}): VideoFrame {
    if (!this.closed) {
      // Before the frame, so the remote applies them to it.
      const controls = changedControls(this.sent, extras);
      if (controls)
        this.channel.postMessage({ t: 'update', proc: this.proc, params: controls } satisfies ToHub);
      // A copy: the input's pool slot is shared memory the channel cannot carry, and it is
      // reused as soon as this call returns.
      const frame: WireFrame = {
        width: input.width,
        height: input.height,
        data: input.data.slice(),
        timestampMs: input.timestampMs,
        seq: input.seq,
      };
      this.channel.postMessage({ t: 'frame', proc: this.proc, frame } satisfies ToHub);
    }
    const out = chooseRemoteOutput(input, this.latest, this.connected, this.fallback);
    if (out === input) return input;
    // Downstream sees the input's time and number: the processed frame stands in for it.
    return { ...out, timestampMs: input.timestampMs, seq: input.seq };
  }

  update(params: Record<string, unknown>): void {
    this.fallback = fallbackOf(params.remote_fallback, this.fallback);
    this.channel.postMessage({ t: 'update', proc: this.proc, params } satisfies ToHub);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.postMessage({ t: 'close', proc: this.proc } satisfies ToHub);
    this.channel.close();
  }
}

/**
 * The remote backend's ProcessorFactory: registers the node with the relay hub of this process
 * and resolves once the hub accepted it. Fails (the node shows why) when no hub answers — a
 * process without the runtime server, e.g. `patchbay play` — or when the hub refuses.
 */
export function createRemoteProcessor(ctx: ProcessorContext): Promise<FrameProcessor> {
  const channel = new BroadcastChannel(REMOTE_CHANNEL);
  // The channel must not keep a worker (or a test process) alive on its own.
  channel.unref();
  const proc = `${ctx.nodeId}:${randomUUID()}`;
  const processor = new RemoteProcessor(channel, proc, ctx.params);
  return new Promise<FrameProcessor>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      channel.close();
      reject(
        new Error(
          'no cloud relay or Scope-server client runs in this process (the remote backend needs `patchbay serve`)',
        ),
      );
    }, HUB_TIMEOUT_MS);
    channel.onmessage = (event) => {
      const msg = (event as { data: FromHub }).data;
      if (!msg || msg.proc !== proc) return;
      if (!settled && (msg.t === 'opened' || msg.t === 'refused')) {
        settled = true;
        clearTimeout(timer);
        if (msg.t === 'opened') resolve(processor);
        else {
          channel.close();
          reject(new Error(msg.message));
        }
        return;
      }
      processor.onHub(msg, ctx);
    };
    const pipelineId =
      typeof ctx.params.pipeline_id === 'string' && ctx.params.pipeline_id
        ? ctx.params.pipeline_id
        : ctx.pipeline.id;
    channel.postMessage({
      t: 'open',
      proc,
      nodeId: ctx.nodeId,
      pipelineId,
      params: { ...ctx.params },
    } satisfies ToHub);
  });
}
