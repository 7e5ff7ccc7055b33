import { BroadcastChannel } from 'node:worker_threads';
import type { VideoFrame } from '../../nodes';
import { REMOTE_CHANNEL, type FromHub, type ToHub, type WireFrame } from '../pipelines';
import type { RelayClient } from './client';
import type { LinkSpec } from './link';
import { ScopeBackendLink } from './scope-backend';

/**
 * The main-thread end of the remote backend. Remote Pipeline processors run in worker threads
 * (runtime/pipelines/remote.ts) and reach this hub over a process-wide BroadcastChannel: frames
 * come in as copies, go to the relay client (or a Scope-server link when the node has a
 * `remote_url`), and processed frames and link states go back to the processor that asked.
 * One hub per process; the runtime server installs it with its relay client.
 */

type Route = { kind: 'relay'; client: RelayClient } | { kind: 'scope'; link: ScopeBackendLink };

let current: RemoteHub | null = null;

export class RemoteHub {
  private readonly channel = new BroadcastChannel(REMOTE_CHANNEL);
  private readonly routes = new Map<string, Route>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly client: RelayClient,
    private readonly log: (line: string) => void,
  ) {
    this.channel.unref();
    this.channel.onmessage = (event) => this.onMessage((event as { data: ToHub }).data);
    this.unsubscribe.push(
      client.onFrame((spec, frame) => this.result(spec, frame)),
      client.onLinkState((spec, connected, message) => this.state(spec, connected, message)),
    );
  }

  private closed = false;

  private post(msg: FromHub): void {
    // Links may still report (a last frame, a state) while the server shuts the hub down.
    if (this.closed) return;
    this.channel.postMessage(msg);
  }

  private result(spec: LinkSpec, frame: VideoFrame): void {
    const wire: WireFrame = {
      width: frame.width,
      height: frame.height,
      data: frame.data,
      timestampMs: frame.timestampMs,
      seq: frame.seq,
    };
    this.post({ t: 'result', proc: spec.proc, frame: wire });
  }

  private state(spec: LinkSpec, connected: boolean, message: string): void {
    this.post({ t: 'state', proc: spec.proc, connected, message });
  }

  private onMessage(msg: ToHub): void {
    if (!msg || typeof msg !== 'object' || typeof msg.proc !== 'string') return;
    try {
      switch (msg.t) {
        case 'open': {
          if (this.routes.has(msg.proc)) return;
          const spec: LinkSpec = {
            proc: msg.proc,
            nodeId: msg.nodeId,
            pipelineId: msg.pipelineId,
            params: { ...msg.params },
          };
          const url = typeof spec.params.remote_url === 'string' ? spec.params.remote_url.trim() : '';
          if (url) {
            try {
              new URL(url);
            } catch {
              this.post({
                t: 'refused',
                proc: msg.proc,
                message: `remote_url "${url.slice(0, 200)}" is not a URL like http://host:8000`,
              });
              return;
            }
            const link = new ScopeBackendLink(
              spec,
              { frame: (s, f) => this.result(s, f), state: (s, c, m) => this.state(s, c, m) },
              this.log,
            );
            this.routes.set(msg.proc, { kind: 'scope', link });
          } else {
            this.routes.set(msg.proc, { kind: 'relay', client: this.client });
            this.client.addLink(spec);
          }
          this.post({ t: 'opened', proc: msg.proc });
          return;
        }
        case 'frame': {
          const route = this.routes.get(msg.proc);
          const frame: VideoFrame = { ...msg.frame };
          if (route?.kind === 'relay') route.client.sendFrame(msg.proc, frame);
          else if (route?.kind === 'scope') route.link.send(frame);
          return;
        }
        case 'update': {
          const route = this.routes.get(msg.proc);
          if (route?.kind === 'relay') route.client.updateLink(msg.proc, msg.params);
          else if (route?.kind === 'scope') route.link.update(msg.params);
          return;
        }
        case 'close': {
          const route = this.routes.get(msg.proc);
          this.routes.delete(msg.proc);
          if (route?.kind === 'relay') void route.client.removeLink(msg.proc);
          else if (route?.kind === 'scope') void route.link.close();
          return;
        }
      }
    } catch (error) {
      this.log(`remote hub: ${(error as Error).message}`);
    }
  }

  /** Stops listening and closes the Scope-server links (relay links belong to the client). */
  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.closed = true;
    this.channel.close();
    await Promise.all(
      [...this.routes.values()].map((r) => (r.kind === 'scope' ? r.link.close() : Promise.resolve())),
    );
    this.routes.clear();
    if (current === this) current = null;
  }
}

/**
 * Installs the process's hub for `client`. A second server in the same process (tests) does not
 * replace the first one's hub: two hubs would both answer every processor.
 */
export function installRemoteHub(client: RelayClient, log: (line: string) => void): RemoteHub | null {
  if (current) return null;
  current = new RemoteHub(client, log);
  return current;
}
