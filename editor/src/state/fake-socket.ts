import type { RuntimeClientMessage, RuntimeServerMessage } from '../../../runtime/protocol';
import type { SocketLike } from '../runtime';

/**
 * A runtime WebSocket for tests: records what the store sends (parsed), and lets the test open
 * it and deliver server messages as JSON text, as the real socket does.
 */
export class FakeSocket implements SocketLike {
  readyState = 0;
  sent: RuntimeClientMessage[] = [];
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onerror: SocketLike['onerror'] = null;
  send(data: string) {
    this.sent.push(JSON.parse(data) as RuntimeClientMessage);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: RuntimeServerMessage) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}
