import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUTOSAVE_KEY, type StorageLike } from '../files';
import { FakeSocket } from './fake-socket';
import { EditorStore } from './store';

function setup() {
  const map = new Map<string, string>();
  const storage: StorageLike = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
  const sockets: FakeSocket[] = [];
  let t = 0;
  const store = new EditorStore({
    storage,
    runtimeUrl: 'ws://127.0.0.1/api/v1/runtime?token=x',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    now: () => (t += 1000),
  });
  store.connect();
  sockets[0]!.open();
  return { store, socket: sockets[0]!, map, storage };
}

function buildChain(store: EditorStore) {
  store.addNode({ type: 'camera', params: {} }, { x: 0, y: 0 });
  store.addNode({ type: 'pipeline', params: { pipeline_id: 'gray' } }, { x: 300, y: 0 });
  store.addNode({ type: 'output', params: {} }, { x: 600, y: 0 });
  expect(store.connectPorts({ node: 'camera-1', port: 'video' }, { node: 'pipeline-1', port: 'video' })).toBe(
    true,
  );
  expect(store.connectPorts({ node: 'pipeline-1', port: 'video' }, { node: 'output-1', port: 'video' })).toBe(
    true,
  );
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('EditorStore', () => {
  it('loads the patch on connect and sends every edit, undo and redo as change objects', () => {
    const { store, socket } = setup();
    expect(socket.sent[0]).toMatchObject({ type: 'patch.load', patch: { nodes: [] } });
    buildChain(store);
    const changes = socket.sent.filter((m) => m.type === 'patch.change');
    expect(changes.length).toBe(5);
    expect(changes[3]).toMatchObject({
      changes: [{ op: 'edge.add', edge: { id: 'camera-1.video--pipeline-1.video' } }],
    });
    store.setParam('pipeline-1', 'strength', 0.9);
    store.undo();
    expect(socket.sent.at(-1)).toMatchObject({
      type: 'patch.change',
      changes: [{ op: 'node.params', id: 'pipeline-1', params: { strength: 0.5 } }],
    });
    store.redo();
    expect(socket.sent.at(-1)).toMatchObject({ changes: [{ op: 'node.params', params: { strength: 0.9 } }] });
    expect(store.getState().patch.nodes[1]!.params.strength).toBe(0.9);
  });

  it('refuses an incompatible connection with a hint and changes nothing', () => {
    const { store, socket } = setup();
    buildChain(store);
    const before = socket.sent.length;
    expect(
      store.connectPorts(
        { node: 'camera-1', port: 'video' },
        { node: 'pipeline-1', port: 'prompts' },
        { x: 5, y: 6 },
      ),
    ).toBe(false);
    expect(store.getState().connectHint).toMatchObject({
      x: 5,
      y: 6,
      text: expect.stringContaining('takes prompts'),
    });
    expect(socket.sent.length).toBe(before);
    expect(store.getState().patch.edges.length).toBe(2);
  });

  it('resyncs the runtime with the whole patch after a refused change', () => {
    const { store, socket } = setup();
    store.addNode({ type: 'camera', params: {} }, { x: 0, y: 0 });
    const last = socket.sent.at(-1) as { requestId: string };
    socket.receive({ type: 'ack', requestId: last.requestId, ok: false, error: 'no output', revision: 1 });
    expect(socket.sent.at(-1)).toMatchObject({ type: 'patch.load', patch: { nodes: [{ id: 'camera-1' }] } });
    const loads = socket.sent.length;
    socket.receive({
      type: 'ack',
      requestId: (socket.sent.at(-1) as { requestId: string }).requestId,
      ok: false,
      error: 'no output',
      revision: 2,
    });
    expect(socket.sent.length).toBe(loads);
    expect(store.getState().toasts).toEqual([]);
  });

  it('follows the runtime: session state, stats, node errors, timeline', () => {
    const { store, socket } = setup();
    socket.receive({ type: 'hello', version: '0.1.0', sessionId: 's1' });
    socket.receive({
      type: 'diagnostics',
      errors: [{ code: 'NO_OUTPUT', fatal: true, message: 'no Output' }],
      revision: 3,
    });
    socket.receive({ type: 'node.error', node: 'pipeline-1', message: 'model failed', recoverable: true });
    socket.receive({ type: 'timeline', node: 'tl', time: 3.5, playing: true, entry: 0 });
    const stats = {
      status: 'running' as const,
      fps_in: 30,
      fps_out: 30,
      ms_p50: 1,
      ms_p99: 2,
      queue_depth: 0,
      drops: 0,
      frames_in: 9,
      frames_out: 9,
    };
    socket.receive({ type: 'stats', nodes: { 'pipeline-1': stats }, t: 1 });
    const s = store.getState();
    expect(s.sessionId).toBe('s1');
    expect(s.diagnostics[0]!.code).toBe('NO_OUTPUT');
    expect(s.timelines.tl).toEqual({ time: 3.5, playing: true, entry: 0 });
    expect(s.stats['pipeline-1']!.fps_out).toBe(30);
    // A node that runs again has its error cleared.
    expect(s.nodeErrors['pipeline-1']).toBeUndefined();
  });

  it('asks for the camera on Run and offers the test pattern when there is none', async () => {
    const { store, socket } = setup();
    buildChain(store);
    await store.run();
    expect(store.getState().cameraProblem).toMatchObject({
      nodes: ['camera-1'],
      message: expect.stringContaining('no camera access'),
    });
    expect(socket.sent.some((m) => m.type === 'session.start')).toBe(false);
    store.useTestPattern(['camera-1']);
    expect(store.getState().patch.nodes[0]!.params.source_mode).toBe('test_pattern');
    await store.run();
    expect(socket.sent.at(-1)).toEqual({ type: 'session.start' });
  });

  it('copies and pastes across patches with fresh ids; refuses foreign text', () => {
    const { store } = setup();
    buildChain(store);
    store.select(['pipeline-1', 'output-1'], []);
    const text = store.copyText()!;
    store.loadPatch({ ...store.getState().patch, nodes: [], edges: [] }, null);
    expect(store.pasteText(text)).toBe(true);
    expect(store.getState().patch.nodes.map((n) => n.id)).toEqual(['pipeline-1', 'output-1']);
    expect(store.pasteText(text)).toBe(true);
    expect(store.getState().patch.nodes.length).toBe(4);
    expect(store.getState().patch.edges.length).toBe(2);
    expect(store.pasteText('hello')).toBe(false);
  });

  it('autosaves to storage after edits and restores on a new store', () => {
    const { store, map, storage } = setup();
    buildChain(store);
    expect(map.has(AUTOSAVE_KEY)).toBe(false);
    vi.advanceTimersByTime(300);
    expect(map.has(AUTOSAVE_KEY)).toBe(true);
    store.dispose();
    const again = new EditorStore({ storage });
    expect(again.getState().patch.edges.length).toBe(2);
    expect(again.getState().dirty).toBe(false);
  });

  it('deletes a selection with its edges as one undo step', () => {
    const { store } = setup();
    buildChain(store);
    store.select(['pipeline-1'], []);
    store.deleteSelection();
    expect(store.getState().patch.edges).toEqual([]);
    store.undo();
    expect(store.getState().patch.edges.length).toBe(2);
    expect(store.getState().patch.nodes.length).toBe(3);
  });
});

describe('first run', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** A fetch that answers the patches listing and one example, recording what was asked. */
  async function stubRuntime(): Promise<string[]> {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(
      new URL('../../../patches/examples/camera-passthrough.patch', import.meta.url),
      'utf8',
    );
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (path: string) => {
      asked.push(path);
      const body =
        path === '/api/v1/patches'
          ? JSON.stringify({ default: 'camera-passthrough', patches: [] })
          : path === '/api/v1/patches/camera-passthrough'
            ? example
            : '{}';
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    });
    return asked;
  }

  it("opens the runtime's default patch when nothing was autosaved", async () => {
    const asked = await stubRuntime();
    const { store } = setup();
    expect(await store.openDefaultOnFirstRun()).toBe(true);
    expect(store.getState().patch.nodes.map((n) => n.type)).toEqual(['camera', 'pipeline', 'output']);
    expect(asked).toEqual(['/api/v1/patches', '/api/v1/patches/camera-passthrough']);
  });

  it('keeps what the user has: an autosave, or edits made meanwhile', async () => {
    const asked = await stubRuntime();
    const { store, map } = setup();
    store.addNode({ type: 'camera', params: {} }, { x: 0, y: 0 });
    expect(await store.openDefaultOnFirstRun()).toBe(false);
    expect(store.getState().patch.nodes).toHaveLength(1);
    store.flushAutosave();
    const reopened = new EditorStore({
      storage: { getItem: (k) => map.get(k) ?? null, setItem: () => undefined },
    });
    expect(await reopened.openDefaultOnFirstRun()).toBe(false);
    expect(reopened.getState().patch.nodes).toHaveLength(1);
    expect(asked).toEqual([]);
  });
});
