import type { VideoFrame } from '../../nodes';
import { createOfferPeer, type MediaPeer, type MediaPeerOptions } from '../media';
import { patchFromPipelines } from '../../patches';

/**
 * One remote Pipeline node's WebRTC session: the local runtime offers (camera transceiver
 * `sendrecv` + the "parameters" channel, Scope's client layout), the remote answers through a
 * signaller — the relay WebSocket or a Scope server's HTTP API — and frames go out on output 0
 * and come back on input 0. A link can be torn down and set up again any number of times; its
 * owner decides when (WebSocket back, ICE lost).
 */

/** What a remote node asked for. */
export interface LinkSpec {
  /** The worker-side processor's id (one per processor instance). */
  proc: string;
  nodeId: string;
  pipelineId: string;
  params: Record<string, unknown>;
}

/** How an offer reaches the remote and how a session there is ended. */
export interface Signaller {
  /** Human name for messages ("cloud relay", "Scope server at …"). */
  readonly name: string;
  offer(sdp: string, initialParameters: Record<string, unknown>): Promise<{ sdp: string; sessionId: string }>;
  close(sessionId: string): Promise<void>;
}

export interface LinkEvents {
  /** A processed frame came back. */
  frame(spec: LinkSpec, frame: VideoFrame): void;
  /** The link went up or down (shown on the node). */
  state(spec: LinkSpec, connected: boolean, message: string): void;
  /** The peer failed or closed by itself while up. */
  lost(link: RemoteLink, reason: string): void;
}

/** Live params a remote pipeline should hear about (the rest stay local: where and how it runs). */
const LOCAL_ONLY = new Set(['backend', 'remote_url', 'remote_fallback', 'device']);

/**
 * Per-frame controls the local graph sends (a timeline's prompts, VACE settings): Scope
 * data-channel keys, not Pipeline-node params, so they are kept apart and replayed as the
 * offer's initialParameters when the link re-establishes.
 */
const CONTROL_KEYS = new Set([
  'prompts',
  'prompt_interpolation_method',
  'transition',
  'vace_enabled',
  'vace_ref_images',
  'vace_context_scale',
  'vace_use_input_video',
  'first_frame_image',
  'last_frame_image',
]);

/** The patch the remote runs for one node: its camera track → the pipeline → its output track. */
export function remotePatchFor(spec: LinkSpec): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.params)) if (!LOCAL_ONLY.has(k)) params[k] = v;
  return patchFromPipelines({
    pipelineIds: [spec.pipelineId],
    nodeIds: [spec.nodeId],
    inputMode: 'video',
    loadParams: params,
    name: `relay: ${spec.nodeId}`,
  }) as unknown as Record<string, unknown>;
}

export class RemoteLink {
  private peer: MediaPeer | null = null;
  private sessionId: string | null = null;
  private signaller: Signaller | null = null;
  private generation = 0;
  up = false;
  closed = false;
  /** The latest per-frame controls (CONTROL_KEYS), for the next session's initialParameters. */
  private controls: Record<string, unknown> = {};
  framesSent = 0;
  framesReceived = 0;
  /** The current session's frames, and when its first went out / came back (performance clock). */
  firstSentAt: number | null = null;
  firstReceivedAt: number | null = null;

  constructor(
    readonly spec: LinkSpec,
    private readonly events: LinkEvents,
    private readonly media: MediaPeerOptions,
    private readonly log: (line: string) => void,
    /**
     * Address data-channel updates to the node (`node_id`): a Patchbay runtime runs the node
     * under its own id; a Scope server's plain session has no graph node of that name.
     */
    private readonly addressNode = true,
  ) {}

  /** Offers a new session through `signaller`; resolves when the answer is applied. */
  async establish(signaller: Signaller): Promise<{ sessionId: string }> {
    await this.teardown('re-establishing', false);
    const gen = ++this.generation;
    // Per-session counts: the events of each new session start from its own first frame.
    this.framesSent = this.framesReceived = 0;
    this.firstSentAt = this.firstReceivedAt = null;
    const { peer, offerSdp } = await createOfferPeer({ camera: 'sendrecv' }, this.media);
    if (this.closed || gen !== this.generation) {
      await peer.close();
      throw new Error('the link was closed while offering');
    }
    this.peer = peer;
    this.signaller = signaller;
    peer.onInputFrame((index, frame) => {
      if (index !== 0 || gen !== this.generation) return;
      this.framesReceived++;
      this.firstReceivedAt ??= performance.now();
      this.events.frame(this.spec, frame);
    });
    peer.onStateChange((s) => {
      if (gen !== this.generation) return;
      if (s === 'connected' && !this.up) {
        this.up = true;
        this.events.state(this.spec, true, `remote: connected (${signaller.name})`);
      } else if ((s === 'failed' || s === 'closed') && this.up) {
        this.up = false;
        this.events.lost(this, `WebRTC ${s}`);
      }
    });
    try {
      const controls: Record<string, unknown> = { ...this.controls };
      // A transition that was under way is replayed as where it was going.
      const t = controls.transition as { target_prompts?: unknown } | undefined;
      if (t) {
        delete controls.transition;
        if (Array.isArray(t.target_prompts)) controls.prompts = t.target_prompts;
      }
      const answer = await signaller.offer(offerSdp, { patch: remotePatchFor(this.spec), ...controls });
      if (gen !== this.generation) throw new Error('the link was torn down while offering');
      this.sessionId = answer.sessionId;
      await peer.acceptAnswer(answer.sdp);
      return { sessionId: answer.sessionId };
    } catch (error) {
      if (gen === this.generation) await this.teardown('offer failed', false);
      throw error;
    }
  }

  /** Sends one frame when the session is up; returns whether it went out. */
  send(frame: VideoFrame): boolean {
    if (!this.up || !this.peer) return false;
    try {
      if (!this.peer.sendFrame(0, frame)) return false;
    } catch (error) {
      this.log(`[${this.spec.nodeId}] frame not sent: ${(error as Error).message}`);
      return false;
    }
    this.framesSent++;
    this.firstSentAt ??= performance.now();
    return true;
  }

  /** Live params go to the remote pipeline over the "parameters" channel, addressed to the node. */
  setParams(params: Record<string, unknown>): void {
    const remote: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) {
      if (CONTROL_KEYS.has(k)) this.controls[k] = v;
      else this.spec.params[k] = v;
      if (!LOCAL_ONLY.has(k)) remote[k] = v;
    }
    if (remote.prompts) delete this.controls.transition;
    if (remote.transition) delete this.controls.prompts;
    if (Object.keys(remote).length && this.peer)
      this.peer.sendData(this.addressNode ? { ...remote, node_id: this.spec.nodeId } : remote);
  }

  get session(): string | null {
    return this.sessionId;
  }

  /**
   * Closes the peer. `tellRemote` also ends the session on the remote (not possible, nor needed,
   * when the WebSocket is gone: the cloud closes a connection's sessions itself).
   */
  async teardown(reason: string, tellRemote = true): Promise<void> {
    this.generation++;
    const peer = this.peer;
    const sessionId = this.sessionId;
    const signaller = this.signaller;
    this.peer = null;
    this.sessionId = null;
    const wasUp = this.up;
    this.up = false;
    if (wasUp && !this.closed) this.events.state(this.spec, false, `remote: ${reason}`);
    if (tellRemote && sessionId && signaller)
      await signaller
        .close(sessionId)
        .catch((e: Error) => this.log(`[${this.spec.nodeId}] close: ${e.message}`));
    if (peer) await peer.close().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.teardown('closed');
    this.closed = true;
  }
}
