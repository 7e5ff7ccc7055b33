import { deleteOffer, patchCandidates, postOffer } from './api';

/** Why the camera could not be opened, in words for the user. */
export class CameraError extends Error {
  constructor(
    readonly kind: 'denied' | 'missing' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'CameraError';
  }
}

/** Opens the browser camera, turning the DOM's errors into a CameraError that says what to do. */
export async function openCamera(constraints: MediaTrackConstraints = {}): Promise<MediaStream> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    throw new CameraError(
      'missing',
      'This browser gives no camera access here (a secure origin such as localhost is needed).',
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: constraints, audio: false });
  } catch (error) {
    const name = (error as DOMException).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new CameraError(
        'denied',
        'Camera permission was denied. Allow the camera in the browser, or switch the Camera node to the test pattern.',
      );
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      throw new CameraError(
        'missing',
        'No camera was found. Plug one in, or switch the Camera node to the test pattern.',
      );
    }
    throw new CameraError('failed', `The camera could not be opened (${name || (error as Error).message}).`);
  }
}

/**
 * The direction of each transceiver, in order: transceiver i sends camera i and receives output
 * i (Scope's layout: the camera track's transceiver also carries the first output back).
 */
export function transceiverPlan(cameras: number, outputs: number): RTCRtpTransceiverDirection[] {
  const n = Math.max(cameras, outputs, 1);
  return Array.from({ length: n }, (_, i) =>
    i < cameras && i < outputs ? 'sendrecv' : i < cameras ? 'sendonly' : 'recvonly',
  );
}

export interface MediaSessionOptions {
  /** The editor's runtime session (the WebSocket hello's sessionId) to attach media to. */
  patchbaySession: string | null;
  /** Camera streams in the runtime's input track order. */
  cameraStreams: MediaStream[];
  /** Output node ids in the runtime's output track order. */
  outputs: string[];
  onTrack: (outputNode: string, stream: MediaStream) => void;
  onClosed: (reason: string) => void;
  /** Scope's data channel notifications (`parameters_updated`, `stream_stopped`). */
  onChannelMessage?: (msg: Record<string, unknown>) => void;
}

/**
 * One WebRTC connection to the runtime (Scope's offer/answer API): the "parameters" data
 * channel, camera tracks up, one receive track per Output node, trickle ICE by PATCH.
 */
export class MediaSession {
  private pc: RTCPeerConnection | null = null;
  private sessionId: string | null = null;
  private pending: RTCIceCandidate[] = [];
  private channel: RTCDataChannel | null = null;
  private closed = false;

  constructor(private readonly opts: MediaSessionOptions) {}

  /** Negotiates the connection; resolves when the answer is applied. */
  async start(): Promise<void> {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.pc = pc;
    this.channel = pc.createDataChannel('parameters', { ordered: true });
    this.channel.onmessage = (ev) => {
      try {
        const msg = JSON.parse(String(ev.data)) as Record<string, unknown>;
        this.opts.onChannelMessage?.(msg);
        if (msg.type === 'stream_stopped')
          this.opts.onClosed(String(msg.error_message ?? 'the runtime stopped the stream'));
      } catch {
        /* not ours */
      }
    };
    const plan = transceiverPlan(this.opts.cameraStreams.length, this.opts.outputs.length);
    plan.forEach((direction, i) => {
      const track = this.opts.cameraStreams[i]?.getVideoTracks()[0];
      if (track) pc.addTransceiver(track, { direction, streams: [this.opts.cameraStreams[i]!] });
      else pc.addTransceiver('video', { direction });
    });
    pc.ontrack = (ev) => {
      const index = pc.getTransceivers().indexOf(ev.transceiver);
      const node = this.opts.outputs[index];
      if (!node) return;
      // One stream per output, built from this transceiver's own track: a server may put every
      // track in one msid stream, and ev.streams[0] would then show the first output everywhere.
      this.opts.onTrack(node, new MediaStream([ev.track]));
    };
    pc.onicecandidate = (ev) => {
      if (!ev.candidate) return;
      if (this.sessionId) void this.trickle([ev.candidate]);
      else this.pending.push(ev.candidate);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.opts.onClosed('the media connection failed');
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await postOffer({
      sdp: pc.localDescription!.sdp,
      type: 'offer',
      initialParameters: this.opts.patchbaySession ? { patchbay_session: this.opts.patchbaySession } : {},
    });
    if (this.closed) return;
    this.sessionId = answer.sessionId;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    const queued = this.pending;
    this.pending = [];
    if (queued.length) await this.trickle(queued);
  }

  /** Sends Scope parameters over the data channel (flat keys; `node_id` targets one node). */
  sendParameters(params: Record<string, unknown>): boolean {
    if (this.channel?.readyState !== 'open') return false;
    this.channel.send(JSON.stringify(params));
    return true;
  }

  private async trickle(candidates: RTCIceCandidate[]): Promise<void> {
    if (!this.sessionId) return;
    try {
      await patchCandidates(
        this.sessionId,
        candidates.map((c) => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex })),
      );
    } catch {
      /* a lost candidate only matters if all are lost; the connection state reports that */
    }
  }

  /** Closes the connection and tells the runtime; camera tracks are stopped by their owner. */
  async stop(): Promise<void> {
    this.closed = true;
    const id = this.sessionId;
    this.pc?.close();
    this.pc = null;
    if (id) await deleteOffer(id).catch(() => undefined);
  }
}
