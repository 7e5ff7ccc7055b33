import onnxProto from 'onnx-proto';

/**
 * A small builder for ONNX graphs on top of `onnx-proto` (the protobuf classes), so the built-in
 * models are made by our own code in Node — no Python, no download. Output bytes depend only on
 * the calls made (no maps, no timestamps), so a rebuilt model is byte-identical.
 */

const { onnx } = onnxProto;

type Dim = number | string;
type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Element types a graph input or output can have (ONNX TensorProto.DataType codes). */
export const ELEM = { float: FLOAT, uint8: onnx.TensorProto.DataType.UINT8, int64: INT64 } as const;
export type ElemType = keyof typeof ELEM;

function valueInfo(
  name: string,
  dims: readonly Dim[] | null,
  elemType = FLOAT,
): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        // null: the shape is left for onnxruntime to infer (outputs of converted graphs).
        ...(dims
          ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } }
          : {}),
      },
    },
  });
}

function attribute(name: string, value: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string')
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if (typeof value === 'object' && 'float' in value)
    return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  if (typeof value === 'object')
    return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
  if (Number.isInteger(value)) return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value });
}

/** Builds one ONNX graph; each op returns the name of its (first) output. */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  /** Declares a graph input, float unless `type` says otherwise (string dims are symbolic: dynamic size). */
  input(name: string, dims: readonly Dim[], type: ElemType = 'float'): string {
    this.inputs.push(valueInfo(name, dims, ELEM[type]));
    return name;
  }

  /**
   * Declares a graph output produced by `from` (the value is renamed; an Identity only when `from`
   * is a graph input or already an output), float unless `type` says otherwise. Declare outputs
   * after the nodes that read `from`. `dims` null leaves the shape undeclared.
   */
  output(name: string, from: string, dims: readonly Dim[] | null, type: ElemType = 'float'): void {
    const producer = this.nodes.find((n) => n.output.includes(from));
    const isOutput = this.outputs.some((o) => o.name === from);
    if (producer && !isOutput) {
      // Rename the value instead of adding an Identity: onnxruntime keeps an Identity whose input
      // other nodes also read, and that is a full copy of the tensor (1.2 ms for 512×512×3 floats).
      producer.output = producer.output.map((o) => (o === from ? name : o));
      for (const n of this.nodes) n.input = n.input.map((i) => (i === from ? name : i));
    } else {
      this.nodes.push(
        onnx.NodeProto.create({ opType: 'Identity', input: [from], output: [name], name: `${name}_out` }),
      );
    }
    this.outputs.push(valueInfo(name, dims, ELEM[type]));
  }

  /** A float constant (initializer) with the given shape. */
  floats(values: readonly number[] | Float32Array, dims: readonly number[]): string {
    const name = `c${this.counter++}`;
    const data = Float32Array.from(values);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected)
      throw new Error(
        `graph ${this.name}: constant ${name} has ${data.length} values, shape needs ${expected}`,
      );
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: FLOAT,
        dims: [...dims],
        // A copy of exactly this view's bytes (a subarray's buffer holds more than its own values).
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
      }),
    );
    return name;
  }

  /** A float scalar constant of shape [1] (broadcasts against anything). */
  scalar(value: number): string {
    return this.floats([value], [1]);
  }

  /** A rank-0 float constant (Clip wants scalars for its bounds). */
  scalar0(value: number): string {
    return this.floats([value], []);
  }

  /** An int64 constant (shapes, pads, axes). */
  ints(values: readonly number[]): string {
    const name = `c${this.counter++}`;
    this.initializers.push(
      onnx.TensorProto.create({ name, dataType: INT64, dims: [values.length], int64Data: [...values] }),
    );
    return name;
  }

  /** A rank-0 int64 constant (Range wants scalars). */
  int0(value: number): string {
    const name = `c${this.counter++}`;
    this.initializers.push(onnx.TensorProto.create({ name, dataType: INT64, dims: [], int64Data: [value] }));
    return name;
  }

  /** Adds a node; returns its output name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    const out = `t${this.counter++}_${opType.toLowerCase()}`;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: [...inputs],
        output: [out],
        name: out,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return out;
  }

  /** Serialises the model (IR 8, default-domain opset `opset`). */
  toBytes(opset = 17, docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'patchbay',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
