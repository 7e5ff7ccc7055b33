import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EditorStore } from '../editor/src/state/store';
import { FakeSocket as Socket } from '../editor/src/state/fake-socket';
import type { Patch, PatchChange } from '../patches';
import { defaultCapabilities } from '../runtime/compile';
import type { RuntimeClientMessage } from '../runtime/protocol';
import { createSession } from '../runtime/session';

/**
 * One truth for edits: the editor store and the runtime session apply the same random edit
 * sequences (including undo/redo, changes that do not fit, and keys set and unset) and hold
 * equal patches after every step, with the revision the runtime acknowledged. The editor's
 * changes reach the session as the WebSocket carries them (JSON text).
 */

const start: Patch = {
  format: 'patchbay',
  format_version: 1,
  metadata: { name: 'agree', created_at: '', app_version: '0' },
  nodes: [
    {
      id: 'n0',
      type: 'camera',
      version: 1,
      position: { x: 0, y: 0 },
      params: { source_mode: 'test_pattern' },
    },
    { id: 'n1', type: 'pipeline', version: 1, position: { x: 300, y: 0 }, params: { pipeline_id: 'gray' } },
    { id: 'n2', type: 'output', version: 1, position: { x: 600, y: 0 }, params: {} },
  ],
  edges: [
    { id: 'e0', from: { node: 'n0', port: 'video' }, to: { node: 'n1', port: 'video' } },
    { id: 'e1', from: { node: 'n1', port: 'video' }, to: { node: 'n2', port: 'video' } },
  ],
};

// Small id pools, so changes often collide (duplicates, missing nodes): refusals are exercised.
const nodeId = fc.constantFrom('n0', 'n1', 'n2', 'n3', 'n4');
const edgeIdA = fc.constantFrom('e0', 'e1', 'e2', 'e3');
const type = fc.constantFrom('camera', 'pipeline', 'output');
const value = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.integer({ min: 1, max: 60 }),
  fc.constantFrom('gray', 'passthrough', 'main', true, false),
  fc.constant(undefined),
);
const key = fc.constantFrom('strength', 'fps', 'name', 'pipeline_id', 'record', 'width');

const change: fc.Arbitrary<PatchChange> = fc.oneof(
  fc.record({
    op: fc.constant('node.add' as const),
    node: fc.record({
      id: nodeId,
      type,
      version: fc.constant(1),
      position: fc.record({ x: fc.integer(), y: fc.integer() }),
      params: fc.dictionary(
        key,
        value.filter((v) => v !== undefined),
        { maxKeys: 2 },
      ),
    }),
  }),
  fc.record({ op: fc.constant('node.remove' as const), id: nodeId }),
  fc.record(
    {
      op: fc.constant('node.params' as const),
      id: nodeId,
      params: fc.dictionary(key, value, { maxKeys: 3 }),
      unset: fc.array(key, { maxLength: 2 }),
    },
    { requiredKeys: ['op', 'id', 'params'] },
  ),
  fc.record({
    op: fc.constant('node.move' as const),
    id: nodeId,
    position: fc.record({ x: fc.integer(), y: fc.integer() }),
  }),
  fc.record({
    op: fc.constant('node.ui' as const),
    id: nodeId,
    ui: fc.dictionary(fc.constantFrom('color', 'collapsed'), fc.constantFrom('red', true)),
  }),
  fc.record({
    op: fc.constant('edge.add' as const),
    edge: fc.record({
      id: edgeIdA,
      from: fc.record({ node: nodeId, port: fc.constant('video') }),
      to: fc.record({ node: nodeId, port: fc.constant('video') }),
    }),
  }),
  fc.record({ op: fc.constant('edge.remove' as const), id: edgeIdA }),
  fc.record({
    op: fc.constant('metadata' as const),
    metadata: fc.record({ name: fc.string({ maxLength: 8 }) }),
  }),
);

type Step = { kind: 'apply'; changes: PatchChange[] } | { kind: 'undo' } | { kind: 'redo' };
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('apply' as const),
      changes: fc.array(change, { minLength: 1, maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'undo' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'redo' as const }) },
);

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
afterEach(() => vi.useRealTimers());

describe('editor and runtime apply edits with one function', () => {
  it('the same random edit sequence gives equal patches and the acknowledged revision on both sides', async () => {
    let applied = 0;
    let undone = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), async (steps) => {
        const sockets: Socket[] = [];
        const store = new EditorStore({
          storage: null,
          runtimeUrl: 'ws://127.0.0.1/api/v1/runtime?token=x',
          createSocket: () => {
            const s = new Socket();
            sockets.push(s);
            return s;
          },
        });
        store.loadPatch(structuredClone(start), null);
        store.connect();
        const socket = sockets[0]!;
        socket.open();
        const session = createSession({
          patch: structuredClone(start),
          capabilities: defaultCapabilities(),
          clockMode: 'fixed',
        });
        // The runtime side of the socket, as runtime/server/runtime-ws.ts answers: every message
        // in order, as JSON, each acked with the session's revision (a refused change makes the
        // editor send its whole patch, which is answered too).
        let seen = 0;
        const serve = async (): Promise<void> => {
          while (seen < socket.sent.length) {
            const msg = JSON.parse(JSON.stringify(socket.sent[seen++])) as RuntimeClientMessage;
            if (msg.type !== 'patch.change' && msg.type !== 'patch.load') continue;
            const r =
              msg.type === 'patch.change'
                ? await session.applyChanges(msg.changes)
                : await session.load(msg.patch);
            if (msg.type === 'patch.change') {
              expect(r.refused ?? []).toEqual([]);
              applied++;
            }
            socket.receive({
              type: 'ack',
              requestId: msg.requestId ?? '',
              ok: r.ok,
              ...(r.ok ? {} : { error: r.errors.map((e) => e.message).join('; ') }),
              revision: r.revision,
            });
          }
        };
        try {
          await serve();
          for (const s of steps) {
            if (s.kind === 'apply') store.apply(s.changes);
            else if (s.kind === 'undo') {
              if (store.getState().history.past.length) undone++;
              store.undo();
            } else store.redo();
            await serve();
            expect(session.patch()).toEqual(store.getState().patch);
            expect(store.getState().revision).toBe(session.revision());
          }
        } finally {
          store.dispose();
          await session.dispose();
        }
      }),
      { numRuns: 100 },
    );
    // The sequences did edit (a test that applied nothing would agree trivially).
    console.log(
      `[edits agree] 100 sequences: ${applied} change batches applied on both sides, ${undone} undos`,
    );
    expect(applied).toBeGreaterThan(200);
    expect(undone).toBeGreaterThan(20);
  }, 120_000);
});
