import { parentPort } from 'node:worker_threads';
import { i420Size, type VideoFrame } from '../../nodes';
import type { FrameExtras, FrameProcessor } from '../pipelines/types';
import type { FrameHandle } from './frame-pool';
import { createFrameProcessor } from './processors';
import type { MainToWorker, WorkerInit, WorkerToMain } from './protocol';

/**
 * A pipeline worker: hosts one Pipeline node's processor, off the main thread. Frames arrive
 * as pool handles over shared memory; the result is written into the output slot the main
 * thread reserved, so pixels never cross threads by copy unless the size changes.
 */

const port = parentPort;
if (!port) throw new Error('runtime/engine/worker.ts must run in a worker thread');
/** Set by the first message: a worker may be booted ahead of time, before its node exists. */
let init: WorkerInit | null = null;
const buffers = new Map<number, Uint8Array>();
let processor: FrameProcessor | null = null;
let now = 0;
let pendingParams: Record<string, unknown> | null = null;
let disposed = false;

const post = (msg: WorkerToMain, transfer?: ArrayBuffer[]): void => port.postMessage(msg, transfer ?? []);

function view(h: FrameHandle): VideoFrame {
  const bytes = buffers.get(h.slot);
  if (!bytes) throw new Error(`worker: no buffer for slot ${h.slot}`);
  return {
    width: h.width,
    height: h.height,
    data: bytes.subarray(0, i420Size(h.width, h.height)),
    timestampMs: h.timestampMs,
    seq: h.seq,
  };
}

async function load(): Promise<void> {
  if (!init) return;
  try {
    processor = await createFrameProcessor(
      {
        nodeId: init.nodeId,
        pipeline: init.pipeline,
        params: init.params,
        modelsDir: init.modelsDir,
        now: () => now,
        log: (message) => post({ type: 'log', message }),
        notice: (message) => post({ type: 'notice', message }),
      },
      init.processorModule,
    );
    if (pendingParams) processor.update(pendingParams);
    pendingParams = null;
    post({
      type: 'ready',
      device: processor.device,
      ignores: [...processor.ignores],
      inPlace: processor.inPlace,
    });
  } catch (error) {
    post({ type: 'load-error', message: (error as Error).message });
  }
}

async function processFrame(msg: Extract<MainToWorker, { type: 'frame' }>): Promise<void> {
  const t0 = performance.now();
  try {
    if (!processor) throw new Error('the processor is not loaded');
    for (const [slot, sab] of msg.buffers) buffers.set(slot, new Uint8Array(sab));
    now = msg.now;
    const input = view(msg.input);
    const out = view(msg.output);
    // An in-place processor gets a private copy: the input slot may feed other nodes too.
    const source = processor.inPlace ? (out.data.set(input.data), out) : input;
    const extras: FrameExtras = {};
    if (msg.prompts) extras.prompts = msg.prompts;
    if (msg.vace) extras.vace = msg.vace;
    if (msg.vaceInputFrame) extras.vaceInputFrame = view(msg.vaceInputFrame);
    if (msg.vaceInputMask) extras.vaceInputMask = view(msg.vaceInputMask);
    const result = await processor.process(source, extras);
    const meta = {
      id: msg.id,
      width: result.width,
      height: result.height,
      timestampMs: result.timestampMs,
      seq: result.seq,
    };
    const size = i420Size(result.width, result.height);
    if (result.data.length < size)
      throw new Error(
        `the processor returned ${result.data.length} bytes for a ${result.width}×${result.height} frame`,
      );
    const ms = performance.now() - t0;
    if (result === input || result.data === input.data) {
      post({ type: 'result', kind: 'same', ...meta, ms });
    } else if (result.width === msg.output.width && result.height === msg.output.height) {
      if (result.data.buffer !== out.data.buffer || result.data.byteOffset !== out.data.byteOffset)
        out.data.set(result.data.subarray(0, size));
      post({ type: 'result', kind: 'slot', ...meta, ms });
    } else {
      const data = result.data.slice(0, size).buffer;
      post({ type: 'result', kind: 'copy', ...meta, data, ms }, [data]);
    }
  } catch (error) {
    post({ type: 'frame-error', id: msg.id, message: (error as Error).message, ms: performance.now() - t0 });
  }
}

// Frames come one at a time (the main thread waits for each result), so handling messages in
// arrival order keeps a param update between two frames exactly there.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: MainToWorker) => {
  chain = chain.then(async () => {
    if (disposed) return;
    switch (msg.type) {
      case 'init':
        if (!init) {
          init = msg.init;
          await load();
        }
        break;
      case 'frame':
        await processFrame(msg);
        break;
      case 'update':
        if (processor) processor.update(msg.params);
        else pendingParams = { ...pendingParams, ...msg.params };
        break;
      case 'dispose': {
        let clean = false;
        try {
          await processor?.dispose();
          clean = true;
        } catch (error) {
          post({ type: 'log', message: `dispose failed: ${(error as Error).message}` });
        }
        if (clean && msg.recycle) {
          // Back to the state of a freshly booted worker: the next init loads a new processor.
          init = null;
          processor = null;
          pendingParams = null;
          buffers.clear();
          now = 0;
          post({ type: 'disposed', recycled: true });
        } else {
          disposed = true;
          post({ type: 'disposed' });
          port.close();
        }
        break;
      }
    }
  });
});
