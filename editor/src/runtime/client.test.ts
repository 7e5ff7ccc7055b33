import { describe, expect, it } from 'vitest';
import { parseServerMessage, reconnectDelay, RuntimeClient, type SocketLike } from './client';
import { transceiverPlan } from './media';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onerror: SocketLike['onerror'] = null;
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

describe('RuntimeClient', () => {
  it('resends on open, delivers messages, and reconnects with backoff after a drop', () => {
    const sockets: FakeSocket[] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const received: unknown[] = [];
    const states: string[] = [];
    let opens = 0;
    const client = new RuntimeClient({
      url: 'ws://x/api/v1/runtime',
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      onOpen: () => {
        opens++;
        client.send({ type: 'ping', t: opens });
      },
      onMessage: (m) => received.push(m),
      onConnection: (s) => states.push(s),
      timers: { setTimeout: (fn, ms) => timers.push({ fn, ms }), clearTimeout: () => undefined },
      random: () => 0.5,
    });
    client.connect();
    expect(client.send({ type: 'session.start' })).toBe(false);
    sockets[0]!.open();
    expect(sockets[0]!.sent).toEqual(['{"type":"ping","t":1}']);
    sockets[0]!.onmessage!({ data: '{"type":"pong","t":1}' });
    sockets[0]!.onmessage!({ data: 'garbage' });
    expect(received).toEqual([{ type: 'pong', t: 1 }]);
    sockets[0]!.drop();
    expect(timers[0]!.ms).toBe(0);
    timers[0]!.fn();
    sockets[1]!.drop();
    expect(timers[1]!.ms).toBe(800);
    timers[1]!.fn();
    sockets[2]!.open();
    expect(opens).toBe(2);
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'closed', 'connecting', 'open']);
    client.close();
    expect(timers.length).toBe(2);
  });

  it('backs off to 7 s plus jitter and parses messages safely', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => reconnectDelay(a, () => 0))).toEqual([
      0, 300, 1200, 2700, 4800, 7000, 7000,
    ]);
    expect(reconnectDelay(9, () => 0.999)).toBe(7999);
    expect(parseServerMessage('{"no":1}')).toEqual({ error: 'runtime message has no type' });
    expect(parseServerMessage(new ArrayBuffer(1))).toEqual({ error: 'binary message on the runtime socket' });
  });
});

describe('transceiverPlan', () => {
  it('pairs cameras with outputs like Scope and adds receive-only ones for extra outputs', () => {
    expect(transceiverPlan(1, 1)).toEqual(['sendrecv']);
    expect(transceiverPlan(1, 3)).toEqual(['sendrecv', 'recvonly', 'recvonly']);
    expect(transceiverPlan(0, 0)).toEqual(['recvonly']);
    expect(transceiverPlan(2, 1)).toEqual(['sendrecv', 'sendonly']);
  });
});
