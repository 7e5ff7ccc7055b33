import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import type { VideoFrame } from '../../../nodes';
import { probeCuda, realProbeEnv } from '../../host';
import { ModelContractError, readContract, sidecarPath, type ModelContract } from './contract';
import { i420ToTensor, tensorToI420 } from './convert';

/**
 * Loads an ONNX image model with its sidecar contract and runs it on frames with
 * onnxruntime-node: picks the execution providers (CPU, or CUDA when asked for and present,
 * falling back visibly), converts I420 ↔ the declared tensor layout, feeds the optional
 * strength / previous-output / text inputs, and returns I420 frames.
 */

export type Device = 'auto' | 'cpu' | 'cuda';

/** How to get CUDA for onnxruntime-node (the add-on its postinstall downloads, skipped by .npmrc here). */
export const CUDA_HOW_TO =
  'To use the GPU: install the NVIDIA driver, CUDA 12 and cuDNN 9, then with network access run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (see runtime/pipelines/README.md).';

/** What the CUDA probe found. `gpuPresent` says whether falling back is worth telling the user. */
export interface CudaStatus {
  available: boolean;
  gpuPresent: boolean;
  reason?: string;
}

export type CudaProbe = () => CudaStatus | Promise<CudaStatus>;

let cudaCache: Promise<CudaStatus> | null = null;

/** The real machine's CUDA status (driver + onnxruntime CUDA add-on), probed once per thread. */
export function defaultCudaProbe(): Promise<CudaStatus> {
  cudaCache ??= (async () => {
    const { status, vram_gb } = await probeCuda(realProbeEnv);
    let gpuPresent = status.available || vram_gb > 0;
    if (!gpuPresent) {
      try {
        realProbeEnv.loadLibrary(process.platform === 'win32' ? 'nvcuda.dll' : 'libcuda.so.1');
        gpuPresent = true;
      } catch {
        gpuPresent = false;
      }
    }
    return { available: status.available, gpuPresent, ...(status.reason ? { reason: status.reason } : {}) };
  })();
  return cudaCache;
}

export interface OnnxLoadOptions {
  device?: Device;
  /** Shown on the node's badge (e.g. the CUDA fallback). */
  notice?: (message: string) => void;
  log?: (message: string) => void;
  probeCuda?: CudaProbe;
  /** Intra-op threads; 1 by default so the codec and the other workers keep a core (FIELD-NOTES). */
  threads?: number;
  /** Creates the onnxruntime session (injected by tests to imagine a failing CUDA provider). */
  createSession?: (
    model: Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ) => Promise<ort.InferenceSession>;
}

/** Inputs besides the image. */
export interface RunInputs {
  strength?: number;
  /** The text embedding (hash-rgb: 3 values). */
  text?: readonly number[];
}

/** A float image tensor as the model sees it. */
export interface ImageTensor {
  data: Float32Array;
  width: number;
  height: number;
}

const firstLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

