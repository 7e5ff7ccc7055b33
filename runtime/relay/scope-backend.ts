import type { VideoFrame } from '../../nodes';
import { realClock, type Clock } from '../clock';
import type { MediaPeerOptions } from '../media';
import { RemoteLink, type LinkEvents, type LinkSpec, type Signaller } from './link';
import { reconnectDelay } from './protocol';

/**
 * A remote Pipeline node with `remote_url`: the node drives a Scope-compatible server directly
 * over its HTTP API — `POST /api/v1/pipeline/load`, wait for `/pipeline/status` to say loaded,
 * `POST /api/v1/webrtc/offer` with the "parameters" channel — and streams through the WebRTC
 * session. Patchbay's own server in plain mode is one such server. Failures retry on the same
 * schedule as the relay.
 */

/** Scope's HTTP signalling for one server. */
export class ScopeHttpSignaller implements Signaller {
  readonly name: string;

  constructor(
    private readonly base: string,
    private readonly pipelineId: string,
    private readonly loadParams: Record<string, unknown>,
    private readonly loadTimeoutMs = 60_000,
  ) {
    this.name = `Scope server at ${base}`;
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const res = await fetch(new URL(path, this.base), {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  private static why(r: { status: number; json: unknown }): string {
    const j = r.json as { detail?: unknown; error?: unknown } | null;
    return `HTTP ${r.status}: ${String(j?.detail ?? j?.error ?? JSON.stringify(r.json)).slice(0, 300)}`;
  }

  /** Loads the pipeline and waits until the server reports it loaded. */
  async load(): Promise<void> {
    const r = await this.call('POST', '/api/v1/pipeline/load', {
      pipeline_ids: [this.pipelineId],
      load_params: this.loadParams,
    });
    if (r.status >= 400) throw new Error(`pipeline/load refused: ${ScopeHttpSignaller.why(r)}`);
    const deadline = Date.now() + this.loadTimeoutMs;
    for (;;) {
      const s = await this.call('GET', '/api/v1/pipeline/status');
      const st = s.json as { status?: string; error?: string | null } | null;
      if (st?.status === 'loaded') return;
      if (st?.status === 'error')
        throw new Error(`the server could not load "${this.pipelineId}": ${st.error ?? '?'}`);
      if (Date.now() > deadline)
        throw new Error(`"${this.pipelineId}" did not load within ${this.loadTimeoutMs} ms`);
      await new Promise((r2) => setTimeout(r2, 200));
    }
  }

  async offer(
    sdp: string,
    initial: Record<string, unknown> = {},
  ): Promise<{ sdp: string; sessionId: string }> {
    await this.load();
    // No graph: a Scope server runs the pipeline it loaded between our track and its answer.
    // The latest prompts / VACE settings go along as Scope's initialParameters.
    const { patch: _patch, ...initialParameters } = initial;
    const r = await this.call('POST', '/api/v1/webrtc/offer', { sdp, type: 'offer', initialParameters });
    if (r.status >= 400) throw new Error(`offer refused: ${ScopeHttpSignaller.why(r)}`);
    const a = r.json as { sdp?: unknown; sessionId?: unknown };
    if (typeof a.sdp !== 'string' || typeof a.sessionId !== 'string')
      throw new Error('the server answered the offer without sdp/sessionId');
    return { sdp: a.sdp, sessionId: a.sessionId };
  }

  async close(sessionId: string): Promise<void> {
    await this.call('DELETE', `/api/v1/webrtc/offer/${encodeURIComponent(sessionId)}`).catch(() => null);
  }
}

const LOCAL_ONLY = new Set(['backend', 'remote_url', 'remote_fallback', 'device', 'pipeline_id']);

/** Keeps one node's session to a Scope server up: establishes, and re-establishes after a loss. */
export class ScopeBackendLink {
  private readonly link: RemoteLink;
  private attempt = 0;
  private cancel: (() => void) | null = null;
  private closed = false;

  constructor(
    readonly spec: LinkSpec,
    private readonly sink: {
      frame(spec: LinkSpec, frame: VideoFrame): void;
      state(spec: LinkSpec, connected: boolean, message: string): void;
    },
    private readonly log: (line: string) => void,
    private readonly clock: Clock = realClock,
    media: MediaPeerOptions = {},
  ) {
    const events: LinkEvents = {
      frame: (s, f) => sink.frame(s, f),
      state: (s, c, m) => sink.state(s, c, m),
      lost: (_l, reason) => {
        sink.state(spec, false, `remote: ${reason}`);
        void this.link.teardown(reason, false).then(() => this.retry());
      },
    };
    const url = String(spec.params.remote_url);
    const host = new URL(url).hostname;
    const loopback = host === 'localhost' || host.startsWith('127.') || host === '[::1]';
    this.link = new RemoteLink(spec, events, { loopbackOnly: loopback, ...media }, log, false);
    sink.state(spec, false, `remote: connecting to ${url}`);
    void this.establish();
  }

  private signaller(): ScopeHttpSignaller {
    const load: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.spec.params)) if (!LOCAL_ONLY.has(k)) load[k] = v;
    return new ScopeHttpSignaller(String(this.spec.params.remote_url), this.spec.pipelineId, load);
  }

  private async establish(): Promise<void> {
    if (this.closed) return;
    try {
      await this.link.establish(this.signaller());
      this.attempt = 0;
    } catch (error) {
      if (this.closed) return;
      const message = (error as Error).message;
      this.log(`[${this.spec.nodeId}] remote_url: ${message}`);
      this.sink.state(this.spec, false, `remote: ${message}`);
      this.retry();
    }
  }

  private retry(): void {
    if (this.closed) return;
    this.cancel?.();
    // At least 300 ms: the server answered with an error; asking again at once would spin.
    const delay = Math.max(300, reconnectDelay(this.attempt++));
    this.cancel = this.clock.setTimeout(() => {
      this.cancel = null;
      void this.establish();
    }, delay);
  }

  send(frame: VideoFrame): void {
    this.link.send(frame);
  }

  update(params: Record<string, unknown>): void {
    this.link.setParams(params);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancel?.();
    await this.link.close();
  }
}
