/**
 * The ordered "parameters" data channel: JSON objects in (size- and depth-checked by
 * parseDataMessage before JSON.parse) and out (queued until the channel opens).
 */
import type { RTCDataChannel } from 'werift';
import { parseDataMessage } from '../data';
import { DATA_CHANNEL_LABEL } from './negotiation';
import { addCb, safeCall, type PeerCore } from './types';

/** At most this many messages wait for the channel to open. */
const MAX_PENDING = 64;

export class DataChannel {
  private channel: RTCDataChannel | null = null;
  private readonly pending: string[] = [];
  private readonly cbs: ((obj: Record<string, unknown>) => void)[] = [];

  /** @param onClosed the channel closed under us (for a Scope client: the session is over). */
  constructor(
    private readonly core: PeerCore,
    private readonly onClosed: (reason: string) => void,
  ) {}

  /** The werift channel once there is one. */
  get raw(): RTCDataChannel | null {
    return this.channel;
  }

  /** Calls `cb(obj)` for every valid JSON object on the channel. Returns an unsubscribe. */
  onData(cb: (obj: Record<string, unknown>) => void): () => void {
    return addCb(this.cbs, cb);
  }

  /** Sends now when open, else queues (false when closed or the queue is full). */
  send(obj: Record<string, unknown>): boolean {
    if (this.core.isClosing()) return false;
    const text = JSON.stringify(obj);
    if (this.channel && this.channel.readyState === 'open') {
      this.channel.send(text);
      this.core.counters.dataOut++;
      return true;
    }
    if (this.pending.length >= MAX_PENDING) return false;
    this.pending.push(text);
    return true;
  }

  /** Takes the channel (created here when offering, announced by the remote when answering). */
  attach(ch: RTCDataChannel): void {
    const { core } = this;
    if (ch.label !== DATA_CHANNEL_LABEL) {
      core.log('info', `ignoring data channel "${ch.label}" (only "${DATA_CHANNEL_LABEL}" is used)`);
      return;
    }
    this.channel = ch;
    const flush = (): void => {
      while (this.pending.length && ch.readyState === 'open') {
        ch.send(this.pending.shift()!);
        core.counters.dataOut++;
      }
    };
    core.sub(
      ch.stateChanged.subscribe((s) => {
        if (s === 'open') flush();
        // werift closes every channel when an SCTP ABORT or SHUTDOWN arrives (the remote peer
        // connection closed), and on a stream reset (the remote closed just this channel): for a
        // Scope client either means the session is over.
        else if (s === 'closed') this.onClosed(`the "${DATA_CHANNEL_LABEL}" data channel closed`);
      }),
    );
    core.sub(
      ch.onMessage.subscribe((raw) => {
        const r = parseDataMessage(raw, {
          maxBytes: core.opts.maxMessageBytes ?? 64 * 1024,
          maxDepth: core.opts.maxMessageDepth ?? 32,
        });
        if (!r.ok) {
          core.counters.dataRejected++;
          core.log('warn', `data channel message ignored: ${r.reason}`);
          return;
        }
        core.counters.dataIn++;
        for (const cb of [...this.cbs]) safeCall(() => cb(r.value), core.log, 'onData');
      }),
    );
    if (ch.readyState === 'open') flush();
  }

  close(): void {
    this.pending.length = 0;
    this.cbs.length = 0;
  }
}
