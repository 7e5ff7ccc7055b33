import type { RuntimeClientMessage, RuntimeServerMessage } from '../../../runtime/protocol';

/** The part of the browser WebSocket the client uses (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface RuntimeClientOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  /** Called on every (re)connect before queued messages go out: resend the patch here. */
  onOpen: () => void;
  onMessage: (msg: RuntimeServerMessage) => void;
  onConnection: (state: ConnectionState, detail?: string) => void;
  timers?: Timers;
  /** Jitter source in [0,1); injected so tests are deterministic. */
  random?: () => number;
}

/**
 * Reconnect delays in ms (LiveKit's schedule, FIELD-NOTES): quick first tries, then every 7 s
 * with up to a second of jitter, forever — on stage the editor should come back by itself.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const schedule = [0, 300, 1200, 2700, 4800];
  const base = schedule[attempt] ?? 7000;
  return base + Math.floor(random() * (attempt === 0 ? 0 : 1000));
}

/** Parses one server message; anything malformed is reported, not thrown. */
export function parseServerMessage(data: unknown): RuntimeServerMessage | { error: string } {
  if (typeof data !== 'string') return { error: 'binary message on the runtime socket' };
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return { error: 'runtime sent text that is not JSON' };
  }
  if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') {
    return { error: 'runtime message has no type' };
  }
  return msg as RuntimeServerMessage;
}

/**
 * The editor's WebSocket to the runtime: reconnects on its own, queues messages while
 * disconnected (patch.change only matters on top of the patch the editor resends on open, so
 * the queue is dropped on reconnect and onOpen resends the whole patch instead).
 */
export class RuntimeClient {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(private readonly opts: RuntimeClientOptions) {
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as number),
    };
    this.random = opts.random ?? Math.random;
  }

  /** Opens the connection (and keeps it open until close()). */
  connect(): void {
    this.stopped = false;
    this.open();
  }

  /** True when messages go out now. */
  get isOpen(): boolean {
    return this.socket?.readyState === 1;
  }

  /** Sends a message if connected; returns false when it was not sent (the caller resends state on open). */
  send(msg: RuntimeClientMessage): boolean {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(msg));
    return true;
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close(1000, 'editor closed');
    this.socket = null;
  }

  private open(): void {
    this.opts.onConnection('connecting');
    let socket: SocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url);
    } catch (error) {
      this.opts.onConnection('closed', (error as Error).message);
      this.schedule();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.opts.onConnection('open');
      this.opts.onOpen();
    };
    socket.onmessage = (ev) => {
      const msg = parseServerMessage(ev.data);
      if ('error' in msg && !('type' in msg)) return;
      this.opts.onMessage(msg as RuntimeServerMessage);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.opts.onConnection('closed', ev.reason || `connection closed (${ev.code})`);
      if (!this.stopped) this.schedule();
    };
    socket.onerror = () => {
      /* onclose follows and reconnects */
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt++, this.random);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }
}
