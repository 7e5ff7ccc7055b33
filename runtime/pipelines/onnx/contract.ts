import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The sidecar contract of an ONNX image model: `<model>.json` beside `<model>.onnx`. It says how
 * to feed the graph (input/output names, NCHW or NHWC float with a value range and channel order,
 * or the I420 bytes as they are; fixed or dynamic size) and which optional inputs it takes (strength, previous output, text embedding).
 * See runtime/pipelines/README.md for the format with an example.
 */

const tensorName = z.string().min(1).max(256);

const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && hi > lo, {
    message: 'range must be [min, max] with max > min (e.g. [0, 1], [0, 255] or [-1, 1])',
  });

const floatImage = z.object({
  name: tensorName,
  layout: z.enum(['NCHW', 'NHWC'], { message: 'layout must be "NCHW", "NHWC" or "I420"' }),
  range,
  channels: z.enum(['rgb', 'bgr']).default('rgb'),
});

/** The frame's own bytes: uint8 [1, 1, 3H/2, W] (the Y plane's H rows of W, then U and V). */
const i420Image = z.object({ name: tensorName, layout: z.literal('I420') });

// A plain union (not discriminated) so that a bad layout still gets the float fields checked:
// parseContract reports the branch that matches the layout, or the float one.
const imageTensor = z.union([floatImage, i420Image]);

const size = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dynamic'), multiple_of: z.number().int().min(1).max(512).default(1) }),
  z.object({
    kind: z.literal('fixed'),
    width: z.number().int().min(1).max(8192),
    height: z.number().int().min(1).max(8192),
  }),
]);

/** The zod schema of a sidecar contract. */
export const modelContractSchema = z
  .object({
    format: z.literal('patchbay-onnx-model'),
    version: z.literal(1),
    name: z.string().min(1).max(200),
    description: z.string().max(4000).default(''),
    input: imageTensor,
    output: imageTensor,
    size,
    /** A float [1] input fed with the Pipeline node's live `strength` (0–1). */
    strength: z.object({ input: tensorName }).optional(),
    /**
     * A second input fed with the previous output (same layout and range as `input`), or with the
     * graph output named `output` (I420 models: a float NCHW [1,3,H,W] state, zeros at the start).
     */
    feedback: z
      .object({
        input: tensorName,
        output: tensorName.optional(),
        /** A fixed-shape float state (e.g. a smoothed low-resolution mask) instead of the image-shaped one. */
        dims: z.array(z.number().int().min(1).max(4096)).min(1).max(6).optional(),
      })
      .optional(),
    /** A float [1, 3] input fed with the prompts' hash embedding (see ./embedding.ts). */
    text: z.object({ input: tensorName, embedding: z.literal('hash-rgb') }).optional(),
  })
  .superRefine((c, ctx) => {
    const i420In = c.input.layout === 'I420';
    if (i420In !== (c.output.layout === 'I420'))
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'layout'],
        message: 'input and output must both be I420 or both be float (NCHW/NHWC)',
      });
    if (!i420In) return;
    if (c.size.kind !== 'dynamic' || c.size.multiple_of > 2)
      ctx.addIssue({
        code: 'custom',
        path: ['size'],
        message: 'an I420 model gets the frame itself: size must be {"kind":"dynamic","multiple_of":1 or 2}',
      });
    if (c.feedback && !c.feedback.output)
      ctx.addIssue({
        code: 'custom',
        path: ['feedback', 'output'],
        message: 'an I420 model with feedback must name the float [1,3,H,W] state output it feeds back',
      });
  });

export type ModelContract = z.infer<typeof modelContractSchema>;
export type ImageTensorSpec = ModelContract['input'];
/** A float image tensor's layout, range and channel order (what ./convert.ts converts to and from). */
export type FloatImageSpec = Extract<ImageTensorSpec, { layout: 'NCHW' | 'NHWC' }>;

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
  const problems = flatten(result.error.issues, []).map(
    (i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
  );
  throw new ModelContractError(`${file}: invalid model contract — ${problems.join('; ')}`, file);
}

interface Problem {
  path: PropertyKey[];
  message: string;
}

/**
 * Replaces each failed union (the image tensor: float or I420) with the issues of the branch
 * whose layout matched, or the first (float) branch when none did, so the message names the
 * real fields ("input.range: …") instead of "Invalid input".
 */
function flatten(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): Problem[] {
  return issues.flatMap((i): Problem[] => {
    const path = [...prefix, ...i.path];
    if (i.code !== 'invalid_union' || !i.errors.length) return [{ path, message: i.message }];
    const layoutOk = (branch: readonly z.core.$ZodIssue[]) =>
      !branch.some((b) => b.path.join('.') === 'layout');
    const branch = i.errors.find(layoutOk) ?? i.errors[0]!;
    return flatten(branch, path);
  });
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
    // V8's message quotes the text around the error: say where, never what the file holds.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ModelContractError(
      `${file}: not valid JSON${at !== undefined ? ` (at character ${at})` : ''}`,
      file,
    );
  }
  return parseContract(parsed, file);
}

/** The sidecar path of a model: `foo.onnx` → `foo.json`. */
export function sidecarPath(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.json';
}
