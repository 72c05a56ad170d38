import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { mulberry32 } from '../../src/vector/index.js';

/**
 * ONNX model files built in test setup, so that no binary fixture has to be trusted or kept in
 * sync: the graphs are written with onnx-proto's protobuf classes (IR version 7, opset 13, which
 * every onnxruntime since 1.8 loads). The serving tests and bench/serving.ts share these builders.
 * This file imports nothing from src/, so a benchmark can use it without reaching into a context.
 */
const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.IModelProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
const ElemType = onnx.TensorProto.DataType;

/** A dimension: a fixed size, a symbolic name (`'batch'`), or `null` for unknown (no name at all). */
export type Dim = number | string | null;

/** The Open Inference Protocol datatype names, each with its ONNX element type. */
export const onnxElemTypes = {
  BOOL: ElemType.BOOL,
  UINT8: ElemType.UINT8,
  UINT16: ElemType.UINT16,
  UINT32: ElemType.UINT32,
  UINT64: ElemType.UINT64,
  INT8: ElemType.INT8,
  INT16: ElemType.INT16,
  INT32: ElemType.INT32,
  INT64: ElemType.INT64,
  FP16: ElemType.FLOAT16,
  FP32: ElemType.FLOAT,
  FP64: ElemType.DOUBLE,
  BYTES: ElemType.STRING,
} as const;

export type DatatypeName = keyof typeof onnxElemTypes;
export const datatypeNames = Object.keys(onnxElemTypes) as DatatypeName[];

export function valueInfo(name: string, datatype: DatatypeName, dims: readonly Dim[]): ValueInfoProto {
  const dim = dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnxElemTypes[datatype], shape: { dim } } } };
}

export function node(opType: string, input: string[], output: string[]): NodeProto {
  return { opType, input, output, name: `${opType}_${output.join('_')}` };
}

/** A float32 initializer; raw little-endian bytes keep large weights fast to encode. */
export function floatInitializer(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { name, dims: [...dims], dataType: ElemType.FLOAT, rawData: raw };
}

export interface GraphParts {
  readonly inputs: ValueInfoProto[];
  readonly outputs: ValueInfoProto[];
  readonly nodes: NodeProto[];
  readonly initializers?: TensorProto[];
}

/** The protobuf bytes of a one-graph model. */
export function encodeModel(parts: GraphParts): Uint8Array {
  const model: ModelProto = {
    irVersion: 7,
    producerName: 'strata-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'graph',
      input: parts.inputs,
      output: parts.outputs,
      node: parts.nodes,
      initializer: parts.initializers ?? [],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** A fresh directory under the OS temp dir; the caller removes it. */
export function tempDir(prefix = 'strata-onnx-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `bytes` as `<dir>/<file>` and returns the path. */
export async function writeModel(dir: string, file: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, bytes);
  return path;
}

export interface MlpOptions {
  readonly input: number;
  /** Widths of the hidden layers; a number is one layer. */
  readonly hidden: number | readonly number[];
  readonly output: number;
  readonly seed: number;
  /** A symbolic first dimension `batch`; otherwise the model takes exactly one row. */
  readonly batch: boolean;
}

export interface MlpLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** Row-major `[inputs, outputs]`, as the graph's MatMul / Gemm reads it. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export interface MlpModel {
  readonly bytes: Uint8Array;
  readonly layers: readonly MlpLayer[];
}

/**
 * `input` (FP32 `[batch, input]`) → `output` (FP32 `[batch, output]`). The first layer is a Gemm,
 * the others MatMul + Add, so both lowering paths are exercised; every layer but the last is
 * followed by Relu. Weights are uniform in ±1/√fan-in, so activations stay near 1 at any depth
 * and a 1e-4 tolerance is meaningful.
 */
export function mlpModel(options: MlpOptions): MlpModel {
  const next = mulberry32(options.seed);
  const widths = [options.input, ...[options.hidden].flat(), options.output];
  const layers: MlpLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const inputs = widths[l] ?? 0;
    const outputs = widths[l + 1] ?? 0;
    const scale = 1 / Math.sqrt(inputs);
    const weight = Float32Array.from({ length: inputs * outputs }, () => (2 * next() - 1) * scale);
    const bias = Float32Array.from({ length: outputs }, () => (2 * next() - 1) * scale);
    layers.push({ inputs, outputs, weight, bias });
  }
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let current = 'input';
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    const w = `w${String(l)}`;
    const b = `b${String(l)}`;
    initializers.push(floatInitializer(w, [layer.inputs, layer.outputs], layer.weight));
    initializers.push(floatInitializer(b, [layer.outputs], layer.bias));
    const sum = last ? 'output' : `sum${String(l)}`;
    if (l === 0) {
      nodes.push(node('Gemm', [current, w, b], [sum]));
    } else {
      nodes.push(node('MatMul', [current, w], [`prod${String(l)}`]));
      nodes.push(node('Add', [`prod${String(l)}`, b], [sum]));
    }
    current = sum;
    if (!last) {
      current = `relu${String(l)}`;
      nodes.push(node('Relu', [sum], [current]));
    }
  });
  const rows: Dim = options.batch ? 'batch' : 1;
  const bytes = encodeModel({
    inputs: [valueInfo('input', 'FP32', [rows, options.input])],
    outputs: [valueInfo('output', 'FP32', [rows, options.output])],
    nodes,
    initializers,
  });
  return { bytes, layers };
}

/** The MLP's forward pass in plain TypeScript: the oracle for the backend's outputs. */
export function mlpReference(layers: readonly MlpLayer[], x: Float32Array, rows: number): Float32Array {
  let current: Float64Array = Float64Array.from(x);
  layers.forEach((layer, l) => {
    const out = new Float64Array(rows * layer.outputs);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < layer.outputs; o++) {
        let sum = layer.bias[o] ?? 0;
        for (let i = 0; i < layer.inputs; i++)
          sum += (current[r * layer.inputs + i] ?? 0) * (layer.weight[i * layer.outputs + o] ?? 0);
        out[r * layer.outputs + o] = l < layers.length - 1 ? Math.max(sum, 0) : sum;
      }
    }
    current = out;
  });
  return Float32Array.from(current);
}

/**
 * One Identity per datatype: `input_<DATATYPE>` → `output_<DATATYPE>`, shape `[n, ?]` where `n` is
 * symbolic and `?` has neither size nor name, so both kinds of dynamic dimension are covered.
 */
export function identityModel(): Uint8Array {
  return encodeModel({
    inputs: datatypeNames.map((d) => valueInfo(`input_${d}`, d, ['n', null])),
    outputs: datatypeNames.map((d) => valueInfo(`output_${d}`, d, ['n', null])),
    nodes: datatypeNames.map((d) => node('Identity', [`input_${d}`], [`output_${d}`])),
  });
}
