import { protoPath } from './proto-files.js';

/**
 * The `inference` package's messages as @grpc/proto-loader hands them over with `protoLoadOptions` (proto-files.ts):
 * field names as in the .proto, 64-bit integers as decimal strings (exact), bytes as Buffers,
 * absent fields at their defaults, and a oneof's chosen field named by `parameter_choice`. Only
 * the fields Strata reads or writes are typed.
 */

export const inferenceProtoPath = protoPath('grpc_predict_v2.proto');

/** 64-bit integers arrive as strings; a server may answer with numbers or strings. */
type Int64 = string | number;

export interface InferParameterMessage {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: Int64;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: Int64;
}

export type ParameterMap = Readonly<Record<string, InferParameterMessage>>;

export interface TensorContentsMessage {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Int64[];
  uint_contents?: number[];
  uint64_contents?: Int64[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface InputTensorMessage {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly Int64[];
  readonly parameters: ParameterMap;
  readonly contents: TensorContentsMessage | null;
}

export interface ModelInferRequestMessage {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: ParameterMap;
  readonly inputs: readonly InputTensorMessage[];
  readonly outputs: readonly { readonly name: string; readonly parameters: ParameterMap }[];
  readonly raw_input_contents: readonly Buffer[];
}

export interface OutputTensorMessage {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly Int64[];
  readonly contents?: TensorContentsMessage;
}

export interface ModelInferResponseMessage {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: readonly OutputTensorMessage[];
  readonly raw_output_contents: readonly Buffer[];
}

export interface ModelStreamInferResponseMessage {
  readonly error_message: string;
  readonly infer_response: ModelInferResponseMessage | null;
}

/** `ModelReadyRequest` and `ModelMetadataRequest`. */
export interface ModelRequestMessage {
  readonly name: string;
  readonly version: string;
}

export interface RepositoryModelRequestMessage {
  readonly repository_name: string;
  readonly model_name: string;
  readonly parameters: ParameterMap;
}
