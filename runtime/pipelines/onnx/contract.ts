import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The sidecar contract of an ONNX image model: `<model>.json` beside `<model>.onnx`. It says how
 * to feed the graph (input/output names, NCHW or NHWC, value range, channel order, fixed or
 * dynamic size) and which optional inputs it takes (strength, previous output, text embedding).
 * See runtime/pipelines/README.md for the format with an example.
 */

const tensorName = z.string().min(1).max(256);

const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && hi > lo, {
    message: 'range must be [min, max] with max > min (e.g. [0, 1], [0, 255] or [-1, 1])',
  });

const imageTensor = z.object({
  name: tensorName,
  layout: z.enum(['NCHW', 'NHWC']),
  range,
  channels: z.enum(['rgb', 'bgr']).default('rgb'),
});

const size = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dynamic'), multiple_of: z.number().int().min(1).max(512).default(1) }),
  z.object({
    kind: z.literal('fixed'),
    width: z.number().int().min(1).max(8192),
    height: z.number().int().min(1).max(8192),
  }),
]);

/** The zod schema of a sidecar contract. */
export const modelContractSchema = z.object({
  format: z.literal('patchbay-onnx-model'),
  version: z.literal(1),
  name: z.string().min(1).max(200),
  description: z.string().max(4000).default(''),
  input: imageTensor,
  output: imageTensor,
  size,
  /** A float [1] input fed with the Pipeline node's live `strength` (0–1). */
  strength: z.object({ input: tensorName }).optional(),
  /** A second image input fed with the previous output (same layout and range as `input`). */
  feedback: z.object({ input: tensorName }).optional(),
  /** A float [1, 3] input fed with the prompts' hash embedding (see ./embedding.ts). */
  text: z.object({ input: tensorName, embedding: z.literal('hash-rgb') }).optional(),
});

export type ModelContract = z.infer<typeof modelContractSchema>;
export type ImageTensorSpec = ModelContract['input'];

/** A model or sidecar that cannot be used; the message names the file and field. */
export class ModelContractError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ModelContractError';
  }
}

/** Validates a parsed sidecar object; throws ModelContractError naming `file` and each bad field. */
export function parseContract(value: unknown, file: string): ModelContract {
  const result = modelContractSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
  );
  throw new ModelContractError(`${file}: invalid model contract — ${problems.join('; ')}`, file);
}

/** Reads and validates a sidecar JSON file. */
export function readContract(file: string): ModelContract {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelContractError(
      code === 'ENOENT'
        ? `${file}: missing model contract (every .onnx model needs a sidecar JSON beside it; see runtime/pipelines/README.md)`
        : `${file}: cannot read model contract (${(error as Error).message})`,
      file,
    );
  }
  if (text.length > 256 * 1024)
    throw new ModelContractError(`${file}: model contract is larger than 256 KiB`, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelContractError(`${file}: not valid JSON (${(error as Error).message})`, file);
  }
  return parseContract(parsed, file);
}

/** The sidecar path of a model: `foo.onnx` → `foo.json`. */
export function sidecarPath(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.json';
}
