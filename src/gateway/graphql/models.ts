import { isStrataError } from '../../kernel/index.js';
import {
  decodeTensor,
  tensorValues,
  type InferRequest,
  type ModelMetadata,
  type ModelStateChange,
  type RepositoryEntry,
  type ServingProcedures,
} from '../../serving/index.js';
import { guardServing } from '../procedures/guard.js';
import { operationIn, type GraphQLContext, type Operation } from './context.js';
import type { SchemaPart } from './schema-part.js';
import { subscription, type Watch } from './subscriptions.js';

/** Models over GraphQL: the Open Inference Protocol's model calls, typed. */
const typeDefs = /* GraphQL */ `
  enum ModelState {
    LOADING
    READY
    UNLOADING
    UNAVAILABLE
  }

  "A model of the repository."
  type Model {
    name: String!
    "Whether some version serves requests."
    ready: Boolean!
    "The versions the repository index lists (needs read on every model)."
    versions: [ModelVersion!]!
    "Inputs and outputs; null while no version is loaded."
    metadata: ModelMetadata
  }

  type ModelVersion {
    version: Int
    state: ModelState!
    reason: String!
  }

  type ModelMetadata {
    name: String!
    versions: [Int!]!
    platform: String!
    inputs: [TensorSpec!]!
    outputs: [TensorSpec!]!
  }

  "A declared input or output: -1 marks a dimension of any size."
  type TensorSpec {
    name: String!
    datatype: String!
    shape: [Int!]!
  }

  "An input tensor as the Open Inference Protocol's JSON has it: elements row-major, flat."
  input TensorInput {
    name: String!
    datatype: String!
    shape: [Int!]!
    data: [JSON!]!
    parameters: JSON
  }

  "An output tensor. Elements are numbers, booleans or strings (BYTES; non-finite floats; 64-bit integers beyond 2^53)."
  type Tensor {
    name: String!
    datatype: String!
    shape: [Int!]!
    data: [JSON!]!
  }

  type InferResult {
    model: String!
    version: Int!
    id: String
    outputs: [Tensor!]!
    "Whether the answer came from the response cache."
    cached: Boolean!
  }

  type ModelStateChange {
    model: String!
    version: Int!
    state: ModelState!
    reason: String!
  }

  extend type Query {
    "The repository's models; ready: true for those with a ready version only."
    models(ready: Boolean): [Model!]!
    model(name: String!): Model!
    "Runs a model. A query, not a mutation: it changes nothing, and several run in parallel."
    infer(
      model: String!
      version: Int
      id: String
      inputs: [TensorInput!]!
      outputs: [String!]
      parameters: JSON
    ): InferResult!
  }

  extend type Mutation {
    loadModel(name: String!): Model!
    unloadModel(name: String!): Boolean!
  }

  extend type Subscription {
    "State changes of one model's versions, or of every model you may read."
    modelStateChanged(model: String): ModelStateChange!
  }
`;

interface ModelObject {
  readonly name: string;
  /** The index entries, when the model came from a listing. */
  readonly entries?: readonly RepositoryEntry[];
}

interface InferArgs {
  readonly model: string;
  readonly version?: number | null;
  readonly id?: string | null;
  readonly inputs: readonly unknown[];
  readonly outputs?: readonly string[] | null;
  readonly parameters?: Readonly<Record<string, unknown>> | null;
}

export function modelSchema(serving: ServingProcedures): SchemaPart {
  const guarded = (operation: Operation): ServingProcedures => guardServing(serving, operation.caller);
  const procedures = (context: GraphQLContext): ServingProcedures => guarded(operationIn(context));
  return {
    typeDefs,
    resolvers: {
      Query: {
        models: async (_: unknown, args: { ready?: boolean | null }, context: GraphQLContext) => {
          const entries = await procedures(context).repositoryIndex({ ready: args.ready === true });
          const byName = new Map<string, RepositoryEntry[]>();
          for (const entry of entries) byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
          return [...byName].map(([name, list]): ModelObject => ({ name, entries: list }));
        },
        model: (_: unknown, args: { name: string }): ModelObject => ({ name: args.name }),
        infer: async (_: unknown, args: InferArgs, context: GraphQLContext) => {
          const operation = operationIn(context);
          const response = await guarded(operation).infer(inferRequest(args, operation));
          return {
            ...response,
            outputs: response.outputs.map((tensor) => ({ ...tensor, data: tensorValues(tensor) })),
          };
        },
      },
      Mutation: {
        loadModel: async (_: unknown, args: { name: string }, context: GraphQLContext) => {
          await procedures(context).load(args.name);
          return { name: args.name } satisfies ModelObject;
        },
        unloadModel: async (_: unknown, args: { name: string }, context: GraphQLContext) => {
          await procedures(context).unload(args.name);
          return true;
        },
      },
      Model: {
        ready: (model: ModelObject, _args: unknown, context: GraphQLContext) =>
          procedures(context).modelReady(model.name),
        versions: async (model: ModelObject, _args: unknown, context: GraphQLContext) =>
          model.entries ??
          (await procedures(context).repositoryIndex()).filter((entry) => entry.name === model.name),
        metadata: (model: ModelObject, _args: unknown, context: GraphQLContext): ModelMetadata | null => {
          try {
            return procedures(context).modelMetadata(model.name);
          } catch (error) {
            if (isStrataError(error) && error.code === 'NOT_FOUND') return null;
            throw error;
          }
        },
      },
      Subscription: {
        modelStateChanged: subscription(
          (operation, args: { model?: string | null }): Watch<ModelStateChange> =>
            (listener) =>
              guarded(operation).watchModels(args.model ?? undefined, listener),
        ),
      },
    },
  };
}

function inferRequest(args: InferArgs, operation: Operation): InferRequest {
  return {
    model: args.model,
    ...(args.version == null ? {} : { version: args.version }),
    ...(args.id == null ? {} : { id: args.id }),
    inputs: args.inputs.map((input, index) => decodeTensor(withoutNulls(input), index)),
    ...(args.outputs == null ? {} : { outputs: args.outputs }),
    ...(args.parameters == null ? {} : { parameters: args.parameters }),
    headers: operation.headers,
  };
}

/** An input object as the protocol's JSON would have it: a field sent as null is absent. */
function withoutNulls(input: unknown): unknown {
  return Object.fromEntries(Object.entries(input as object).filter(([, value]) => value !== null));
}