/** A loaded model, ready to run frames. */
export class OnnxModel {
  /** Milliseconds the last `session.run` took: inference alone, without conversion (bench). */
  lastInferenceMs = 0;
  private previous: ImageTensor | null = null;
  private inputBuf: Float32Array | null = null;
  private disposed = false;
  /** Runs are serialised: the input buffer and the feedback state belong to one run at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly contract: ModelContract,
    private readonly session: ort.InferenceSession,
    /** The execution provider that runs it: "cuda" or "cpu". */
    readonly device: 'cuda' | 'cpu',
  ) {}

  /**
   * Loads `modelPath` and its sidecar (`<name>.json` beside it, or `contract` when given),
   * checks the contract against the graph's real inputs and outputs, and opens a session.
   */
  static async load(
    modelPath: string,
    opts: OnnxLoadOptions = {},
    contract?: ModelContract,
  ): Promise<OnnxModel> {
    const c = contract ?? readContract(sidecarPath(modelPath));
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(modelPath);
    } catch (error) {
      throw new ModelContractError(`${modelPath}: cannot read model (${firstLine(error)})`, modelPath);
    }
    const create = opts.createSession ?? ((m, o) => ort.InferenceSession.create(m, o));
    const base: ort.InferenceSession.SessionOptions = {
      logSeverityLevel: 3,
      intraOpNumThreads: opts.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    const device = opts.device ?? 'auto';
    let session: ort.InferenceSession | null = null;
    let used: 'cuda' | 'cpu' = 'cpu';
    if (device !== 'cpu') {
      const cuda = await (opts.probeCuda ?? defaultCudaProbe)();
      let reason = cuda.available ? null : (cuda.reason ?? 'the CUDA provider is not available');
      if (cuda.available) {
        try {
          session = await create(bytes, { ...base, executionProviders: ['cuda', 'cpu'] });
          used = 'cuda';
        } catch (error) {
          reason = `the CUDA execution provider failed to start (${firstLine(error)})`;
        }
      }
      if (reason) {
        const message = `CUDA unavailable: ${reason}; running on CPU. ${CUDA_HOW_TO}`;
        // "auto" on a machine with no NVIDIA GPU is the normal case: log it, don't badge it.
        if (device === 'cuda' || cuda.gpuPresent) opts.notice?.(message);
        else opts.log?.(message);
      }
    }
    if (!session) {
      try {
        session = await create(bytes, { ...base, executionProviders: ['cpu'] });
      } catch (error) {
        throw new ModelContractError(
          `${modelPath}: onnxruntime cannot load this model (${firstLine(error)})`,
          modelPath,
        );
      }
    }
    try {
      checkContract(modelPath, c, session);
    } catch (error) {
      await session.release();
      throw error;
    }
    return new OnnxModel(modelPath, c, session, used);
  }

  /** The tensor size the model gets for a frame of this size. */
  tensorSize(width: number, height: number): { width: number; height: number } {
    const s = this.contract.size;
    if (s.kind === 'fixed') return { width: s.width, height: s.height };
    const m = s.multiple_of;
    return { width: Math.max(m, Math.round(width / m) * m), height: Math.max(m, Math.round(height / m) * m) };
  }

  private dims(width: number, height: number, layout: 'NCHW' | 'NHWC'): number[] {
    return layout === 'NCHW' ? [1, 3, height, width] : [1, height, width, 3];
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Runs the model on a tensor already in its input layout and range (tests, bench). */
  runTensor(image: ImageTensor, inputs: RunInputs = {}): Promise<ImageTensor> {
    return this.serial(() => this.runNow(image, inputs));
  }

  private async runNow(image: ImageTensor, inputs: RunInputs): Promise<ImageTensor> {
    if (this.disposed) throw new Error(`${this.path}: model was disposed`);
    const c = this.contract;
    const feeds: Record<string, ort.Tensor> = {
      [c.input.name]: new ort.Tensor(
        'float32',
        image.data,
        this.dims(image.width, image.height, c.input.layout),
      ),
    };
    if (c.strength)
      feeds[c.strength.input] = new ort.Tensor('float32', Float32Array.of(inputs.strength ?? 0.5), [1]);
    if (c.text)
      feeds[c.text.input] = new ort.Tensor(
        'float32',
        Float32Array.from(inputs.text ?? [0.75, 0.75, 0.75]),
        [1, 3],
      );
    if (c.feedback) {
      const prev = this.previous;
      const fresh = !prev || prev.width !== image.width || prev.height !== image.height;
      // No previous output yet (or the size changed): start from black in the model's range.
      const data = fresh ? new Float32Array(image.data.length).fill(c.input.range[0]) : prev.data;
      feeds[c.feedback.input] = new ort.Tensor(
        'float32',
        data,
        this.dims(image.width, image.height, c.input.layout),
      );
    }
    const t0 = performance.now();
    const result = await this.session.run(feeds);
    this.lastInferenceMs = performance.now() - t0;
    const out = result[c.output.name];
    if (!out || out.type !== 'float32')
      throw new Error(`${this.path}: output "${c.output.name}" is missing or not float32`);
    const d = out.dims;
    const nchw = c.output.layout === 'NCHW';
    if (d.length !== 4 || d[0] !== 1 || (nchw ? d[1] : d[3]) !== 3)
      throw new Error(
        `${this.path}: output "${c.output.name}" has shape [${d.join(', ')}]; the contract says ${c.output.layout} with 3 channels`,
      );
    const tensor = {
      data: out.data as Float32Array,
      width: nchw ? d[3]! : d[2]!,
      height: nchw ? d[2]! : d[1]!,
    };
    if (c.feedback) this.previous = { ...tensor, data: Float32Array.from(tensor.data) };
    return tensor;
  }

  /** Runs one frame: I420 in, I420 out at the input's size. */
  runFrame(frame: VideoFrame, inputs: RunInputs = {}): Promise<VideoFrame> {
    return this.serial(() => this.runFrameNow(frame, inputs));
  }

  private async runFrameNow(frame: VideoFrame, inputs: RunInputs): Promise<VideoFrame> {
    const c = this.contract;
    const size = this.tensorSize(frame.width, frame.height);
    this.inputBuf = i420ToTensor(frame, c.input, size.width, size.height, this.inputBuf ?? undefined);
    const data =
      this.inputBuf.length === 3 * size.width * size.height
        ? this.inputBuf
        : this.inputBuf.subarray(0, 3 * size.width * size.height);
    const out = await this.runNow({ data, width: size.width, height: size.height }, inputs);
    const i420 = tensorToI420(out.data, c.output, out.width, out.height, frame.width, frame.height);
    return {
      width: frame.width,
      height: frame.height,
      data: i420,
      timestampMs: frame.timestampMs,
      seq: frame.seq,
    };
  }

  /** Forgets the previous output (feedback models start again from black). */
  resetFeedback(): void {
    this.previous = null;
  }

  /** Frees the session. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    this.previous = null;
    await this.session.release();
  }
}

/** Checks that every name in the contract is a real input/output of the graph, and vice versa. */
function checkContract(modelPath: string, c: ModelContract, session: ort.InferenceSession): void {
  const file = sidecarPath(modelPath);
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  const declared: [string, string][] = [['input.name', c.input.name]];
  if (c.strength) declared.push(['strength.input', c.strength.input]);
  if (c.feedback) declared.push(['feedback.input', c.feedback.input]);
  if (c.text) declared.push(['text.input', c.text.input]);
  for (const [field, name] of declared)
    if (!inputs.includes(name))
      throw new ModelContractError(
        `${file}: ${field} "${name}" is not an input of the model (its inputs: ${inputs.join(', ')})`,
        file,
      );
  if (!outputs.includes(c.output.name))
    throw new ModelContractError(
      `${file}: output.name "${c.output.name}" is not an output of the model (its outputs: ${outputs.join(', ')})`,
      file,
    );
  const names = new Set(declared.map(([, n]) => n));
  const undeclared = inputs.filter((n) => !names.has(n));
  if (undeclared.length)
    throw new ModelContractError(
      `${file}: the model has inputs the contract does not declare (${undeclared.join(', ')}); Patchbay can feed image, strength, feedback and text inputs only`,
      file,
    );
  const meta = (
    session as {
      inputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
    }
  ).inputMetadata;
  const image = meta?.find((m) => m.name === c.input.name);
  if (image?.isTensor && image.shape) {
    const shape = image.shape;
    const channelAt = c.input.layout === 'NCHW' ? 1 : 3;
    if (shape.length !== 4)
      throw new ModelContractError(
        `${file}: input "${c.input.name}" has rank ${shape.length}; an image model needs rank 4 (${c.input.layout})`,
        file,
      );
    const otherAt = channelAt === 1 ? 3 : 1;
    const looksOther = typeof shape[channelAt] !== 'number' && shape[otherAt] === 3;
    if ((typeof shape[channelAt] === 'number' && shape[channelAt] !== 3) || looksOther)
      throw new ModelContractError(
        `${file}: input.layout ${c.input.layout} puts channels at axis ${channelAt}, but the model's input "${c.input.name}" has ${shape[channelAt]} there (shape [${shape.join(', ')}]${looksOther ? `: it looks ${c.input.layout === 'NCHW' ? 'NHWC' : 'NCHW'}` : ''})`,
        file,
      );
    if (c.size.kind === 'fixed') {
      const [hAt, wAt] = c.input.layout === 'NCHW' ? [2, 3] : [1, 2];
      const h = shape[hAt];
      const w = shape[wAt];
      if ((typeof h === 'number' && h !== c.size.height) || (typeof w === 'number' && w !== c.size.width))
        throw new ModelContractError(
          `${file}: size says ${c.size.width}×${c.size.height} but the model's input "${c.input.name}" is [${shape.join(', ')}]`,
          file,
        );
    }
  }
}
