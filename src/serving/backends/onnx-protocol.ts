import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { ErrorCode } from '../../kernel/index.js';
import type { Datatype, Tensor } from '../tensor.js';

/**
 * The messages between an OnnxInstance (event-loop side) and its worker (onnx-worker.ts). One
 * worker owns one InferenceSession for its whole life:
 *
 *   start (workerData: WorkerSetup) → 'ready' with the model's metadata, or 'failed' (id null)
 *   'run' {id, inputs, outputs}     → 'result' {id, outputs} or 'failed' {id, error}
 *   'close'                         → the worker releases the session and exits
 *
 * Tensors cross as plain `Tensor` objects; their buffers go in the transfer list (see
 * `withTransfer`). This file must not import onnxruntime-node at run time: the event loop side
 * never loads it.
 */
export interface WorkerSetup {
  readonly path: string;
  readonly provider: 'cpu' | 'cuda';
  readonly intraOpThreads: number;
  /** How long the worker keeps polling for the next request after answering one, µs (0 = never). */
  readonly pollUs: number;
}

export type WorkerRequest =
  | { readonly kind: 'run'; readonly id: number; readonly inputs: Tensor[]; readonly outputs: string[] }
  | { readonly kind: 'close' };

export type WorkerReply =
  | { readonly kind: 'ready'; readonly inputs: ValueMetadata[]; readonly outputs: ValueMetadata[] }
  | { readonly kind: 'result'; readonly id: number; readonly outputs: Tensor[] }
  | { readonly kind: 'failed'; readonly id: number | null; readonly error: WireError };

/** ORT's InferenceSession.ValueMetadata, as it crosses: symbolic or unknown dimensions are strings. */
export interface ValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** A StrataError flattened for postMessage (a class instance would arrive as a plain Error). */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Datatype ↔ ONNX Runtime's tensor type names (onnxruntime-common `Tensor.Type`). */
export const ortTypes = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<Datatype, OrtTensor.Type>;

const datatypeOfOrt = new Map<string, Datatype>(
  Object.entries(ortTypes).map(([datatype, ort]) => [ort, datatype as Datatype]),
);

/** The datatype of an ORT type name; undefined for those Strata cannot carry (int4, bfloat16, ...). */
export function datatypeOf(ortType: string): Datatype | undefined {
  return datatypeOfOrt.get(ortType);
}

/**
 * The tensors to post and the buffers to transfer with them. A buffer is transferred only when
 * one typed array owns all of it and it is not shared: transferring a view would detach memory
 * the sender still uses elsewhere (a pooled Node Buffer, a slice of a larger batch), and a
 * SharedArrayBuffer cannot be transferred at all. Those are copied into a buffer of their own
 * first, which the receiver then owns. A transferred array is detached on the sending side: the
 * sender gives its tensors away with the message.
 */
export function withTransfer(tensors: readonly Tensor[]): { tensors: Tensor[]; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const posted = tensors.map((tensor): Tensor => {
    if (Array.isArray(tensor.data)) return tensor;
    const data = tensor.data;
    const buffer = data.buffer;
    if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength) {
      transfer.add(buffer);
      return tensor;
    }
    return { ...tensor, data: data.slice() };
  });
  return { tensors: posted, transfer: [...transfer] };
}

/** A copy of every numeric tensor, for when a buffer refuses to move (see OnnxWorker.run). */
export function copied(tensors: readonly Tensor[]): Tensor[] {
  return tensors.map((t) => (Array.isArray(t.data) ? t : { ...t, data: t.data.slice() }));
}
