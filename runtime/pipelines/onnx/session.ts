import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { i420Size, type VideoFrame } from '../../../nodes';
import { CUDA_INSTALL_HINT, probeCuda, realProbeEnv } from '../../host';
import { ModelContractError, readContract, sidecarPath, type ModelContract } from './contract';
import { i420ToTensor, tensorToI420 } from './convert';

/**
 * Loads an ONNX image model with its sidecar contract and runs it on frames with
 * onnxruntime-node: picks the execution providers (CPU, or CUDA when asked for and present,
 * falling back visibly), feeds the frame as the model declares it (I420 bytes as they are, or
 * converted to a float NCHW/NHWC tensor and back), feeds the optional strength / previous-output
 * / text inputs, and returns I420 frames.
 */

export type Device = 'auto' | 'cpu' | 'cuda';

/** How to get CUDA for onnxruntime-node: the one hint (runtime/host/cuda-hint.ts). */
export const CUDA_HOW_TO = CUDA_INSTALL_HINT;

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
  /**
   * onnxruntime's graph optimisation level; `all` by default. The built-in models use `extended`:
   * `all` adds the NCHWc layout transform, which on their 1–3-channel convolutions costs 2–5 ms
   * of reorders per 512×512 frame instead of saving any (measured; runtime/pipelines/README.md).
   */
  graphOptimization?: 'basic' | 'extended' | 'all';
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
  /** What the feedback input gets next: the state tensor the last run returned, for a size. */
  private previous: { tensor: ort.Tensor; width: number; height: number } | null = null;
  private inputBuf: Float32Array | null = null;
  /** A private copy of a shared-memory frame for I420 models (see runI420). */
  private frameBuf: Uint8Array | null = null;
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
      graphOptimizationLevel: opts.graphOptimization ?? 'all',
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

  /** The shape of the fed-back state: the input's image shape, or NCHW [1,3,H,W] for I420 models. */
  private stateDims(width: number, height: number): number[] {
    const fixed = this.contract.feedback?.dims;
    if (fixed) return [...fixed];
    const layout = this.contract.input.layout;
    return this.dims(width, height, layout === 'I420' ? 'NCHW' : layout);
  }

  /** The feedback input for a tensor of this size: the last state, or black when there is none. */
  private feedbackTensor(width: number, height: number): ort.Tensor {
    const prev = this.previous;
    if (prev && prev.width === width && prev.height === height) return prev.tensor;
    // No previous output yet (or the size changed): start from black in the model's range.
    const input = this.contract.input;
    const black = input.layout === 'I420' ? 0 : input.range[0];
    const dims = this.stateDims(width, height);
    return new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(black), dims);
  }

  /**
   * One `session.run` with the image feed and the side inputs; returns the main output. The
   * feedback state is kept as the tensor onnxruntime returned (its own buffer, read only by us),
   * so feeding it back costs no copy.
   */
  private async runGraph(
    image: ort.Tensor,
    width: number,
    height: number,
    inputs: RunInputs,
  ): Promise<ort.Tensor> {
    if (this.disposed) throw new Error(`${this.path}: model was disposed`);
    const c = this.contract;
    const feeds: Record<string, ort.Tensor> = { [c.input.name]: image };
    if (c.strength)
      feeds[c.strength.input] = new ort.Tensor('float32', Float32Array.of(inputs.strength ?? 0.5), [1]);
    if (c.text)
      feeds[c.text.input] = new ort.Tensor(
        'float32',
        Float32Array.from(inputs.text ?? [0.75, 0.75, 0.75]),
        [1, 3],
      );
    if (c.feedback) feeds[c.feedback.input] = this.feedbackTensor(width, height);
    const t0 = performance.now();
    const result = await this.session.run(feeds);
    this.lastInferenceMs = performance.now() - t0;
    const out = result[c.output.name];
    if (!out) throw new Error(`${this.path}: output "${c.output.name}" is missing`);
    if (c.feedback) {
      const name = c.feedback.output ?? c.output.name;
      const state = result[name];
      const want = this.stateDims(width, height);
      if (!state || state.type !== 'float32' || state.dims.join() !== want.join())
        throw new Error(
          `${this.path}: feedback output "${name}" must be float32 [${want.join(', ')}]; got ${state ? `${state.type} [${state.dims.join(', ')}]` : 'nothing'}`,
        );
      this.previous = { tensor: state, width, height };
    }
    return out;
  }

  /** Runs the model on a tensor already in its float input layout and range (tests, bench). */
  runTensor(image: ImageTensor, inputs: RunInputs = {}): Promise<ImageTensor> {
    return this.serial(async () => {
      const out = await this.runFloat(image, inputs);
      // The caller may keep or change the result; the fed-back state must stay as it was.
      return this.contract.feedback ? { ...out, data: Float32Array.from(out.data) } : out;
    });
  }

  private async runFloat(image: ImageTensor, inputs: RunInputs): Promise<ImageTensor> {
    const c = this.contract;
    if (c.input.layout === 'I420' || c.output.layout === 'I420')
      throw new Error(`${this.path}: this model takes I420 frames (runFrame), not float tensors`);
    const feed = new ort.Tensor('float32', image.data, this.dims(image.width, image.height, c.input.layout));
    const out = await this.runGraph(feed, image.width, image.height, inputs);
    const d = out.dims;
    const nchw = c.output.layout === 'NCHW';
    if (out.type !== 'float32' || d.length !== 4 || d[0] !== 1 || (nchw ? d[1] : d[3]) !== 3)
      throw new Error(
        `${this.path}: output "${c.output.name}" is ${out.type} [${d.join(', ')}]; the contract says float32 ${c.output.layout} with 3 channels`,
      );
    return {
      data: out.data as Float32Array,
      width: nchw ? d[3]! : d[2]!,
      height: nchw ? d[2]! : d[1]!,
    };
  }

  /** Runs one frame: I420 in, I420 out at the input's size. */
  runFrame(frame: VideoFrame, inputs: RunInputs = {}): Promise<VideoFrame> {
    return this.serial(() =>
      this.contract.input.layout === 'I420' ? this.runI420(frame, inputs) : this.runConverted(frame, inputs),
    );
  }

  /** I420 models: the frame's bytes are the input tensor, the output tensor is the new frame. */
  private async runI420(frame: VideoFrame, inputs: RunInputs): Promise<VideoFrame> {
    const { width: w, height: h } = frame;
    if (w % 2 || h % 2) throw new RangeError(`I420 frames need even sizes, got ${w}×${h}`);
    const size = i420Size(w, h);
    if (frame.data.length < size)
      throw new RangeError(`frame data has ${frame.data.length} bytes; ${w}×${h} I420 needs ${size}`);
    const dims = [1, 1, (h * 3) / 2, w];
    let bytes = frame.data.length === size ? frame.data : frame.data.subarray(0, size);
    if (bytes.buffer instanceof SharedArrayBuffer) {
      // onnxruntime-node refuses views of shared memory ("Invalid argument"), and the engine's
      // frame pool is shared memory: copy into a private buffer, reused from frame to frame.
      if (this.frameBuf?.length !== size) this.frameBuf = new Uint8Array(size);
      this.frameBuf.set(bytes);
      bytes = this.frameBuf;
    }
    const out = await this.runGraph(new ort.Tensor('uint8', bytes, dims), w, h, inputs);
    if (out.type !== 'uint8' || out.dims.join() !== dims.join())
      throw new Error(
        `${this.path}: output "${this.contract.output.name}" is ${out.type} [${out.dims.join(', ')}]; an I420 model must return uint8 [${dims.join(', ')}]`,
      );
    return {
      width: w,
      height: h,
      data: out.data as Uint8Array,
      timestampMs: frame.timestampMs,
      seq: frame.seq,
    };
  }

  /** Float models: I420 → the declared tensor (resampled to a fixed size) → I420, in JS. */
  private async runConverted(frame: VideoFrame, inputs: RunInputs): Promise<VideoFrame> {
    const c = this.contract;
    if (c.input.layout === 'I420' || c.output.layout === 'I420')
      throw new Error(`${this.path}: input and output must both be I420 or both float`);
    const size = this.tensorSize(frame.width, frame.height);
    this.inputBuf = i420ToTensor(frame, c.input, size.width, size.height, this.inputBuf ?? undefined);
    const data =
      this.inputBuf.length === 3 * size.width * size.height
        ? this.inputBuf
        : this.inputBuf.subarray(0, 3 * size.width * size.height);
    const out = await this.runFloat({ data, width: size.width, height: size.height }, inputs);
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
  if (c.input.layout === 'I420') {
    const shape = image?.shape;
    if (image?.isTensor && shape && (shape.length !== 4 || shape[0] !== 1 || shape[1] !== 1))
      throw new ModelContractError(
        `${file}: input.layout I420 needs a uint8 [1, 1, 3H/2, W] input, but "${c.input.name}" is [${shape.join(', ')}]`,
        file,
      );
    return;
  }
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
