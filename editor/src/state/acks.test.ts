import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeClientMessage } from '../../../runtime/protocol';
import { FakeSocket } from './fake-socket';
import { EditorStore } from './store';

function setup() {
  const sockets: FakeSocket[] = [];
  const store = new EditorStore({
    storage: null,
    runtimeUrl: 'ws://127.0.0.1/api/v1/runtime?token=x',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
  });
  store.connect();
  sockets[0]!.open();
  store.addNode({ type: 'pipeline', params: { pipeline_id: 'gray' } }, { x: 0, y: 0 });
  return { store, socket: sockets[0]! };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('EditorStore and the runtime acks', () => {
  it('sends the base revision, takes the revision from acks, and keeps refusals until the patch is taken', () => {
    const { store, socket } = setup();
    socket.receive({ type: 'ack', requestId: 'l1', ok: true, revision: 1 });
    store.setParam('pipeline-1', 'strength', 0.9);
    const sent = socket.sent.at(-1) as Extract<RuntimeClientMessage, { type: 'patch.change' }>;
    expect(sent).toMatchObject({ type: 'patch.change', revision: 1 });
    socket.receive({ type: 'ack', requestId: sent.requestId!, ok: true, revision: 3, live: true });
    expect(store.getState().revision).toBe(3);

    socket.receive({ type: 'state', state: 'running', revision: 3 });
    store.setParam('pipeline-1', 'strength', 0.1);
    const second = socket.sent.at(-1) as Extract<RuntimeClientMessage, { type: 'patch.change' }>;
    const refused = [{ index: 0, op: 'node.params', reason: 'no node "pipeline-1"', node: 'pipeline-1' }];
    socket.receive({
      type: 'ack',
      requestId: second.requestId!,
      ok: false,
      error: 'change 0 (node.params): no node "pipeline-1"',
      revision: 3,
      baseRevision: 3,
      refused,
    });
    expect(store.getState().refusedEdits).toEqual([
      {
        requestId: second.requestId,
        baseRevision: 3,
        revision: 3,
        error: 'change 0 (node.params): no node "pipeline-1"',
        refused,
      },
    ]);
    // Today's behaviour stays: the whole patch is sent again, and a toast says what was refused.
    const resend = socket.sent.at(-1)!;
    expect(resend.type).toBe('patch.load');
    expect(store.getState().toasts.at(-1)!.text).toMatch(/Runtime refused an edit: .*pipeline-1/);
    socket.receive({
      type: 'ack',
      requestId: (resend as { requestId: string }).requestId,
      ok: true,
      revision: 4,
    });
    expect(store.getState().refusedEdits).toEqual([]);
    expect(store.getState().revision).toBe(4);
  });

  it("follows changes the runtime made from Scope's data channel, outside the undo history", () => {
    const { store, socket } = setup();
    const steps = store.getState().history.past.length;
    socket.receive({
      type: 'patch.changes',
      changes: [{ op: 'node.params', id: 'pipeline-1', params: { strength: 0.25 } }],
      revision: 7,
      origin: 'parameters',
    });
    const node = store.getState().patch.nodes.find((n) => n.id === 'pipeline-1')!;
    expect(node.params.strength).toBe(0.25);
    expect(store.getState().revision).toBe(7);
    expect(store.getState().history.past.length).toBe(steps);
    // Changes that do not fit the editor's patch: the editor's patch is sent whole instead.
    const before = socket.sent.length;
    socket.receive({
      type: 'patch.changes',
      changes: [{ op: 'node.params', id: 'ghost', params: { strength: 1 } }],
      revision: 8,
      origin: 'parameters',
    });
    expect(socket.sent.slice(before).map((m) => m.type)).toEqual(['patch.load']);
  });
});
